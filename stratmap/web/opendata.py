"""Open data (issue 17 item 2): a map's scorecard as files whose columns never change, their metadata, a
KPI's time series for Taipei City Dashboard, and the dataset format's JSON Schema (item 7).

- ``/<org>/<year>/open-data/scorecard.csv`` and ``.json``: one row a KPI, the columns of :data:`FIELDS`
  whatever the page's language and whatever the organization (fixed ASCII names; the texts in the
  organization's own language, with their English beside). The rows are the scorecard page's, read by
  ``kpis.selectors.scorecard_rows`` with the reader's access: the public gets the published maps and
  results only. ``?period=Q3`` (or 2024-Q3): the year to date at that period, as the page's.
- ``/<org>/<year>/open-data/metadata.json``: data.gov.tw's metadata (title, description, update frequency,
  licence, fields, publisher, the files' addresses), in the organization's language.
- ``/<org>/kpis/<code>/dashboard.json``: the KPI's targets and actuals across its years (its periods, for a
  KPI reported by period) as Taipei City Dashboard's charts read them (``{"data": [{"name", "data": [{"x",
  "y"}]}]}``), each x the first moment of its year or period in the organization's time zone.
- ``/<org>/<year>/open-data/``: the page listing them, with the data dictionary.

docs/open-data.md documents the files, their fields and the settings read here.
"""

from __future__ import annotations

import codecs
import datetime
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import translation
from django.utils.cache import patch_cache_control
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_safe

import stratmap
from stratmap.access import access_for, get_map_for_user
from stratmap.core.models import Organization
from stratmap.core.names import translations_of
from stratmap.core.spreadsheet import SafeWriter
from stratmap.core.years import PER_YEAR, Period, Unit, YearError, YearLabel, YearStyle, period_in_year, to_roc_year
from stratmap.kpis.models import FREQUENCY_UNIT, KpiResult, period_of
from stratmap.kpis.presenters import number
from stratmap.kpis.selectors import (
    ScoredKpi,
    first_kpi_codes,
    kpi_lineage,
    lineage_history,
    map_frequencies,
    scorecard_rows,
)
from stratmap.strategy.models import StrategyMap
from stratmap.web.views import map_context


@dataclass(frozen=True)
class OpenField:
    """A column of the open-data scorecard: its fixed name, its type (data.gov.tw's: string, integer,
    number) and what it holds."""

    name: str
    type: str
    description: Promise


#: The columns of scorecard.csv and the keys of scorecard.json, in order: NEVER renamed, reordered or
#: dropped (a new one goes at the end, and docs/open-data.md says since when).
FIELDS: tuple[OpenField, ...] = (
    OpenField("organization_code", "string", gettext_lazy("The organization's code, as in the site's addresses.")),
    OpenField("organization_name", "string", gettext_lazy("The organization's full name, in its own language.")),
    OpenField(
        "organization_name_en",
        "string",
        gettext_lazy("The organization's name in English; empty where not translated."),
    ),
    OpenField(
        "language",
        "string",
        gettext_lazy("The language the texts of the row are written in (zh-hant, en): the organization's."),
    ),
    OpenField("year_ad", "integer", gettext_lazy("The year (AD); a fiscal year is the AD year it starts in.")),
    OpenField(
        "year_roc",
        "integer",
        gettext_lazy(
            "The year in the Republic of China calendar, for an organization that names its years so; empty otherwise."
        ),
    ),
    OpenField(
        "year_label", "string", gettext_lazy("The year as the organization names it (民國108年, 2024/25, FY2025).")
    ),
    OpenField(
        "period",
        "string",
        gettext_lazy(
            "Empty for the whole year; else the period whose year to date the row is (2024-Q3, 2024-H1, 2024-05)."
        ),
    ),
    OpenField("objective_code", "string", gettext_lazy("The strategic objective's code.")),
    OpenField("objective_name", "string", gettext_lazy("The strategic objective, in the organization's language.")),
    OpenField(
        "objective_name_en", "string", gettext_lazy("The strategic objective in English; empty where not translated.")
    ),
    OpenField("kpi_code", "string", gettext_lazy("The KPI's code, unique in the map.")),
    OpenField("kpi_name", "string", gettext_lazy("The KPI, in the organization's language.")),
    OpenField("kpi_name_en", "string", gettext_lazy("The KPI in English; empty where not translated.")),
    OpenField("unit", "string", gettext_lazy("The unit of the target and the actual, in the organization's language.")),
    OpenField("unit_en", "string", gettext_lazy("The unit in English; empty where not translated.")),
    OpenField("polarity", "string", gettext_lazy("positive: higher is better; negative: lower is better.")),
    OpenField(
        "target", "number", gettext_lazy("The target of the year (or the year to date at the period); empty when none.")
    ),
    OpenField("actual", "number", gettext_lazy("The actual value; empty when not known or not published.")),
    OpenField(
        "rate",
        "number",
        gettext_lazy("The achievement rate in percent, one decimal; empty when it cannot be worked out."),
    ),
    OpenField(
        "status_code",
        "string",
        gettext_lazy(
            "Where the year's result stands: published for the public; draft, submitted, returned or approved "
            "only in an insider's download; empty without a result."
        ),
    ),
    OpenField("status_label", "string", gettext_lazy("The status, in the organization's language.")),
    OpenField(
        "light_key",
        "string",
        gettext_lazy(
            "The light's key in the organization's light set (excellent, good, fair, poor, unknown; green, "
            "amber, red …)."
        ),
    ),
    OpenField("light_label", "string", gettext_lazy("The light's name, in the organization's language.")),
)
FIELD_NAMES = [f.name for f in FIELDS]

