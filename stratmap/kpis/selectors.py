"""Reads for scoring: one organization's KPIs of a year, scored, in a fixed number of queries; KPI
histories across years; the cascade of a city's objectives and KPIs to its bureaus'.

Every read takes the reader's :class:`~stratmap.access.Access` (keyword ``access``, required):
maps it may not read are refused (404) or left out, and results it may not see count as not
entered. Commands pass ``Access.everything()``.

Five queries whatever the number of KPIs (map with its policy, KPIs with their
objective/theme/perspective, their agencies, the year's targets, the year's
results); the scoring itself is pure arithmetic in :mod:`stratmap.kpis.scoring`.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import TYPE_CHECKING, Any, TypeVar

from django.core.cache import caches
from django.core.paginator import Page, Paginator
from django.db.models import Case, Exists, F, Model, OuterRef, Prefetch, Q, QuerySet, Value, When, Window
from django.db.models.functions import RowNumber
from django.http import Http404
from django.utils.translation import gettext

from stratmap.access import Access
from stratmap.core.audit import data_version
from stratmap.core.models import (
    AuditEvent,
    CalendarDay,
    HolidayCalendar,
    Membership,
    Organization,
    ReportingCalendar,
)
from stratmap.core.workdays import PLAIN, DayKind, DueRule, WorkCalendar, due_after, month_end
from stratmap.core.years import MONTHS_IN, PER_YEAR, Period, Unit, YearStyle
from stratmap.kpis.models import (
    EDITABLE,
    FREQUENCY_UNIT,
    ChainStep,
    Kpi,
    KpiResult,
    KpiTarget,
    RatingPolicy,
    ReviewStep,
    ScoringPolicy,
    Tag,
    no_light_set,
    period_code,
    period_of,
    period_order,
    resolve_light_sets,
    review_chains,
    step_of,
)
from stratmap.kpis.scoring import (
    DEFAULT_POLICY,
    NO_ACTUAL,
    NO_AGGREGATION,
    NO_YTD_TARGET,
    KpiInput,
    KpiScore,
    Level,
    LightSet,
    LightSetError,
    Method,
    Policy,
    Rollup,
    aggregate,
    combine,
    rollup,
    score_kpi,
    summarize,
    year_to_date,
)
from stratmap.kpis.scoring.forecast import DEFAULT_RISK_LIMITS, Forecast, ForecastInput, Risk, RiskLimits, forecast
from stratmap.kpis.services import acts_at, agency_choices, city_map_of, previous_map_of
from stratmap.strategy.models import Objective, StrategyMap, Theme
from stratmap.strategy.selectors import MapStructure

if TYPE_CHECKING:
    from _typeshed import SupportsRichComparison


@dataclass
class PeriodRow:
    """One period of a KPI's year: its target and result rows, either None when not set."""

    period: Period
    code: str  # the rows' ``period`` column: "Q3", "M05"
    target: KpiTarget | None
    result: KpiResult | None


@dataclass
class ScoredKpi:
    """A KPI row of a scorecard: the model, its target and result of the year, and its score.

    ``target`` and ``result`` are the rows of the whole year (period ""); ``periods`` the KPI's period
    rows of the year, in the fiscal year's order. When the year's actual or target was not entered but
    made of the periods' by the KPI's aggregation, ``actual_from`` / ``target_from`` name those periods;
    on a scorecard of a period (``period``, year to date), they name the periods counted.
    """

    kpi: Kpi
    target: KpiTarget | None
    result: KpiResult | None
    score: KpiScore
    periods: list[PeriodRow] = field(default_factory=list)
    actual_from: tuple[Period, ...] = ()
    target_from: tuple[Period, ...] = ()
    period: Period | None = None

    @property
    def derived(self) -> bool:
        return bool(self.actual_from or self.target_from)


@dataclass
class Scorecard:
    map: StrategyMap
    year: int
    theme: str | None
    policy: Policy
    rows: list[ScoredKpi]
    rollups: dict[str, dict[str, Rollup]]  # level → code (of the organization, theme, agency, …) → rollup
    #: The period of the year the scorecard is of (year to date), None for the whole year.
    period: Period | None = None

    @property
    def scores(self) -> list[KpiScore]:
        return [row.score for row in self.rows]

    @property
    def period_label(self) -> str:
        """The period as people read it (2024/25 Q3, 113年第3季), in the active language; "" for the year."""
        return self.map.organization.year_style.period_label(self.period) if self.period else ""


def policy_of(*, smap: StrategyMap) -> Policy:
    """The map's rating policy: its named one (with its light set), its own composite, or the default."""
    return policies_of(maps=[smap])[smap.pk]


def policies_of(*, maps: list[StrategyMap]) -> dict[int, Policy]:
    """Each map's rating policy (map id → policy), for ``maps`` fetched with their ``scoring_policy``.

    No query when no map names a rating policy; else at most four for any number of maps: the named
    policies not loaded with the maps, and their light sets (organizations' parents, sets, levels).
    What is found stays on the rows, so asking again for the same maps costs nothing.
    """
    # Every instance, not one per map: rows of a list (results, KPIs) bring their own copies of a map.
    rows: list[tuple[int, ScoringPolicy | None]] = []
    for smap in maps:
        try:
            rows.append((smap.pk, smap.scoring_policy))
        except ScoringPolicy.DoesNotExist:
            rows.append((smap.pk, None))
    named = [row for _, row in rows if row is not None and row.rating_policy_id is not None]
    loaded = ScoringPolicy._meta.get_field("rating_policy")
    missing = {row.rating_policy_id for row in named if not loaded.is_cached(row)}
    if missing:
        fetched = RatingPolicy.objects.in_bulk(missing)
        for row in named:
            if not loaded.is_cached(row):
                row.rating_policy = fetched[row.rating_policy_id]
    ratings = [row.rating_policy for row in named if row.rating_policy is not None]
    wanted = {rating.wants_light_set() for rating in ratings} - {None}
    found = resolve_light_sets(pair for pair in wanted if pair is not None)
    for rating in ratings:
        pair = rating.wants_light_set()
        if pair is not None:
            lights = found[pair]
            if lights is None:
                raise LightSetError(no_light_set(rating.lights))
            rating.found(lights)
    return {pk: row.policy() if row is not None else DEFAULT_POLICY for pk, row in rows}


def kpi_input(
    *,
    kpi: Kpi,
    target: Decimal | None,
    result: KpiResult | None,
    agencies: tuple[str, ...] = (),
    upper: Decimal | None = None,
) -> KpiInput:
    """The engine's view of one KPI's year (``kpi.objective`` with theme and perspective must be loaded)."""
    objective = kpi.objective
    return KpiInput(
        code=kpi.code,
        name=kpi.name,
        polarity=kpi.polarity,
        target_type=kpi.target_type,
        stages=tuple(Decimal(str(v)) for v in kpi.stages),
        baseline=kpi.baseline,
        target=target,
        target_upper=upper,
        actual=result.actual if result else None,
        unknown_reason=result.unknown_reason if result else gettext("no result entered"),
        innovation=result.innovation if result else None,
        challenge=result.challenge if result else None,
        contribution=result.contribution if result else None,
        score_reported=result.score_reported if result else None,
        weight=kpi.weight,
        method=kpi.method,
        objective=objective.code,
        theme=objective.theme.code if objective.theme else "",
        perspective=objective.perspective.code if objective.perspective else "",
        agencies=agencies,
    )


def score_result(*, result: KpiResult, target: Decimal | None, upper: Decimal | None = None) -> KpiScore:
    """One result scored with its map's policy (``result.kpi.objective.map.scoring_policy`` loaded)."""
    engine_input = kpi_input(kpi=result.kpi, target=target, result=result, upper=upper)
    return score_kpi(engine_input, policy_of(smap=result.kpi.objective.map))


def scorecard(
    *,
    organization: Organization | str,
    year: int,
    theme: str | None = None,
    access: Access,
    period: Period | None = None,
) -> Scorecard:
    """The scored KPIs of an organization's map in force for ``year`` (AD), optionally of one theme, for
    the year or the year to date at ``period`` (one of that year).

    Raises StrategyMap.DoesNotExist when the organization has no map in force that year that
    ``access`` may read.
    """
    maps = access.maps().select_related("organization", "scoring_policy").filter(year=year, in_force=True)
    if isinstance(organization, Organization):
        smap = maps.get(organization=organization)
    else:
        smap = maps.get(organization__code=organization)
    return map_scorecard(smap=smap, theme=theme, access=access, period=period)


def score_kpis(
    *,
    kpis: list[Kpi],
    policy_for: Callable[[Kpi], Policy],
    access: Access,
    period: Period | None = None,
    agencies: Mapping[int, tuple[str, ...]] | None = None,
) -> list[ScoredKpi]:
    """Score KPIs against the target and result of their own map's year, or of the year to date at
    ``period`` (a period of the maps' year): two queries for any number, the periods' rows among them.

    ``kpis`` come from :func:`kpis_for_scoring` (their map's organization gives the months' order); their
    agencies' codes are read from their prefetched ``agencies``, or from ``agencies`` (KPI id → codes, in
    code order: :func:`agency_codes`) when given.
    """
    targets, results = _year_rows(kpis, access)
    if agencies is None:
        agencies = {k.pk: tuple(a.code for a in k.agencies.all()) for k in kpis}
    return [_scored(k, targets[k.pk], results[k.pk], policy_for(k), period, agencies.get(k.pk, ())) for k in kpis]


def score_rows(
    *,
    kpi: Kpi,
    targets: Iterable[KpiTarget],
    results: Iterable[KpiResult],
    policy: Policy,
    period: Period | None = None,
) -> ScoredKpi:
    """One KPI scored as :func:`score_kpis` scores it, from target and result rows read already (those of its
    map's year are used; the results must be those the reader may see), without a query: the KPI page reads
    every year's rows of a KPI for its history, its own year's among them. ``kpi.agencies`` is read."""
    year = kpi.objective.map.year
    of_year = {t.period: t for t in targets if t.year == year}
    entered = {r.period: r for r in results if r.year == year}
    agencies = tuple(a.code for a in kpi.agencies.all())
    return _scored(kpi, of_year, entered, policy, period, agencies)


def agency_codes(*, smap: StrategyMap, theme: str | None = None) -> dict[int, tuple[str, ...]]:
    """The codes of the agencies of each KPI of ``smap`` (of its ``theme``), by KPI id, in code order: one
    query of pairs. A prefetch of the agencies built a related manager and an organization a KPI, a fifth of
    a city's scorecard page, for the codes alone."""
    links = Kpi.agencies.through.objects.filter(kpi__objective__map=smap)
    if theme:
        links = links.filter(kpi__objective__theme__code=theme)
    codes: defaultdict[int, list[str]] = defaultdict(list)
    for kpi_id, code in links.order_by("organization__code").values_list("kpi_id", "organization__code"):
        codes[kpi_id].append(code)
    return {kpi_id: tuple(found) for kpi_id, found in codes.items()}


