"""Reads of KPIs with their action plans: the plans in full, a map's KPIs with their plans, and the KPI
page (a KPI with its plans, history, cascade and revisions). They live in the plans app because they
read its models (ARCHITECTURE.md: a read lives in the app of the highest model it reads).

Every read takes the reader's :class:`~stratmap.access.Access` (keyword ``access``, required)."""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Prefetch, Q, QuerySet, prefetch_related_objects
from django.utils import timezone

from stratmap.access import Access
from stratmap.core.models import Organization
from stratmap.core.years import Period, Unit
from stratmap.kpis.models import Kpi, KpiResult
from stratmap.kpis.scoring.forecast import Forecast
from stratmap.kpis.selectors import (
    ScoredKpi,
    YearPoint,
    cycle_maps,
    detail_forecast,
    lineage_history,
    policy_of,
    score_rows,
)
from stratmap.plans.models import ActionPlan, Outcome, PlanTask, TaskProgress
from stratmap.strategy.models import Objective, Revision, StrategyMap


def visible_progress(*, smap: StrategyMap, access: Access) -> QuerySet[TaskProgress]:
    """The task progress of ``smap``'s plans ``access`` may see (as a condition on any task progress): all of it
    for those who read the map's unpublished data (its organizations' people, those who enter or review its
    KPIs), the published months only for everyone else, the public among them."""
    rows = TaskProgress.objects.all()
    if access.reads_unpublished(smap):
        return rows
    return rows.filter(status=TaskProgress.Status.PUBLISHED)


def plans_in_full(progress: QuerySet[TaskProgress] | None = None) -> QuerySet[ActionPlan]:
    """Action plans with their agencies, tasks and outcomes, and, given ``progress`` (what the reader may see:
    :func:`visible_progress`), each task's months of it (three or four prefetches)."""
    lookups: list[str | Prefetch] = ["agencies", "tasks", "outcomes"]
    if progress is not None:
        lookups.append(Prefetch("tasks__progress", queryset=progress.order_by("month")))
    return ActionPlan.objects.prefetch_related(*lookups).order_by("order")


def months_to_date(*, smap: StrategyMap, today: datetime.date | None = None) -> set[int]:
    """The calendar months of ``smap``'s year (April to March for a council) that have begun by ``today``."""
    today = today or timezone.localdate()
    now = (today.year, today.month)
    return {month for year, month in smap.organization.year_style.months(smap.year) if (year, month) <= now}


@dataclass(frozen=True)
class TaskToDate:
    """A task's progress to date: of the months begun that were planned, how many are done."""

    done: int
    planned: int


def task_to_date(task: PlanTask, rows: list[TaskProgress], begun: set[int]) -> TaskToDate:
    """``task``'s months begun (``begun``: :func:`months_to_date`) that are planned (a month's own ``planned``
    where it has a row the reader sees, else its schedule) and how many of them are done."""
    by_month = {r.month: r for r in rows}
    planned = done = 0
    for month in begun:
        row = by_month.get(month)
        if row.planned if row is not None else month in (task.months or ()):
            planned += 1
            done += row is not None and row.done == TaskProgress.Done.DONE
    return TaskToDate(done, planned)


@dataclass(frozen=True)
class PlanInFull:
    """An action plan with its responsible agencies, tasks, expected outcomes and the months of its tasks'
    progress the reader sees (by task id), each in order, as lists."""

    plan: ActionPlan
    agencies: list[Organization]
    tasks: list[PlanTask]
    outcomes: list[Outcome]
    progress: dict[int, list[TaskProgress]] = field(default_factory=dict)

    @classmethod
    def of(cls, plan: ActionPlan, *, with_progress: bool = False) -> PlanInFull:
        """A plan of :func:`plans_in_full` (its rows prefetched; its progress too ``with_progress``)."""
        tasks = list(plan.tasks.all())
        return cls(
            plan,
            list(plan.agencies.all()),
            tasks,
            list(plan.outcomes.all()),
            {t.pk: list(t.progress.all()) for t in tasks} if with_progress else {},
        )


@dataclass(frozen=True)
class KpiPlans:
    kpi: Kpi
    plans: list[PlanInFull]


#: What the pages show of a month of a task's progress (the plans page reads only these).
PROGRESS_SHOWN = ("task", "month", "planned", "done", "note", "status")