#: data.gov.tw's update frequencies, by the shortest period a map's KPIs report in.
FREQUENCY_LABELS = {
    Unit.MONTH: ("monthly", gettext_lazy("every month")),
    Unit.QUARTER: ("quarterly", gettext_lazy("every quarter")),
    Unit.HALF: ("half-yearly", gettext_lazy("every half year")),
    Unit.YEAR: ("yearly", gettext_lazy("every year")),
}

SCHEMA_FILE = Path(stratmap.__file__).parent / "exchange" / "dataset.schema.json"


def licence() -> dict[str, str]:
    """The open data's licence (name, name_en, url): ``settings.STRATMAP_OPEN_DATA_LICENCE``, from the
    environment variable of that name, the Open Government Data License 1.0 by default (stratmap/settings.py)."""
    return dict(settings.STRATMAP_OPEN_DATA_LICENCE)


def time_zone(organization: Organization) -> ZoneInfo:
    """The time zone of ``organization``'s dates: ``settings.STRATMAP_TIME_ZONES[<its code>]`` (an IANA
    name, e.g. Europe/London for a council, from the environment variable of that name), else the site's
    ``TIME_ZONE`` (Asia/Taipei). A bad name stops the start (stratmap.web.checks); the error here is for a
    setting changed after it."""
    name = settings.STRATMAP_TIME_ZONES.get(organization.code) or settings.TIME_ZONE
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ImproperlyConfigured(
            f"STRATMAP_TIME_ZONES: {name!r} (of {organization.code}) is not a time zone; expected e.g. Asia/Taipei"
        ) from None


def _english(obj: Any, field: str, language: str) -> str:
    """``obj.<field>`` in English: the text itself for an organization writing English, else its translation."""
    if language.startswith("en"):
        return str(getattr(obj, field, "") or "")
    return translations_of(obj, field).get("en", "")


def _value(value: Decimal | None, places: int | None = None) -> int | float | None:
    """A number for JSON: a whole number as an integer; None stays None."""
    if value is None:
        return None
    text = number(value, places, grouping=False)
    exact = Decimal(text)
    return int(exact) if exact == exact.to_integral() and "." not in text else float(exact)


def _status(row: ScoredKpi) -> str:
    """The status of the row's result: the year's, else the latest period's shown."""
    if row.result is not None:
        return row.result.status
    latest = next((p.result for p in reversed(row.periods) if p.result is not None), None)
    return latest.status if latest else ""


def _period(request: HttpRequest, smap: StrategyMap) -> Period | HttpResponse | None:
    """The ``period`` parameter as a period of the map's year; a 400 naming it when it is none."""
    value = request.GET.get("period", "").strip()
    if not value:
        return None
    try:
        return period_in_year(value, smap.year, smap.organization.year_style)
    except YearError as exc:
        return HttpResponseBadRequest(f"period={value!r}: {exc}", content_type="text/plain; charset=utf-8")


