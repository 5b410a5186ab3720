"""Report downloads: the leadership-camp deck (PowerPoint, PDF or OpenDocument) and the scorecard (Excel or
OpenDocument).

The map is resolved through the access choke-point like every page, and the reports are
built with the person's access, so the public's files hold published results only.

A deck takes seconds of CPU, so it is never made in the request (stratmap.reports.jobs): its URL
shows a page that offers to prepare it (a POST), follows the job while the worker makes it, and
serves the file once it is ready; the same file serves everyone who sees the same data. What is
left to ask for is rate-limited by client address. The Excel scorecard takes as long as a page
(about 50 ms for the city's map) and is made in the request; its OpenDocument copy is LibreOffice's
conversion of it (seconds), so it is made by the worker like a deck.
"""

from __future__ import annotations

import io
import time

from django.conf import settings
from django.core.cache import cache
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe

from stratmap.access import access_for, get_map_for_user
from stratmap.core.years import Period, Unit, YearError, period_in_year
from stratmap.kpis.models import period_code
from stratmap.reports import jobs
from stratmap.reports.models import ReportFile
from stratmap.reports.xlsx import scorecard_workbook
from stratmap.strategy.models import StrategyMap
from stratmap.web.addresses import client_address

Status = ReportFile.Status

TYPES = {
    "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "pdf": "application/pdf",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def _attachment(data: bytes, kind: str, filename: str) -> HttpResponse:
    response = HttpResponse(data, content_type=TYPES[kind])
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _over_the_limit(request: HttpRequest) -> bool:
    """Counts this "prepare" against its client address's allowance for the current minute."""
    key = f"stratmap:prepare:{client_address(request) or '-'}:{int(time.time() // 60)}"
    cache.add(key, 0, timeout=120)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between the two calls
        count = 1
        cache.set(key, count, timeout=120)
    return count > settings.REPORT_PREPARES_PER_MINUTE


def _state(job: ReportFile | None) -> str:
    """What the page says: none (offer to prepare), queued, waiting (queued, but no worker took it),
    rendering, lost (the worker died on it), ready or failed."""
    if job is None:
        return "none"
    if job.status == Status.QUEUED:
        return "waiting" if jobs.is_stale(job) else "queued"
    if job.status == Status.RENDERING:
        return "lost" if jobs.is_stale(job) else "rendering"
    return job.status


class BadPeriod(Exception):
    """A ``?period=`` that is none of the map's year; the 400 it is answered with names it."""

    def response(self) -> HttpResponse:
        return HttpResponseBadRequest(str(self), content_type="text/plain; charset=utf-8")


def asked_period(request: HttpRequest, smap: StrategyMap) -> Period | None:
    """The period of the map's year ``?period=`` names, as the scorecard page's period selector writes it
    (Q3, H1, M05) or as a key (2024-Q3); None without one or for the whole year. :class:`BadPeriod` naming
    the value for one that is none of the year's."""
    asked = request.GET.get("period", "").strip()
    if not asked:
        return None
    style = smap.organization.year_style
    try:
        period = period_in_year(asked, smap.year, style)
    except YearError:
        message = _("%(value)s is not a period of %(year)s; expected e.g. Q3 or %(example)s") % {
            "value": asked[:40],
            "year": style.label(smap.year),
            "example": f"{smap.url_year}-Q3",
        }
        raise BadPeriod(message) from None
    return None if period.unit is Unit.YEAR else period  # the whole year, as without a period


def _title(kind: str) -> str:
    return {
        "pdf": _("Report deck (PDF)"),
        "pptx": _("Report deck (PowerPoint)"),
        "odp": _("Report deck (OpenDocument, .odp)"),
        "scorecard.ods": _("Scorecard (OpenDocument, .ods)"),
        "workbook.ods": _("Results workbook (OpenDocument, .ods)"),
    }[kind]


@require_http_methods(["GET", "HEAD", "POST"])
def deck(request: HttpRequest, org: str, year: int, kind: str) -> HttpResponse | FileResponse:
    """``report.pptx``, ``report.pdf`` or ``report.odp``, of the whole map or of ``?theme=D``, of the year or of
    the year to date at ``?period=Q3``, or ``scorecard.ods`` (of the year or of ``?period=``): the file when it is
    ready, else the page that prepares it (POST) and follows its progress. A period that is none of the map's
    year is a 400 naming it, asked or prepared."""
    smap = get_map_for_user(request, org, year)
    theme = (request.GET.get("theme") or "") if kind != "scorecard.ods" else ""  # a scorecard is of the whole map
    if theme and not smap.themes.filter(code=theme).exists():
        raise Http404
    try:
        period = asked_period(request, smap)
    except BadPeriod as bad:
        return bad.response()
    # In the page's language: /en/…/report.pdf is the English deck, a file of its own.
    key = jobs.report_key(smap, kind, theme, access_for(request), period, language=request.LANGUAGE_CODE)
    return prepared(request, smap, key, period=period)


def prepared(request: HttpRequest, smap: StrategyMap, key: jobs.ReportKey, *, period: Period | None = None
             ) -> HttpResponse | FileResponse:  # fmt: skip
    """The file of ``key`` when it is ready, else the page that prepares it (POST) and follows its progress."""
    kind, theme = key.kind, key.theme
    context = {
        "map": smap,
        "org": smap.organization,
        "year": smap.year,
        "kind": kind,
        "title": _title(kind),
        "theme": theme,
        "period": smap.organization.year_style.period_label(period) if period else "",
    }
    if request.method == "POST":
        if _over_the_limit(request):
            context.update(state="limit", limit=settings.REPORT_PREPARES_PER_MINUTE)
            return render(request, "web/report.html", context, status=429)
        if jobs.queue_is_full():
            return render(request, "web/report.html", {**context, "state": "busy"}, status=503)
        jobs.prepare(key, request.user)
        response = redirect(request.get_full_path())
        response.status_code = 303  # see the page that follows it, with a GET
        return response
    job = jobs.find(key)
    polled = bool(request.headers.get("HX-Request"))
    if jobs.usable(job, key) and not polled:
        served = FileResponse(
            jobs.file_path(job).open("rb"),
            as_attachment=True,
            filename=jobs.download_name(job),
            content_type=jobs.MEDIA_TYPES[kind],
        )
        if key.scope != "public":
            served["Cache-Control"] = "private, no-store"  # it holds unpublished results
        return served
    context.update(job=job, state=_state(job))
    return render(request, "web/_report_status.html" if polled else "web/report.html", context)


@require_safe
def scorecard_xlsx(request: HttpRequest, org: str, year: int) -> HttpResponse:
    """The Excel scorecard of the year, or of the year to date at ``?period=Q3`` (as the scorecard page's
    period selector writes it: Q3, H1, M05, or a key, 2024-Q3); a period that is none of the map's year
    is refused with a 400 naming it. Made in the request and never kept, so no two periods share a file."""
    smap = get_map_for_user(request, org, year)
    try:
        period = asked_period(request, smap)
    except BadPeriod as bad:
        return bad.response()
    suffix = f"-{period_code(period, smap.organization.year_style)}" if period else ""
    buffer = io.BytesIO()
    scorecard_workbook(
        org, smap.year, smap, access=access_for(request), period=period, language=request.LANGUAGE_CODE
    ).save(buffer)
    return _attachment(buffer.getvalue(), "xlsx", f"{org}-{smap.year}{suffix}-scorecard.xlsx")
