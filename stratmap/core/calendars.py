"""Holiday calendars from files: read one (``stratmap/data/calendars/*.yaml``), check it, and load or replace
a calendar's days through :func:`calendar_load`, all or nothing, audited; the demo's calendars.

A calendar file is YAML::

    calendar: tw                      # the code (a slug)
    name: 政府行政機關辦公日曆表        # in ``language``; name_en / name_zh_hant: its translations
    language: zh-hant
    source: "where the days were taken from"
    days:
      - {date: 2024-02-17, kind: working, name: "補行上班", name_en: "make-up working day"}
      - {date: 2024-02-28, kind: holiday, name: "和平紀念日"}

``kind`` is ``holiday`` (a day off) or ``working`` (a worked Saturday or Sunday). Loading replaces the
calendar's days with the file's: days the file lacks are removed, each change is in the audit trail.
This module writes (it is the calendars' service, as :mod:`stratmap.core.backup` is the backups'):
``core.services`` knows no domain model.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.text import slugify

from stratmap.access import Access
from stratmap.core.audit import record
from stratmap.core.models import CalendarDay, HolidayCalendar, Organization, ReportingCalendar
from stratmap.core.names import set_translations
from stratmap.core.validators import TextError, check_text
from stratmap.core.workdays import DEFAULT_WEEKEND

DATA = Path(__file__).resolve().parent.parent / "data" / "calendars"
#: The demo's calendars, and the organizations whose reporting calendar uses each.
DEMO_CALENDARS: tuple[tuple[Path, tuple[str, ...]], ...] = (
    (DATA / "tw.yaml", ("taipei",)),
    (DATA / "england.yaml", ("ashcombe",)),
)
#: The audit action of a calendar loaded from a file.
LOAD = "calendar-load"
KINDS = {kind.value for kind in CalendarDay.Kind}
NAME_LENGTH = 200


class _Loader(yaml.SafeLoader):
    """YAML's safe loader, with dates left as text: a date that does not exist (2024-02-30) is then this
    module's error naming its day, not the YAML library's exception."""


def _date_as_text(loader: yaml.SafeLoader, node: yaml.Node) -> str:
    return str(node.value)


_Loader.add_constructor("tag:yaml.org,2002:timestamp", _date_as_text)


class CalendarFileInvalid(Exception):
    """A calendar file that cannot be loaded; ``errors`` name the file, the row and the value."""

    def __init__(self, errors: list[str]):
        self.errors = errors
        super().__init__("; ".join(errors))


@dataclass(frozen=True)
class DayIn:
    date: datetime.date
    kind: str
    name: str
    translations: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class CalendarFile:
    """A checked calendar file."""

    path: Path
    code: str
    name: str
    language: str
    source: str
    translations: dict[str, str]
    days: list[DayIn]


def _translations(block: dict[str, Any], key: str, where: str, errors: list[str]) -> dict[str, str]:
    """The ``<key>_<language>`` entries of ``block`` by language (name_en → en, name_zh_hant → zh-hant)."""
    found = {}
    languages = {code.replace("-", "_").lower(): code for code, _name in settings.LANGUAGES}
    for entry, value in block.items():
        if not (isinstance(entry, str) and entry.startswith(f"{key}_")):
            continue
        language = languages.get(entry.removeprefix(f"{key}_"))
        if language is None:
            errors.append(f"{where}: {entry!r} is not a translation into a language of the site")
        elif not isinstance(value, str):
            errors.append(f"{where}: {entry} {value!r} is not a text")
        else:
            found[language] = value.strip()
    return found


def read_calendar_file(path: Path) -> CalendarFile:
    """``path`` read and checked; :class:`CalendarFileInvalid` listing every error (file, row, value)."""
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_Loader)
    except OSError as exc:
        raise CalendarFileInvalid([f"{path}: cannot be read ({exc.strerror or exc})"]) from None
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise CalendarFileInvalid([f"{path}: is not a YAML file in UTF-8 ({exc})"]) from None
    if not isinstance(data, dict):
        raise CalendarFileInvalid([f"{path}: expected a mapping with calendar, name, language and days"])
    errors: list[str] = []
    code = data.get("calendar")
    if not isinstance(code, str) or not code or slugify(code) != code or len(code) > 40:
        errors.append(f"{path}: calendar {code!r} is not a code; expected letters, digits and hyphens, e.g. tw")
    name = data.get("name")
    if not isinstance(name, str) or not name.strip():
        errors.append(f"{path}: name {name!r}: expected the calendar's name")
    language = data.get("language", settings.LANGUAGE_CODE)
    offered = [code for code, _name in settings.LANGUAGES]
    if language not in offered:
        errors.append(f"{path}: language {language!r} is not one of the site's ({', '.join(offered)})")
    source = data.get("source", "")
    if not isinstance(source, str):
        errors.append(f"{path}: source {source!r} is not a text")
        source = ""
    for label, text, limit in (("name", name, NAME_LENGTH), ("source", source, 500)):
        if isinstance(text, str):
            try:
                check_text(text, max_length=limit)
            except TextError as exc:
                errors.append(f"{path}: {label} {exc}")
    translations = _translations(data, "name", str(path), errors)
    rows = data.get("days")
    if not isinstance(rows, list):
        errors.append(f"{path}: days {rows!r}: expected a list of days")
        rows = []
    days: list[DayIn] = []
    seen: dict[datetime.date, int] = {}
    for number, row in enumerate(rows, 1):
        where = f"{path}: day {number}"
        if not isinstance(row, dict):
            errors.append(f"{where}: {row!r} is not a day; expected {{date: 2024-02-28, kind: holiday, name: …}}")
            continue
        date = row.get("date")
        if isinstance(date, datetime.datetime) or not isinstance(date, datetime.date):
            try:
                date = datetime.date.fromisoformat(str(date))
            except ValueError:
                errors.append(f"{where}: date {row.get('date')!r} is not a date; expected YYYY-MM-DD")
                continue
        where = f"{path}: day {number} ({date.isoformat()})"
        if date in seen:
            errors.append(f"{where}: the date is given twice (day {seen[date]} too)")
            continue
        seen[date] = number
        kind = row.get("kind", CalendarDay.Kind.HOLIDAY.value)
        if kind not in KINDS:
            errors.append(f"{where}: kind {kind!r} is not one of {', '.join(sorted(KINDS))}")
            continue
        if kind == CalendarDay.Kind.WORKING and date.weekday() not in DEFAULT_WEEKEND:
            errors.append(f"{where}: a make-up working day on a {date:%A}, which is worked anyway")
            continue
        day_name = row.get("name", "")
        if not isinstance(day_name, str):
            errors.append(f"{where}: name {day_name!r} is not a text")
            continue
        try:
            check_text(day_name, max_length=NAME_LENGTH)
        except TextError as exc:
            errors.append(f"{where}: name {exc}")
            continue
        days.append(DayIn(date, kind, day_name.strip(), _translations(row, "name", where, errors)))
    if errors:
        raise CalendarFileInvalid(errors)
    return CalendarFile(
        path,
        str(code),
        str(name).strip(),
        str(language),
        source.strip(),
        translations,
        sorted(days, key=lambda d: d.date),
    )


@dataclass
class CalendarLoaded:
    """What :func:`calendar_load` did."""

    calendar: HolidayCalendar
    created: bool
    added: int = 0
    changed: int = 0
    removed: int = 0


def _day_text(day: CalendarDay | DayIn) -> str:
    return f"{day.date.isoformat()} {day.kind} {day.name}".strip()


@transaction.atomic
def calendar_load(
    *, access: Access, data: CalendarFile, reason: str, organization: Organization | None = None
) -> CalendarLoaded:
    """Create the calendar ``data.code`` or replace its days with the file's, all or nothing; audited
    (one event per changed field of the calendar, and its days' changes listed old and new), with
    ``reason``. A national calendar (``organization`` None) is a superuser's, an organization's own
    calendar its administrators'; else PermissionDenied. A calendar of the code owned by another
    organization is refused (ValidationError)."""
    calendar = HolidayCalendar.objects.select_for_update().filter(code=data.code).first()
    owner = organization if calendar is None else calendar.organization
    if calendar is not None and organization is not None and calendar.organization_id != organization.pk:
        raise ValidationError({"calendar": f"calendar {data.code!r} is not {organization.code}'s"})
    if owner is None and not access.is_superuser:
        raise PermissionDenied("only a superuser loads a national calendar")
    if owner is not None and not access.is_administrator(owner):
        raise PermissionDenied(f"only an administrator of {owner.code} loads its calendar")
    created = calendar is None
    if calendar is None:
        calendar = HolidayCalendar(code=data.code, organization=organization)
        before = {"name": "", "language": "", "source": ""}
    else:
        before = {"name": calendar.name, "language": calendar.language, "source": calendar.source}
    calendar.name, calendar.language, calendar.source = data.name, data.language, data.source
    changes: dict[str, tuple[object, object]] = {
        key: (before[key], getattr(calendar, key)) for key in ("name", "language", "source")
    }
    changes.update(
        set_translations(calendar, "name", {code: "" for code, _n in settings.LANGUAGES} | data.translations)
    )
    calendar.full_clean()
    calendar.save()
    stored = {day.date: day for day in calendar.days.all()}
    wanted = {day.date: day for day in data.days}
    report = CalendarLoaded(calendar, created)
    old_lines, new_lines = [], []
    removed = [stored[date] for date in sorted(stored.keys() - wanted.keys())]
    for day in removed:
        old_lines.append(_day_text(day))
    CalendarDay.objects.filter(pk__in=[day.pk for day in removed]).delete()
    report.removed = len(removed)
    to_create, to_update = [], []
    for date, incoming in sorted(wanted.items()):
        row = stored.get(date) or CalendarDay(calendar=calendar, date=date)
        before_text = _day_text(row) if row.pk else ""
        before_i18n = dict(row.__dict__.get("i18n") or {})
        row.kind, row.name = incoming.kind, incoming.name
        set_translations(row, "name", {code: "" for code, _n in settings.LANGUAGES} | incoming.translations)
        if row.pk and before_text == _day_text(row) and before_i18n == dict(row.__dict__.get("i18n") or {}):
            continue
        row.full_clean(validate_unique=False)
        if row.pk:
            to_update.append(row)
            old_lines.append(before_text)
        else:
            to_create.append(row)
        new_lines.append(_day_text(row))
    CalendarDay.objects.bulk_create(to_create)
    CalendarDay.objects.bulk_update(to_update, ["kind", "name", "i18n"])
    report.added, report.changed = len(to_create), len(to_update)
    if old_lines or new_lines:
        changes["days"] = ("\n".join(old_lines), "\n".join(new_lines))
    record(user=access.user, obj=calendar, action=LOAD, changes=changes, reason=reason)
    return report


def load_demo_calendars(*, access: Access) -> list[CalendarLoaded]:
    """The demo's holiday calendars loaded (replaced), and the demo organizations' reporting calendars
    pointed at them (created with the defaults where they have none; one that names a calendar already
    is kept). Organizations of the list that are not loaded are passed over."""
    loaded = []
    with transaction.atomic():
        for path, codes in DEMO_CALENDARS:
            done = calendar_load(access=access, data=read_calendar_file(path), reason="the demo's calendar")
            loaded.append(done)
            for organization in Organization.objects.filter(code__in=codes):
                rules, _created = ReportingCalendar.objects.get_or_create(organization=organization)
                if rules.holidays_id is None:
                    rules.holidays = done.calendar
                    rules.full_clean()
                    rules.save()
                    record(
                        user=access.user,
                        obj=rules,
                        action=LOAD,
                        changes={"holidays": ("", str(done.calendar))},
                        reason="the demo's calendar",
                    )
    return loaded