def scorecard_records(request: HttpRequest, smap: StrategyMap, period: Period | None) -> list[dict[str, Any]]:
    """The open-data rows of ``smap`` (fetched with its organization) as the reader may see them: one a
    KPI, the keys of :data:`FIELDS`, numbers as numbers and missing values None."""
    organization = smap.organization
    language = organization.language.lower()
    style = organization.year_style
    found = scorecard_rows(access=access_for(request), smap=smap, period=period)
    common = {
        "organization_code": organization.code,
        "organization_name": organization.name,
        "organization_name_en": _english(organization, "name", language),
        "language": language,
        "year_ad": smap.year,
        "year_roc": to_roc_year(smap.year) if style.labels is YearLabel.ROC else None,
        "year_label": style.label(smap.year, language),
        "period": style.period_key(period) if period is not None and period.unit is not Unit.YEAR else "",
    }
    statuses = dict(KpiResult.Status.choices)
    records = []
    with translation.override(language):
        status_labels = {code: str(label) for code, label in statuses.items()}
    for row in found.rows:
        kpi, s = row.kpi, row.score
        objective = kpi.objective
        status = _status(row)
        records.append(
            {
                **common,
                "objective_code": objective.code,
                "objective_name": objective.name,
                "objective_name_en": _english(objective, "name", language),
                "kpi_code": kpi.code,
                "kpi_name": kpi.name,
                "kpi_name_en": _english(kpi, "name", language),
                "unit": kpi.unit,
                "unit_en": _english(kpi, "unit", language),
                "polarity": kpi.polarity,
                "target": _value(s.kpi.target),
                "actual": _value(s.kpi.actual),
                "rate": _value(s.rate.percent, 1),
                "status_code": status,
                "status_label": status_labels.get(status, ""),
                "light_key": s.light.key if s.light else "",
                "light_label": s.light.label(language) if s.light else "",
            }
        )
    return records


def _file_name(smap: StrategyMap, period: Period | None, extension: str) -> str:
    tail = f"-{smap.organization.year_style.period_key(period)}" if period is not None else ""
    return f"{smap.organization.code}-{smap.year}{tail}-scorecard.{extension}"


@require_safe
def scorecard_csv(request: HttpRequest, org: str, year: int) -> HttpResponse:
    smap = get_map_for_user(request, org, year)
    period = _period(request, smap)
    if isinstance(period, HttpResponse):
        return period
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{_file_name(smap, period, "csv")}"'
    response.write(codecs.BOM_UTF8.decode("utf-8"))  # so that Excel opens it as UTF-8
    writer = SafeWriter(response)  # names are people's text: never formulas in a spreadsheet
    writer.writerow(FIELD_NAMES)
    for record in scorecard_records(request, smap, period):
        writer.writerow(["" if record[name] is None else _csv_number(record[name]) for name in FIELD_NAMES])
    return response


def _csv_number(value: Any) -> Any:
    return format(Decimal(str(value)).normalize(), "f") if isinstance(value, float) else value


@require_safe
def scorecard_json(request: HttpRequest, org: str, year: int) -> HttpResponse:
    smap = get_map_for_user(request, org, year)
    period = _period(request, smap)
    if isinstance(period, HttpResponse):
        return period
    response = JsonResponse(
        scorecard_records(request, smap, period), safe=False, json_dumps_params={"ensure_ascii": False}
    )
    response["Content-Disposition"] = f'inline; filename="{_file_name(smap, period, "json")}"'
    return response


def _update_frequency(request: HttpRequest, smap: StrategyMap) -> Unit:
    """The shortest period the map's KPIs report in (a year when none reports by period)."""
    frequencies = map_frequencies(access=access_for(request), smap=smap)
    units = [FREQUENCY_UNIT[f] for f in frequencies if f in FREQUENCY_UNIT] or [Unit.YEAR]
    return max(units, key=lambda unit: PER_YEAR[unit])


