"""The API's reads: what the pages show, to whoever asks, through the same access checks and selectors.

The public (no token) reads published maps and, on them, published results and published task progress;
a token reads what its owner reads on the pages (:mod:`stratmap.access`)."""

from __future__ import annotations

from typing import Any

from django.db.models import Exists, OuterRef
from django.http import Http404, HttpRequest
from ninja import Query, Router
from ninja.pagination import paginate

from stratmap.api import out, schemas
from stratmap.api.auth import caller_of
from stratmap.core.models import Organization
from stratmap.core.years import YearStyle
from stratmap.kpis.models import Kpi, KpiResult
from stratmap.plans.selectors import plans_in_full, visible_progress
from stratmap.strategy.selectors import map_structure

router = Router(tags=["read"])
ERRORS: dict[int, Any] = {400: schemas.Error, 401: schemas.Error, 403: schemas.Error, 404: schemas.Error}
MAP = "/maps/{org}/{year}"
YEAR_HELP = "The year: AD (2020) or ROC (109), or as the organization names it (FY2025)."
EDITION_HELP = (
    "An edition of the year's map: its `id` as /maps lists it. Without it, the edition in force (the one the "
    "pages show). An edition not in force is given only to those who revise the map; the public gets the "
    "published edition in force."
)


@router.get("/organizations", response={200: list[schemas.Organization], **ERRORS}, summary="Organizations")
@paginate(out.Pages)
def organizations(request: HttpRequest) -> out.Converted[dict[str, Any]]:
    """The organizations with a map the caller reads, by code."""
    access = caller_of(request).access
    rows = (
        Organization.objects.filter(Exists(access.maps().filter(organization=OuterRef("pk"))))
        .select_related("parent")
        .order_by("code")
    )
    return out.Converted(rows, out.organization)


@router.get("/organizations/{org}", response={200: schemas.Organization, **ERRORS}, summary="One organization")
def organization(request: HttpRequest, org: str) -> dict[str, Any]:
    return out.organization(out.organization_of(caller_of(request).access, org))


@router.get("/maps", response={200: list[schemas.MapSummary], **ERRORS}, summary="Maps (editions)")
@paginate(out.Pages)
def maps(
    request: HttpRequest,
    organization: str | None = Query(None, description="An organization's code."),
    year: str | None = Query(None, description=YEAR_HELP + " Needs organization when not a plain number."),
    in_force: bool | None = Query(None, description="Only the editions in force (true) or the others (false)."),
) -> out.Converted[dict[str, Any]]:
    """The editions of strategy maps the caller reads, by organization and year; an organization's year
    has one edition in force (the one the pages show) and may have others, which only the administrators of
    its organization see (as on the pages: a draft edition in the editors)."""
    access = caller_of(request).access
    rows = access.maps().select_related("organization").order_by("organization__code", "year", "pk")
    rows = out.editions(access, rows)  # as the pages: an edition not in force only to those who revise its maps
    style = YearStyle()  # AD or ROC numbers, when no organization says how it names its years
    if organization is not None:
        found = Organization.objects.filter(code=organization).first()
        if found is None:
            raise Http404
        rows, style = rows.filter(organization=found), found.year_style
    if year is not None:
        rows = rows.filter(year=out.ad_year(style, year, "query.year"))
    if in_force is not None:
        rows = rows.filter(in_force=in_force)
    return out.Converted(rows, out.map_summary)


@router.get(
    MAP, response={200: schemas.MapDetail, **ERRORS}, summary="A map (the edition in force), with its structure"
)
def map_detail(
    request: HttpRequest, org: str, year: str, edition: int | None = Query(None, ge=1, description=EDITION_HELP)
) -> dict[str, Any]:
    """The map in force of ``org`` for ``year`` (or the edition ``edition``): its texts, perspectives, themes,
    objectives and links."""
    access = caller_of(request).access
    smap = out.map_of(access, org, year, edition)
    structure = map_structure(smap=smap, access=access)
    perspectives = {p.pk: p.code for p in structure.perspectives}
    themes = {t.pk: t.code for t in structure.themes}
    by_pk = {o.pk: o.code for o in structure.objectives}
    links = smap.links.order_by("pk").values_list("source_id", "target_id", "note")
    return {
        **out.map_summary(smap),
        "mission": smap.mission,
        "vision": smap.vision,
        "values": list(smap.values),
        "has_tows": smap.has_tows,
        "perspectives": [out.perspective(p) for p in structure.perspectives],
        "themes": [out.theme(t) for t in structure.themes],
        "objectives": [out.objective(o, perspectives, themes) for o in structure.objectives],
        "links": [{"source": by_pk[s], "target": by_pk[t], "note": note} for s, t, note in links],
    }