#: Up to this many KPIs, :func:`_year_rows` asks for their own rows by id; beyond, for their maps' rows:
#: one SQL parameter per KPI would fail on SQLite past its limit on variables (999 in older builds).
FEW_KPIS = 100


def _year_rows(
    kpis: list[Kpi], access: Access
) -> tuple[defaultdict[int, dict[str, KpiTarget]], defaultdict[int, dict[str, KpiResult]]]:
    """The targets and the results ``access`` may see of each KPI's map's year (KPI id → period → row):
    two queries, whose parameters are the KPIs' maps (and the KPIs themselves when they are few)."""
    maps = sorted({k.objective.map_id for k in kpis})
    scope = Q(kpi__objective__map__in=maps, year=F("kpi__objective__map__year"))
    if len(kpis) <= FEW_KPIS:
        scope &= Q(kpi__in=[k.pk for k in kpis])
    targets: defaultdict[int, dict[str, KpiTarget]] = defaultdict(dict)
    for t in KpiTarget.objects.filter(scope):
        targets[t.kpi_id][t.period] = t
    results: defaultdict[int, dict[str, KpiResult]] = defaultdict(dict)
    for r in access.results(KpiResult.objects.filter(scope)):
        results[r.kpi_id][r.period] = r
    return targets, results


def _period_rows(kpi: Kpi, targets: dict[str, KpiTarget], results: dict[str, KpiResult]) -> list[PeriodRow]:
    """The KPI's period rows of its map's year, every period of its frequency when it has any, in order."""
    codes = (set(targets) | set(results)) - {""}
    if not codes:
        return []
    smap = kpi.objective.map
    style = smap.organization.year_style
    unit = FREQUENCY_UNIT.get(kpi.frequency)
    units = {period_of(smap.year, code, style).unit for code in codes}
    if unit is None or units != {unit}:
        unit = min(units, key=lambda u: PER_YEAR[u])  # rows of another frequency (the dataset refuses them)
    return [
        PeriodRow(p, code, targets.get(code), results.get(code))
        for p in style.periods(smap.year, unit)
        for code in [period_code(p, style)]
    ]


def _scored(
    kpi: Kpi,
    targets: dict[str, KpiTarget],
    results: dict[str, KpiResult],
    policy: Policy,
    period: Period | None,
    agencies: tuple[str, ...],
) -> ScoredKpi:
    """One KPI scored for its year, or for the year to date at ``period``."""
    target, result = targets.get(""), results.get("")
    rows = _period_rows(kpi, targets, results)
    how = kpi.aggregation or None
    actuals = [row.result.actual if row.result else None for row in rows]
    period_targets = [row.target.value if row.target else None for row in rows]
    year_target = target.value if target else None
    engine_input = kpi_input(
        kpi=kpi, target=year_target, upper=target.upper if target else None, result=result, agencies=agencies
    )
    actual_from: tuple[Period, ...] = ()
    target_from: tuple[Period, ...] = ()
    if period is not None and period.unit is not Unit.YEAR:
        # The KPI's periods that have ended by the end of ``period``; a KPI of whole years has one, the
        # year, which ends with the year. At the year's end the year to date is the year.
        last_month = period.index * MONTHS_IN[period.unit]
        upto = last_month // (MONTHS_IN[rows[0].period.unit] if rows else 12)
        if upto < max(len(rows), 1):
            if upto == 0:
                # No period of the KPI has ended by then.
                engine_input = replace(
                    engine_input, actual=None, unknown_reason=NO_ACTUAL, target=None, target_reason=NO_YTD_TARGET
                )
                return ScoredKpi(kpi, target, result, score_kpi(engine_input, policy), rows, (), (), period)
            ytd = year_to_date(actuals, period_targets, year_target=year_target, how=how, upto=upto)
            latest = next((row.result for row in reversed(rows[:upto]) if row.result), None)
            # The self-assessment is the year's (a period's page does not ask for one); a period's own
            # scores, which a dataset may give, stand in only when the year has none.
            scores = result if _assessed(result) else latest
            engine_input = replace(
                engine_input,
                actual=ytd.actual,
                unknown_reason=ytd.actual_reason or (latest.unknown_reason if latest else "") or NO_ACTUAL,
                target=ytd.target,
                target_upper=target.upper if target and not ytd.target_from else None,
                target_reason=ytd.target_reason,
                innovation=scores.innovation if scores else None,
                challenge=scores.challenge if scores else None,
                contribution=scores.contribution if scores else None,
                score_reported=None,  # a published total is the year's
            )
            actual_from = tuple(rows[i - 1].period for i in ytd.actual_from)
            target_from = tuple(rows[i - 1].period for i in ytd.target_from)
            return ScoredKpi(
                kpi, target, result, score_kpi(engine_input, policy), rows, actual_from, target_from, period
            )
    # The whole year: what was entered for it, else what its periods make.
    if rows and (result is None or result.actual is None) and any(a is not None for a in actuals):
        if how is None:
            engine_input = replace(engine_input, unknown_reason=NO_AGGREGATION)
        else:
            actual_from = tuple(row.period for row, a in zip(rows, actuals, strict=True) if a is not None)
            engine_input = replace(engine_input, actual=aggregate(actuals, how))
    if rows and year_target is None and any(t is not None for t in period_targets):
        if how is None:
            engine_input = replace(engine_input, target_reason=NO_AGGREGATION)
        else:
            target_from = tuple(row.period for row, t in zip(rows, period_targets, strict=True) if t is not None)
            engine_input = replace(engine_input, target=aggregate(period_targets, how), target_upper=None)
    return ScoredKpi(kpi, target, result, score_kpi(engine_input, policy), rows, actual_from, target_from, period)


def _assessed(result: KpiResult | None) -> bool:
    """Whether ``result`` holds any self-assessment score."""
    return result is not None and any(s is not None for s in (result.innovation, result.challenge, result.contribution))


def kpis_for_scoring() -> QuerySet[Kpi]:
    """KPIs with what scoring reads of them (objective, theme, perspective, agencies), in map order."""
    return (
        Kpi.objects.select_related("objective__theme", "objective__perspective", "objective__map__organization")
        .prefetch_related(Prefetch("agencies", queryset=Organization.objects.order_by("code")))
        .order_by("objective__order", "order")
    )


def every_period(scored: ScoredKpi) -> list[PeriodRow]:
    """Every period of the KPI's frequency in its map's year, in order, with the rows entered: what its
    people enter and review, where ``scored.periods`` is empty until the first period row exists. None
    for a KPI of whole years."""
    if scored.periods:
        return scored.periods
    smap = scored.kpi.objective.map
    return [PeriodRow(p, code, None, None) for code, p in scored.kpi.periods(smap.year).items()]


def result_periods(*, smap: StrategyMap, code: str, access: Access) -> ScoredKpi:
    """A KPI of ``smap`` scored for its year as the scorecard scores it (the year's value made of its
    periods' when none is entered for the year), its ``periods`` every period of its frequency
    (:func:`every_period`), the results among them those ``access`` may see. Raises Kpi.DoesNotExist."""
    access.require(smap)
    kpi = kpis_for_scoring().get(objective__map=smap, code=code)
    (scored,) = score_kpis(kpis=[kpi], policy_for=lambda k: policy_of(smap=smap), access=access)
    return replace(scored, periods=every_period(scored))


def map_scorecard(
    *,
    smap: StrategyMap,
    theme: str | None = None,
    access: Access,
    period: Period | None = None,
    structure: MapStructure | None = None,
) -> Scorecard:
    """The scored KPIs of one map (``smap`` fetched with ``scoring_policy``), optionally of one theme, for
    its year or the year to date at ``period`` (a period of the map's year). A page that read the map's
    ``structure`` already gives it: its objectives, themes and perspectives are the KPIs' (no query for them).

    Results ``access`` may not see count as not entered; a map it may not read is a 404.
    """
    access.require(smap)
    # Every KPI's objective is of ``smap``, and a few dozen objectives hold hundreds of KPIs: each objective
    # (with its theme and perspective) is read once and shared by its KPIs, rather than joined again into each
    # KPI's row, which made four model instances a KPI (a fifth of a city's scorecard page).
    kpis = Kpi.objects.filter(objective__map=smap).order_by("objective__order", "order")
    if theme:
        kpis = kpis.filter(objective__theme__code=theme)
    policy = policy_of(smap=smap)
    if period is not None and period.year != smap.year:
        raise ValueError(f"{period} is not a period of the map's year {smap.year}")
    objectives: list[Objective]
    if structure is not None and structure.map.pk == smap.pk:
        themes = {t.pk: t for t in structure.themes}
        perspectives = {p.pk: p for p in structure.perspectives}
        objectives = structure.objectives
        for objective in objectives:
            if objective.theme_id in themes:
                objective.theme = themes[objective.theme_id]
            if objective.perspective_id in perspectives:
                objective.perspective = perspectives[objective.perspective_id]
    else:
        found = Objective.objects.filter(map=smap).select_related("theme", "perspective")
        objectives = list(found.filter(theme__code=theme) if theme else found)
    of_objective = {}
    for objective in objectives:
        objective.map = smap
        of_objective[objective.pk] = objective
    of_map = list(kpis)
    for kpi in of_map:
        kpi.objective = of_objective[kpi.objective_id]
    agencies = agency_codes(smap=smap, theme=theme)
    rows = score_kpis(kpis=of_map, policy_for=lambda kpi: policy, access=access, period=period, agencies=agencies)
    scores = [row.score for row in rows]
    rollups: dict[str, dict[str, Rollup]] = {
        "organization": {smap.organization.code: summarize(smap.organization.code, scores, policy=policy)},
        "theme": rollup(scores, lambda s: s.kpi.theme, policy=policy),
        "perspective": rollup(scores, lambda s: s.kpi.perspective, policy=policy),
        "objective": rollup(scores, lambda s: s.kpi.objective, policy=policy),
        "agency": rollup(scores, lambda s: s.kpi.agencies, many=True, policy=policy),
    }
    rollups.update(group_weight_rollups(smap=smap, kpis=[row.kpi for row in rows], rollups=rollups, policy=policy))
    return Scorecard(smap, smap.year, theme, policy, rows, rollups, period)


