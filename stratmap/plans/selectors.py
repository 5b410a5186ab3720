"""Reads of KPIs with their action plans: the plans in full, a map's KPIs with their plans, and the KPI
page (a KPI with its plans, history, cascade and revisions). They live in the plans app because they
read its models (ARCHITECTURE.md: a read lives in the app of the highest model it reads).

Every read takes the reader's :class:`~stratmap.access.Access` (keyword ``access``, required)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from django.db.models import Prefetch, Q, QuerySet, prefetch_related_objects

from stratmap.access import Access
from stratmap.core.models import Organization
from stratmap.kpis.models import Kpi, KpiResult
from stratmap.kpis.selectors import ScoredKpi, YearPoint, lineage_history, policy_of, score_rows
from stratmap.plans.models import ActionPlan, Outcome, PlanProgress, PlanTask
from stratmap.strategy.models import Objective, Revision, StrategyMap


def plans_in_full() -> QuerySet[ActionPlan]:
    """Action plans with their agencies, tasks, outcomes and monthly progress (four prefetches)."""
    return ActionPlan.objects.prefetch_related("agencies", "tasks", "outcomes", "progress").order_by("order")


@dataclass(frozen=True)
class PlanInFull:
    """An action plan with its responsible agencies, tasks, expected outcomes and monthly progress, each in
    order, as lists."""

    plan: ActionPlan
    agencies: list[Organization]
    tasks: list[PlanTask]
    outcomes: list[Outcome]
    progress: list[PlanProgress]

    @classmethod
    def of(cls, plan: ActionPlan) -> PlanInFull:
        """A plan of :func:`plans_in_full` (its rows prefetched)."""
        return cls(
            plan,
            list(plan.agencies.all()),
            list(plan.tasks.all()),
            list(plan.outcomes.all()),
            list(plan.progress.all()),
        )


@dataclass(frozen=True)
class KpiPlans:
    kpi: Kpi
    plans: list[PlanInFull]


def kpis_with_plans(*, smap: StrategyMap, access: Access) -> list[KpiPlans]:
    """Every KPI of a map with its plans in full: six queries, each of the map's rows (joins from the map, no
    list of ids). The rows are gathered here rather than prefetched: Django builds a queryset a plan and
    relation for a prefetch, which cost a city's plans page (thousands of plans' rows) more than their SQL.

    Joins, not nested ``IN (SELECT …)`` subqueries: PostgreSQL planned a task query of two nested subqueries
    over freshly loaded (not yet analysed) tables as a scan of minutes; a join from the map's objectives
    goes down the indexes whatever the statistics."""
    access.require(smap)
    kpis = list(
        Kpi.objects.filter(objective__map=smap)
        .select_related("objective__theme", "objective__perspective")
        .order_by("objective__order", "order")
    )
    plans = ActionPlan.objects.filter(kpi__objective__map=smap)
    agencies: defaultdict[int, list[Organization]] = defaultdict(list)
    # In the order the dataset lists them (a plan's agencies have no order of their own).
    links = ActionPlan.agencies.through.objects.filter(actionplan__kpi__objective__map=smap).select_related(
        "organization"
    )
    for link in links.order_by("pk"):
        agencies[link.actionplan_id].append(link.organization)
    tasks: defaultdict[int, list[PlanTask]] = defaultdict(list)
    for task in PlanTask.objects.filter(plan__kpi__objective__map=smap).order_by("plan_id", "order"):
        tasks[task.plan_id].append(task)
    outcomes: defaultdict[int, list[Outcome]] = defaultdict(list)
    for outcome in Outcome.objects.filter(plan__kpi__objective__map=smap).order_by("plan_id", "order"):
        assert outcome.plan_id is not None  # of a plan, by the filter
        outcomes[outcome.plan_id].append(outcome)
    progress: defaultdict[int, list[PlanProgress]] = defaultdict(list)
    for month in PlanProgress.objects.filter(plan__kpi__objective__map=smap).order_by("plan_id", "month"):
        progress[month.plan_id].append(month)
    of_kpi: defaultdict[int, list[PlanInFull]] = defaultdict(list)
    for plan in plans.order_by("kpi_id", "order"):
        pk = plan.pk
        of_kpi[plan.kpi_id].append(PlanInFull(plan, agencies[pk], tasks[pk], outcomes[pk], progress[pk]))
    return [KpiPlans(kpi, of_kpi[kpi.pk]) for kpi in kpis]


def objective_outcomes(*, smap: StrategyMap, access: Access) -> dict[int, list[Outcome]]:
    """The expected outcomes of the map's objectives themselves (not of a plan), by objective id, in order:
    one query, which starts from the map's objectives (the index on objective and plan), so that it
    reads this map's outcomes only, however many the database holds."""
    access.require(smap)
    outcomes: dict[int, list[Outcome]] = {}
    own = Outcome.objects.filter(objective__in=Objective.objects.filter(map=smap), plan=None).order_by("order")
    for outcome in own:
        outcomes.setdefault(outcome.objective_id, []).append(outcome)
    return outcomes


@dataclass
class KpiDetail:
    kpi: Kpi
    scored: ScoredKpi
    history: list[YearPoint]
    lineage: list[Kpi]  # the same indicator in every year's map, oldest first
    cites: Kpi | None  # the city KPI this KPI supports
    supported_by: list[Kpi]  # bureau KPIs that cite this one
    revisions: list