def metadata(request: HttpRequest, smap: StrategyMap) -> dict[str, Any]:
    """data.gov.tw's metadata of the map's open data, in its organization's language."""
    organization = smap.organization
    language = organization.language.lower()
    year_label = organization.year_style.label(smap.year, language)
    unit = _update_frequency(request, smap)
    frequency, frequency_label = FREQUENCY_LABELS[unit]
    files = {
        kind: request.build_absolute_uri(reverse(f"web:open-data-{kind}", args=[organization.code, smap.url_year]))
        for kind in ("csv", "json")
    }
    with translation.override(language):
        return {
            "identifier": f"stratmap:{organization.code}:{smap.year}:scorecard",
            "title": _("%(organization)s %(year)s scorecard of KPIs")
            % {"organization": organization.name, "year": year_label},
            "description": _(
                "The key performance indicators of %(organization)s's strategy map for %(year)s: each one's "
                "objective, target, actual value, achievement rate and light, as published."
            )
            % {"organization": organization.name, "year": year_label},
            "language": language,
            "publisher": {
                "code": organization.code,
                "name": organization.name,
                "name_en": _english(organization, "name", language),
            },
            "update_frequency": frequency,
            "update_frequency_label": str(frequency_label),
            "licence": licence(),
            "charge": "free",
            "encoding": "UTF-8",
            "temporal": {"year_ad": smap.year, "year_label": year_label},
            "files": [
                {"format": "CSV", "media_type": "text/csv", "encoding": "UTF-8 with BOM", "url": files["csv"]},
                {"format": "JSON", "media_type": "application/json", "encoding": "UTF-8", "url": files["json"]},
            ],
            "fields": [{"name": f.name, "type": f.type, "description": str(f.description)} for f in FIELDS],
        }


@require_safe
def metadata_json(request: HttpRequest, org: str, year: int) -> HttpResponse:
    smap = get_map_for_user(request, org, year)
    return JsonResponse(metadata(request, smap), json_dumps_params={"ensure_ascii": False, "indent": 2})


@require_safe
def open_data(request: HttpRequest, org: str, year: int) -> HttpResponse:
    """The page listing the map's open-data files, with the data dictionary."""
    smap = get_map_for_user(request, org, year)
    kpis = first_kpi_codes(access=access_for(request), smap=smap, count=3)
    return render(
        request,
        "web/open_data.html",
        map_context(smap, fields=FIELDS, licence=licence(), kpi_examples=kpis),
    )


# --- a KPI's time series for Taipei City Dashboard --------------------------------------------------------


def _start(style: YearStyle, period: Period, zone: ZoneInfo) -> str:
    """The first moment of ``period`` in ``zone``, as ISO 8601 with its offset (2023-01-01T00:00:00+08:00)."""
    year, month = style.months_of(period)[0]
    return datetime.datetime(year, month, 1, tzinfo=zone).isoformat()


def kpi_series(request: HttpRequest, org: str, code: str) -> dict[str, Any]:
    """The KPI's targets and actuals by year, or by period for a KPI reported by period, across its lineage."""
    found = kpi_lineage(access=access_for(request), organization=org, code=code)
    latest, lineage = found.latest, found.members
    organization = latest.objective.map.organization
    style, zone = organization.year_style, time_zone(organization)
    targets: dict[Period, Decimal | None] = {}
    actuals: dict[Period, Decimal | None] = {}
    if FREQUENCY_UNIT.get(latest.frequency) is None:
        for point in lineage_history(lineage=lineage):  # a later map's figure of a year replaces an earlier's
            targets[Period(point.year, Unit.YEAR)] = point.target
            actuals[Period(point.year, Unit.YEAR)] = point.actual
    else:
        for member in lineage:  # oldest map first: a later map's row of a period replaces an earlier's
            for target in member.targets.all():
                if target.period:
                    targets[period_of(target.year, target.period, style)] = target.value
            for result in member.results.all():
                if result.period:
                    actuals[period_of(result.year, result.period, style)] = result.actual
    series = []
    for name, values in ((_("target"), targets), (_("actual"), actuals)):
        points = [
            {"x": _start(style, period, zone), "y": _value(value)}
            for period, value in sorted(values.items())
            if value is not None
        ]
        series.append({"name": name, "data": points})
    return {"data": series}


@require_safe
def kpi_dashboard(request: HttpRequest, org: str, code: str) -> HttpResponse:
    return JsonResponse(kpi_series(request, org, code), json_dumps_params={"ensure_ascii": False})


# --- the dataset format's JSON Schema (item 7) ------------------------------------------------------------


@require_safe
def dataset_schema(request: HttpRequest) -> HttpResponse:
    """The shipped JSON Schema of the dataset format (stratmap/exchange/dataset.schema.json), as it is: the
    same for everyone, so any cache may keep it for a day."""
    response = HttpResponse(SCHEMA_FILE.read_bytes(), content_type="application/schema+json")
    patch_cache_control(response, public=True, max_age=24 * 60 * 60)
    return response