#: The rollups by the weights of objectives and themes (empty where none has a weight): each group's
#: points of its own weight, and the organization from its groups' weighted scores.
GROUP_WEIGHT_LEVELS = ("objective_points", "theme_points", "organization_by_objective", "organization_by_theme")


def group_weight_rollups(
    *, smap: StrategyMap, kpis: list[Kpi], rollups: dict[str, dict[str, Rollup]], policy: Policy
) -> dict[str, dict[str, Rollup]]:
    """The rollups of :data:`GROUP_WEIGHT_LEVELS` from the objective and theme rollups of ``kpis`` (their
    objectives and themes loaded): an objective worth 25 of 100 whose KPIs score 84 earns 21 of 25, and
    the organization adds up its objectives' (or themes') points. No query: the weights come with the KPIs.

    An objective without KPIs has nothing to roll up and is left out (``stratmap check`` names it)."""
    objectives = {k.objective.code: k.objective for k in kpis}
    themes = {k.objective.theme.code: k.objective.theme for k in kpis if k.objective.theme}
    levels: dict[str, dict[str, Rollup]] = {level: {} for level in GROUP_WEIGHT_LEVELS}
    for points, whole, groups, level in (
        ("objective_points", "organization_by_objective", objectives, "objective"),
        ("theme_points", "organization_by_theme", themes, "theme"),
    ):
        weighted = [(rollups[level][code], group.weight) for code, group in groups.items() if code in rollups[level]]
        if not any(weight is not None for _, weight in weighted):
            continue
        for group_rollup, weight in weighted:
            if weight is not None:
                key = str(group_rollup.key)
                levels[points][key] = combine(key, [(group_rollup, weight)], policy=policy)
        org = smap.organization.code
        levels[whole][org] = combine(org, weighted, policy=policy)
    return levels


# The scorecard page's sort keys; a leading "-" in ``sort`` reverses the order.
SCORECARD_SORTS: dict[str, Callable[[ScoredKpi, LightSet], SupportsRichComparison]] = {
    "code": lambda r, lights: r.kpi.code,
    "rate": lambda r, lights: (r.score.rate.percent is None, r.score.rate.percent or 0),
    "score": lambda r, lights: (r.score.score is None, r.score.score or 0),
    "light": lambda r, lights: lights.rank(r.score.light),  # best first, then unknown, then data only
    # objectives outside the perspectives come last, as the map draws them
    "perspective": lambda r, lights: (
        r.kpi.objective.perspective is None,
        r.kpi.objective.perspective.order if r.kpi.objective.perspective else 0,
        r.kpi.code,
    ),
}


@dataclass
class FilteredScorecard:
    """A scorecard and the rows of it that pass the page's filters, in the order asked for."""

    card: Scorecard
    rows: list[ScoredKpi]


def scorecard_rows(
    *,
    access: Access,
    smap: StrategyMap,
    theme: str | None = None,
    perspective: str | None = None,
    agency: str | None = None,
    light: str | None = None,
    sort: str = "",
    period: Period | None = None,
) -> FilteredScorecard:
    """The scorecard page and its CSV download: filter by theme, perspective, agency and light,
    then sort by a ``SCORECARD_SORTS`` key (``-key`` descending; empty or unknown keeps map order)."""
    card = map_scorecard(smap=smap, theme=theme or None, access=access, period=period)
    rows = card.rows
    if perspective:
        rows = [r for r in rows if r.score.kpi.perspective == perspective]
    if agency:
        rows = [r for r in rows if agency in r.score.kpi.agencies]
    if light:
        rows = [r for r in rows if r.score.light.key == light]
    key = SCORECARD_SORTS.get(sort.lstrip("-"))
    if key:
        lights = card.policy.lights
        rows = sorted(rows, key=lambda row: key(row, lights), reverse=sort.startswith("-"))
    return FilteredScorecard(card, rows)


#: What :func:`kpi_input` and :func:`_period_rows` read of a KPI itself; its objective's code, order, theme
#: and perspective are read once an objective, its map and organization are the caller's.
SCORED_FIELDS = (
    *("objective", "code", "name", "polarity", "target_type", "stages", "baseline", "weight", "method"),
    *("frequency", "aggregation", "order"),
)


def summaries_version() -> str:
    """The version of the data the maps' headline counts are made of (:func:`~stratmap.core.audit.data_version`
    of the maps, objectives, KPIs, targets and results)."""
    return data_version((StrategyMap, Objective, Kpi, KpiTarget, KpiResult))


def map_summaries(*, maps: list[StrategyMap], access: Access) -> dict[int, Rollup]:
    """The headline rollup of each map (map id → rollup), in a fixed number of queries for all of them;
    ``maps`` with their organizations (their years' style orders the months).

    A map seen as the public sees it (all but those whose unpublished data ``access`` reads) is counted once
    per version of the data (:func:`summaries_version`) by each process and kept: home shows a page of
    cities' maps, thousands of KPIs, to everyone. The others are counted for each request.
    The SQL's parameters are the maps, never the KPIs."""
    access.require(*maps)
    kept = caches["summaries"]
    insiders = access.reads_unpublished_of(maps)
    version = summaries_version() if len(insiders) < len(maps) else ""
    keys = {m.pk: f"map:{m.pk}:{version}" for m in maps if m.pk not in insiders}
    found = kept.get_many(list(keys.values())) if keys else {}
    shared = {pk: found[key] for pk, key in keys.items() if key in found}
    counted = _count_lights(maps=[m for m in maps if m.pk not in shared], access=access)
    kept.set_many({keys[pk]: rollup for pk, rollup in counted.items() if pk in keys})
    return {m.pk: shared[m.pk] if m.pk in shared else counted[m.pk] for m in maps}


def _count_lights(*, maps: list[StrategyMap], access: Access) -> dict[int, Rollup]:
    """The rollups of ``maps`` (see :func:`map_summaries`), scored now."""
    if not maps:
        return {}
    policies = policies_of(maps=maps)
    by_pk = {m.pk: m for m in maps}
    # A summary counts lights: no agencies (their prefetch would pass one parameter per KPI), only the columns
    # scoring reads, and each objective, map and organization built once and shared by its KPIs rather than
    # joined into every KPI's row (model instances were most of a page of cities' home page).
    objectives = {
        o.pk: o
        for o in Objective.objects.filter(map__in=list(by_pk))
        .select_related("theme", "perspective")
        .only("map", "code", "order", "theme__code", "perspective__code")
    }
    for objective in objectives.values():
        objective.map = by_pk[objective.map_id]
    kpis = list(
        Kpi.objects.filter(objective__map__in=list(by_pk)).only(*SCORED_FIELDS).order_by("objective__order", "order")
    )
    for kpi in kpis:
        kpi.objective = objectives[kpi.objective_id]
    targets, results = _year_rows(kpis, access)
    by_map: dict[int, list[KpiScore]] = {pk: [] for pk in by_pk}
    for k in kpis:
        policy = policies[k.objective.map_id]
        by_map[k.objective.map_id].append(_scored(k, targets[k.pk], results[k.pk], policy, None, ()).score)
    return {pk: summarize(pk, scores, policy=policies[pk]) for pk, scores in by_map.items()}


#: Organizations listed on a page of the home page.
ORGANIZATIONS_PER_PAGE = 25


@dataclass
class OrganizationSummary:
    """One organization on the home page: its latest map in force, that map's headline rollup, and its
    other years in force (newest first, without counts: each is a link)."""

    organization: Organization
    latest: StrategyMap
    summary: Rollup
    earlier: list[StrategyMap]


@dataclass
class OrganizationSummaries:
    """A page of organizations (``page``, a :class:`django.core.paginator.Page` of organizations) and
    their summaries, in the page's order."""

    page: Page
    rows: list[OrganizationSummary]


def organization_summaries(
    *, access: Access, page: int | str | None = 1, per_page: int = ORGANIZATIONS_PER_PAGE
) -> OrganizationSummaries:
    """The home page: the organizations with a map in force that ``access`` reads, top-level ones first
    then by code, ``per_page`` at a time (``page`` as typed in the address: a number out of range is the
    last page, anything else the first), each with its latest year scored and its other years listed.

    A fixed number of queries, and work bounded by the page: at most ``per_page`` maps are scored
    whatever the number of organizations and years."""
    in_force = access.maps().filter(in_force=True)
    organizations = (
        Organization.objects.filter(Exists(in_force.filter(organization=OuterRef("pk"))))
        .alias(nested=Case(When(parent__isnull=True, then=Value(0)), default=Value(1)))
        .order_by("nested", "code")
    )
    shown = Paginator(organizations, per_page).get_page(page)
    by_pk = {o.pk: o for o in shown.object_list}
    years: dict[int, list[StrategyMap]] = {pk: [] for pk in by_pk}
    for smap in in_force.filter(organization__in=list(by_pk)).only("pk", "organization", "year").order_by("-year"):
        smap.organization = by_pk[smap.organization_id]  # for its year's label and address, without a query
        years[smap.organization_id].append(smap)
    latest = in_force.filter(pk__in=[maps[0].pk for maps in years.values() if maps]).select_related(
        "organization", "scoring_policy"
    )
    latest_by_org = {smap.organization_id: smap for smap in latest}
    summaries = map_summaries(maps=list(latest_by_org.values()), access=access)
    rows = [
        OrganizationSummary(org, latest_by_org[org.pk], summaries[latest_by_org[org.pk].pk], years[org.pk][1:])
        for org in shown.object_list
        if org.pk in latest_by_org
    ]
    return OrganizationSummaries(shown, rows)


@dataclass
class YearPoint:
    """One year of a KPI's history across its lineage."""

    year: int
    code: str
    target: Decimal | None
    actual: Decimal | None


def lineage_history(*, lineage: list[Kpi]) -> list[YearPoint]:
    """Targets and actuals per year across the maps of one indicator (``lineage`` oldest map first).

    A year's target is the one set by the latest map that sets it; its actual, the latest map's result.
    """
    targets: dict[int, tuple[int, Decimal | None]] = {}
    actuals: dict[int, tuple[int, Decimal | None]] = {}
    codes: dict[int, str] = {}
    for member in lineage:
        map_year = member.objective.map.year
        codes[map_year] = member.code
        own_targets = {t.year: t.value for t in member.targets.all() if not t.period}
        own_actuals = {r.year: r.actual for r in member.results.all() if not r.period}
        # The map's own year without a yearly figure reads as its periods make it (the KPI's aggregation),
        # as its scorecard does; the periods themselves are the KPI page's table by period.
        if member.aggregation:
            rows = _period_rows(
                member,
                {t.period: t for t in member.targets.all() if t.year == map_year},
                {r.period: r for r in member.results.all() if r.year == map_year},
            )
            if own_actuals.get(map_year) is None and rows:
                own_actuals[map_year] = aggregate(
                    [r.result.actual if r.result else None for r in rows], member.aggregation
                )
            if own_targets.get(map_year) is None and rows:
                own_targets[map_year] = aggregate(
                    [r.target.value if r.target else None for r in rows], member.aggregation
                )
        for year, value in own_targets.items():
            if year not in targets or targets[year][0] <= map_year:
                targets[year] = (map_year, value)
        for year, value in own_actuals.items():
            if year not in actuals or actuals[year][0] <= map_year:
                actuals[year] = (map_year, value)
    years = sorted(set(targets) | set(actuals))
    return [YearPoint(y, codes.get(y, ""), targets.get(y, (0, None))[1], actuals.get(y, (0, None))[1]) for y in years]