@router.get(f"{MAP}/perspectives", response={200: list[schemas.Perspective], **ERRORS}, summary="Perspectives")
def perspectives(
    request: HttpRequest, org: str, year: str, edition: int | None = Query(None, ge=1, description=EDITION_HELP)
) -> list[dict[str, Any]]:
    access = caller_of(request).access
    structure = map_structure(smap=out.map_of(access, org, year, edition), access=access)
    return [out.perspective(p) for p in structure.perspectives]


@router.get(f"{MAP}/themes", response={200: list[schemas.Theme], **ERRORS}, summary="Themes")
def themes(
    request: HttpRequest, org: str, year: str, edition: int | None = Query(None, ge=1, description=EDITION_HELP)
) -> list[dict[str, Any]]:
    access = caller_of(request).access
    structure = map_structure(smap=out.map_of(access, org, year, edition), access=access)
    return [out.theme(t) for t in structure.themes]


@router.get(f"{MAP}/objectives", response={200: list[schemas.Objective], **ERRORS}, summary="Objectives")
def objectives(
    request: HttpRequest, org: str, year: str, edition: int | None = Query(None, ge=1, description=EDITION_HELP)
) -> list[dict[str, Any]]:
    access = caller_of(request).access
    structure = map_structure(smap=out.map_of(access, org, year, edition), access=access)
    perspectives = {p.pk: p.code for p in structure.perspectives}
    themes = {t.pk: t.code for t in structure.themes}
    return [out.objective(o, perspectives, themes) for o in structure.objectives]


@router.get(f"{MAP}/links", response={200: list[schemas.Link], **ERRORS}, summary="Cause-and-effect links")
def links(
    request: HttpRequest, org: str, year: str, edition: int | None = Query(None, ge=1, description=EDITION_HELP)
) -> list[dict[str, Any]]:
    smap = out.map_of(caller_of(request).access, org, year, edition)
    rows = smap.links.order_by("pk").values_list("source__code", "target__code", "note")
    return [{"source": s, "target": t, "note": note} for s, t, note in rows]


def _kpis(smap: Any) -> Any:
    return (
        Kpi.objects.filter(objective__map=smap)
        .select_related("objective")
        .prefetch_related("agencies", "targets")
        .order_by("objective__order", "order", "pk")
    )


@router.get(f"{MAP}/kpis", response={200: list[schemas.Kpi], **ERRORS}, summary="KPIs with targets and periods")
@paginate(out.Pages)
def kpis(
    request: HttpRequest,
    org: str,
    year: str,
    edition: int | None = Query(None, ge=1, description=EDITION_HELP),
    objective: str | None = Query(None, description="An objective's code."),
) -> out.Converted[dict[str, Any]]:
    smap = out.map_of(caller_of(request).access, org, year, edition)
    rows = _kpis(smap)
    if objective is not None:
        rows = rows.filter(objective__code=objective)
    return out.Converted(rows, lambda row: out.kpi(row, smap))


@router.get(f"{MAP}/kpis/{{code}}", response={200: schemas.KpiDetail, **ERRORS}, summary="A KPI with its results")
def kpi_detail(
    request: HttpRequest,
    org: str,
    year: str,
    code: str,
    edition: int | None = Query(None, ge=1, description=EDITION_HELP),
) -> dict[str, Any]:
    """A KPI, its targets and the results the caller sees of it (the public: the published ones)."""
    access = caller_of(request).access
    smap = out.map_of(access, org, year, edition)
    found = _kpis(smap).filter(code=code).first()
    if found is None:
        raise Http404
    results = access.results(KpiResult.objects.filter(kpi=found)).order_by("year", "period")
    return {**out.kpi(found, smap), "results": [out.result(r, smap) for r in results.select_related("kpi")]}


