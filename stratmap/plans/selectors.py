"""Reads of KPIs with their action plans: the plans in full, a map's KPIs with their plans, and the KPI
page (a KPI with its plans, history, cascade and revisions). They live in the plans app because they
read its models (ARCHITECTURE.md: a read lives in the app of the highest model it reads).

Every read takes the reader's :class:`~stratmap.access.Access` (keyword ``access``, required)."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Prefetch, QuerySet

from stratmap.access import Access
from stratmap.kpis.models import Kpi, KpiResult
from stratmap.kpis.selectors import ScoredKpi, YearPoint, kpis_for_scoring, lineage_history, policy_of, score_kpis
from stratmap.plans.models import ActionPlan
from stratmap.strategy.models import Revision, StrategyMap


def plans_in_full() -> QuerySet[ActionPlan]:
    """Action plans with their agencies, tasks, outcomes and monthly progress (four prefetches)."""
    return ActionPlan.objects.prefetch_related("agencies", "tasks", "outcomes", "progress").order_by("order")


def kpis_with_plans(*, smap: StrategyMap, access: Access) -> list[Kpi]:
    """Every KPI of a map with its plans in full: six queries."""
    access.require(smap)
    return list(
        Kpi.objects.filter(objective__map=smap)
        .select_related("objective__theme", "objective__perspective")
        .prefetch_related(Prefetch("action_plans", queryset=plans_in_full()))
        .order_by("objective__order", "order")
    )


@dataclass
class KpiDetail:
    kpi: Kpi
    scored: ScoredKpi
    history: list[YearPoint]
    lineage: list[Kpi]  # the same indicator in every year's map, oldest first
    cites: Kpi | None  # the city KPI this KPI supports
    supported_by: list[Kpi]  # bureau KPIs that cite this one
    revisions: list


def _lineages(kpis: list[Kpi], access: Access) -> QuerySet[Kpi]:
    """Every in-force KPI of a map ``access`` reads sharing a lineage with ``kpis``, with their targets
    and visible results (an unpublished next year's map must not lend the public its targets)."""
    return (
        Kpi.objects.filter(
            lineage_id__in={k.lineage_id for k in kpis if k.lineage_id},
            objective__map__in_force=True,
            objective__map__in=access.maps(),
        )
        .select_related("objective__map__organization")
        .prefetch_related("targets", Prefetch("results", queryset=access.results(KpiResult.objects.all())))
        .order_by("objective__map__year")
    )


def kpi_detail(*, smap: StrategyMap, code: str, access: Access) -> KpiDetail:
    """Everything the KPI page shows, of the maps ``access`` reads, in a fixed number of queries.

    Raises Kpi.DoesNotExist; a map ``access`` may not read is a 404.
    """

    access.require(smap)
    readable = access.maps()
    kpi = (
        kpis_for_scoring()
        .select_related("lineage")
        .prefetch_related(
            "tags",
            Prefetch("action_plans", queryset=plans_in_full()),
            # A KPI without lineage is its own history: only the results this reader may see.
            Prefetch("results", queryset=access.results(KpiResult.objects.all())),
        )
        .get(objective__map=smap, code=code)
    )
    (scored,) = score_kpis(kpis=[kpi], policy_for=lambda k: policy_of(smap=smap), access=access)
    if kpi.lineage_id:
        lineage = list(_lineages([kpi], access))
    else:
        lineage = [kpi]
        kpi.objective.map = smap
    history = lineage_history(lineage=lineage)
    codes = {member.objective.map.year: member.code for member in lineage}
    organization = smap.organization
    cites = None
    if kpi.cites and organization.parent_id:
        cites = (
            Kpi.objects.filter(
                objective__map__organization_id=organization.parent_id,
                objective__map__year=smap.year,
                objective__map__in_force=True,
                objective__map__in=readable,
                code=kpi.cites,
            )
            .select_related("objective__map__organization")
            .first()
        )
    supported_by = list(
        Kpi.objects.filter(
            objective__map__organization__parent=organization,
            objective__map__year=smap.year,
            objective__map__in_force=True,
            objective__map__in=readable,
            cites=kpi.code,
        )
        .select_related("objective__map__organization")
        .order_by("objective__map__organization__code", "code")
    )
    # Codes are reused across years (109's DP3.3 is 108's DP3.4, while 108's DP3.3 was deleted), so a
    # revision belongs to this KPI only if its code was this KPI's in the year the revision speaks of.
    plan_codes = {p.code for p in kpi.action_plans.all()}
    candidates = Revision.objects.filter(
        map__organization=organization, map__in=readable, code__in={k.code for k in lineage} | plan_codes
    ).select_related("map")
    revisions = []
    for revision in candidates.order_by("map__year", "order"):
        revised_year = revision.map.year
        if revision.level == Revision.Level.ACTION_PLAN:
            if revised_year == smap.year and revision.code in plan_codes:
                revisions.append(revision)
            continue
        if revision.action == Revision.Action.DELETE:
            revised_year = revision.map.compared_year
        if codes.get(revised_year) == revision.code:
            revisions.append(revision)
    return KpiDetail(kpi, scored, history, lineage, cites, supported_by, revisions)