def histories(*, kpis: list[Kpi], access: Access) -> dict[int, list[YearPoint]]:
    """Each KPI's history (KPI id → points) across its lineage, of the maps ``access`` reads: three
    queries for any number of KPIs."""
    lineages = {k.lineage_id for k in kpis if k.lineage_id}
    alone = [k.pk for k in kpis if not k.lineage_id]  # a KPI without lineage is its own history
    members = (
        Kpi.objects.filter(Q(lineage_id__in=lineages, objective__map__in_force=True) | Q(pk__in=alone))
        .filter(access.on_readable_maps("objective__map"))
        .select_related("objective__map__organization")
        .prefetch_related("targets", Prefetch("results", queryset=access.results(KpiResult.objects.all())))
        .order_by("objective__map__year")
    )
    by_lineage: dict[int, list[Kpi]] = {}
    by_pk: dict[int, Kpi] = {}
    for member in members:
        by_pk[member.pk] = member
        if member.lineage_id:
            by_lineage.setdefault(member.lineage_id, []).append(member)
    return {
        k.pk: lineage_history(
            lineage=by_lineage.get(k.lineage_id, []) if k.lineage_id else ([by_pk[k.pk]] if k.pk in by_pk else [])
        )
        for k in kpis
    }


@dataclass(frozen=True)
class KpiLineage:
    """A KPI across the years: ``latest``, the one of its code on the latest map in force the reader reads,
    and ``members``, every KPI of its lineage on the maps in force the reader reads, oldest map first (each
    with its map and organization, its targets and the results the reader may see, ordered by year and
    period)."""

    latest: Kpi
    members: list[Kpi]


def kpi_lineage(*, access: Access, organization: str, code: str) -> KpiLineage:
    """The KPI ``code`` of ``organization`` (its code) across its lineage, as ``access`` reads it (the public:
    published maps and published results): four queries, whatever the years and the results. 404 when the
    reader reads no such KPI."""
    readable = access.on_readable_maps("objective__map")
    latest = (
        Kpi.objects.filter(
            readable, objective__map__organization__code=organization, objective__map__in_force=True, code=code
        )
        .select_related("objective__map__organization")
        .order_by("-objective__map__year")
        .first()
    )
    if latest is None:
        raise Http404
    members = Kpi.objects.filter(readable, objective__map__in_force=True)
    members = members.filter(lineage_id=latest.lineage_id) if latest.lineage_id else members.filter(pk=latest.pk)
    lineage = list(
        members.select_related("objective__map__organization")
        .prefetch_related(
            Prefetch("targets", queryset=KpiTarget.objects.order_by("year", "period")),
            Prefetch("results", queryset=access.results(KpiResult.objects.order_by("year", "period"))),
        )
        .order_by("objective__map__year")
    )
    return KpiLineage(latest=latest, members=lineage)


def map_frequencies(*, access: Access, smap: StrategyMap) -> set[str]:
    """The reporting frequencies of ``smap``'s KPIs (``Kpi.frequency`` values), in one query."""
    access.require(smap)
    return set(Kpi.objects.filter(objective__map=smap).values_list("frequency", flat=True).distinct())


def first_kpi_codes(*, access: Access, smap: StrategyMap, count: int) -> list[str]:
    """The codes of ``smap``'s first ``count`` KPIs in the map's order (examples for a page), in one query."""
    access.require(smap)
    rows = Kpi.objects.filter(objective__map=smap).order_by("objective__order", "order")
    return list(rows.values_list("code", flat=True)[:count])


@dataclass
class CascadeRow:
    """A city objective and what the bureaus take over of it."""

    objective: Objective | None
    code: str
    city_kpis: list[Kpi]
    bureau_kpis: dict[str, list[Kpi]]  # city KPI code → bureau KPIs citing it
    bureau_themes: list[Theme]


@dataclass
class Cascade:
    city: StrategyMap
    bureaus: list[StrategyMap]
    rows: list[CascadeRow]
    unsupported: list[Kpi]  # city KPIs no bureau KPI supports
    unknown_citations: list[Kpi]  # bureau KPIs citing a code the city map does not have


def cascade(*, city: StrategyMap, bureaus: list[StrategyMap], access: Access) -> Cascade:
    """City objectives and KPIs against the bureau KPIs and themes that take them over: four queries."""
    access.require(city, *bureaus)
    objectives = list(city.objectives.select_related("theme", "perspective").order_by("order"))
    city_kpis = list(Kpi.objects.filter(objective__map=city).select_related("objective").order_by("code"))
    bureau_kpis = list(
        Kpi.objects.filter(objective__map__in=bureaus)
        .exclude(cites="")
        .select_related("objective__map__organization")
        .order_by("objective__map__organization__code", "code")
    )
    themes = list(Theme.objects.filter(map__in=bureaus).exclude(takes_over="").select_related("map__organization"))
    citing: dict[str, list[Kpi]] = defaultdict(list)
    for kpi in bureau_kpis:
        citing[kpi.cites].append(kpi)
    city_codes = {k.code for k in city_kpis}
    rows = []
    for objective in objectives:
        mine = [k for k in city_kpis if k.objective_id == objective.pk]
        cited_here = {c: ks for c, ks in citing.items() if c.rsplit(".", 1)[0] == objective.code}
        taking = [t for t in themes if t.takes_over == objective.code]
        if mine or cited_here or taking:
            rows.append(
                CascadeRow(objective, objective.code, mine, {c: cited_here[c] for c in sorted(cited_here)}, taking)
            )
    return Cascade(
        city=city,
        bureaus=bureaus,
        rows=rows,
        unsupported=[k for k in city_kpis if k.code not in citing],
        unknown_citations=[k for k in bureau_kpis if k.cites not in city_codes],
    )


# --- the reporting calendar (issue 16 item 1) ---------------------------------------------------------


@dataclass(frozen=True)
class ReportingRules:
    """An organization's reporting calendar (``core.models.ReportingCalendar``, its nearest ancestor's, or
    the defaults) as values: its working days, the due-date rules of periods and of the year, and the
    notifications' days (reminder before, escalation to the theme coordinator and then to the evaluation
    office after a due date)."""

    work: WorkCalendar
    period: DueRule
    year: DueRule
    remind_before: int
    escalate_coordinator_after: int
    escalate_office_after: int
    #: The holiday calendar's id (None: weekends only), to list its days off.
    holidays_id: int | None = None


def _rules(row: ReportingCalendar | None, work: WorkCalendar) -> ReportingRules:
    row = row or ReportingCalendar()  # the defaults of its fields
    return ReportingRules(
        work=work,
        period=DueRule(row.period_days, DayKind(row.period_day_kind)),
        year=DueRule(row.year_days, DayKind(row.year_day_kind)),
        remind_before=row.remind_before,
        escalate_coordinator_after=row.escalate_coordinator_after,
        escalate_office_after=row.escalate_office_after,
        holidays_id=row.holidays_id,
    )


def period_end(smap: StrategyMap, period: str) -> datetime.date:
    """The last day of the period ``period`` ("" the year, "Q3", "M05") of ``smap``'s year, in its
    organization's years (the council's Q4 of 2024 ends on 31 March 2025)."""
    style = smap.organization.year_style
    year, month = style.months_of(period_of(smap.year, period, style))[-1]
    return month_end(year, month)


@dataclass
class ReportingDates:
    """The reporting calendars of a set of maps' organizations, read once (:func:`reporting_dates`);
    due dates are then worked out in Python, no query more."""

    #: Each organization's rules, by organization id.
    rules_of: dict[int, ReportingRules]

    def rules(self, smap: StrategyMap) -> ReportingRules:
        return self.rules_of[smap.organization_id]

    def due(self, smap: StrategyMap, period: str) -> datetime.date:
        """When the results of ``period`` ("" the year) of ``smap`` are due: the year's is the map's own
        ``results_due`` when it has one, else the year's rule; a period's is the period's rule. Always a
        working day of the organization's calendar (a map's own date is taken as it is)."""
        rules = self.rules(smap)
        if period == "" and smap.results_due is not None:
            return smap.results_due
        return due_after(period_end(smap, period), rules.year if period == "" else rules.period, rules.work)


def reporting_dates(*, maps: Iterable[StrategyMap]) -> ReportingDates:
    """The reporting calendars of ``maps``' organizations (each map fetched with its organization): an
    organization without a reporting calendar takes its nearest ancestor's (a bureau its city's), else the
    defaults. Three queries whatever the number of maps: the organizations' parents, the reporting
    calendars, and the days of their holiday calendars over the maps' years (and the year after, where
    the last deadlines fall)."""
    maps = list(maps)
    if not maps:
        return ReportingDates({})
    parents = dict(Organization.objects.values_list("pk", "parent_id"))
    rows = {row.organization_id: row for row in ReportingCalendar.objects.all()}
    chosen: dict[int, ReportingCalendar | None] = {}
    for smap in maps:
        organization: int | None = smap.organization_id
        seen: set[int] = set()
        while organization is not None and organization not in rows and organization not in seen:
            seen.add(organization)  # a cycle of parents is refused elsewhere; never loop on one here
            organization = parents.get(organization)
        chosen[smap.organization_id] = rows.get(organization) if organization is not None else None
    calendars = {row.holidays_id for row in chosen.values() if row is not None and row.holidays_id is not None}
    first = min(datetime.date(m.year, m.organization.year_start_month, 1) for m in maps)
    last = datetime.date(max(m.year for m in maps) + 3, 1, 1)
    days: dict[int, tuple[set[datetime.date], set[datetime.date]]] = {c: (set(), set()) for c in calendars}
    for calendar_id, date, kind in CalendarDay.objects.filter(
        calendar_id__in=calendars, date__gte=first, date__lt=last
    ).values_list("calendar_id", "date", "kind"):
        days[calendar_id][kind == CalendarDay.Kind.WORKING].add(date)
    works = {c: WorkCalendar.of(holidays=off, working=on) for c, (off, on) in days.items()}
    return ReportingDates(
        {
            organization: _rules(row, works[row.holidays_id] if row and row.holidays_id else PLAIN)
            for organization, row in chosen.items()
        }
    )


