"""Rows as the API gives them (the shapes of :mod:`stratmap.api.schemas`), and the map a path names.

The converters read only what their caller's query fetched (the map's organization with each row, the
prefetched targets, agencies, tasks and progress): a list costs the same queries whatever its length."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, Generic, TypeVar

from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext as _
from ninja.pagination import LimitOffsetPagination
from ninja.schema import Field, Schema

from stratmap.access import Access
from stratmap.core.models import Membership, Organization
from stratmap.core.names import translations_of
from stratmap.core.years import YearError, YearStyle, to_roc_year
from stratmap.kpis.models import PERIOD_CODES, Kpi, KpiResult, KpiTarget
from stratmap.plans.models import ActionPlan, TaskProgress
from stratmap.strategy.models import Objective, Perspective, Revision, StrategyMap, Theme, TowsEntry

#: The most rows a page of a list holds (``limit``), and its default.
MOST, DEFAULT = 200, 50


class Pages(LimitOffsetPagination):
    """``?limit=&offset=``; the answer is ``{"items": [...], "count": N}`` (N: the rows of every page)."""

    class Input(Schema):
        limit: int = Field(DEFAULT, ge=1, le=MOST, description=f"Rows of this page, 1–{MOST}.")
        offset: int = Field(0, ge=0, description="Rows to skip.")


R = TypeVar("R")


class Converted(Generic[R]):
    """A queryset whose page (a slice) is converted row by row when taken: ninja's pagination counts it
    and slices it as a queryset, so a page costs its own queries only."""

    def __init__(self, rows: QuerySet[Any], convert: Callable[[Any], R]):
        self.rows, self.convert = rows, convert

    def all(self) -> Converted[R]:
        return self

    def count(self) -> int:
        return self.rows.count()

    def __getitem__(self, page: slice) -> list[R]:
        return [self.convert(row) for row in self.rows[page]]

    def __iter__(self) -> Iterator[R]:
        return (self.convert(row) for row in self.rows)


class BadParameter(Exception):
    """A parameter the API cannot take: a 400 naming it and its value (``status`` 404 for a value naming
    nothing the caller reads, as an edition)."""

    def __init__(self, field: str, value: object, message: str, *, status: int = 400):
        self.field, self.value, self.status = field, value, status
        super().__init__(message)


# --- the map a path names --------------------------------------------------------------------------


def organization_of(access: Access, code: str) -> Organization:
    """The organization ``code`` if the reader reads one of its maps (else 404: its existence is not told)."""
    found = Organization.objects.select_related("parent").filter(code=code).first()
    if found is None or not access.maps().filter(organization=found).exists():
        raise Http404
    return found


def ad_year(style: YearStyle, value: str, field: str = "path.year") -> int:
    """The stored year for ``value`` as an organization with ``style`` names it: AD (2020), ROC (109), or its
    label (2024/25 is not a path; FY2025 is). 400 naming the parameter otherwise."""
    try:
        return style.parse(value)
    except YearError as error:
        raise BadParameter(field, value, str(error)) from None


def editions(access: Access, maps: QuerySet[StrategyMap]) -> QuerySet[StrategyMap]:
    """The editions among ``maps`` (the reader's: ``access.maps()``) the API gives the reader: an edition not
    in force only to a superuser or an administrator of its organization, who revise it, as the pages show a
    draft or a replaced edition in the editors only. So the public gets the published edition in force."""
    if access.is_superuser:
        return maps
    return maps.filter(Q(in_force=True) | Q(organization__in=access.organizations(Membership.Role.ADMINISTRATOR)))


def map_of(access: Access, org: str, year: str, edition: int | None = None) -> StrategyMap:
    """The map in force of ``org`` for ``year`` (AD or ROC) that the reader reads, with its organization;
    404 otherwise (as the pages: :func:`stratmap.access.get_map_for_user`). With ``edition`` (a map's ``id``,
    as ``/maps`` lists them), that edition of the year instead, if the reader is given it (:func:`editions`):
    else a 404 naming the parameter and its value, the same whether the edition is hidden or not there."""
    organization = Organization.objects.filter(code=org).first()
    if organization is None:
        raise Http404
    ad = ad_year(organization.year_style, year)
    found = (
        access.maps().select_related("organization", "organization__parent").filter(organization=organization, year=ad)
    )
    if edition is None:
        smap = found.filter(in_force=True).first()
        if smap is None:
            raise Http404
    else:
        smap = editions(access, found).filter(pk=edition).first()
        if smap is None:
            raise BadParameter(
                "query.edition",
                edition,
                _("%(org)s %(year)s has no edition %(value)s that you may read; GET /api/v1/maps?organization="
                  "%(org)s&year=%(year)s lists those you may.") % {"org": org, "year": year, "value": edition},
                status=404,
            )  # fmt: skip
    access.require(smap)
    return smap


def period_of(value: str | None, field: str = "query.period") -> str | None:
    """A ``period`` filter: None (any), "" for ``year`` or "" (the whole year's rows), else a period code."""
    if value is None:
        return None
    if value == "" or value.lower() == "year":
        return ""
    code = value.upper()
    if code not in PERIOD_CODES:
        expected = "year, " + ", ".join(PERIOD_CODES)
        raise BadParameter(field, value, _("%(value)s is not a period; expected one of %(expected)s") % {
            "value": value, "expected": expected})  # fmt: skip
    return code


# --- rows ------------------------------------------------------------------------------------------


def year(ad: int, style: YearStyle, language: str) -> dict[str, Any]:
    return {
        "ad": ad,
        "roc": to_roc_year(ad),
        "label": style.label(ad, language),
        "style": style.labels,
        "start_month": style.start_month,
    }


def organization(row: Organization) -> dict[str, Any]:
    style = row.year_style
    return {
        "code": row.code,
        "name": row.name,
        "short_name": row.short_name,
        "translations": translations_of(row, "name"),
        "language": row.language,
        "kind": row.kind,
        "parent": row.parent.code if row.parent else None,
        "years": {"style": style.labels, "start_month": style.start_month},
    }


def map_summary(smap: StrategyMap) -> dict[str, Any]:
    org = smap.organization
    return {
        "id": smap.pk,
        "organization": org.code,
        "year": year(smap.year, org.year_style, org.language),
        "in_force": smap.in_force,
        "published": smap.published,
        "version": smap.version,
        "title": smap.title,
        "version_label": smap.version_label,
        "version_date": smap.version_date,
    }


def perspective(row: Perspective) -> dict[str, Any]:
    return {"code": row.code, "name": row.name, "translations": translations_of(row, "name"), "order": row.order}


def theme(row: Theme) -> dict[str, Any]:
    return {
        "code": row.code,
        "name": row.name,
        "translations": translations_of(row, "name"),
        "order": row.order,
        "group": row.group.code if row.group else None,
        "weight": row.weight,
    }


def objective(row: Objective, perspectives: dict[int, str], themes: dict[int, str]) -> dict[str, Any]:
    return {
        "code": row.code,
        "name": row.name,
        "translations": translations_of(row, "name"),
        "perspective": perspectives.get(row.perspective_id) if row.perspective_id else None,
        "theme": themes.get(row.theme_id) if row.theme_id else None,
        "order": row.order,
        "key_success_factor": row.ksf,
        "goal": row.goal,
        "weight": row.weight,
    }


def target(row: KpiTarget, smap: StrategyMap) -> dict[str, Any]:
    org = smap.organization
    return {
        "year": year(row.year, org.year_style, org.language),
        "period": row.period,
        "value": row.value,
        "upper": row.upper,
        "printed": row.printed,
    }


def kpi(row: Kpi, smap: StrategyMap) -> dict[str, Any]:
    style = smap.organization.year_style
    return {
        "code": row.code,
        "name": row.name,
        "translations": translations_of(row, "name"),
        "objective": row.objective.code,
        "unit": row.unit,
        "polarity": row.polarity,
        "frequency": row.frequency,
        "target_type": row.target_type,
        "periods": list(row.periods(smap.year, style)),
        "agencies": sorted(a.code for a in row.agencies.all()),
        "weight": row.weight,
        "baseline": row.baseline,
        "data_source": row.data_source,
        "targets": [target(t, smap) for t in sorted(row.targets.all(), key=lambda t: (t.year, t.period))],
    }


RESULT_TEXTS = (
    *("printed", "unknown_kind", "unknown_reason", "innovation_note", "challenge_note"),
    *("contribution_note", "situation_analysis", "countermeasures", "status"),
)
RESULT_NUMBERS = ("actual", "innovation", "challenge", "contribution")


def result(row: KpiResult, smap: StrategyMap) -> dict[str, Any]:
    org = smap.organization
    return {
        "kpi": row.kpi.code,
        "year": year(row.year, org.year_style, org.language),
        "period": row.period,
        **{name: getattr(row, name) for name in (*RESULT_TEXTS, *RESULT_NUMBERS)},
        "version": row.version,
    }


def progress(row: TaskProgress) -> dict[str, Any]:
    return {
        "month": row.month,
        "planned": row.planned,
        "done": row.done,
        "note": row.note,
        "status": row.status,
        "version": row.version,
    }


def plan(row: ActionPlan) -> dict[str, Any]:
    return {
        "code": row.code,
        "name": row.name,
        "translations": translations_of(row, "name"),
        "kpi": row.kpi.code,
        "agencies": sorted(a.code for a in row.agencies.all()),
        "tasks": [
            {
                "number": number,
                "name": task.name,
                "months": task.months,
                "progress": [progress(p) for p in task.progress.all()],
            }
            for number, task in enumerate(row.tasks.all(), start=1)
        ],
    }


def revision(row: Revision) -> dict[str, Any]:
    return {
        "order": row.order,
        "level": row.level,
        "action": row.action,
        "objective": row.objective_code,
        "code": row.code,
        "old_name": row.old_name,
        "new_name": row.new_name,
        "reason": row.reason,
    }


def tows(row: TowsEntry) -> dict[str, Any]:
    return {
        "kind": row.kind,
        "heading": row.heading,
        "code": row.code,
        "text": row.text,
        "order": row.order,
        "objectives": sorted(o.code for o in row.objectives.all()),
    }