def _lineages(kpis: list[Kpi], access: Access, readable: Q) -> QuerySet[Kpi]:
    """Every in-force KPI of a map ``access`` reads (``readable``: its condition on a KPI's map) sharing a
    lineage with ``kpis``, with their targets and visible results (an unpublished next year's map must not
    lend the public its targets)."""
    return (
        Kpi.objects.filter(
            readable,
            lineage_id__in={k.lineage_id for k in kpis if k.lineage_id},
            objective__map__in_force=True,
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
    readable = access.on_readable_maps("objective__map")
    # The KPI's map is ``smap`` (with its organization): not joined again into the KPI's row.
    kpi = (
        Kpi.objects.select_related("objective__theme", "objective__perspective")
        .prefetch_related(
            Prefetch("agencies", queryset=Organization.objects.order_by("code")),
            "tags",
            Prefetch("action_plans", queryset=plans_in_full()),
        )
        .get(objective__map=smap, code=code)
    )
    kpi.objective.map = smap
    # The history reads every year's targets and results of the KPI's lineage, this year's among them, which
    # score it: read once, not again for the score (each query cost the page more than its rows).
    lineage = list(_lineages([kpi], access, readable)) if kpi.lineage_id else [kpi]
    own = next((member for member in lineage if member.pk == kpi.pk), kpi)
    if own is kpi:
        # A KPI without lineage is its own history: only the results this reader may see.
        prefetch_related_objects(
            [kpi], "targets", Prefetch("results", queryset=access.results(KpiResult.objects.all()))
        )
    scored = score_rows(kpi=kpi, targets=own.targets.all(), results=own.results.all(), policy=policy_of(smap=smap))
    history = lineage_history(lineage=lineage)
    codes = {member.objective.map.year: member.code for member in lineage}
    organization = smap.organization
    cites = None
    if kpi.cites and organization.parent_id:
        cites = (
            Kpi.objects.filter(
                readable,
                objective__map__organization_id=organization.parent_id,
                objective__map__year=smap.year,
                objective__map__in_force=True,
                code=kpi.cites,
            )
            .select_related("objective__map__organization")
            .first()
        )
    supported_by = list(
        Kpi.objects.filter(
            readable,
            objective__map__organization__parent=organization,
            objective__map__year=smap.year,
            objective__map__in_force=True,
            cites=kpi.code,
        )
        .select_related("objective__map__organization")
        .order_by("objective__map__organization__code", "code")
    )
    # Codes are reused across years (109's DP3.3 is 108's DP3.4, while 108's DP3.3 was deleted), so a
    # revision belongs to this KPI only if its code was this KPI's in the year the revision speaks of.
    plan_codes = {p.code for p in kpi.action_plans.all()}
    candidates = Revision.objects.filter(
        access.on_readable_maps("map"), map__organization=organization, code__in={k.code for k in lineage} | plan_codes
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


# --- the action plan editor (issue 15 item 3) -------------------------------------------------------------


def plan_agencies(*, smap: StrategyMap) -> QuerySet[Organization]:
    """The agencies a plan of ``smap`` may name as responsible: its organization and those under it, two levels
    down (a city's bureaus and their offices), not its theme groups (they own results, not plans)."""
    org = smap.organization_id
    return (
        Organization.objects.filter(Q(pk=org) | Q(parent_id=org) | Q(parent__parent_id=org))
        .exclude(kind=Organization.Kind.THEME_GROUP)
        .order_by("code")
    )


@dataclass(frozen=True)
class PlanEditing:
    """What the action plan editor shows: the plan in full (None for a new one), the map's KPIs to hang it on
    (each with its objective), the agencies to choose from and how many of its months have recorded progress
    (a plan with any cannot be deleted)."""

    plan: PlanInFull | None
    kpis: list[Kpi]
    agencies: list[Organization]
    recorded_months: int


def recorded(progress: list[PlanProgress]) -> int:
    """How many of a plan's months hold recorded progress (planned, done or a note)."""
    return sum(1 for month in progress if month.planned or month.done or month.note)


def plan_for_editing(*, smap: StrategyMap, code: str | None, access: Access) -> PlanEditing:
    """The editor's page of the plan ``code`` of ``smap`` (None: a new plan), in seven queries whatever the size
    of the map or the plan. Raises ActionPlan.DoesNotExist."""
    access.require(smap)
    found: PlanInFull | None = None
    if code is not None:
        plan = (
            ActionPlan.objects.select_related("kpi__objective")
            .prefetch_related(
                "agencies",
                Prefetch("tasks", queryset=PlanTask.objects.order_by("order")),
                Prefetch("outcomes", queryset=Outcome.objects.order_by("order")),
                "progress",
            )
            .get(kpi__objective__map=smap, code=code)
        )
        found = PlanInFull.of(plan)
    kpis = list(
        Kpi.objects.filter(objective__map=smap)
        .select_related("objective")
        .only("pk", "code", "name", "i18n", "order", "objective__code", "objective__order")
        .order_by("objective__order", "order")
    )
    return PlanEditing(
        plan=found,
        kpis=kpis,
        agencies=list(plan_agencies(smap=smap)),
        recorded_months=recorded(found.progress) if found else 0,
    )
