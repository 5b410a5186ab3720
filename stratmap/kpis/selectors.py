"""Reads for scoring: one organization's KPIs of a year, scored, in a fixed number of queries.

Five queries whatever the number of KPIs (map with its policy, KPIs with their
objective/theme/perspective, their agencies, the year's targets, the year's
results); the scoring itself is pure arithmetic in :mod:`stratmap.kpis.scoring`.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Prefetch
from django.utils.translation import gettext

from stratmap.core.models import Organization
from stratmap.kpis.models import Kpi, KpiResult, KpiTarget, ScoringPolicy
from stratmap.kpis.scoring import (
    DEFAULT_POLICY,
    KpiInput,
    KpiScore,
    Policy,
    Rollup,
    rollup,
    score_all,
    score_kpi,
    summarize,
)
from stratmap.strategy.models import StrategyMap


@dataclass
class ScoredKpi:
    """A KPI row of a scorecard: the model, its target and result of the year, and its score."""

    kpi: Kpi
    target: KpiTarget | None
    result: KpiResult | None
    score: KpiScore


@dataclass
class Scorecard:
    map: StrategyMap
    year: int
    theme: str | None
    policy: Policy
    rows: list[ScoredKpi]
    rollups: dict[str, dict[object, Rollup]]

    @property
    def scores(self) -> list[KpiScore]:
        return [row.score for row in self.rows]


def policy_of(smap: StrategyMap) -> Policy:
    try:
        return smap.scoring_policy.policy()
    except ScoringPolicy.DoesNotExist:
        return DEFAULT_POLICY


def kpi_input(kpi: Kpi, target: Decimal | None, result: KpiResult | None, agencies: tuple[str, ...] = ()) -> KpiInput:
    """The engine's view of one KPI's year (``kpi.objective`` with theme and perspective must be loaded)."""
    objective = kpi.objective
    return KpiInput(
        code=kpi.code,
        name=kpi.name,
        polarity=kpi.polarity,
        target_type=kpi.target_type,
        stages=tuple(Decimal(str(v)) for v in kpi.stages),
        target=target,
        actual=result.actual if result else None,
        unknown_reason=result.unknown_reason if result else gettext("no result entered"),
        innovation=result.innovation if result else None,
        challenge=result.challenge if result else None,
        contribution=result.contribution if result else None,
        score_reported=result.score_reported if result else None,
        weight=kpi.weight,
        objective=objective.code,
        theme=objective.theme.code if objective.theme else "",
        perspective=objective.perspective.code,
        agencies=agencies,
    )


def score_result(result: KpiResult, target: Decimal | None) -> KpiScore:
    """One result scored with its map's policy (``result.kpi.objective.map.scoring_policy`` loaded)."""
    return score_kpi(kpi_input(result.kpi, target, result), policy_of(result.kpi.objective.map))


def scorecard(organization: Organization | str, year: int, theme: str | None = None) -> Scorecard:
    """The scored KPIs of an organization's map in force for ``year`` (AD), optionally of one theme.

    Raises StrategyMap.DoesNotExist when the organization has no map in force that year.
    """
    maps = StrategyMap.objects.select_related("organization", "scoring_policy").filter(year=year, in_force=True)
    if isinstance(organization, Organization):
        smap = maps.get(organization=organization)
    else:
        smap = maps.get(organization__code=organization)
    kpis = (
        Kpi.objects.filter(objective__map=smap)
        .select_related("objective__theme", "objective__perspective")
        .prefetch_related(Prefetch("agencies", queryset=Organization.objects.order_by("code")))
        .order_by("objective__order", "order")
    )
    if theme:
        kpis = kpis.filter(objective__theme__code=theme)
    kpis = list(kpis)
    targets = {t.kpi_id: t for t in KpiTarget.objects.filter(kpi__in=kpis, year=year)}
    results = {r.kpi_id: r for r in KpiResult.objects.filter(kpi__in=kpis, year=year)}
    policy = policy_of(smap)
    inputs = [
        kpi_input(
            k,
            targets[k.pk].value if k.pk in targets else None,
            results.get(k.pk),
            tuple(a.code for a in k.agencies.all()),
        )
        for k in kpis
    ]
    scores = score_all(inputs, policy)
    rows = [ScoredKpi(k, targets.get(k.pk), results.get(k.pk), s) for k, s in zip(kpis, scores, strict=True)]
    rollups = {
        "organization": {smap.organization.code: summarize(smap.organization.code, scores)},
        "theme": rollup(scores, lambda s: s.kpi.theme),
        "perspective": rollup(scores, lambda s: s.kpi.perspective),
        "objective": rollup(scores, lambda s: s.kpi.objective),
        "agency": rollup(scores, lambda s: s.kpi.agencies, many=True),
    }
    return Scorecard(smap, year, theme, policy, rows, rollups)