def due_dates(*, access: Access, maps: Iterable[StrategyMap]) -> dict[tuple[int, str], datetime.date]:
    """The due date of every result of ``maps`` (each fetched with its organization), by (KPI id,
    period): "" the year, and each period of the KPI's frequency in its map's year (the map's year is the
    KPI's, so the key needs none). For the notifications, over a whole city at once: four queries whatever
    the number of maps and KPIs (:func:`reporting_dates`' three and the KPIs'); a (map, period)'s date is
    worked out once for all its KPIs. Maps ``access`` may not read are refused (Http404)."""
    maps = list(maps)
    access.require(*maps)
    dates = reporting_dates(maps=maps)
    by_pk = {m.pk: m for m in maps}
    found: dict[tuple[int, str], datetime.date] = {}
    per_map: dict[tuple[int, str], datetime.date] = {}
    codes: dict[tuple[int, str], list[str]] = {}

    def due(smap: StrategyMap, period: str) -> datetime.date:
        key = (smap.pk, period)
        if key not in per_map:
            per_map[key] = dates.due(smap, period)
        return per_map[key]

    for kpi_id, frequency, map_id in Kpi.objects.filter(objective__map__in=list(by_pk)).values_list(
        "pk", "frequency", "objective__map_id"
    ):
        smap = by_pk[map_id]
        found[(kpi_id, "")] = due(smap, "")
        unit = FREQUENCY_UNIT.get(frequency)
        if unit is None:
            continue
        if (map_id, unit) not in codes:
            style = smap.organization.year_style
            codes[(map_id, unit)] = [period_code(p, style) for p in style.periods(smap.year, unit)]
        for code in codes[(map_id, unit)]:
            found[(kpi_id, code)] = due(smap, code)
    return found


@dataclass
class PeriodDue:
    """One period of a map's year on its calendar page: its row code ("Q3", "M05"), the period, its last
    day, when its results are due, and the map's KPIs reported by it (each with its data-release text)."""

    code: str
    period: Period
    end: datetime.date
    due: datetime.date
    kpis: list[Kpi]
    style: YearStyle

    @property
    def label(self) -> str:
        """The period as people read it (2024/25 Q3, 113年第3季), in the active language."""
        return self.style.period_label(self.period)


@dataclass
class CalendarMonth:
    """One month of a map's year on its calendar page: its days off and make-up working days (from the
    organization's holiday calendar; weekends are not listed) and the periods that end in it."""

    year: int
    month: int
    days: list[CalendarDay]
    periods: list[PeriodDue]

    @property
    def first(self) -> datetime.date:
        return datetime.date(self.year, self.month, 1)


@dataclass
class CalendarPage:
    """What a map's calendar page shows (:func:`calendar_page`)."""

    rules: ReportingRules
    #: The year's last day, when its results are due, and whether that date is the map's own.
    year_end: datetime.date
    year_due: datetime.date
    map_date: bool
    months: list[CalendarMonth]
    #: The KPIs reported once a year (no periods), with their data-release texts.
    yearly: list[Kpi]
    #: The holiday calendar used (None: weekends only).
    holidays: HolidayCalendar | None


def calendar_page(*, smap: StrategyMap, access: Access) -> CalendarPage:
    """The reporting calendar of ``smap``'s year (the map fetched with its organization), for whoever reads
    the map: each month of the organization's year (April–March for the council) with its days off and the
    periods of the map's KPIs that end in it, their due dates and the KPIs' data-release texts. Six
    queries whatever the map's size."""
    access.require(smap)
    dates = reporting_dates(maps=[smap])
    rules = dates.rules(smap)
    style = smap.organization.year_style
    months = style.months(smap.year)
    first = datetime.date(*months[0], 1)
    year_end = month_end(*months[-1])
    calendar = None
    days: dict[tuple[int, int], list[CalendarDay]] = defaultdict(list)
    if rules.holidays_id is not None:
        calendar = HolidayCalendar.objects.filter(pk=rules.holidays_id).first()
        for day in CalendarDay.objects.filter(
            calendar_id=rules.holidays_id, date__gte=first, date__lte=year_end
        ).select_related("calendar"):
            days[(day.date.year, day.date.month)].append(day)
    fields = ("code", "name", "i18n", "frequency", "release", "objective__order", "order", "objective__map_id")
    kpis = list(
        Kpi.objects.filter(objective__map=smap)
        .select_related("objective")
        .only(*fields)
        .order_by("objective__order", "order")
    )
    by_period: dict[tuple[Unit, str], list[Kpi]] = defaultdict(list)
    yearly = []
    for kpi in kpis:
        kpi.objective.map = smap
        unit = FREQUENCY_UNIT.get(kpi.frequency)
        if unit is None:
            yearly.append(kpi)
            continue
        for period in style.periods(smap.year, unit):
            by_period[(unit, period_code(period, style))].append(kpi)
    ends: dict[tuple[int, int], list[PeriodDue]] = defaultdict(list)
    for unit in (Unit.MONTH, Unit.QUARTER, Unit.HALF):
        for period in style.periods(smap.year, unit):
            code = period_code(period, style)
            if (unit, code) in by_period:
                last = style.months_of(period)[-1]
                ends[last].append(
                    PeriodDue(code, period, month_end(*last), dates.due(smap, code), by_period[(unit, code)], style)
                )
    return CalendarPage(
        rules=rules,
        year_end=year_end,
        year_due=dates.due(smap, ""),
        map_date=smap.results_due is not None,
        months=[CalendarMonth(y, m, days[(y, m)], ends[(y, m)]) for y, m in months],
        yearly=yearly,
        holidays=calendar,
    )


#: A deadline this close (or closer) is flagged on the "what's due" page.
DUE_SOON = datetime.timedelta(days=14)


@dataclass
class DueRow:
    """One result someone has to act on: a KPI's result of the map's year, of its ``period`` ("" the whole
    year, "Q3", "M05"), its status (``None``: not entered) and when it is due (:meth:`ReportingDates.due`:
    the organization's reporting calendar, a map's own results-due date for its year), flagged ``late``
    when past and ``soon`` when within ``DUE_SOON``."""

    kpi: Kpi
    status: str | None
    deadline: datetime.date | None
    late: bool
    soon: bool
    period: str = ""

    @property
    def period_label(self) -> str:
        """The period as people read it (2024/25 Q3, 113年第3季), in the active language; "" for the year."""
        if not self.period:
            return ""
        smap = self.kpi.objective.map
        style = smap.organization.year_style
        return style.period_label(period_of(smap.year, self.period, style))


@dataclass
class Due:
    to_enter: list[DueRow]
    to_review: list[DueRow]
    to_publish: list[DueRow]
    #: The maps with results to enter, for bulk entry with a workbook.
    workbooks: list[StrategyMap]


def cycle_maps(*, access: Access, today: datetime.date) -> list[StrategyMap]:
    """The maps of the current cycle in ``access``'s own organizations (:meth:`Access.own_maps`): per
    organization, its latest map in force whose year has started by ``today`` (an April–March year
    stored as 2024 starts in April 2024), and the map in force before it, newest first, by
    organization's code. One query whatever the number of organizations and years."""
    return current_cycle(maps=access.own_maps(), today=today)


def current_cycle(*, maps: QuerySet[StrategyMap], today: datetime.date) -> list[StrategyMap]:
    """Of ``maps``, the current cycle's (see :func:`cycle_maps`): per organization, its latest map in force
    whose year has started by ``today`` and the one before it. One query."""
    started = Q(year__lt=today.year) | Q(year=today.year, organization__year_start_month__lte=today.month)
    return list(
        maps.filter(started, in_force=True)
        .annotate(rank=Window(RowNumber(), partition_by=[F("organization_id")], order_by=F("year").desc()))
        .filter(rank__lte=2)
        .select_related("organization")
        .order_by("organization__code", "-year")
    )


def due_work(*, access: Access, today: datetime.date) -> Due:
    """What ``access`` must do in the current cycle of its own organizations (:func:`cycle_maps`): results
    to enter (editable, not yet submitted), to review (submitted) and to publish (approved), in a fixed
    number of queries. The map before an organization's current one stays in the cycle while the
    person's results of it are not all published (a KPI without any result of its year is not); after
    that it is done and left out. Nobody's list grows with other organizations or past years; a
    superuser without a membership has no organizations of its own, so none.

    A KPI with periods asks for each period of the map's year that has ended (and for any period whose
    entry is under way), not for the year when the year's value is made of its periods (the KPI has
    an aggregation) and nobody has started one; once the year's own result is approved or published,
    the year is closed and its periods are not asked for. Submitted and approved results are listed
    to review and to publish whatever their period."""
    maps = cycle_maps(access=access, today=today)
    by_pk = {m.pk: m for m in maps}
    # Each condition is asked of the cycle's KPIs only (through the index of their maps), never of all.
    in_cycle = Kpi.objects.filter(objective__map__in=list(by_pk))
    editable = set(access.editable_kpis().filter(objective__map__in=list(by_pk)).values_list("pk", flat=True))
    reviewable = set(access.reviewable_kpis().filter(objective__map__in=list(by_pk)).values_list("pk", flat=True))
    kpis = []
    fields = (
        *("code", "name", "i18n", "frequency", "aggregation", "release"),  # i18n: the name in the reader's language
        *("objective__map_id", "objective__order", "order"),
    )
    for kpi in in_cycle.select_related("objective").only(*fields).order_by("objective__order", "order"):
        if kpi.pk in editable or kpi.pk in reviewable:
            kpi.objective.map = by_pk[kpi.objective.map_id]  # loaded once, with its organization
            kpis.append(kpi)
    order = {m.pk: i for i, m in enumerate(maps)}  # by organization's code, newest year first
    kpis.sort(key=lambda k: order[k.objective.map_id])
    statuses: dict[int, dict[str, str]] = defaultdict(dict)
    for kpi_id, period, stored in KpiResult.objects.filter(
        kpi__objective__map__in=list(by_pk), year=F("kpi__objective__map__year")
    ).values_list("kpi_id", "period", "status"):
        statuses[kpi_id][period] = stored
    dates = reporting_dates(maps=maps)
    # An organization's earlier map is done once every one of this person's results of it is published.
    latest: dict[int, int] = {}
    for m in maps:  # newest first
        latest.setdefault(m.organization_id, m.pk)
    unfinished = set(latest.values())
    for kpi in kpis:
        found = statuses.get(kpi.pk, {})
        if not found or any(status != KpiResult.Status.PUBLISHED for status in found.values()):
            unfinished.add(kpi.objective.map_id)
    maps = [m for m in maps if m.pk in unfinished]
    kpis = [k for k in kpis if k.objective.map_id in unfinished]

    deadlines: dict[tuple[int, str], datetime.date] = {}

    def row(kpi: Kpi, status: str | None, period: str) -> DueRow:
        key = (kpi.objective.map_id, period)
        if key not in deadlines:  # once per map and period, for all its KPIs
            deadlines[key] = dates.due(kpi.objective.map, period)
        deadline = deadlines[key]
        late = deadline < today
        soon = not late and deadline <= today + DUE_SOON
        return DueRow(kpi, status, deadline, late, soon, period)

    due = Due([], [], [], [])
    for kpi in kpis:
        found = statuses.get(kpi.pk, {})
        style = kpi.objective.map.organization.year_style
        periods = kpi.periods(kpi.objective.map.year, style)
        # The periods that have ended by today (their last month is over) and those under way, in the
        # year's order; the KPI's own only: a row of another frequency has no page to act on it.
        ended = {code for code, p in periods.items() if style.months_of(p)[-1] < (today.year, today.month)}
        codes = ["", *(code for code in periods if code in ended or code in found)]
        closed = found.get("") in (KpiResult.Status.APPROVED, KpiResult.Status.PUBLISHED)
        for code in codes:
            status = found.get(code)
            if kpi.pk in editable and (status is None or status in EDITABLE):
                if code == "":
                    wanted = status is not None or not periods or not kpi.aggregation
                else:
                    wanted = status is not None or (code in ended and not closed)
                if wanted:
                    due.to_enter.append(row(kpi, status, code))
            if kpi.pk in reviewable and status == KpiResult.Status.SUBMITTED:
                due.to_review.append(row(kpi, status, code))
            if status == KpiResult.Status.APPROVED and access.publishes(kpi.objective.map):
                due.to_publish.append(row(kpi, status, code))
    entering_maps = {r.kpi.objective.map_id for r in due.to_enter}
    due.workbooks = [m for m in maps if m.pk in entering_maps]
    return due


