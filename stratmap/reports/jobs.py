"""The report decks, made in the background and kept until the data changes.

A deck costs seconds of CPU (the whole map's PDF 3–20 s), so a request never renders one: it asks
for it (:func:`prepare`, a POST), the worker (``stratmap worker``, django-tasks' database worker)
makes it (:func:`render_report`), and the page serves the file when it is ready. Every file is kept
under its key: the map, the kind, the theme, the period (the year to date at its end; "" for the whole
year), the language, the access scope of those it is for (``"public"`` or a digest of
:meth:`Access.cache_scope`) and the data version; whoever asks with the
same key gets the same file, so the public's deck of a map is made once per change of the data.

The data version (:func:`data_version`) is a digest of every data table's row count and highest id,
the sums of their version columns and the last audit event: an insert or a delete changes a count or
an id, and an edit goes through a service that bumps a version or records an audit event. It is one
query, global on purpose: a report also shows the next year's map, other years' results and the
organizations' names, and any change anywhere only costs a new rendering when asked for.
"""

from __future__ import annotations

import hashlib
import logging
import os
import secrets
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any, TypeGuard

from django.apps import apps
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.db import IntegrityError, connection, models, transaction
from django.utils import timezone
from django_tasks import task

from stratmap.access import Access
from stratmap.core.years import Period
from stratmap.kpis.models import period_code, period_of
from stratmap.reports.content import report_language
from stratmap.reports.models import ReportFile
from stratmap.strategy.models import StrategyMap

logger = logging.getLogger(__name__)

Status = ReportFile.Status
#: The tables whose content a report may show.
DATA_APPS = ("core", "strategy", "kpis", "plans")
#: Not data a report shows: who holds which role is the access scope's business.
NOT_DATA = {"core.membership"}
#: A job not taken or not finished after this long is taken for lost (no worker, or it died).
STALE_AFTER = timedelta(minutes=15)
MEDIA_TYPES = {
    "pdf": "application/pdf",
    "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "odp": "application/vnd.oasis.opendocument.presentation",
    "scorecard.ods": "application/vnd.oasis.opendocument.spreadsheet",
    "workbook.ods": "application/vnd.oasis.opendocument.spreadsheet",
}


class ReportJobError(RuntimeError):
    """A job that cannot be done as asked; the message says why."""


# --- keys ---------------------------------------------------------------------------------------


def _column(field: models.Field[Any, Any]) -> str:
    """The column of a concrete field (only a field stored elsewhere, a many-to-many, has none)."""
    assert field.column is not None
    return field.column


def data_version() -> str:
    """A digest that changes whenever anything a report may show changes (one query)."""
    quote = connection.ops.quote_name
    parts: list[str] = []
    for label in DATA_APPS:
        for model in apps.get_app_config(label).get_models(include_auto_created=True):
            if model._meta.label_lower in NOT_DATA or not model._meta.managed:
                continue
            table, pk = quote(model._meta.db_table), quote(_column(model._meta.pk))
            parts += [f"(SELECT COUNT(*) FROM {table})", f"(SELECT MAX({pk}) FROM {table})"]
            parts += [
                f"(SELECT SUM({quote(_column(field))}) FROM {table})"
                for field in model._meta.concrete_fields
                if (field.name == "version" or field.name.endswith("_version"))
                and isinstance(field, models.IntegerField)
            ]
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(parts))
        row = cursor.fetchone()
    return hashlib.sha256(repr(row).encode()).hexdigest()[:32]


def scope_of(access: Access, smap: StrategyMap) -> str:
    scope = access.cache_scope(smap)
    return scope if scope == "public" else hashlib.sha256(scope.encode()).hexdigest()[:32]


@dataclass(frozen=True)
class ReportKey:
    """What a file is made of, and so who may be given it."""

    map_id: int
    kind: str
    theme: str
    #: The rows' period code ("Q3", "H1", "M05") of the map's year; "" for the whole year.
    period: str
    language: str
    scope: str
    data_version: str
    #: The agency of a results workbook (its code); "" for every other kind.
    agency: str = ""

    def family(self) -> dict:
        """The fields of every version of this file."""
        fields = asdict(self)
        del fields["data_version"]
        return fields


def report_key(
    smap: StrategyMap,
    kind: str,
    theme: str,
    access: Access,
    period: Period | None = None,
    *,
    language: str,
    agency: str = "",
) -> ReportKey:
    """The key of the deck of ``smap`` as ``access`` sees it, of the year or of the year to date at ``period``,
    in ``language`` (the page's): a deck in English is another file than the one in Chinese. ``agency``: the
    agency of a results workbook."""
    code = period_code(period, smap.organization.year_style) if period is not None else ""
    language = report_language(language, smap.organization)
    return ReportKey(smap.pk, kind, theme, code, language, scope_of(access, smap), data_version(), agency)


