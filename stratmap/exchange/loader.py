"""Importing dataset files into the database, all or nothing, without losing what people entered.

``load_paths`` streams: in one transaction it reads, checks and writes the
organizations files (small, read whole: every map file may name what they define),
then each map file in turn, so that one file's objects live at a time and memory
does not grow with the number of files (one synthetic city, 411 files and 27 MB:
a 104 MB peak, where reading every file before writing any took 346 MB). What
spans files is checked as each map file comes: its organization codes against
the organizations files and the database, its ``rating``, a map version that no
earlier file gives. After the first error nothing more is written, but every
later file is still read and checked, so that all the errors are listed; then
DatasetInvalid rolls the transaction back. Which files are organizations files
is told from their text (``parse.looks_like_a_map_file``); one that turns out
otherwise when read starts the load again, in the right order (``_LoadAgain``).
``progress`` is told of each file done (``stratmap load`` draws a progress bar).

Loading **merges by identity**: a map is the organization's map of that year and
version label; inside it, perspectives, themes, objectives, KPIs and action plans
are found by code (a KPI whose code changed, by its lineage), targets and results
by KPI and year, links by their two ends, and the rest (tasks, outcomes, TOWS,
thrusts, revision tables) by position. What the file has is updated in place,
keeping its primary key, so audit events, result versions and monthly plan progress
stay linked; what is new is created. Results the file does not mention are kept (a
dataset need not carry results; people enter them in the app).

A load never silently destroys anything: if the file lacks something the database
has (an objective, a KPI, a plan, a target, a task…) or would overwrite a result
changed in the app since it was loaded, it is refused with the list of what would
be lost, unless ``replace=True`` (``stratmap load --replace``), which then removes
and overwrites, recording each in the audit trail. docs/dataset-format.md says the
same for people.

Writes are set-based: a fixed number of queries per kind of row, whatever the size
of the map; only changed rows are written, each change audited. The rows of the big
kinds (targets, results, action plans, tasks, outcomes, the agencies of KPIs and
plans: nine in ten rows of a city) are created as plain rows, one INSERT executed
for thousands of rows (``COPY`` on PostgreSQL), not as model instances each
``full_clean``ed and batched by ``bulk_create`` (about 50 rows a statement on
SQLite): the schema has checked every value with the rules the models apply, and
``_check_rows`` makes the model's checks it does not (a value a column needs, a
choice, a length). A new map holds no rows, so none is read back. Profiled with
``python -m cProfile`` and timed with ``/usr/bin/time`` on ``stratmap load`` of a
small synthetic city (``python -m stratmap.exchange.synthetic OUT --cities 1
--bureaus 10 --years 4``, 45 files): 7.7 s of CPU before, 3.0 s after; on a whole
city 64 s before, 13 s after.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Hashable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar, cast

from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import IntegrityError, OperationalError, connection, models, transaction
from django.db.models import Max, Q
from django.db.models.fields.related_descriptors import ManyToManyDescriptor

from stratmap.core.audit import as_text, record
from stratmap.core.models import AuditEvent, HolidayCalendar, Organization, ReportingCalendar
from stratmap.core.years import YearStyle
from stratmap.exchange import consistency
from stratmap.exchange.dumper import rating_block
from stratmap.exchange.parse import (
    MAX_ERRORS,
    DatasetError,
    DatasetInvalid,
    ParsedFile,
    Ratings,
    check_ratings,
    dataset_files,
    looks_like_a_map_file,
    map_rating_errors,
    own_language_errors,
    parse_file,
)
from stratmap.exchange.schema import (
    KPI_VALUES,
    KpiIn,
    LightSetIn,
    MapFile,
    ObjectiveIn,
    OrganizationsFile,
    OutcomeIn,
    ReportingIn,
    ReportSettingsIn,
    ReviewStepIn,
    ScoringIn,
    TargetIn,
)
from stratmap.kpis.models import (
    Kpi,
    KpiLineage,
    KpiResult,
    KpiTarget,
    LightLevel,
    LightSet,
    RatingPolicy,
    ReviewStep,
    ScoringPolicy,
    Tag,
    owners,
    period_code,
)
from stratmap.plans.models import ActionPlan, Outcome, PlanTask, TaskProgress
from stratmap.strategy.models import (
    Objective,
    ObjectiveLink,
    Perspective,
    PolicyThrust,
    Revision,
    RevisionCount,
    StrategyMap,
    Theme,
    TowsEntry,
)

DEMO_DATA = Path(__file__).resolve().parent.parent / "data" / "taipei"
#: The invented English-speaking council shipped beside Taipei (its files say what is invented): an
#: April–March year, a Red/Amber/Green key rated by bands, weighted priorities, no perspective or one.
COUNCIL_DATA = DEMO_DATA.parent / "ashcombe"
#: What ``stratmap load --demo`` and ``check --demo`` read: both demo organizations.
DEMO_PATHS = (DEMO_DATA, COUNCIL_DATA)
#: The audit action of every change a load makes; a result whose last change is not one was changed in the app.
LOAD = "load"
#: The action of what ``--replace`` removes.
REMOVE = "delete"

#: What a change is audited as: field → (old, new) (``core.audit.record``).
Changes = dict[str, tuple[object, object]]
#: A row as the file wants it: field → value, as the model takes it.
Values = Mapping[str, object]
#: A row of one kind, and what finds it again (its code, its place, its KPI and year…).
_Row = TypeVar("_Row", bound=models.Model)
_Key = TypeVar("_Key", bound=Hashable)
#: A many-to-many relation's other end, and the rows that link the two.
_Target = TypeVar("_Target", bound=models.Model)
_Through = TypeVar("_Through", bound=models.Model)
#: A row as the audit trail and the list of what would go name it: its model and its id.
_Id = tuple[type[models.Model], int]


@dataclass
class LoadReport:
    organizations: int = 0
    #: Every map loaded, and those of them that already existed (merged into).
    maps: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    #: Rows created, and rows changed in place, per kind.
    rows: dict[str, int] = field(default_factory=dict)
    changed: dict[str, int] = field(default_factory=dict)
    #: Results in the database that the files do not mention: kept.
    kept_results: int = 0
    #: What ``replace=True`` removed or overwrote, one line each.
    removed: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class WouldLose(DatasetError):
    """Something in the database that loading would remove or overwrite."""

    def __str__(self) -> str:
        return f"{self.file}: {self.path}: {self.expected}"


class LoadWouldLose(DatasetInvalid):
    """Raised with everything the load would remove or overwrite; nothing has been written."""


class LoadRefused(Exception):
    """The database refused the write (another load or write at the same time); nothing has been written."""


def _org_references(parsed: ParsedFile) -> Iterator[tuple[str, str]]:
    """Every (path, organization code) a file refers to."""
    doc = parsed.document
    if isinstance(doc, OrganizationsFile):
        for i, org in enumerate(doc.organizations):
            for key in ("parent", "lead"):
                if getattr(org, key):
                    yield f"organizations[{i}].{key}", getattr(org, key)
            for m, code in enumerate(org.members):
                yield f"organizations[{i}].members[{m}]", code
        return
    yield "organization", doc.organization
    for t, theme in enumerate(doc.themes):
        if theme.group:
            yield f"themes[{t}].group", theme.group
    for opath, _, objective in doc.all_objectives():
        for k, kpi in enumerate(objective.kpis):
            for a, code in enumerate(kpi.agencies):
                yield f"{opath}.kpis[{k}].agencies[{a}]", code
            for p, plan in enumerate(kpi.action_plans):
                for a, code in enumerate(plan.agencies):
                    yield f"{opath}.kpis[{k}].action_plans[{p}].agencies[{a}]", code
    if doc.revisions:
        for c, change in enumerate(doc.revisions.changes):
            for a, code in enumerate(change.agencies):
                yield f"revisions.changes[{c}].agencies[{a}]", code


def validate_references(files: list[ParsedFile]) -> list[DatasetError]:
    """Errors for organization codes that neither the files nor the database define,
    and for two files that define the same map version."""
    defined = {org.code for f in files if isinstance(f.document, OrganizationsFile) for org in f.document.organizations}
    wanted = {code for f in files for _, code in _org_references(f)} - defined
    known = defined | set(Organization.objects.filter(code__in=wanted).values_list("code", flat=True))
    errors = [
        DatasetError(str(f.path), path, code, "the code of an organization in the database or in an organizations file")
        for f in files
        for path, code in _org_references(f)
        if code not in known
    ]
    seen: dict[tuple, str] = {}
    for f in files:
        if isinstance(f.document, MapFile):
            key = (f.document.organization, f.document.year, f.document.version.label)
            if key in seen:
                errors.append(
                    DatasetError(str(f.path), "version.label", key[2], f"a version not also given in {seen[key]}")
                )
            seen[key] = str(f.path)
    return errors + _rating_errors(files)


def _rating_errors(files: list[ParsedFile]) -> list[DatasetError]:
    """The files' rating policies, light sets and maps' ``rating`` checked with what the database holds
    (parse.check_ratings); no query when the files have none of them."""
    if not any(
        (isinstance(f.document, MapFile) and f.document.rating)
        or (
            isinstance(f.document, OrganizationsFile)
            and any(sets or policies for *_, sets, policies in f.document.ratings())
        )
        for f in files
    ):
        return []
    return check_ratings(files, known_ratings(files))


def known_ratings(files: list[ParsedFile]) -> Ratings:
    """The organizations, light sets and rating policies of the database, and over them the files' (reads
    only: ``stratmap check`` uses it too)."""
    ratings = Ratings(parents=dict(Organization.objects.values_list("code", "parent__code")))
    for light_set in LightSet.objects.select_related("organization").prefetch_related("levels"):
        owner = light_set.organization.code if light_set.organization else None
        ratings.light_sets[owner, light_set.key] = light_set.light_set()
    for policy in RatingPolicy.objects.select_related("organization"):
        owner = policy.organization.code if policy.organization else None
        ratings.policies[owner, policy.key] = rating_block(policy)
    ratings.add_files(files)
    return ratings


#: Told of each file once it is read (and written, unless an error came first).
Progress = Callable[[Path], None]


class _LoadAgain(Exception):
    """A file read with the map files turned out to be an organizations file: the load starts again,
    rolled back, with that file read first."""

    def __init__(self, path: Path):
        self.path = path


def load_paths(paths: Iterable[Path], *, replace: bool = False, progress: Progress | None = None) -> LoadReport:
    """Validate and import; raise DatasetInvalid (LoadWouldLose when the files would remove or
    overwrite what is in the database and ``replace`` is false) or LoadRefused; on any error
    nothing is written. ``progress`` is told of each file done (see the module's docstring)."""
    return _streamed(paths, lambda: _Streamed(replace=replace, progress=progress)).report


def check_paths(paths: Iterable[Path], *, progress: Progress | None = None) -> tuple[int, list[consistency.Warning]]:
    """What ``stratmap check`` says of the files: DatasetInvalid with the errors :func:`load_paths` would
    refuse them with, found the same way (a file at a time, reading the database), writing nothing;
    otherwise how many files there are and the consistency report's warnings (``consistency.Report``)."""
    check = _streamed(paths, lambda: _Streamed(replace=False, progress=progress, write=False))
    assert check.consistency is not None  # a check's, which writes nothing
    return check.files, check.consistency.warnings()


def _streamed(paths: Iterable[Path], start: Callable[[], _Streamed]) -> _Streamed:
    """Read ``paths`` with a load (or a check) that ``start`` begins, the organizations files first."""
    files = dataset_files(paths)
    first = {path for path in files if not looks_like_a_map_file(path)}
    while True:
        streamed = start()
        try:
            if streamed.write:
                _load(streamed, files, first)
            else:
                streamed.run(files, first)
            return streamed
        except _LoadAgain as again:  # rare: an organizations file whose text looked like a map file's
            first.add(again.path)


class _Streamed:
    """One load: the organizations files, then each map file read, checked and written in turn, all in
    the caller's transaction; errors and what would be lost are gathered for the end. Without ``write``,
    a check: the same reading and checking, nothing written, the consistency report made instead."""

    def __init__(self, *, replace: bool, progress: Progress | None, write: bool = True):
        self.replace, self.progress, self.write = replace, progress, write
        self.files = 0
        #: A check's consistency report, made as each file is read while no error is found.
        self.consistency: consistency.Report | None = None
        self.report = LoadReport()
        self.errors: list[DatasetError] = []
        self.lost: list[DatasetError] = []
        self.known: set[str] = set()
        #: Each known organization's language: a map file's translations are into the others.
        self.languages: dict[str, str] = {}
        self.ratings = Ratings()
        self.orgs: dict[str, Organization] = {}
        #: Each map version (organization, year, label) and the file that gives it.
        self.versions: dict[tuple[str, int, str], str] = {}

    def done(self, path: Path) -> None:
        self.files += 1
        if self.progress is not None:
            self.progress(path)

    def organizations(self, paths: list[Path]) -> dict[Path, ParsedFile]:
        """Read the organizations files whole (they are small: every map file may name what they define),
        check them with the database and write them. Returns the map files among ``paths`` (a map written
        in flow style does not look like one), read, for their turn."""
        organizations: list[ParsedFile] = []
        maps: dict[Path, ParsedFile] = {}
        for path in paths:
            parsed, errors = parse_file(path)
            self.errors += errors
            if parsed is not None and isinstance(parsed.document, MapFile):
                maps[path] = parsed
                continue
            if parsed is not None:
                organizations.append(parsed)
            self.done(path)
        documents = [(str(f.path), cast(OrganizationsFile, f.document)) for f in organizations]
        self.known = {org.code for _, doc in documents for org in doc.organizations}
        self.languages = dict(Organization.objects.values_list("code", "language"))
        self.languages |= {org.code: org.language for _, doc in documents for org in doc.organizations}
        self.known |= set(self.languages)
        self.errors += [error for f in organizations for error in _unknown_organizations(f, self.known)]
        self.ratings = known_ratings(organizations)  # before the files' own are written, as validate_references
        self.errors += check_ratings(organizations, self.ratings)
        self.errors += reporting_errors(documents)
        if not self.write:
            styles = {org.code: org.year_style for org in Organization.objects.all()}
            self.consistency = consistency.Report(self.ratings, styles)
            self.consistency.organizations(doc for _, doc in documents)
        elif not self.errors:
            for source, doc in documents:
                self.report.organizations += _load_organizations(doc, source)
            for source, doc in documents:
                self.lost += _RatingsWriter(doc, self.report, source=source, replace=self.replace).write()
        if self.write:
            self.orgs = {o.code: o for o in Organization.objects.all()}
        return maps

    def map_file(self, path: Path, parsed: ParsedFile | None) -> None:
        """Read (unless read already), check and write one map file; after an error in any file, only
        read and check it, for its own errors."""
        if parsed is None:
            parsed, errors = parse_file(path)
            self.errors += errors
        if parsed is not None:
            if not isinstance(parsed.document, MapFile):
                raise _LoadAgain(path)
            self.errors += _map_errors(parsed, parsed.document, self.known, self.versions, self.ratings)
            language = self.languages.get(parsed.document.organization)
            if language is not None:
                self.errors += own_language_errors(str(path), "", parsed.document, language)
            if not self.errors and self.consistency is not None:  # a check's: its report, nothing written
                self.consistency.map_file(str(path), parsed.document)
            elif not self.errors:
                writer = _MapWriter(parsed.document, self.orgs, self.report, source=str(path), replace=self.replace)
                self.lost += writer.write()
        self.done(path)

    def run(self, files: list[Path], first: set[Path]) -> None:
        """Read, check (and write) ``files``, those of ``first`` (the organizations files) first; raise
        what was found at the end."""
        read = self.organizations([path for path in files if path in first])
        for path in files:
            if path not in first or path in read:
                self.map_file(path, read.pop(path, None))
        self.refuse()

    def refuse(self) -> None:
        """Raise what was found (rolling back what was written so far), if anything."""
        if self.errors:
            raise DatasetInvalid(self.errors)
        if self.lost:
            lost = self.lost
            if len(lost) > MAX_ERRORS:
                more = WouldLose(lost[MAX_ERRORS].file, f"and {len(lost) - MAX_ERRORS} more", None, "not listed")
                lost = [*lost[:MAX_ERRORS], more]
            raise LoadWouldLose(lost)


#: Rows created by a load beyond which PostgreSQL's statistics are brought up to date at its end.
ANALYZE_AFTER = 10_000


def _load(load: _Streamed, files: list[Path], first: set[Path]) -> None:
    """Load ``files``, those of ``first`` (the organizations files) before the others, in one transaction."""
    outermost = not connection.in_atomic_block
    try:
        with transaction.atomic():
            load.run(files, first)
    except (OperationalError, IntegrityError) as exc:
        raise _refused(exc) from exc
    if outermost and connection.vendor == "postgresql" and sum(load.report.rows.values()) > ANALYZE_AFTER:
        # PostgreSQL plans by its statistics, which a big load leaves stale until autovacuum comes by (a
        # minute or more later): meanwhile a page's join over the new rows could be planned as a scan of
        # millions. Sampled, it takes seconds after a load of minutes.
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


def _map_errors(
    parsed: ParsedFile,
    doc: MapFile,
    known: set[str],
    versions: dict[tuple[str, int, str], str],
    ratings: Ratings,
) -> list[DatasetError]:
    """What spans a map file, the organizations files and the database (validate_references, for one file
    read with the others): organization codes, a map version given twice, the map's ``rating``."""
    file = str(parsed.path)
    errors = _unknown_organizations(parsed, known)
    key = (doc.organization, doc.year, doc.version.label)
    if key in versions:
        errors.append(DatasetError(file, "version.label", key[2], f"a version not also given in {versions[key]}"))
    versions[key] = file
    return errors + map_rating_errors(doc, file, ratings)


def _unknown_organizations(parsed: ParsedFile, known: set[str]) -> list[DatasetError]:
    expected = "the code of an organization in the database or in an organizations file"
    file = str(parsed.path)
    return [DatasetError(file, path, code, expected) for path, code in _org_references(parsed) if code not in known]


def _refused(exc: Exception) -> LoadRefused:
    message = str(exc)
    if any(word in message.lower() for word in ("locked", "deadlock", "serializ", "unique", "duplicate key")):
        return LoadRefused(
            f"another load or write is in progress, try again (the database said: {message}); nothing was written"
        )
    return LoadRefused(f"the database refused the load ({message}); nothing was written")


def _clean(obj: models.Model, where: str) -> None:
    """The model's own checks of each value (lengths, characters, digits, choices), without a query
    per row: relations and uniqueness were checked for the whole file by parse.check_map."""
    relations = [f.name for f in obj._meta.fields if f.is_relation]
    try:
        obj.clean_fields(exclude=relations)
        obj.clean()
    except ValidationError as exc:
        raise DatasetInvalid(
            [
                DatasetError(where, f"{obj._meta.verbose_name} {obj}", getattr(obj, name, None), "; ".join(problems))
                for name, problems in exc.message_dict.items()
            ]
        ) from None


def _translations(i18n: object) -> dict[str, Any] | None:
    """A row's ``i18n`` as the dataset gives it: the translations that say something, or None."""
    given = {k: v for k, v in i18n.items() if v not in (None, "", [])} if isinstance(i18n, dict) else {}
    return given or None


def _differs(name: str, old: object, new: object) -> bool:
    """Whether a row's value changes: its translations are the same with or without an emptied one."""
    return _translations(old) != _translations(new) if name == "i18n" else old != new


def _itemized(changes: Changes) -> Changes:
    """``changes`` for the audit trail: the translations each by its key (name_en: old → new), not the
    whole ``i18n`` column."""
    if "i18n" not in changes:
        return changes
    old, new = (_translations(value) or {} for value in changes["i18n"])
    keys = sorted({*old, *new}, key=lambda key: (key not in new, key))
    rest = {name: change for name, change in changes.items() if name != "i18n"}
    return rest | {key: (old.get(key, ""), new.get(key, "")) for key in keys if old.get(key) != new.get(key)}


def _renamed(i18n: dict[str, Any] | None, field: str, to: str) -> dict[str, Any]:
    """Translations of a block's ``field`` (tows.title_en) as the keys of the row's ``to`` (tows_title_en)."""
    return {f"{to}{key[len(field) :]}": value for key, value in (i18n or {}).items() if key.startswith(f"{field}_")}


def _load_organizations(doc: OrganizationsFile, source: str) -> int:
    existing = {o.code: o for o in Organization.objects.filter(code__in=[o.code for o in doc.organizations])}
    for item in doc.organizations:
        org = existing.get(item.code)
        values = {
            "name": item.name,
            "short_name": item.short_name,
            "i18n": item.i18n(),
            "language": item.language,
            "kind": item.kind,
            "year_start_month": item.year_start_month,
            "year_label": item.year_label,
        }
        if org is None:
            org = Organization(code=item.code, **values)
            _clean(org, source)
            org.save()
            existing[item.code] = org
            continue
        _update(org, values, source)
    every = {o.code: o for o in Organization.objects.all()}
    for item in doc.organizations:
        org = every[item.code]
        parent = every[item.parent].pk if item.parent else None
        lead = every[item.lead].pk if item.lead else None
        if (org.parent_id, org.lead_id) != (parent, lead):
            code: dict[int | None, str] = {o.pk: o.code for o in every.values()}
            changes = {"parent": (code.get(org.parent_id), item.parent), "lead": (code.get(org.lead_id), item.lead)}
            had = org.parent_id or org.lead_id
            org.parent_id, org.lead_id = parent, lead
            org.save(update_fields=["parent", "lead"])
            if had:
                record(user=None, obj=org, action=LOAD, changes=changes, reason=f"loaded from {source}")
        members = {every[m].pk for m in item.members}
        if set(org.members.values_list("pk", flat=True)) != members:
            org.members.set(members)
        if item.report is not None:
            _load_report_settings(org, item.report, source)
        if item.review_steps is not None:
            _load_review_steps(org, item.review_steps, source)
        if item.reporting is not None:
            _load_reporting(org, item.reporting, source)
    return len(doc.organizations)


def _reporting_values(item: ReportingIn) -> dict[str, Any]:
    """The values of a ``reporting:`` block as its row's, ``holidays`` as the calendar's code."""
    return item.model_dump()


def reporting_errors(documents: list[tuple[str, OrganizationsFile]]) -> list[DatasetError]:
    """The organizations' ``reporting:`` blocks checked as their rows would be (core.models.ReportingCalendar:
    the limits of each number of days, the evaluation office told after the coordinator), and each holiday
    calendar they name against the database: one there, and no other organization's. No query when no block
    names a holiday calendar."""
    blocks = [
        (file, f"organizations[{i}].reporting", org, org.reporting)
        for file, doc in documents
        for i, org in enumerate(doc.organizations)
        if org.reporting is not None
    ]
    wanted = {block.holidays for *_, block in blocks if block.holidays}
    calendars = (
        dict(HolidayCalendar.objects.filter(code__in=wanted).values_list("code", "organization__code"))
        if wanted
        else {}
    )
    errors = []
    for file, path, org, block in blocks:
        values = _reporting_values(block)
        code = values.pop("holidays")
        if code is not None and code not in calendars:
            expected = "the code of a holiday calendar in the database (stratmap calendar load), or left out"
            errors.append(DatasetError(file, f"{path}.holidays", code, expected))
        elif code is not None and calendars[code] not in (None, org.code):
            expected = f"a national calendar or {org.code}'s own: {code} is {calendars[code]}'s"
            errors.append(DatasetError(file, f"{path}.holidays", code, expected))
        try:
            row = ReportingCalendar(**values)
            row.clean_fields(exclude=["organization", "holidays"])
            row.clean()
        except ValidationError as exc:
            for name, problems in exc.message_dict.items():
                errors.append(DatasetError(file, f"{path}.{name}", values.get(name), "; ".join(problems)))
    return errors


def _load_reporting(org: Organization, item: ReportingIn, source: str) -> None:
    """An organization's ``reporting:`` as its reporting calendar, created or updated (audited: the
    calendar decides when people are reminded and escalated to)."""
    values = _reporting_values(item)
    code = values.pop("holidays")
    values["holidays"] = HolidayCalendar.objects.get(code=code) if code else None
    row = ReportingCalendar.objects.select_related("holidays").filter(organization=org).first()
    if row is not None:
        _update(row, values, source)
        return
    row = ReportingCalendar(organization=org, **values)
    _clean(row, source)
    row.save()
    defaults = ReportingCalendar(organization=org)
    changes: Changes = {k: (getattr(defaults, k), v) for k, v in values.items() if getattr(defaults, k) != v}
    record(user=None, obj=row, action=LOAD, changes=changes, reason=f"loaded from {source}")


def _step_text(order: int, name: str, role: str, i18n: dict[str, Any] | None) -> str:
    translations = "".join(f", {key}: {value}" for key, value in sorted((_translations(i18n) or {}).items()))
    return f"{order}. {name} ({role}{translations})"


def _load_review_steps(org: Organization, items: list[ReviewStepIn], source: str) -> None:
    """An organization's ``review_steps:`` as its review chain: its steps replaced by the file's, in their
    order (a step of the same place updated in place, those beyond the file's removed); audited as one
    change of the organization's ``review_steps``, old chain and new, when anything differs. A result
    waiting at a removed step waits at the new last one (kpis.models.step_of)."""
    have = list(ReviewStep.objects.filter(organization=org).order_by("order"))
    old = [_step_text(row.order, row.name, row.role, row.i18n) for row in have]
    new = [_step_text(order, item.name, item.role, item.i18n()) for order, item in enumerate(items, 1)]
    if old == new:
        return
    by_order = {row.order: row for row in have}
    ReviewStep.objects.filter(organization=org, order__gt=len(items)).delete()
    for order, item in enumerate(items, 1):
        row = by_order.get(order) or ReviewStep(organization=org, order=order)
        row.name, row.role = item.name, item.role
        cast(Any, row).i18n = item.i18n() or {}  # the column holds the block's translation keys as they are
        _clean(row, source)
        row.save()
    changes: Changes = {"review_steps": ("\n".join(old), "\n".join(new))}
    record(user=None, obj=org, action=LOAD, changes=changes, reason=f"loaded from {source}")


def _load_report_settings(org: Organization, item: ReportSettingsIn, source: str) -> None:
    """An organization's ``report:`` as its report settings, created or updated (audited); an organization
    without the key keeps what it has. The model is the reports app's, above this layer: named, not imported."""
    model = apps.get_model("reports", "ReportSettings")
    values = {
        "cover_title": item.cover_title,
        "cover_revisions": item.cover_revisions,
        "closing": item.closing,
        "i18n": item.i18n(),
    }
    row = model.objects.filter(organization=org).first()
    if row is None:
        row = model(organization=org, **values)
        _clean(row, source)
        row.save()
        return
    _update(row, values, source)


def _update(row: models.Model, values: dict[str, Any], source: str) -> None:
    """``row`` given the ``values`` of its file that differ from what it holds, checked, saved and audited
    (nothing when none differs: a file loaded again records nothing)."""
    changes: Changes = {k: (getattr(row, k), v) for k, v in values.items() if _differs(k, getattr(row, k), v)}
    if changes:
        for k, (_, v) in changes.items():
            setattr(row, k, v)
        _clean(row, source)
        row.save(update_fields=list(changes))
        record(user=None, obj=row, action=LOAD, changes=_itemized(changes), reason=f"loaded from {source}")


class _RatingsWriter:
    """Merges an organizations file's light sets and rating policies by owner and key, and each set's
    levels by key: what the file has is updated in place (audited) or created; a set or policy the file
    lacks is kept; a level the file lacks would change what the set's lights mean, so it is refused
    (LoadWouldLose) unless ``replace``, which removes it (audited)."""

    def __init__(self, doc: OrganizationsFile, report: LoadReport, *, source: str, replace: bool):
        self.doc, self.report, self.source, self.replace = doc, report, source, replace
        self.reason = f"loaded from {source}"

    def write(self) -> list[WouldLose]:
        lost: list[WouldLose] = []
        codes = [org.code for org in self.doc.organizations]
        orgs = {o.code: o for o in Organization.objects.filter(code__in=codes)}
        for owner, prefix, sets, policies in self.doc.ratings():
            org = orgs[owner] if owner is not None else None
            for j, item in enumerate(sets):
                lost += self._light_set(org, item, f"{prefix}light_sets[{j}]")
            for policy in policies:
                row = RatingPolicy.objects.filter(organization=org, key=policy.key).first()
                self._save(RatingPolicy, row, {"organization": org, "key": policy.key, **policy.row_values()})
        return lost

    def _save(self, model: type[_Row], row: _Row | None, values: dict[str, object]) -> _Row:
        """Create ``row`` from ``values``, or change what differs (audited); returns the row."""
        if row is None:
            row = model(**values)
            _clean(row, self.source)
            row.save()
            _count(self.report.rows, model)
            return row
        changes: Changes = {name: (getattr(row, name), v) for name, v in values.items() if getattr(row, name) != v}
        if changes:
            for name, (_, v) in changes.items():
                setattr(row, name, v)
            _clean(row, self.source)
            row.save(update_fields=list(changes))
            _count(self.report.changed, model)
            record(user=None, obj=row, action=LOAD, changes=changes, reason=self.reason)
        return row

    def _light_set(self, org: Organization | None, item: LightSetIn, path: str) -> list[WouldLose]:
        found = LightSet.objects.filter(organization=org, key=item.key).first()
        light_set = self._save(LightSet, found, {"organization": org, "key": item.key, "names": dict(item.names)})
        have = {level.key: level for level in light_set.levels.all()} if found is not None else {}
        for order, given in enumerate(item.levels):
            values = {**given.model_dump(), "names": dict(given.names), "light_set": light_set, "order": order}
            self._save(LightLevel, have.pop(given.key, None), values)
        lost = []
        for level in have.values():
            where = f"{path}: level {level.key} of the light set {item.key}"
            if not self.replace:
                expected = (
                    "is in the database but not in this file; loading would remove it (results published with it "
                    "would name no light). Give --replace to remove it (audited)"
                )
                lost.append(WouldLose(self.source, where, None, expected))
                continue
            record(user=None, obj=level, action=REMOVE, reason=f"replaced by loading {self.source}")
            level.delete()
            self.report.removed.append(f"{self.source}: {where}: removed")
        return lost


#: Rows per INSERT … executemany: a few thousand rows' values at a time, whatever the file holds.
_BATCH = 2000
#: What Django's checks take for no value (``Field.empty_values``).
_EMPTY: tuple[object, ...] = ("", [], {}, ())
#: Fields whose value the driver takes as the dataset gives it (text, a whole number, a row's id).
_AS_IS = (models.CharField, models.TextField, models.IntegerField, models.BooleanField, models.ForeignKey)


def _check_rows(model: type[models.Model], rows: Sequence[Values], source: str) -> None:
    """The checks of ``full_clean`` the dataset schema does not make for plain rows (``_insert_rows``):
    a value a column needs (a task's name, an outcome's text: the schema takes ""), a choice, a length.
    The rest (text without control characters, codes, a number's digits) are the shared rules of
    ``core.validators``, which the schema applies to every value before anything is written. A row that
    fails is cleaned as a model instance, for ``full_clean``'s own error."""
    fields = [f for f in model._meta.concrete_fields if not f.primary_key and not f.is_relation]
    defaults = {f.attname: f.get_default() for f in fields}
    # (name, may it be None, may it be empty) of the fields that must hold something
    needed = [(f.attname, f.null, f.blank) for f in fields if not f.null or not f.blank]
    choices = [(f.attname, {value for value, _ in f.flatchoices}) for f in fields if f.choices]
    lengths = [(f.attname, f.max_length) for f in fields if f.max_length]
    for values in rows:
        row = {name: values.get(name, default) for name, default in defaults.items()}
        suspect = (
            any((row[name] is None and not null) or (not blank and row[name] in _EMPTY) for name, null, blank in needed)
            or any(row[name] not in allowed and row[name] not in (None, *_EMPTY) for name, allowed in choices)
            or any(len(text) > most for name, most in lengths if isinstance(text := row[name], str))
        )
        if suspect:
            _clean(model(**values), source)


def _insert_rows(model: type[models.Model], rows: Sequence[Values]) -> None:
    """Create rows of ``model`` from their values without a model instance each: one INSERT executed for a
    batch of rows (``executemany``), each value prepared for the database by its field as Django's own
    save would. Much cheaper than ``bulk_create`` (which SQLite limits to 999 values a statement, about
    50 rows of a result) for the hundreds of thousands of rows of a city; the ids are the database's."""
    if not rows:
        return
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    names = {f.attname for f in fields}
    unknown = {name for values in rows[:1] for name in values} - names
    assert not unknown, f"{model.__name__} has no column {', '.join(sorted(unknown))}"
    defaults = {f.attname: f.get_default() for f in fields}
    quote = connection.ops.quote_name
    columns = ", ".join(quote(cast(str, f.column)) for f in fields)  # a concrete field has a column
    sql = f"INSERT INTO {quote(model._meta.db_table)} ({columns}) VALUES ({', '.join(['%s'] * len(fields))})"
    # Text, a whole number or a row's id goes to the driver as it is (what get_db_prep_save gives back for
    # them); numbers, lists and dates are prepared by their field, as in Django's own INSERT.
    prepare = [(f.attname, f.get_db_prep_save, isinstance(f, _AS_IS)) for f in fields]

    def prepared(values: Values) -> list[Any]:
        row: list[Any] = []
        for name, prep, as_is in prepare:
            value = values.get(name, defaults[name])
            if value is None or (as_is and type(value) in (str, int, bool)):
                row.append(value)
            else:
                row.append(prep(value, connection))
        return row

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":  # COPY: every row in one statement, no quoting of each value
            with cursor.cursor.copy(f"COPY {quote(model._meta.db_table)} ({columns}) FROM STDIN") as copy:
                for values in rows:
                    copy.write_row(prepared(values))
            return
        for start in range(0, len(rows), _BATCH):
            cursor.executemany(sql, [prepared(values) for values in rows[start : start + _BATCH]])


def _count(counts: dict[str, int], model: type[models.Model]) -> None:
    name = cast(str, model._meta.model_name)
    counts[name] = counts.get(name, 0) + 1


def _target(value: Decimal | TargetIn) -> TargetIn:
    return value if isinstance(value, TargetIn) else TargetIn(value=value)


def _row_key(key: int | str, style: YearStyle) -> tuple[int, str]:
    """The (year, period) of a row for a key of a KPI's targets or results: a year is its own, a period
    falls in the organization's fiscal year ("2025-01" in 2024 for a year from April)."""
    if isinstance(key, int):
        return key, ""
    period = style.parse_period(key)
    return period.year, period_code(period, style)


def _key_text(key: int | str, style: YearStyle) -> str:
    """A key as a path names it: the year as the organization types it (ROC for Taipei), a period's key as given."""
    return str(style.typed(key)) if isinstance(key, int) else key


def _kpi_values(kpi: KpiIn) -> dict[str, object]:
    """The KPI's own values (``schema.KPI_VALUES``) as its row holds them."""
    values: dict[str, object] = {name: getattr(kpi, name) for name in KPI_VALUES}
    return values | {"cites": kpi.cites or "", "stages": [str(v) for v in kpi.stages], "i18n": kpi.i18n()}


def _outcome(outcome: OutcomeIn) -> dict[str, object]:
    """An outcome's values as its row holds them, its translations in ``i18n``."""
    return {**outcome.model_dump(exclude=set(outcome.TRANSLATIONS)), "i18n": outcome.i18n()}


#: The kinds of row found by code.
_CODED = (Perspective, Theme, Objective, Kpi, ActionPlan)
#: The model each ``…_id`` field of the rows written points to, to name it in the audit trail.
_POINTS_TO: dict[str, type[models.Model]] = {
    "theme_id": Theme,
    "perspective_id": Perspective,
    "objective_id": Objective,
    "source_id": Objective,
    "target_id": Objective,
    "kpi_id": Kpi,
    "plan_id": ActionPlan,
    "group_id": Organization,
    "lineage_id": KpiLineage,
    "rating_policy_id": RatingPolicy,
}


@dataclass
class _Lost:
    """A row of the database the file does not have."""

    obj: models.Model
    what: str
    #: The row it goes with (its parent), if that is lost too: then it is listed under its parent only.
    parent: _Id | None = None


class _MapWriter:
    """Merges one map file into the database (see the module's docstring)."""

    def __init__(self, doc: MapFile, orgs: dict[str, Organization], report: LoadReport, *, source: str, replace: bool):
        self.doc, self.orgs, self.report = doc, orgs, report
        self.source, self.replace = source, replace
        self.lost: list[_Lost] = []
        self.conflicts: list[WouldLose] = []
        #: What each id of the map's rows is called, for the audit trail: (model, pk) → code.
        self.names: dict[_Id, str] = {(Organization, o.pk): o.code for o in orgs.values()}
        #: The rows this load created: they have no history to audit.
        self.created: set[_Id] = set()
        #: Whether the map is new: then it holds no row yet, and none is read.
        self.fresh = False
        #: Whether the load changes what the map holds besides its results (which have versions of
        #: their own): then the map's version goes up, so a revise form opened before is stale.
        self.changed = False
        #: The changes of the map's own row, audited with the version they give it (see ``write``).
        self.map_changes: Changes = {}

    # --- the generic merge -------------------------------------------------------------------------

    def _label(self, name: str, value: object) -> object:
        model = _POINTS_TO.get(name)
        if model is None or not isinstance(value, int):  # no row (None) reads as it is
            return value
        return self.names.get((model, value), value)

    def _merge(
        self,
        model: type[_Row],
        existing: Iterable[_Row],
        key: Callable[[_Row], _Key],
        wanted: Sequence[tuple[_Key, Values]],
        describe: Callable[[_Row], str],
        *,
        parent: Callable[[_Row], _Id | None] | None = None,
        kpi_of: Callable[[_Row], Kpi | None] | None = None,
    ) -> tuple[dict[_Key, _Row], list[tuple[_Key, Values]]]:
        """Merge rows of one kind: ``wanted`` is (key, field values) in the file's order; rows of
        ``existing`` with the same ``key(row)`` are updated in place (and audited); rows of ``existing``
        the file lacks are noted as lost. Returns key → row kept, and the (key, values) of the rows to create."""
        by_key: dict[_Key, _Row] = {}
        extra: list[_Row] = []  # a second row with the same key (older data): the file has one
        for row in () if self.fresh else existing:
            if key(row) in by_key:
                extra.append(row)
            else:
                by_key[key(row)] = row
            if isinstance(row, _CODED):
                self.names[model, row.pk] = row.code
        rows: dict[_Key, _Row] = {}
        new: list[tuple[_Key, Values]] = []
        updated: list[tuple[_Row, Changes]] = []
        changed_fields: set[str] = set()
        for k, values in wanted:
            found = by_key.pop(k, None)
            if found is None:
                new.append((k, values))
                continue
            row = found
            changes: Changes = {
                name: (getattr(row, name), v) for name, v in values.items() if _differs(name, getattr(row, name), v)
            }
            if changes:
                for name, (_, v) in changes.items():
                    setattr(row, name, v)
                _clean(row, self.source)
                updated.append((row, changes))
                changed_fields |= set(changes)
            rows[k] = row
        self.changed |= bool(updated or new)
        if updated:
            model._default_manager.bulk_update([row for row, _ in updated], sorted(changed_fields))
            self._counted(self.report.changed, model, len(updated))
            for row, changes in updated:
                self._audit(row, changes, kpi_of(row) if kpi_of else None)
        self.names |= {(model, row.pk): row.code for row in rows.values() if isinstance(row, _CODED)}
        for row in [*by_key.values(), *extra]:
            self.lost.append(_Lost(row, describe(row), parent(row) if parent else None))
        return rows, new

    def _sync(
        self,
        model: type[_Row],
        existing: Iterable[_Row],
        key: Callable[[_Row], _Key],
        wanted: Sequence[tuple[_Key, Values]],
        describe: Callable[[_Row], str],
        *,
        parent: Callable[[_Row], _Id | None] | None = None,
        kpi_of: Callable[[_Row], Kpi | None] | None = None,
    ) -> dict[_Key, _Row]:
        """Merge rows of one kind (``_merge``) and create the new ones as model instances, each
        ``full_clean``ed but for its relations. Returns key → row."""
        rows, new = self._merge(model, existing, key, wanted, describe, parent=parent, kpi_of=kpi_of)
        created: list[_Row] = []
        for k, values in new:
            row = model(**values)
            _clean(row, self.source)
            created.append(row)
            rows[k] = row
        if created:
            model._default_manager.bulk_create(created)
            self._counted(self.report.rows, model, len(created))
            self.created |= {(model, row.pk) for row in created}
            self.names |= {(model, row.pk): row.code for row in created if isinstance(row, _CODED)}
        return rows

    def _sync_rows(
        self,
        model: type[_Row],
        existing: Iterable[_Row],
        key: Callable[[_Row], _Key],
        wanted: Sequence[tuple[_Key, Values]],
        describe: Callable[[_Row], str],
        *,
        parent: Callable[[_Row], _Id | None] | None = None,
        kpi_of: Callable[[_Row], Kpi | None] | None = None,
    ) -> tuple[dict[_Key, _Row], list[_Key]]:
        """Merge rows of one of the big kinds (``_merge``) and write the new ones as plain rows
        (``_insert_rows``: no model instance, no ``full_clean``, whose checks the schema made). Returns
        key → row kept, and the keys of the rows created (their ids are the database's: read them back)."""
        rows, new = self._merge(model, existing, key, wanted, describe, parent=parent, kpi_of=kpi_of)
        values = [v for _, v in new]
        if values:
            _check_rows(model, values, self.source)
            _insert_rows(model, values)
            self._counted(self.report.rows, model, len(values))
        return rows, [k for k, _ in new]

    def _counted(self, counts: dict[str, int], model: type[models.Model], n: int) -> None:
        # Django names every concrete model (Options.contribute_to_class); the stubs allow None.
        name = cast(str, model._meta.model_name)
        counts[name] = counts.get(name, 0) + n

    def _audit(self, row: models.Model, changes: Changes, kpi: Kpi | None) -> None:
        named = {
            name.removesuffix("_id"): (self._label(name, old), self._label(name, new))
            for name, (old, new) in _itemized(changes).items()
        }
        record(user=None, obj=row, action=LOAD, changes=named, reason=f"loaded from {self.source}", kpi=kpi)

    def _sync_m2m(
        self,
        relation: ManyToManyDescriptor[_Target, _Through],
        owners: dict[int, list[int]],
        model: type[models.Model],
    ) -> None:
        """Make the M2M ``relation`` (e.g. ``Kpi.agencies``) of each owner id hold exactly the target ids."""
        through = relation.through
        owner, target = relation.field.m2m_field_name(), relation.field.m2m_reverse_field_name()
        have: dict[int, dict[int, int]] = defaultdict(dict)
        if not self.fresh:
            for pk, a, b in through._default_manager.filter(**{f"{owner}_id__in": list(owners)}).values_list(
                "pk", f"{owner}_id", f"{target}_id"
            ):
                have[a][b] = pk
        stale: list[int] = []
        new: list[Values] = []
        for a, targets in owners.items():
            old = have.get(a, {})
            if set(old) == set(targets):
                continue
            self.changed = True
            stale += [pk for b, pk in old.items() if b not in targets]
            new += [{f"{owner}_id": a, f"{target}_id": b} for b in targets if b not in old]
            if (model, a) not in self.created:
                target_model = relation.field.related_model
                names = {pk: self.names.get((target_model, pk), str(pk)) for pk in [*old, *targets]}
                change: Changes = {
                    relation.field.name: (
                        ", ".join(sorted(names[b] for b in old)),
                        ", ".join(names[b] for b in targets),
                    )
                }
                row = model._default_manager.get(pk=a)
                record(
                    user=None,
                    obj=row,
                    action=LOAD,
                    changes=change,
                    reason=f"loaded from {self.source}",
                    kpi=row if isinstance(row, Kpi) else getattr(row, "kpi", None),
                )
        if stale:
            through._default_manager.filter(pk__in=stale).delete()
        _insert_rows(through, new)

    # --- the map, kind by kind -------------------------------------------------------------------

    def write(self) -> list[WouldLose]:
        """Merge the map; returns what would be lost (nothing is removed unless ``replace``)."""
        doc, org = self.doc, self.orgs[self.doc.organization]
        smap = self._write_map(org)
        self.fresh = (StrategyMap, smap.pk) in self.created
        label = f"{org.code} {doc.year} {doc.version.label}".strip()
        self._write_scoring(smap)
        perspectives = self._sync(
            Perspective,
            smap.perspectives.all(),
            lambda p: p.code,
            [
                (p.code, {"map_id": smap.pk, "code": p.code, "name": p.name, "i18n": p.i18n(), "order": i})
                for i, p in enumerate(doc.perspectives)
            ],
            lambda p: f"perspective {p.code} {p.name}",
        )
        themes = self._sync(
            Theme,
            smap.themes.all(),
            lambda t: t.code,
            [
                (
                    t.code,
                    {
                        "map_id": smap.pk,
                        "code": t.code,
                        "name": t.name,
                        "i18n": t.i18n(),
                        "order": i,
                        "group_id": self.orgs[t.group].pk if t.group else None,
                        "takes_over": t.takes_over or "",
                        "takes_over_printed": t.takes_over_printed,
                        "note": t.note,
                        "weight": t.weight,
                    },
                )
                for i, t in enumerate(doc.themes)
            ],
            lambda t: f"theme {t.code} {t.name}",
        )
        placed = [(None, o) for o in doc.objectives] + [(t.code, o) for t in doc.themes for o in t.objectives]
        objectives = self._sync(
            Objective,
            smap.objectives.all(),
            lambda o: o.code,
            [
                (
                    o.code,
                    {
                        "map_id": smap.pk,
                        "theme_id": themes[theme].pk if theme else None,
                        "perspective_id": perspectives[o.perspective].pk if o.perspective else None,
                        "weight": o.weight,
                        "code": o.code,
                        "printed_code": o.printed_code,
                        "name": o.name,
                        "ksf": o.ksf,
                        "goal": o.goal,
                        "key_works": o.key_works,
                        "order": i,
                        "note": o.note,
                        "i18n": o.i18n(),
                    },
                )
                for i, (theme, o) in enumerate(placed)
            ],
            lambda o: f"objective {o.code} {o.name}",
            parent=lambda o: (
                (Theme, o.theme_id) if o.theme_id else (Perspective, o.perspective_id) if o.perspective_id else None
            ),
        )
        self._sync(
            ObjectiveLink,
            ObjectiveLink.objects.filter(map=smap),
            lambda link: (link.source_id, link.target_id),
            [
                (
                    (objectives[link.source].pk, objectives[link.target].pk),
                    {
                        "map_id": smap.pk,
                        "source_id": objectives[link.source].pk,
                        "target_id": objectives[link.target].pk,
                        "note": link.note,
                        "i18n": link.i18n(),
                    },
                )
                for link in doc.links
            ],
            self._link_name,
            parent=lambda link: (Objective, link.source_id),
        )
        self._write_kpis(smap, org, [(objectives[o.code], o) for _, o in placed])
        self._write_tows(smap, objectives)
        self._sync(
            PolicyThrust,
            smap.thrusts.all(),
            lambda t: t.order,
            [
                (
                    i,
                    {
                        "map_id": smap.pk,
                        "code": t.code,
                        "name": t.name,
                        "i18n": t.i18n(),
                        "strategies": t.strategies,
                        "order": i,
                    },
                )
                for i, t in enumerate(doc.thrusts)
            ],
            lambda t: f"policy thrust {t.order + 1} {t.code} {t.name}",
        )
        self._write_revisions(smap)
        lost = self._settle(smap, label)
        if self.changed and (StrategyMap, smap.pk) not in self.created:
            smap.version += 1
            smap.save(update_fields=["version"])
            record(user=None, obj=smap, action=LOAD, changes=self.map_changes, reason=f"loaded from {self.source}")
        return lost

    def _link_name(self, link: ObjectiveLink) -> str:
        source, target = self.names.get((Objective, link.source_id)), self.names.get((Objective, link.target_id))
        return f"link {source} → {target}"

    def _write_map(self, org: Organization) -> StrategyMap:
        doc = self.doc
        tows, revisions = doc.tows, doc.revisions
        values = {
            "version_date": doc.version.date,
            "in_force": doc.version.in_force,
            "published": doc.version.published,
            "source": doc.version.source,
            "title": doc.title,
            "occasion": doc.occasion,
            "mission": doc.mission,
            "vision": doc.vision,
            "values": doc.values,
            "construction_steps": [s.model_dump() for s in doc.construction_steps],
            "has_tows": tows is not None,
            "tows_title": tows.title if tows else "",
            "revisions_compared_to": revisions.compared_to if revisions else None,
            "revisions_theme": (revisions.theme or "") if revisions else "",
            "revisions_note": revisions.note if revisions else "",
            "note": doc.note,
            "weights_declared": doc.weights_declared,
            "i18n": _translations(
                {
                    **(doc.i18n() or {}),
                    **_renamed(tows.i18n() if tows else None, "title", "tows_title"),
                    **_renamed(doc.version.i18n(), "label", "version_label"),
                }
            ),
            "translation_notes": dict(doc.translations),
        }
        smap = StrategyMap.objects.filter(organization=org, year=doc.year, version_label=doc.version.label).first()
        label = f"{org.code} {doc.year} {doc.version.label}".strip()
        if doc.version.in_force:
            others = StrategyMap.objects.filter(organization=org, year=doc.year, in_force=True)
            for other in others.exclude(pk=smap.pk) if smap else others:
                other.in_force = False
                other.save(update_fields=["in_force"])
                record(
                    user=None,
                    obj=other,
                    action=LOAD,
                    changes={"in_force": (True, False)},
                    reason=f"loaded from {self.source}: {label} is in force",
                )
        self.report.maps.append(label)
        if smap is None:
            smap = StrategyMap(organization=org, year=doc.year, version_label=doc.version.label, **values)
            _clean(smap, self.source)
            smap.save()
            self._counted(self.report.rows, StrategyMap, 1)
            self.created.add((StrategyMap, smap.pk))
            return smap
        self.report.updated.append(label)
        changes: Changes = {
            name: (getattr(smap, name), v) for name, v in values.items() if _differs(name, getattr(smap, name), v)
        }
        if changes:
            for name, (_, v) in changes.items():
                setattr(smap, name, v)
            _clean(smap, self.source)
            smap.save(update_fields=list(changes))
            self._counted(self.report.changed, StrategyMap, 1)
            self.changed, self.map_changes = True, _itemized(changes)
        return smap

    def _write_scoring(self, smap: StrategyMap) -> None:
        existing = ScoringPolicy.objects.filter(map=smap)
        wanted: list[tuple[int, Values]] = []
        if self.doc.rating:
            # A named policy rates the map: the row's own composite values are not used, and stay the defaults.
            rating = self._rating_policy(smap.organization_id, self.doc.rating)
            wanted = [(smap.pk, {"map_id": smap.pk, **ScoringIn().model_dump(), "rating_policy_id": rating.pk})]
        elif self.doc.scoring:
            wanted = [(smap.pk, {"map_id": smap.pk, **self.doc.scoring.model_dump(), "rating_policy_id": None})]
        self._sync(ScoringPolicy, existing, lambda p: p.map_id, wanted, lambda p: "the scoring policy")

    def _rating_policy(self, organization: int, key: str) -> RatingPolicy:
        """The policy ``key`` names for the map's organization: its own, the nearest above it's, or a shared
        one (validate_references made sure there is one)."""
        chain = owners(organization)
        candidates = RatingPolicy.objects.filter(Q(organization__in=chain) | Q(organization__isnull=True), key=key)
        found = {p.organization_id: p for p in candidates}
        rating = next(found[owner] for owner in chain if owner in found)
        self.names[RatingPolicy, rating.pk] = rating.key
        return rating

    def _write_kpis(
        self, smap: StrategyMap, org: Organization, objectives: list[tuple[Objective, ObjectiveIn]]
    ) -> None:
        items = [(obj, k) for obj, spec in objectives for k in spec.kpis]
        lineage_keys = {k.lineage for _, k in items if k.lineage}
        lineages = {lin.key: lin for lin in KpiLineage.objects.filter(organization=org, key__in=lineage_keys)}
        missing = [KpiLineage(organization=org, key=key) for key in sorted(lineage_keys - set(lineages))]
        for lineage in missing:
            _clean(lineage, self.source)
        lineages |= {lin.key: lin for lin in KpiLineage.objects.bulk_create(missing)}
        self._counted(self.report.rows, KpiLineage, len(missing))
        self.names |= {(KpiLineage, lin.pk): lin.key for lin in lineages.values()}
        tag_names = {t for _, k in items for t in k.tags}
        tags = {t.name: t for t in Tag.objects.filter(name__in=tag_names)}
        new_tags = [Tag(name=n) for n in sorted(tag_names - set(tags))]
        for tag in new_tags:
            _clean(tag, self.source)
        tags |= {t.name: t for t in Tag.objects.bulk_create(new_tags)}
        self._counted(self.report.rows, Tag, len(new_tags))
        self.names |= {(Tag, t.pk): t.name for t in tags.values()}

        # A KPI is found by its code; one whose code changed, by its lineage (the same indicator).
        existing = [] if self.fresh else list(Kpi.objects.filter(objective__map=smap))
        codes = {k.code for _, k in items}
        by_lineage: defaultdict[int, list[Kpi]] = defaultdict(list)
        for kpi in existing:
            if kpi.code not in codes and kpi.lineage_id:
                by_lineage[kpi.lineage_id].append(kpi)
        renamed: dict[int, str] = {}
        for _, k in items:
            if k.lineage and not any(kpi.code == k.code for kpi in existing):
                same = by_lineage.get(lineages[k.lineage].pk, [])
                if len(same) == 1:
                    renamed[same.pop().pk] = k.code
        # A file that names no lineage keeps the one the database has (a roll-over links KPIs the
        # dataset leaves unlinked); only a file naming another lineage changes it.
        kept_lineage = {renamed.get(kpi.pk, kpi.code): kpi.lineage_id for kpi in existing}
        kpis = self._sync(
            Kpi,
            existing,
            lambda kpi: renamed.get(kpi.pk, kpi.code),
            [
                (
                    k.code,
                    {
                        "objective_id": obj.pk,
                        **_kpi_values(k),
                        "lineage_id": lineages[k.lineage].pk if k.lineage else kept_lineage.get(k.code),
                        "order": i,
                    },
                )
                for i, (obj, k) in enumerate(items)
            ],
            lambda kpi: f"KPI {kpi.code} {kpi.name}",
            parent=lambda kpi: (Objective, kpi.objective_id),
            kpi_of=lambda kpi: kpi,
        )
        specs = [(kpis[k.code], k, path) for (path, k) in self._kpi_paths()]
        self._sync_m2m(Kpi.agencies, {kpi.pk: [self.orgs[a].pk for a in k.agencies] for kpi, k, _ in specs}, Kpi)
        self._sync_m2m(Kpi.tags, {kpi.pk: [tags[t].pk for t in k.tags] for kpi, k, _ in specs}, Kpi)
        kpi_by_pk = {kpi.pk: kpi for kpi in kpis.values()}
        style = smap.organization.year_style
        self._sync_rows(
            KpiTarget,
            KpiTarget.objects.filter(kpi__objective__map=smap),
            lambda t: (t.kpi_id, t.year, t.period),
            [
                (
                    (kpi.pk, year, period),
                    {
                        "kpi_id": kpi.pk,
                        "year": year,
                        "period": period,
                        **{name: getattr(t, name) for name in TargetIn.model_fields},
                    },
                )
                for kpi, k, _ in specs
                for (year, period), t in ((_row_key(y, style), _target(v)) for y, v in k.targets.items())
            ],
            lambda t: (
                f"the {style.typed(t.year)}{' ' + t.period if t.period else ''} target of KPI "
                f"{self.names.get((Kpi, t.kpi_id))}"
            ),
            parent=lambda t: (Kpi, t.kpi_id),
            kpi_of=lambda t: kpi_by_pk.get(t.kpi_id),
        )
        self._write_results(smap, specs, kpi_by_pk)
        plan_items = [(kpi, p) for kpi, k, _ in specs for p in k.action_plans]
        existing_plans = ActionPlan.objects.filter(kpi__objective__map=smap)
        kept, created = self._sync_rows(
            ActionPlan,
            existing_plans,
            lambda plan: plan.code,
            [
                (
                    p.code,
                    {
                        "kpi_id": kpi.pk,
                        "code": p.code,
                        "printed_code": p.printed_code,
                        "also_printed_as": p.also_printed_as,
                        "name": p.name,
                        "agencies_printed": p.agencies_printed,
                        "order": i,
                        "note": p.note,
                        "i18n": p.i18n(),
                    },
                )
                for i, (kpi, p) in enumerate(plan_items)
            ],
            lambda plan: f"action plan {plan.code} {plan.name}",
            parent=lambda plan: (Kpi, plan.kpi_id),
            kpi_of=lambda plan: kpi_by_pk.get(plan.kpi_id),
        )
        plan_ids = {code: plan.pk for code, plan in kept.items()}
        if created:  # their ids, read back: the map's plans but those kept
            new, kept_ids = set(created), set(plan_ids.values())
            plan_ids |= {
                code: pk for code, pk in existing_plans.values_list("code", "pk") if code in new and pk not in kept_ids
            }
            self.created |= {(ActionPlan, plan_ids[code]) for code in created}
            self.names |= {(ActionPlan, plan_ids[code]): code for code in created}
        plan_pairs = [(plan_ids[p.code], kpi, p) for kpi, p in plan_items]
        self._sync_m2m(
            ActionPlan.agencies, {plan: [self.orgs[a].pk for a in p.agencies] for plan, _, p in plan_pairs}, ActionPlan
        )
        self._sync_rows(
            PlanTask,
            PlanTask.objects.filter(plan__kpi__objective__map=smap),
            lambda t: (t.plan_id, t.order),
            [
                ((plan, i), {"plan_id": plan, "name": t.name, "months": t.months, "order": i, "i18n": t.i18n()})
                for plan, _, p in plan_pairs
                for i, t in enumerate(p.tasks)
            ],
            lambda t: f"task {t.order + 1} of action plan {self.names.get((ActionPlan, t.plan_id))} ({t.name[:40]})",
            parent=lambda t: (ActionPlan, t.plan_id),
        )
        outcomes = [
            (("objective", obj.pk, i), {"objective_id": obj.pk, "plan_id": None, **_outcome(o), "order": i})
            for obj, spec in objectives
            for i, o in enumerate(spec.outcomes)
        ] + [
            (("plan", plan, i), {"objective_id": kpi.objective_id, "plan_id": plan, **_outcome(o), "order": i})
            for plan, kpi, p in plan_pairs
            for i, o in enumerate(p.outcomes)
        ]
        self._sync_rows(
            Outcome,
            Outcome.objects.filter(objective__map=smap),
            lambda o: ("plan", o.plan_id, o.order) if o.plan_id else ("objective", o.objective_id, o.order),
            outcomes,
            lambda o: "outcome {} of {} ({})".format(
                o.order + 1,
                f"action plan {self.names.get((ActionPlan, o.plan_id))}"
                if o.plan_id
                else f"objective {self.names.get((Objective, o.objective_id))}",
                o.text[:40],
            ),
            parent=lambda o: (ActionPlan, o.plan_id) if o.plan_id else (Objective, o.objective_id),
        )

    def _kpi_paths(self) -> Iterator[tuple[str, KpiIn]]:
        for opath, _, objective in self.doc.all_objectives():
            for k, kpi in enumerate(objective.kpis):
                yield f"{opath}.kpis[{k}]", kpi

    def _write_results(self, smap: StrategyMap, specs: list[tuple[Kpi, KpiIn, str]], kpi_by_pk: dict[int, Kpi]) -> None:
        """Results are merged by KPI and year; one the file does not mention is kept. One the file
        changes is overwritten only if nobody changed it in the app since it was loaded (or with
        ``replace``), so a reload never silently undoes an editor's or a reviewer's work."""
        results = [] if self.fresh else KpiResult.objects.filter(kpi__objective__map=smap)
        existing = {(r.kpi_id, r.year, r.period): r for r in results}
        style = smap.organization.year_style
        created: list[Values] = []
        changed = []
        for kpi, k, path in specs:
            for key, r in k.results.items():
                year, period = _row_key(key, style)
                values = {
                    **r.model_dump(),
                    "light_reported": r.light_reported or "",
                    "unknown_kind": r.unknown_kind or "",
                }
                result = existing.pop((kpi.pk, year, period), None)
                if result is None:
                    created.append({"kpi_id": kpi.pk, "year": year, "period": period, **values})
                    continue
                changes = {name: (getattr(result, name), v) for name, v in values.items() if getattr(result, name) != v}
                if changes:
                    changed.append((result, changes, f"{path}.results.{_key_text(key, style)}", kpi))
        self.report.kept_results += sum(1 for r in existing.values() if r.kpi_id in kpi_by_pk)
        in_app = self._changed_in_app([result for result, *_ in changed])
        writes = []
        for result, changes, path, kpi in changed:
            if result.pk in in_app and not self.replace:
                self.conflicts.append(
                    WouldLose(
                        self.source,
                        path,
                        None,
                        f"the result in the database was changed in the app after it was loaded ({in_app[result.pk]}, "
                        f"version {result.version}, {result.get_status_display()}); loading would overwrite "
                        f"{_changes_text(changes)}. Give --replace to overwrite it (audited)",
                    )
                )
                continue
            for name, (_, v) in changes.items():
                setattr(result, name, v)
            result.version += 1  # a form opened before the load is now stale
            _clean(result, self.source)
            writes.append((result, changes, kpi))
            if result.pk in in_app:
                self.report.removed.append(f"{self.source}: {path}: overwrote {_changes_text(changes)}")
        if writes:
            fields = sorted({name for _, changes, _ in writes for name in changes} | {"version"})
            KpiResult.objects.bulk_update([result for result, _, _ in writes], fields)
            self._counted(self.report.changed, KpiResult, len(writes))
            for result, changes, kpi in writes:
                reason = f"{'replaced by loading' if result.pk in in_app else 'loaded from'} {self.source}"
                record(user=None, obj=result, action=LOAD, changes=changes, reason=reason, kpi=kpi)
        if created:  # plain rows, as _sync_rows writes them
            _check_rows(KpiResult, created, self.source)
            _insert_rows(KpiResult, created)
            self._counted(self.report.rows, KpiResult, len(created))

    @staticmethod
    def _changed_in_app(results: list[KpiResult]) -> dict[int, str]:
        """The results among ``results`` changed in the app since they were last loaded (result pk →
        who and when): their last audit event is not a load's, or they have none and were saved
        again (a version above 1)."""
        if not results:
            return {}
        latest = (
            AuditEvent.objects.filter(object_type="kpis.kpiresult", object_id__in=[r.pk for r in results])
            .order_by()
            .values("object_id")
            .annotate(last=Max("pk"))
            .values_list("last", flat=True)
        )
        last = {e.object_id: e for e in AuditEvent.objects.filter(pk__in=list(latest))}
        changed = {}
        for r in results:
            event = last.get(r.pk)
            if event is not None and event.action != LOAD:
                changed[r.pk] = f"{event.action} by {event.username or 'someone'} on {event.at:%Y-%m-%d %H:%M}"
            elif event is None and r.version > 1:
                changed[r.pk] = "saved again"
        return changed

    def _write_tows(self, smap: StrategyMap, objectives: dict[str, Objective]) -> None:
        tows = self.doc.tows
        wanted = []
        becomes: dict[tuple[str, int], list[int]] = {}  # a strategy's key → the ids of the objectives it becomes
        if tows:
            for kind in ("s", "w", "o", "t"):
                wanted += [
                    (
                        (kind, i),
                        {
                            "map_id": smap.pk,
                            "kind": kind,
                            "heading": "",
                            "code": item.code,
                            "text": item.text,
                            "i18n": item.i18n(),
                        },
                    )
                    for i, item in enumerate(getattr(tows, kind))
                ]
            for kind in ("so", "wo", "st", "wt"):
                quadrant = getattr(tows, kind)
                becomes |= {
                    (kind, i): [objectives[c].pk for c in item.objectives] for i, item in enumerate(quadrant.items)
                }
                wanted += [
                    (
                        (kind, i),
                        {
                            "map_id": smap.pk,
                            "kind": kind,
                            "heading": quadrant.title,
                            "code": item.code,
                            "text": item.text,
                            "i18n": _translations(
                                {**_renamed(quadrant.i18n(), "title", "heading"), **(item.i18n() or {})}
                            ),
                        },
                    )
                    for i, item in enumerate(quadrant.items)
                ]
        rows = self._sync(
            TowsEntry,
            smap.tows_entries.all(),
            lambda e: (e.kind, e.order),
            [(key, {**values, "order": key[1]}) for key, values in wanted],
            lambda e: f"TOWS {e.kind.upper()} entry {e.order + 1} {e.code} {e.text[:40]}",
        )
        self._sync_m2m(TowsEntry.objectives, {rows[key].pk: ids for key, ids in becomes.items()}, TowsEntry)

    def _write_revisions(self, smap: StrategyMap) -> None:
        revisions = self.doc.revisions
        counts = revisions.counts if revisions else []
        changes = revisions.changes if revisions else []
        self._sync(
            RevisionCount,
            smap.revision_counts.all(),
            lambda row: row.order,
            [
                (
                    i,
                    {
                        "map_id": smap.pk,
                        "perspective": row.perspective,
                        "order": i,
                        **{
                            f"{level}_{part}": getattr(getattr(row, level), part)
                            for level in ("objectives", "kpis", "action_plans")
                            for part in ("before", "after", "printed")
                        },
                    },
                )
                for i, row in enumerate(counts)
            ],
            lambda row: f"row {row.order + 1} ({row.perspective}) of the revision count table",
        )
        rows = self._sync(
            Revision,
            smap.revisions.all(),
            lambda rev: rev.order,
            [
                (
                    i,
                    {
                        "map_id": smap.pk,
                        "order": i,
                        "level": c.level,
                        "action": c.action,
                        "objective_code": c.objective or "",
                        "code": c.code,
                        "old_name": c.old_name,
                        "new_name": c.new_name,
                        "reason": c.reason,
                        "printed_action": c.printed_action,
                        "agencies_printed": c.agencies_printed,
                    },
                )
                for i, c in enumerate(changes)
            ],
            lambda rev: f"revision {rev.order + 1} ({rev.action} {rev.level} {rev.code}: {rev.reason[:40]})",
        )
        self._sync_m2m(
            Revision.agencies,
            {rows[i].pk: [self.orgs[a].pk for a in c.agencies] for i, c in enumerate(changes)},
            Revision,
        )

    # --- what the file lacks --------------------------------------------------------------------------

    def _settle(self, smap: StrategyMap, label: str) -> list[WouldLose]:
        """With ``replace``: remove what the file lacks, auditing each row. Without: the list of it."""
        lost_keys = {(type(x.obj), x.obj.pk) for x in self.lost}
        # A row whose parent goes too is listed under its parent, not on its own.
        top = [x for x in self.lost if x.parent not in lost_keys]
        if not self.replace:
            details = self._what_goes_with()
            return self.conflicts + [
                WouldLose(
                    self.source,
                    f"{label}: {x.what}",
                    None,
                    f"is in the database but not in this file{details.get((type(x.obj), x.obj.pk), '')}; "
                    "loading would remove it. Give --replace to remove it (audited)",
                )
                for x in top
            ]
        reason = f"replaced by loading {self.source}"
        doomed_results = KpiResult.objects.filter(kpi__in=[x.obj.pk for x in self.lost if isinstance(x.obj, Kpi)])
        for result in doomed_results.select_related("kpi"):
            gone: Changes = {name: (getattr(result, name), None) for name in ("actual", "status")}
            record(user=None, obj=result, action=REMOVE, changes=gone, reason=reason)
        progress = TaskProgress.objects.filter(
            Q(task__plan__in=[x.obj.pk for x in self.lost if isinstance(x.obj, ActionPlan)])
            | Q(task__in=[x.obj.pk for x in self.lost if isinstance(x.obj, PlanTask)])
        )
        for month in progress.select_related("task"):
            gone = {"planned": (month.planned, None), "done": (month.done, None), "note": (month.note, None)}
            record(user=None, obj=month, action=REMOVE, changes=gone, reason=reason)
        for x in self.lost:
            record(user=None, obj=x.obj, action=REMOVE, reason=reason)
            self.report.removed.append(f"{label}: removed {x.what}")
        self.changed |= bool(self.lost)
        by_model: dict[type[models.Model], list[int]] = defaultdict(list)
        for x in top:
            by_model[type(x.obj)].append(x.obj.pk)
        for model, pks in by_model.items():
            model._default_manager.filter(pk__in=pks).delete()
        return []

    def _what_goes_with(self) -> dict[_Id, str]:
        """For each row that would go: the objectives, KPIs, plans, results and months of plan
        progress that would go with it (its lost descendants), as " (with …)"."""
        lost = {(type(x.obj), x.obj.pk): x for x in self.lost}
        kpis = [pk for model, pk in lost if model is Kpi]
        plans = [pk for model, pk in lost if model is ActionPlan]
        results = Counter(KpiResult.objects.filter(kpi__in=kpis).values_list("kpi_id", flat=True))
        progress = Counter(TaskProgress.objects.filter(task__plan__in=plans).values_list("task__plan_id", flat=True))
        tasks = [pk for model, pk in lost if model is PlanTask]
        # A task that goes without its plan (the file lists fewer): its months (with its plan, they count there).
        of_tasks = Counter(
            TaskProgress.objects.filter(task__in=tasks).exclude(task__plan__in=plans).values_list("task_id", flat=True)
        )
        # Per row listed on its own: how many of each kind go with it, by the kind's name.
        counts: dict[_Id, Counter[str]] = defaultdict(Counter)
        for key, x in lost.items():
            top_key, seen = key, set()
            while (up := lost[top_key].parent) is not None and up in lost and top_key not in seen:
                seen.add(top_key)
                top_key = up
            if top_key != key and type(x.obj) in _GOES_WITH:
                counts[top_key][_GOES_WITH[type(x.obj)]] += 1
            counts[top_key]["result(s)"] += results[x.obj.pk] if isinstance(x.obj, Kpi) else 0
            if isinstance(x.obj, ActionPlan):
                counts[top_key]["month(s) of plan progress"] += progress[x.obj.pk]
            elif isinstance(x.obj, PlanTask):
                counts[top_key]["month(s) of plan progress"] += of_tasks[x.obj.pk]
        out = {}
        for key, counted in counts.items():
            parts = [f"{counted[kind]} {kind}" for kind in [*_GOES_WITH.values(), *_CASCADED] if counted[kind]]
            if parts:
                listed = ", ".join(parts[:-1]) + (" and " if len(parts) > 1 else "") + parts[-1]
                out[key] = f" (with {listed})"
        return out


#: What a lost row's line counts of the rows that go with it.
_GOES_WITH: dict[type[models.Model], str] = {Objective: "objective(s)", Kpi: "KPI(s)", ActionPlan: "action plan(s)"}
_CASCADED = ("result(s)", "month(s) of plan progress")


def _changes_text(changes: Changes) -> str:
    parts = [
        f"{name} {as_text(old) or '(empty)'} → {as_text(new) or '(empty)'}" for name, (old, new) in changes.items()
    ]
    text = ", ".join(parts[:4])
    return text[:300] + (f" and {len(parts) - 4} more" if len(parts) > 4 else "")


def write_map(doc: MapFile, *, replace: bool = False, source: str = "(roll-over)") -> StrategyMap:
    """Write one validated map document (its organizations already exist); returns the map.

    Used by the roll-over, which copies a map through the dataset format so that a
    copy and a load can never disagree about what a map holds. Merges as ``load_paths``
    does; raises LoadWouldLose if the map exists and would lose something.
    """
    orgs = {o.code: o for o in Organization.objects.all()}
    errors = validate_references([ParsedFile(Path(source), doc)])
    if errors:
        raise DatasetInvalid(errors)
    lost: list[DatasetError] = [*_MapWriter(doc, orgs, LoadReport(), source=source, replace=replace).write()]
    if lost:
        raise LoadWouldLose(lost)
    return StrategyMap.objects.get(organization__code=doc.organization, year=doc.year, version_label=doc.version.label)