# --- the KPI editor (issue 15 item 2) ------------------------------------------------------------------------


@dataclass
class KpiEditorPage:
    """What the KPI editor's page shows of one KPI (None: a new one) of a map, and the choices of its form."""

    kpi: Kpi | None
    #: Its targets, by year and period.
    targets: list[KpiTarget]
    #: The map's objectives, in the map's order: where the KPI hangs, or may be moved to.
    objectives: list[Objective]
    #: The organizations it may name as agencies (the map's and those below it, and any it names already).
    agencies: list[Organization]
    #: Every tag's name, to choose from (a new name makes a tag).
    tags: list[str]
    #: The KPIs of the parent organization's map of the year, which it may cite (none: nothing to cite).
    city_kpis: list[Kpi]
    #: The organization's KPIs of the year before, which it may continue (its lineage).
    previous_kpis: list[Kpi]
    #: The code of the previous year's KPI it continues, "" none.
    continues: str
    #: How many results people entered for it (a KPI with results is not deleted).
    results: int
    #: Its action plans, (code, name) with their i18n, for links to their editor.
    plans: list


def kpi_editor_page(*, smap: StrategyMap, code: str | None, access: Access) -> KpiEditorPage:
    """The KPI ``code`` of ``smap`` (None: a new KPI) and what its editor offers, for an administrator of the
    map's organization (else Http404, as every editor page). At most eleven queries, whatever the map's size."""
    access.require(smap)
    if not access.revises(smap):
        raise Http404
    kpi = None
    if code is not None:
        kpi = (
            Kpi.objects.filter(objective__map=smap, code=code)
            .select_related("objective", "lineage")
            .prefetch_related(
                "agencies",
                "tags",
                # The plans app's rows through the reverse relation: kpis cannot import it, it is above.
                Prefetch("action_plans", queryset=_plans_of_kpi()),
            )
            .first()
        )
        if kpi is None:
            raise Http404
    objectives = list(
        Objective.objects.filter(map=smap).only("pk", "code", "name", "i18n", "order", "map_id").order_by("order", "pk")
    )
    agencies = agency_choices(smap=smap)
    if kpi is not None:
        offered = {org.pk for org in agencies}
        agencies += [org for org in kpi.agencies.all() if org.pk not in offered]
    city, previous = city_map_of(smap), previous_map_of(smap)
    named = Kpi.objects.only("pk", "code", "name", "i18n", "lineage_id", "objective_id").order_by(
        "objective_id", "order"
    )
    previous_kpis = list(named.filter(objective__map=previous)) if previous else []
    continues = ""
    if kpi is not None and kpi.lineage_id is not None:
        continues = next((k.code for k in previous_kpis if k.lineage_id == kpi.lineage_id), "")
    return KpiEditorPage(
        kpi=kpi,
        targets=list(KpiTarget.objects.filter(kpi=kpi).order_by("year", "period")) if kpi is not None else [],
        objectives=objectives,
        agencies=agencies,
        tags=list(Tag.objects.order_by("name").values_list("name", flat=True)),
        city_kpis=list(named.filter(objective__map=city)) if city else [],
        previous_kpis=previous_kpis,
        continues=continues,
        results=KpiResult.objects.filter(kpi=kpi).count() if kpi is not None else 0,
        plans=list(kpi.action_plans.all()) if kpi is not None else [],
    )


def _plans_of_kpi() -> QuerySet:
    """A KPI's action plans as the editor lists them: code and name (the model is the plans app's)."""
    plan = Kpi._meta.get_field("action_plans").related_model
    assert isinstance(plan, type) and issubclass(plan, Model)
    return plan._default_manager.only("pk", "code", "name", "i18n", "kpi_id", "order")


# --- the review chain (issue 16 item 4): who acts on a result now, and what a reviewer has to review ----------


def reviewers_of(*, results: Iterable[KpiResult]) -> dict[int, list[Any]]:
    """The people who act on each of ``results`` now, by result id, for notices and escalation:

    - a draft or returned result: its editors (of its KPI's agencies, or of an organization above one);
    - a submitted one: those who act at the step of its map's review chain where it waits (the theme
      coordinators of its KPI's theme, that is of the theme's group or of the group's lead, or of an
      organization above them; or, at the evaluation office's step, the administrators of the map's
      organization or of one above it); at a coordinator's step that nobody holds, the administrators,
      so that no result waits for nobody;
    - an approved one: the administrators, who publish it;
    - a published one: nobody.

    Active users holding the role through a membership, each once, by user name; superusers act
    everywhere but are nobody's reviewer unless they hold a role. Six queries at most, whatever the
    number of results (the results, their agencies, the chains, the organizations, the memberships).
    """
    ids = [result.pk for result in results]
    if not ids:
        return {}
    S = KpiResult.Status
    rows = list(
        KpiResult.objects.filter(pk__in=ids).values_list(
            "pk",
            "status",
            "review_step",
            "kpi_id",
            "kpi__objective__map__organization_id",
            "kpi__objective__theme__group_id",
            "kpi__objective__theme__group__lead_id",
        )
    )
    agencies: dict[int, set[int]] = defaultdict(set)
    for kpi_id, organization in Kpi.agencies.through.objects.filter(kpi_id__in={r[3] for r in rows}).values_list(
        "kpi_id", "organization_id"
    ):
        agencies[kpi_id].add(organization)
    chains = review_chains({r[4] for r in rows})
    above = organizations_above()
    Role = Membership.Role
    wanted: dict[int, list[tuple[str, set[int]]]] = {}  # result → [(role, organizations)], the first found wins
    for pk, status, review_step, kpi_id, owner, group, lead in rows:
        office = (Role.ADMINISTRATOR, above([owner]))
        if status in EDITABLE:
            wanted[pk] = [(Role.EDITOR, above(agencies[kpi_id]))]
        elif status == S.SUBMITTED:
            chain = chains[owner]
            step = chain[min(max(review_step, 1), len(chain)) - 1]
            if step.role == ReviewStep.Actor.OFFICE:
                wanted[pk] = [office]
            else:
                wanted[pk] = [(Role.COORDINATOR, above([group, lead]) if group is not None else set()), office]
        elif status == S.APPROVED:
            wanted[pk] = [office]
        else:
            wanted[pk] = []
    found = people_holding(wanted)
    return {pk: found.get(pk, []) for pk in ids}


K = TypeVar("K")


def organizations_above() -> Callable[[Iterable[int | None]], set[int]]:
    """A function giving organizations and those above them (a role held on any of these acts on them),
    from one query of every organization's parent."""
    parents = dict(Organization.objects.values_list("pk", "parent_id"))

    def above(organizations: Iterable[int | None]) -> set[int]:
        found: set[int] = set()
        for organization in organizations:
            while organization is not None and organization not in found:
                found.add(organization)
                organization = parents.get(organization)
        return found

    return above


def people_holding(wanted: Mapping[K, list[tuple[str, set[int]]]]) -> dict[K, list[Any]]:
    """For each key, the active people holding a role (through a membership) in one of its organizations:
    ``wanted[key]`` lists (role, organizations) in order of preference, and the first that anybody holds
    wins (a coordinator's step nobody holds falls to the administrators). Each person once, by user name;
    one query whatever the number of keys."""
    organizations = {o for asks in wanted.values() for _role, orgs in asks for o in orgs}
    holders: dict[tuple[str, int], list[Any]] = defaultdict(list)
    for membership in (
        Membership.objects.filter(organization__in=organizations, user__is_active=True)
        .select_related("user")
        .order_by("user__username")
    ):
        holders[membership.role, membership.organization_id].append(membership.user)
    found: dict[K, list[Any]] = {}
    for key, asks in wanted.items():
        people: dict[int, Any] = {}
        for role, orgs in asks:
            for organization in orgs:
                people.update((user.pk, user) for user in holders[role, organization])
            if people:
                break
        found[key] = sorted(people.values(), key=lambda user: user.get_username())
    return found


@dataclass
class FieldChange:
    """A field of a result as it was when a reviewer last sent it back, and as it is now."""

    field: str
    old: str
    new: str


@dataclass
class ReviewItem:
    """A submitted result waiting at a step its reader acts on, with what changed since it last went back
    to its editor (``changes`` None: its first submission, nothing to compare with: all of it is new)."""

    result: KpiResult
    step: ChainStep
    changes: list[FieldChange] | None