def file_path(job: ReportFile) -> Path:
    return Path(settings.REPORTS_DIR) / job.file_name


def download_name(job: ReportFile) -> str:
    smap = job.map
    if job.kind == ReportFile.Kind.WORKBOOK_ODS:  # as the .xlsx is named, which people upload back
        year = smap.organization.year_style.typed(smap.year)
        return f"{smap.organization.code}-{year}-{job.agency}-results.ods"
    # The language too, but the organization's own: two files of one deck in two languages keep apart.
    own = job.language == report_language(None, smap.organization)
    name = f"{job.kind}" if "." in job.kind else f"report.{job.kind}"
    parts = [smap.organization.code, str(smap.year), job.theme, job.period, "" if own else job.language, name]
    return "-".join(part for part in parts if part)


# --- asking -------------------------------------------------------------------------------------


def is_stale(job: ReportFile) -> bool:
    if job.status == Status.QUEUED:
        return timezone.now() - job.requested_at > STALE_AFTER
    if job.status == Status.RENDERING:
        assert job.started_at is not None  # a job is put to rendering and given its start in one update
        return timezone.now() - job.started_at > STALE_AFTER
    return False


def find(key: ReportKey) -> ReportFile | None:
    """The file of ``key``, or else the job of the same file that is under way (it will render the
    data as it is when it starts), or None."""
    jobs = list(ReportFile.objects.filter(**key.family()).order_by("-requested_at", "-pk"))
    exact = next((job for job in jobs if job.data_version == key.data_version), None)
    if exact is not None:
        return exact
    return next((job for job in jobs if job.status in (Status.QUEUED, Status.RENDERING)), None)


def usable(job: ReportFile | None, key: ReportKey) -> TypeGuard[ReportFile]:
    """``job`` is the ready file of ``key`` and its file is there (a restored database may lack it)."""
    if job is None or job.status != Status.READY or job.data_version != key.data_version:
        return False
    if file_path(job).is_file():
        return True
    ReportFile.objects.filter(pk=job.pk).update(status=Status.FAILED, error="the file is gone")
    job.status = Status.FAILED
    return False


def queue_is_full() -> bool:
    return ReportFile.objects.filter(status=Status.QUEUED).count() >= settings.REPORT_QUEUE_LIMIT


def prepare(key: ReportKey, user) -> ReportFile:
    """Ask for the file of ``key`` on behalf of ``user``; nothing new when it is ready or under way."""
    requested_by = None if key.scope == "public" else user
    waiting = ReportFile.objects.filter(**key.family(), status=Status.QUEUED).order_by("-requested_at").first()
    if waiting is not None:  # it takes the data as they are when it starts
        if is_stale(waiting):
            _ask_again(waiting, requested_by)
        return waiting
    try:
        with transaction.atomic():
            job, created = ReportFile.objects.get_or_create(**asdict(key), defaults={"requested_by": requested_by})
    except IntegrityError:  # the same request, a moment before
        return ReportFile.objects.get(**asdict(key))
    if created:
        render_report.enqueue(job.pk)
    elif job.status == Status.FAILED or is_stale(job):
        _ask_again(job, requested_by)
    job.refresh_from_db()
    return job


def _ask_again(job: ReportFile, requested_by) -> None:
    """Queue a failed or lost job again (once, however many ask at the same moment)."""
    again = ReportFile.objects.filter(pk=job.pk, status=job.status, requested_at=job.requested_at).update(
        status=Status.QUEUED,
        error="",
        started_at=None,
        requested_at=timezone.now(),
        requested_by=requested_by,
        pages_done=0,
        pages_total=0,
    )
    if again:
        render_report.enqueue(job.pk)


# --- making -------------------------------------------------------------------------------------