def kpis_with_plans(*, smap: StrategyMap, access: Access) -> list[KpiPlans]:
    """Every KPI of a map with its plans in full, their tasks' progress as ``access`` may see it: six queries,
    each of the map's rows (joins from the map, no list of ids). The rows are gathered here rather than
    prefetched: Django builds a queryset a plan and relation for a prefetch, which cost a city's plans page
    (thousands of plans' rows) more than their SQL.

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
    progress: defaultdict[int, defaultdict[int, list[TaskProgress]]] = defaultdict(lambda: defaultdict(list))
    visible = visible_progress(smap=smap, access=access).filter(task__plan__kpi__objective__map=smap)
    plan_of = {task.pk: plan for plan, listed in tasks.items() for task in listed}
    for month in visible.only(*PROGRESS_SHOWN).order_by("task_id", "month"):
        progress[plan_of[month.task_id]][month.task_id].append(month)
    of_kpi: defaultdict[int, list[PlanInFull]] = defaultdict(list)
    for plan in plans.order_by("kpi_id", "order"):
        pk = plan.pk
        of_kpi[plan.kpi_id].append(PlanInFull(plan, agencies[pk], tasks[pk], outcomes[pk], dict(progress[pk])))
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
    #: The projection of the KPI's year and its risk (docs/early-warning.md).
    forecast: Forecast | None = None


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
            Prefetch("action_plans", queryset=plans_in_full(visible_progress(smap=smap, access=access))),
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
    forecast = detail_forecast(kpi=kpi, own=own, lineage=lineage, smap=smap)
    return KpiDetail(kpi, scored, history, lineage, cites, supported_by, revisions, forecast)


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


def recorded(progress: list[TaskProgress]) -> int:
    """How many of these months of tasks hold recorded progress (work under way or done, or a note)."""
    return sum(1 for month in progress if month.recorded)


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
                Prefetch("tasks__progress", queryset=TaskProgress.objects.order_by("month")),
            )
            .get(kpi__objective__map=smap, code=code)
        )
        found = PlanInFull.of(plan, with_progress=True)
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
        recorded_months=recorded([r for rows in found.progress.values() for r in rows]) if found else 0,
    )


# --- each task's monthly progress and its review (issue 16 item 6) -----------------------------------------

S = TaskProgress.Status


@dataclass(frozen=True)
class Step:
    """A step of the progress review: from which states, to which, who takes it, whether it needs a comment."""

    source: frozenset[str]
    target: str
    who: str  # "editor" | "reviewer" | "publisher"
    needs_text: bool = False


#: The states in which a month's progress may be changed by its editors (then submitted again).
WRITABLE = frozenset({S.DRAFT, S.RETURNED})
#: The one-step review of a task's month, as a KPI result's: the KPI's agency editors submit, its reviewers
#: (``Access.reviews``) approve or return with a comment, the map's administrators publish or reopen.
STEPS = {
    "submit": Step(WRITABLE, S.SUBMITTED, "editor"),
    "return": Step(frozenset({S.SUBMITTED}), S.RETURNED, "reviewer", needs_text=True),
    "approve": Step(frozenset({S.SUBMITTED}), S.APPROVED, "reviewer"),
    "publish": Step(frozenset({S.APPROVED}), S.PUBLISHED, "publisher"),
    "reopen": Step(frozenset({S.APPROVED, S.PUBLISHED}), S.RETURNED, "publisher", needs_text=True),
}


def roles(*, access: Access, kpi: Kpi) -> dict[str, bool]:
    """Which parts of the review ``access`` plays on the progress of ``kpi``'s plans (its agencies, its theme's
    group and its map loaded, so that no question is a query)."""
    return {"editor": access.edits(kpi), "reviewer": access.reviews(kpi), "publisher": access.publishes(kpi)}


def progress_actions(*, may: dict[str, bool], status: str) -> list[str]:
    """The review steps open on a month in ``status`` to someone playing the parts ``may`` (:func:`roles`)."""
    return [name for name, step in STEPS.items() if status in step.source and may[step.who]]


@dataclass(frozen=True)
class ProgressGrid:
    """A plan's progress page: its tasks, each month's stored progress by (task id, month), the months begun,
    what the reader may do (:func:`roles`) and, by calendar month, the review steps open on that month's
    rows with the rows each would take (their ids and versions, for the form)."""

    plan: ActionPlan
    tasks: list[PlanTask]
    cells: dict[tuple[int, int], TaskProgress]
    begun: set[int]
    may: dict[str, bool]
    steps: dict[int, dict[str, dict[int, int]]]


def plan_progress_grid(
    *, smap: StrategyMap, code: str, access: Access, today: datetime.date | None = None
) -> ProgressGrid:
    """The progress page of the plan ``code`` of ``smap``, for those who enter, review or publish its KPI's
    progress: four queries whatever the number of its tasks and months. Raises ActionPlan.DoesNotExist (also
    to anyone else, so that a refusal says nothing of what exists)."""
    access.require(smap)
    plan = (
        ActionPlan.objects.select_related("kpi__objective__theme__group")
        .prefetch_related(
            "kpi__agencies",
            Prefetch("tasks", queryset=PlanTask.objects.order_by("order")),
            Prefetch("tasks__progress", queryset=TaskProgress.objects.order_by("month")),
        )
        .get(kpi__objective__map=smap, code=code)
    )
    plan.kpi.objective.map = smap
    may = roles(access=access, kpi=plan.kpi)
    if not any(may.values()):
        raise ActionPlan.DoesNotExist
    tasks = list(plan.tasks.all())
    cells = {(r.task_id, r.month): r for t in tasks for r in t.progress.all()}
    steps: dict[int, dict[str, dict[int, int]]] = defaultdict(lambda: defaultdict(dict))
    for (_task, month), row in cells.items():
        for action in progress_actions(may=may, status=row.status):
            steps[month][action][row.pk] = row.version
    return ProgressGrid(
        plan, tasks, cells, months_to_date(smap=smap, today=today), may, {m: dict(a) for m, a in steps.items()}
    )


@dataclass(frozen=True)
class ProgressDue:
    """A plan's month on the "what's due" page: its tasks scheduled then without submitted progress (to enter),
    or its months submitted (to review) or approved (to publish), how many."""

    plan: ActionPlan
    month: int
    count: int

    @property
    def month_label(self) -> str:
        """The month as people read it, in its organization's year (2024年5月, May 2024)."""
        smap = self.plan.kpi.objective.map
        style = smap.organization.year_style
        index = [m for _y, m in style.months(smap.year)].index(self.month) + 1
        return style.period_label(Period(smap.year, Unit.MONTH, index))