@dataclass
class ReviewQueue:
    """What a reviewer has to review on a map: the chain, the results waiting for them, and the agencies of
    the map's submitted results that wait for them (to narrow the list to one)."""

    smap: StrategyMap
    chain: tuple[ChainStep, ...]
    items: list[ReviewItem]
    agencies: list[Organization]


def review_queue(*, smap: StrategyMap, access: Access, agency: str = "") -> ReviewQueue:
    """The submitted results of ``smap``'s year (of every period) waiting at a step of its review chain that
    ``access`` acts on (:func:`~stratmap.kpis.services.acts_at`): a theme coordinator's step lists its
    themes' KPIs, the evaluation office's step every KPI. With ``agency`` (an organization's code), only
    its KPIs' results. Each comes with its values and the fields changed since the last time a reviewer
    sent it back to its editor (a return or a reopening: an approval leaves nothing changed behind it),
    from the audit trail. Six queries whatever the number of results."""
    access.require(smap)
    chain = review_chains([smap.organization_id])[smap.organization_id]
    found = (
        KpiResult.objects.filter(kpi__objective__map=smap, year=smap.year, status=KpiResult.Status.SUBMITTED)
        .select_related("kpi__objective__theme__group", "kpi__objective__map__organization")
        .prefetch_related("kpi__agencies")
        .order_by("kpi__objective__order", "kpi__order", "kpi__code", "period")
    )
    results = []
    agencies: dict[int, Organization] = {}
    for result in found:
        if acts_at(access=access, kpi=result.kpi, step=step_of(result, chain)):
            results.append(result)
            agencies.update((a.pk, a) for a in result.kpi.agencies.all())
    if agency:
        results = [r for r in results if any(a.code == agency for a in r.kpi.agencies.all())]
    events = (
        AuditEvent.objects.filter(object_type="kpis.kpiresult", object_id__in=[r.pk for r in results])
        .exclude(field="")
        .order_by("at", "pk")
        .values_list("object_id", "action", "field", "old", "new", "object_version")
    )
    returned: dict[int, int] = {}
    edits: dict[int, list[tuple[str, str, str, int]]] = defaultdict(list)
    for object_id, action, name, old, new, version in events:
        if name == "status" and new == KpiResult.Status.RETURNED:
            returned[object_id] = max(returned.get(object_id, 0), version or 0)
        elif action in ("create", "update"):
            edits[object_id].append((name, old, new, version or 0))
    items = []
    for result in results:
        changes = None
        if result.pk in returned:
            since: dict[str, FieldChange] = {}
            for name, old, new, version in edits[result.pk]:
                if version > returned[result.pk]:
                    since.setdefault(name, FieldChange(name, old, new)).new = new
            changes = [change for change in since.values() if change.old != change.new]
        items.append(ReviewItem(result, step_of(result, chain), changes))
    return ReviewQueue(smap, chain, items, sorted(agencies.values(), key=lambda a: a.code))


# --- early warning (issue 16 item 5) -------------------------------------------------------------------------


def risk_limits_of(*, smap: StrategyMap) -> RiskLimits:
    """The early warning's bands of risk of the map: its named rating policy's, else the default
    (docs/early-warning.md). Reads ``smap.scoring_policy.rating_policy``: no query after :func:`policy_of`."""
    try:
        row = smap.scoring_policy
    except ScoringPolicy.DoesNotExist:
        return DEFAULT_RISK_LIMITS
    rating = row.rating_policy if row.rating_policy_id is not None else None
    return rating.risk_limits() if rating is not None else DEFAULT_RISK_LIMITS


def kpi_forecast(
    *,
    kpi: Kpi,
    year: int,
    targets: Mapping[str, KpiTarget],
    results: Mapping[str, KpiResult],
    last_year: Mapping[str, Decimal | None],
    policy: Policy,
    limits: RiskLimits = DEFAULT_RISK_LIMITS,
) -> Forecast:
    """The projection of ``kpi``'s ``year`` and its risk (:func:`stratmap.kpis.scoring.forecast.forecast`), from
    the rows read already: its ``targets`` and the ``results`` the reader may see of that year and last year's
    period values (period code → row or value; "" is the year's). No query (``kpi.objective.map.organization``
    loaded). A KPI of whole years gets the engine's "no periods" answer."""
    codes = list(kpi.periods(year, kpi.objective.map.organization.year_style))
    if not codes:
        return forecast(ForecastInput((), kpi.aggregation or None))
    year_target = targets.get("")
    values = tuple(r.actual if (r := results.get(code)) is not None else None for code in codes)
    period_targets = tuple(t.value if (t := targets.get(code)) is not None else None for code in codes)
    before = tuple(last_year.get(code) for code in codes)
    given = ForecastInput(
        values,
        kpi.aggregation or None,
        year_target=year_target.value if year_target is not None else None,
        period_targets=period_targets,
        last_year=before if all(v is not None for v in before) else (),
        polarity=kpi.polarity,
        target_type=kpi.target_type,
        baseline=kpi.baseline,
        rated=(kpi.method or policy.method) != Method.DATA_ONLY,
    )
    return forecast(given, limits)


@dataclass
class KpiWarning:
    """One KPI of a map of the current cycle: its projection and risk, its latest result (the year's when entered,
    else its latest period's; None when none is entered) and its score as the scorecard gives it there: the
    year's, or the year to date at that latest period."""

    kpi: Kpi
    forecast: Forecast
    score: KpiScore
    latest: KpiResult | None

    #: The worst rated level of the map's light set (╳差 for Taipei, Red for the council).
    worst: Level | None = None

    @property
    def red(self) -> bool:
        """Rated the worst level of its map's light set."""
        return self.score.rated and self.score.light == self.worst


@dataclass
class Warnings:
    """What :func:`at_risk` finds: every KPI read (with periods or not), those at risk (high, then medium, in
    map order), and those rated red whose latest result has no countermeasures entered."""

    kpis: list[KpiWarning]
    at_risk: list[KpiWarning]
    red_without_countermeasures: list[KpiWarning]
    #: Each map's light set (map id → set), for a page's key.
    lights: dict[int, LightSet] = field(default_factory=dict)


def at_risk(*, access: Access, maps: Iterable[StrategyMap], kpis: QuerySet[Kpi] | None = None) -> Warnings:
    """Early warning for the KPIs of ``maps`` that ``access`` reads (of ``kpis`` only, when given: the page
    passes the person's own), each map's year: the projection of its year-end value and the risk of missing
    the target (:func:`kpi_forecast`, under the map's :func:`risk_limits_of`), and the KPIs rated red whose
    latest result has no countermeasures text.

    Set-based: at most nine queries whatever the number of maps and KPIs (the maps with their policies, the
    light sets of their named policies, the KPIs, the year's targets and results, last year's period results).
    Last year's period values are the KPI's own results of the year before, else those of the KPI of the same
    lineage in the organization's map of that year; only those ``access`` may see count.
    """
    wanted = [m.pk for m in maps]
    if not wanted:
        return Warnings([], [], [])
    read = access.maps().filter(pk__in=wanted).select_related("organization", "scoring_policy__rating_policy")
    by_pk = {m.pk: m for m in read}
    policies = policies_of(maps=list(by_pk.values()))
    limits = {pk: risk_limits_of(smap=m) for pk, m in by_pk.items()}
    found = Kpi.objects.filter(objective__map__in=list(by_pk)).select_related(
        "objective__theme", "objective__perspective"
    )
    if kpis is not None:
        found = found.filter(pk__in=kpis.values("pk"))
    order = {pk: i for i, pk in enumerate(wanted)}
    of_maps = sorted(found, key=lambda k: (order[k.objective.map_id], k.objective.order, k.order))
    for kpi in of_maps:
        kpi.objective.map = by_pk[kpi.objective.map_id]
    if not of_maps:
        return Warnings([], [], [])
    targets, results = _year_rows(of_maps, access)
    before = _last_years(of_maps, access)
    out: list[KpiWarning] = []
    for kpi in of_maps:
        smap = kpi.objective.map
        entered = results[kpi.pk]
        made = kpi_forecast(
            kpi=kpi,
            year=smap.year,
            targets=targets[kpi.pk],
            results=entered,
            last_year=before.get(kpi.pk, {}),
            policy=policies[smap.pk],
            limits=limits[smap.pk],
        )
        style = smap.organization.year_style
        codes = ["", *reversed(list(kpi.periods(smap.year, style)))]
        latest = next((entered[code] for code in codes if code in entered), None)
        # Rated as the scorecard rates it at the latest period in (the year to date against its target): a sum's
        # half year against the whole year's target would read red every spring.
        upto = period_of(smap.year, latest.period, style) if latest is not None and latest.period else None
        scored = _scored(kpi, targets[kpi.pk], entered, policies[smap.pk], upto, ())
        out.append(KpiWarning(kpi, made, scored.score, latest, policies[smap.pk].lights.rated[-1]))
    rank = {Risk.HIGH: 0, Risk.MEDIUM: 1}
    risky = sorted((w for w in out if w.forecast.at_risk), key=lambda w: rank[Risk(w.forecast.risk)])
    red = [w for w in out if w.red and w.latest is not None and not w.latest.countermeasures.strip()]
    return Warnings(out, risky, red, {pk: policy.lights for pk, policy in policies.items()})


def _last_years(kpis: list[Kpi], access: Access) -> dict[int, dict[str, Decimal | None]]:
    """KPI id → period code → last year's value (the year before its map's): its own row's results of that year,
    else its lineage's in the organization's map of that year (in force). One query, by maps not KPIs."""
    maps = sorted({k.objective.map_id for k in kpis})
    lineages = {k.lineage_id for k in kpis if k.lineage_id}
    years = {k.objective.map.year - 1 for k in kpis}
    organizations = {k.objective.map.organization_id for k in kpis}
    own = Q(kpi__objective__map__in=maps, year=F("kpi__objective__map__year") - 1)
    shared = Q(
        kpi__lineage_id__in=lineages,
        kpi__objective__map__in_force=True,
        kpi__objective__map__year__in=years,
        kpi__objective__map__organization_id__in=organizations,
        year=F("kpi__objective__map__year"),
    )
    rows = access.results(KpiResult.objects.filter(own | shared if lineages else own).exclude(period=""))
    mine: defaultdict[int, dict[str, Decimal | None]] = defaultdict(dict)
    lineage: defaultdict[tuple[int, int, int], dict[str, Decimal | None]] = defaultdict(dict)
    map_year = {k.pk: k.objective.map.year for k in kpis}
    for kpi_id, lineage_id, organization, of_map, year, period, actual in rows.values_list(
        "kpi_id",
        "kpi__lineage_id",
        "kpi__objective__map__organization_id",
        "kpi__objective__map__year",
        "year",
        "period",
        "actual",
    ):
        if kpi_id in map_year and year == map_year[kpi_id] - 1:
            mine[kpi_id][period] = actual
        if lineage_id is not None and year == of_map:
            lineage[organization, lineage_id, year][period] = actual
    out: dict[int, dict[str, Decimal | None]] = {}
    for k in kpis:
        smap = k.objective.map
        found = mine.get(k.pk) or (
            lineage.get((smap.organization_id, k.lineage_id, smap.year - 1)) if k.lineage_id else None
        )
        if found:
            out[k.pk] = found
    return out