@router.get(f"{MAP}/results", response={200: list[schemas.Result], **ERRORS}, summary="Results")
@paginate(out.Pages)
def results(
    request: HttpRequest,
    org: str,
    year: str,
    edition: int | None = Query(None, ge=1, description=EDITION_HELP),
    period: str | None = Query(None, description='"year" (the whole year\'s), or a period: Q3, H1, M05.'),
    kpi: str | None = Query(None, description="A KPI's code."),
) -> out.Converted[dict[str, Any]]:
    """The results of the map's KPIs the caller sees: the public, the published results of a published map;
    the map's people, every result (drafts included), as on the pages."""
    access = caller_of(request).access
    smap = out.map_of(access, org, year, edition)
    rows = access.results(KpiResult.objects.filter(kpi__objective__map=smap)).select_related("kpi")
    wanted = out.period_of(period)
    if wanted is not None:
        rows = rows.filter(period=wanted)
    if kpi is not None:
        rows = rows.filter(kpi__code=kpi)
    rows = rows.order_by("kpi__objective__order", "kpi__order", "year", "period", "pk")
    return out.Converted(rows, lambda row: out.result(row, smap))


@router.get(f"{MAP}/plans", response={200: list[schemas.Plan], **ERRORS}, summary="Action plans and progress")
@paginate(out.Pages)
def plans(
    request: HttpRequest,
    org: str,
    year: str,
    edition: int | None = Query(None, ge=1, description=EDITION_HELP),
    kpi: str | None = Query(None, description="A KPI's code."),
) -> out.Converted[dict[str, Any]]:
    """The action plans of the map's KPIs with their tasks and each task's monthly progress the caller sees
    (the public: the published months)."""
    access = caller_of(request).access
    smap = out.map_of(access, org, year, edition)
    rows = plans_in_full(visible_progress(smap=smap, access=access)).filter(kpi__objective__map=smap)
    if kpi is not None:
        rows = rows.filter(kpi__code=kpi)
    rows = rows.select_related("kpi").order_by("kpi__objective__order", "kpi__order", "order", "pk")
    return out.Converted(rows, out.plan)


@router.get(f"{MAP}/plans/{{code}}", response={200: schemas.Plan, **ERRORS}, summary="An action plan")
def plan_detail(
    request: HttpRequest,
    org: str,
    year: str,
    code: str,
    edition: int | None = Query(None, ge=1, description=EDITION_HELP),
) -> dict[str, Any]:
    access = caller_of(request).access
    smap = out.map_of(access, org, year, edition)
    found = (
        plans_in_full(visible_progress(smap=smap, access=access))
        .filter(kpi__objective__map=smap, code=code)
        .select_related("kpi")
        .first()
    )
    if found is None:
        raise Http404
    return out.plan(found)


@router.get(f"{MAP}/revisions", response={200: list[schemas.Revision], **ERRORS}, summary="Revisions")
def revisions(
    request: HttpRequest, org: str, year: str, edition: int | None = Query(None, ge=1, description=EDITION_HELP)
) -> list[dict[str, Any]]:
    """What changed from the year before, as the revisions page lists it."""
    smap = out.map_of(caller_of(request).access, org, year, edition)
    return [out.revision(r) for r in smap.revisions.order_by("order", "pk")]


@router.get(f"{MAP}/tows", response={200: list[schemas.TowsEntry], **ERRORS}, summary="TOWS analysis")
def tows(
    request: HttpRequest, org: str, year: str, edition: int | None = Query(None, ge=1, description=EDITION_HELP)
) -> list[dict[str, Any]]:
    smap = out.map_of(caller_of(request).access, org, year, edition)
    rows = smap.tows_entries.order_by("kind", "order", "pk").prefetch_related("objectives")
    return [out.tows(e) for e in rows]