@dataclass(frozen=True)
class PlanProgressDue:
    to_enter: list[ProgressDue]
    to_review: list[ProgressDue]
    to_publish: list[ProgressDue]


def plan_progress_due(*, access: Access, today: datetime.date) -> PlanProgressDue:
    """The plan progress ``access`` must attend to in the current cycle of its own organizations (the maps of
    :func:`stratmap.kpis.selectors.cycle_maps`): this month's scheduled tasks of the KPIs it enters whose month
    has no progress or progress not yet submitted (draft or returned), the months submitted on the KPIs it
    reviews and those approved on the maps it publishes, by plan and month. Six queries whatever the number of
    maps, plans and tasks."""
    maps = {m.pk: m for m in cycle_maps(access=access, today=today)}
    due = PlanProgressDue([], [], [])
    if not maps:
        return due
    editable = set(access.editable_kpis().filter(objective__map__in=list(maps)).values_list("pk", flat=True))
    reviewable = set(access.reviewable_kpis().filter(objective__map__in=list(maps)).values_list("pk", flat=True))
    now = (today.year, today.month)
    current = {pk for pk, m in maps.items() if now in m.organization.year_style.months(m.year)}
    plans: dict[int, ActionPlan] = {}

    def plan_of(task: PlanTask) -> ActionPlan:
        plan = plans.setdefault(task.plan_id, task.plan)
        plan.kpi.objective.map = maps[plan.kpi.objective.map_id]
        return plan

    rows = (
        TaskProgress.objects.filter(task__plan__kpi__objective__map__in=list(maps))
        .select_related("task__plan__kpi__objective")
        .only("task", "month", "status", "task__months", *(f"task__{f}" for f in PLAN_DUE_FIELDS))
        .order_by()
    )
    stored: dict[tuple[int, int], str] = {}
    review: defaultdict[tuple[int, int], int] = defaultdict(int)
    publish: defaultdict[tuple[int, int], int] = defaultdict(int)
    for row in rows:
        stored[(row.task_id, row.month)] = row.status
        plan = plan_of(row.task)
        if row.status == S.SUBMITTED and plan.kpi_id in reviewable:
            review[(plan.pk, row.month)] += 1
        elif row.status == S.APPROVED and access.publishes(plan.kpi.objective.map):
            publish[(plan.pk, row.month)] += 1
    enter: defaultdict[tuple[int, int], int] = defaultdict(int)
    scheduled = (
        PlanTask.objects.filter(plan__kpi__objective__map__in=list(current), plan__kpi__in=list(editable))
        .select_related("plan__kpi__objective")
        .only("months", "plan_id", *PLAN_DUE_FIELDS)
        .order_by()
    )
    for task in scheduled:
        if today.month in (task.months or ()) and stored.get((task.pk, today.month), S.DRAFT) in WRITABLE:
            enter[(plan_of(task).pk, today.month)] += 1
    order = {pk: i for i, pk in enumerate(maps)}

    def listed(counts: dict[tuple[int, int], int]) -> list[ProgressDue]:
        found = [ProgressDue(plans[plan], month, n) for (plan, month), n in counts.items()]
        return sorted(found, key=lambda d: (order[d.plan.kpi.objective.map_id], d.plan.kpi.objective.order,
                                            d.plan.kpi.order, d.plan.order, d.month))  # fmt: skip

    return PlanProgressDue(listed(enter), listed(review), listed(publish))


#: What the "what's due" page reads of a plan (its code and name, its KPI's and objective's order for sorting).
PLAN_DUE_FIELDS = (
    *("plan__code", "plan__name", "plan__i18n", "plan__order", "plan__kpi_id"),
    *("plan__kpi__code", "plan__kpi__order", "plan__kpi__objective__map_id", "plan__kpi__objective__order"),
)