def detail_forecast(*, kpi: Kpi, own: Kpi, lineage: list[Kpi], smap: StrategyMap) -> Forecast:
    """The forecast of the KPI page (``plans.selectors.kpi_detail``), from the rows it read already: ``own``'s
    prefetched targets and visible results (every year's), last year's period values from them, else from the
    member of ``lineage`` in the map of the year before. No query after :func:`policy_of` (``smap``'s)."""
    year = smap.year
    targets = {t.period: t for t in own.targets.all() if t.year == year}
    results = {r.period: r for r in own.results.all() if r.year == year}
    before: dict[str, Decimal | None] = {
        r.period: r.actual for r in own.results.all() if r.year == year - 1 and r.period
    }
    if not before:
        for member in lineage:
            if member.objective.map.year == year - 1 and member.objective.map.organization_id == smap.organization_id:
                before = {r.period: r.actual for r in member.results.all() if r.year == year - 1 and r.period}
    return kpi_forecast(
        kpi=kpi,
        year=year,
        targets=targets,
        results=results,
        last_year=before,
        policy=policy_of(smap=smap),
        limits=risk_limits_of(smap=smap),
    )


# --- the completion board (issue 16 item 3) -----------------------------------------------------------------

#: The statuses the completion board counts, in the cycle's order: "" is a result not entered.
NOT_ENTERED = ""
BOARD_STATUSES = (
    NOT_ENTERED,
    KpiResult.Status.DRAFT,
    KpiResult.Status.SUBMITTED,
    KpiResult.Status.RETURNED,
    KpiResult.Status.APPROVED,
    KpiResult.Status.PUBLISHED,
)
#: The statuses of a result handed in: submitted, or further on in the cycle.
HANDED_IN = frozenset({KpiResult.Status.SUBMITTED, KpiResult.Status.APPROVED, KpiResult.Status.PUBLISHED})


@dataclass
class BoardCounts:
    """How many results a group of a map's KPIs owes (``expected``), by status (``""``: not entered), how many
    of the submitted wait at each step of the review chain (step number → count), and how many are late
    (due date passed, not yet handed in)."""

    expected: int = 0
    statuses: dict[str, int] = field(default_factory=lambda: dict.fromkeys(BOARD_STATUSES, 0))
    steps: dict[int, int] = field(default_factory=dict)
    late: int = 0

    def add(self, row: BoardRow) -> None:
        self.expected += 1
        self.statuses[row.status] += 1
        if row.step is not None:
            self.steps[row.step.number] = self.steps.get(row.step.number, 0) + 1
        self.late += row.late

    @property
    def handed_in(self) -> int:
        """Submitted, approved or published."""
        return sum(self.statuses[s] for s in HANDED_IN)

    @property
    def percent(self) -> int:
        """The share handed in, in whole percent (rounded down: 100 only when every one is); 0 of nothing."""
        return self.handed_in * 100 // self.expected if self.expected else 0


@dataclass
class BoardRow:
    """One result a KPI of the map owes: its ``period`` ("" the year), its status (``""``: not entered), the
    step of the review chain it waits at (submitted only; None otherwise), when it is due (the reporting
    calendar's date) and whether it is late (due before ``today`` and not handed in). ``kpi`` comes with its
    objective's theme; ``agencies`` are the KPI's responsible agencies, by code."""

    kpi: Kpi
    period: str
    status: str
    step: ChainStep | None
    due: datetime.date
    late: bool
    agencies: list[Organization]

    @property
    def period_label(self) -> str:
        """The period as people read it (2024/25 Q3, 113年第3季; the year's label for the year), in the active
        language (``kpi.objective.map`` is the board's map, set by :func:`completion_board`)."""
        smap = self.kpi.objective.map
        style = smap.organization.year_style
        return style.period_label(period_of(smap.year, self.period, style))


@dataclass
class BoardGroup:
    """The counts of one theme or one agency (``owner`` None: the KPIs without a theme, or without an agency),
    ``key`` its code ("" for none), as the board's filters name it."""

    key: str
    owner: Theme | Organization | None
    counts: BoardCounts


@dataclass
class Board:
    """What :func:`completion_board` finds for a map: its review chain, the periods it may be narrowed to, the
    counts by theme and by agency and in total, and the rows down to the KPIs."""

    smap: StrategyMap
    today: datetime.date
    #: The period asked for (None: every result owed so far; "" the year's only).
    period: str | None
    #: The period codes results are owed for so far, in the year's order ("" the year first when owed).
    periods: list[str]
    chain: tuple[ChainStep, ...]
    themes: list[BoardGroup]
    agencies: list[BoardGroup]
    total: BoardCounts
    rows: list[BoardRow]

    def period_label(self, code: str) -> str:
        """A period code as people read it (2024/25 Q3, 113年第3季; the year's label for ""), in the active language."""
        style = self.smap.organization.year_style
        return style.period_label(period_of(self.smap.year, code, style))

    def matching(
        self, *, theme: str | None = None, agency: str | None = None, status: str | None = None
    ) -> list[BoardRow]:
        """The rows of one theme and/or agency (their codes, "" for none), and of one status (a result
        status, ``"not_entered"``, ``"late"``, or ``"expected"`` / None for every row)."""
        found = self.rows
        if theme is not None:
            found = [r for r in found if (r.kpi.objective.theme.code if r.kpi.objective.theme else "") == theme]
        if agency is not None:
            found = [r for r in found if agency in {a.code for a in r.agencies} or (agency == "" and not r.agencies)]
        if status == "late":
            found = [r for r in found if r.late]
        elif status == "not_entered":
            found = [r for r in found if r.status == NOT_ENTERED]
        elif status not in (None, "", "expected"):
            found = [r for r in found if r.status == status]
        return found


def completion_board(*, smap: StrategyMap, access: Access, today: datetime.date, period: str | None = None) -> Board:
    """The completion board of ``smap`` (fetched with its organization) for its year, as of ``today``: every
    result its KPIs owe so far, as /due/ asks for them (:func:`due_work`) but for every KPI of the map: the
    year's (a KPI without periods, or whose year is not made of its periods, or whose year is started), and
    each of its own periods that has ended by ``today`` or is started, unless the year's result is approved
    or published (the year is closed). Each with its status (not entered, draft, submitted and at which step
    of the organization's review chain, returned, approved, published), its due date from the reporting
    calendar (:func:`reporting_dates`) and ``late`` when that date is before ``today`` and it is not handed in
    (submitted or further on).

    Counted per theme (the objective's; a theme without KPIs counts nothing), per responsible agency (a KPI of
    two agencies counts under each, so the agencies' counts may add up to more than the total; a KPI of none
    under "no agency"), and in total. With ``period`` ("" the year, "Q3", "M05"), that period's results only.

    Only what ``access`` sees: a result it may not see counts as not entered (the board is meant for those who
    read the map's unpublished data, who see them all). Nine queries at most whatever the map's size.
    """
    access.require(smap)
    style = smap.organization.year_style
    kpis = list(
        Kpi.objects.filter(objective__map=smap)
        .select_related("objective__theme")
        .prefetch_related(Prefetch("agencies", queryset=Organization.objects.order_by("code")))
        .order_by("objective__order", "order", "code")
    )
    found: dict[int, dict[str, KpiResult]] = defaultdict(dict)
    for row_read in access.results(KpiResult.objects.filter(kpi__objective__map=smap, year=smap.year)).only(
        "pk", "kpi_id", "period", "status", "review_step"
    ):
        found[row_read.kpi_id][row_read.period] = row_read
    themes = list(smap.themes.order_by("order", "code"))
    dates = reporting_dates(maps=[smap])
    chain = review_chains([smap.organization_id])[smap.organization_id]
    deadlines: dict[str, datetime.date] = {}
    rows: list[BoardRow] = []
    owed: set[str] = set()
    for kpi in kpis:
        kpi.objective.map = smap
        results = found.get(kpi.pk, {})
        periods = kpi.periods(smap.year, style)
        ended = {code for code, p in periods.items() if style.months_of(p)[-1] < (today.year, today.month)}
        closed = results.get("") is not None and results[""].status in (
            KpiResult.Status.APPROVED,
            KpiResult.Status.PUBLISHED,
        )
        agencies = list(kpi.agencies.all())
        for code in ["", *periods]:
            result = results.get(code)
            if code == "":
                wanted = result is not None or not periods or not kpi.aggregation
            else:
                wanted = result is not None or (code in ended and not closed)
            if not wanted:
                continue
            owed.add(code)
            if period is not None and code != period:
                continue
            if code not in deadlines:
                deadlines[code] = dates.due(smap, code)
            status = result.status if result is not None else NOT_ENTERED
            step = step_of(result, chain) if result is not None and status == KpiResult.Status.SUBMITTED else None
            late = deadlines[code] < today and status not in HANDED_IN
            rows.append(BoardRow(kpi, code, status, step, deadlines[code], late, agencies))
    total = BoardCounts()
    by_theme: dict[str, BoardGroup] = {t.code: BoardGroup(t.code, t, BoardCounts()) for t in themes}
    by_agency: dict[str, BoardGroup] = {}
    for row in rows:
        total.add(row)
        theme = row.kpi.objective.theme
        key = theme.code if theme is not None else ""
        by_theme.setdefault(key, BoardGroup(key, theme, BoardCounts())).counts.add(row)
        owners: list[Organization | None] = list(row.agencies) or [None]
        for agency in owners:
            key = agency.code if agency is not None else ""
            by_agency.setdefault(key, BoardGroup(key, agency, BoardCounts())).counts.add(row)
    order = {code: i for i, code in enumerate(t.code for t in themes)}
    return Board(
        smap=smap,
        today=today,
        period=period,
        periods=sorted(owed, key=lambda code: period_order(code, style)),
        chain=chain,
        themes=sorted(by_theme.values(), key=lambda g: (g.key == "", order.get(g.key, len(order)))),
        agencies=sorted(by_agency.values(), key=lambda g: (g.key == "", g.key)),
        total=total,
        rows=rows,
    )