def _progress(job: ReportFile) -> Callable[[int, int], None]:
    """A renderer's ``progress(done, total)``, kept on the job for the page that follows it: its first and
    last word, and between them each twentieth of the pages or more (a deck tells of every slide, the PDF
    of every batch)."""
    said = 0

    def told(done: int, total: int) -> None:
        nonlocal said
        if done in (0, total) or done - said >= max(1, total // 20):
            ReportFile.objects.filter(pk=job.pk).update(pages_done=done, pages_total=total)
            said = done

    return told


def _render(job: ReportFile, access: Access) -> bytes:
    # Imported here: the worker needs them, the pages that only ask do not.
    from stratmap.reports.content import report_content

    smap = job.map
    period = period_of(smap.year, job.period, smap.organization.year_style) if job.period else None
    if job.kind in (ReportFile.Kind.ODP, ReportFile.Kind.SCORECARD_ODS, ReportFile.Kind.WORKBOOK_ODS):
        return _render_odf(job, access, period)
    content = report_content(
        smap.organization.code, smap.year, job.theme or None, access=access, period=period, language=job.language
    )
    if job.kind == ReportFile.Kind.PDF:
        from stratmap.reports.pdf import render_pdf

        return render_pdf(content, progress=_progress(job))
    import io

    from stratmap.reports.deck import render_deck

    buffer = io.BytesIO()
    render_deck(content, progress=_progress(job)).save(buffer)
    return buffer.getvalue()


def _render_odf(job: ReportFile, access: Access, period: Period | None) -> bytes:
    """An OpenDocument file: the .pptx or .xlsx stratmap makes, converted by LibreOffice (reports.odf)."""
    import io

    from stratmap.reports.odf import convert

    smap = job.map
    progress = _progress(job)
    progress(0, 2)
    if job.kind == ReportFile.Kind.WORKBOOK_ODS:
        from stratmap.exchange.workbook.download import build_workbook

        agency = next((a for a in access.workbook_agencies(smap) if a.code == job.agency), None)
        if agency is None:
            raise ReportJobError(f"the person who asked for it has no workbook of the agency {job.agency!r}")
        source, data = (
            "xlsx",
            build_workbook(access=access, smap=smap, agency=agency, user=job.requested_by, language=job.language),
        )
    elif job.kind == ReportFile.Kind.SCORECARD_ODS:
        from stratmap.reports.xlsx import scorecard_workbook

        buffer = io.BytesIO()
        scorecard_workbook(
            smap.organization.code, smap.year, smap, access=access, period=period, language=job.language
        ).save(buffer)
        source, data = "xlsx", buffer.getvalue()
    else:
        from stratmap.reports.content import report_content
        from stratmap.reports.deck import render_deck

        content = report_content(
            smap.organization.code, smap.year, job.theme or None, access=access, period=period, language=job.language
        )
        buffer = io.BytesIO()
        render_deck(content).save(buffer)
        source, data = "pptx", buffer.getvalue()
    progress(1, 2)
    converted = convert(data, source, job.kind.rsplit(".", 1)[-1])
    progress(2, 2)
    return converted


def _write(job: ReportFile, data: bytes) -> str:
    directory = Path(settings.REPORTS_DIR)
    directory.mkdir(parents=True, exist_ok=True)
    name = f"{job.pk}-{secrets.token_hex(8)}.{job.kind}"
    partial = directory / f".{name}.part"
    partial.write_bytes(data)
    os.replace(partial, directory / name)  # whoever sees the name sees the whole file
    return name


@task()
def render_report(report_id: int) -> str:
    """Make the file of one :class:`ReportFile` job (run by ``stratmap worker``)."""
    claimed = ReportFile.objects.filter(pk=report_id, status=Status.QUEUED).update(
        status=Status.RENDERING, started_at=timezone.now(), pages_done=0, pages_total=0
    )
    if not claimed:
        return "not queued"  # done by another run, or deleted
    job = ReportFile.objects.select_related("map__organization", "requested_by").get(pk=report_id)
    try:
        if job.scope == "public":
            access = Access(AnonymousUser())
        elif job.requested_by is None:
            raise ReportJobError("the person who asked for it no longer exists")
        else:
            access = Access(job.requested_by)
        if scope_of(access, job.map) != job.scope:
            raise ReportJobError("the roles of the person who asked for it changed")
        # The version is read before the data: a change made meanwhile makes the next request new.
        version = data_version()
        name = _write(job, _render(job, access))
    except Exception as exc:
        logger.exception("report %s (%s) failed", report_id, job)
        ReportFile.objects.filter(pk=report_id).update(
            status=Status.FAILED, error=f"{type(exc).__name__}: {exc}"[:2000], finished_at=timezone.now()
        )
        raise
    _finish(job, version, name)
    return name


def _finish(job: ReportFile, version: str, name: str) -> None:
    """Mark ``job`` ready under the version it was rendered at, dropping what it makes obsolete."""
    family = ReportKey(
        job.map_id, job.kind, job.theme, job.period, job.language, job.scope, version, job.agency
    ).family()
    with transaction.atomic():
        same = ReportFile.objects.filter(**family, data_version=version).exclude(pk=job.pk).first()
        if same is not None and same.status == Status.READY:
            job.file_name = name
            job.delete()  # another job made the same file first; this one's file goes with it
            return
        if same is not None:
            same.delete()
        done = ReportFile.objects.filter(pk=job.pk).update(
            status=Status.READY,
            data_version=version,
            file_name=name,
            size=(Path(settings.REPORTS_DIR) / name).stat().st_size,
            error="",
            finished_at=timezone.now(),
        )
        if not done:  # the job was deleted meanwhile (its map, or a twin that finished first)
            (Path(settings.REPORTS_DIR) / name).unlink(missing_ok=True)
            return
        # Older versions of the same file are never served again.
        old = ReportFile.objects.filter(**family, status__in=[Status.READY, Status.FAILED]).exclude(pk=job.pk)
        for obsolete in old:
            obsolete.delete()
