"""Scoring: achievement rates, KPI lights under a map's rating policy, and rollups.

A pure engine: no Django, no database. Callers hand it plain values and get plain values back,
so scoring a whole city is one read plus arithmetic. ARCHITECTURE.md places it; docs/scoring.md
gives every method, target type, aggregation and rollup with a worked example and its edge cases.

- :mod:`.lights`: light sets as data (Taipei's ★優 ●良 ▲可 ╳差 ？不明 is the default);
- :mod:`.rates`: target types and polarity, the achievement rate;
- :mod:`.policy`: rating methods (composite, bands, data only) and their checks;
- :mod:`.score`: one KPI scored; :mod:`.rollup`: groups of them; :mod:`.periods`: a year from its periods.
"""

from stratmap.kpis.scoring.lights import (
    BUILT_IN,
    DATA_ONLY,
    LIGHT_SET_PROBLEMS,
    RAG_LIGHTS,
    TAIPEI_LIGHTS,
    TAIWAN_LIGHTS,
    Level,
    LightSet,
    LightSetError,
    Problem,
    Role,
    names,
    pick,
)
from stratmap.kpis.scoring.periods import (
    FREQUENCY_PERIODS,
    NO_AGGREGATION,
    NO_YTD_TARGET,
    Aggregation,
    YearToDate,
    aggregate,
    year_to_date,
)
from stratmap.kpis.scoring.policy import (
    DEFAULT_POLICY,
    POLICY_PROBLEMS,
    TAIPEI_THRESHOLDS,
    Band,
    Method,
    ObjectiveRule,
    Policy,
    PolicyError,
    Tolerance,
    composite_policy,
    thresholds_for,
)
from stratmap.kpis.scoring.rates import (
    BASELINE_IS_TARGET,
    BOUNDS_REVERSED,
    HUNDRED,
    MEANINGLESS_RATIO,
    NO_ACTUAL,
    NO_BASELINE,
    NO_SCORE,
    NO_TARGET,
    NO_UPPER_BOUND,
    NOT_A_STAGE,
    STAGES_NOT_INCREASING,
    ZERO,
    Polarity,
    Rate,
    Target,
    TargetType,
    achievement_rate,
    meets,
)
from stratmap.kpis.scoring.rollup import Rollup, combine, rollup, summarize
from stratmap.kpis.scoring.score import (
    KpiInput,
    KpiScore,
    achievement_component,
    score_all,
    score_kpi,
    total_score,
)

#: Every reason the engine gives for an unknown, for the translation catalogue and its test.
REASONS = (
    NO_TARGET,
    NO_ACTUAL,
    NOT_A_STAGE,
    STAGES_NOT_INCREASING,
    NO_BASELINE,
    BASELINE_IS_TARGET,
    NO_UPPER_BOUND,
    BOUNDS_REVERSED,
    NO_SCORE,
    MEANINGLESS_RATIO,
    NO_YTD_TARGET,
    NO_AGGREGATION,
)

#: Every objection the engine makes to a light set or a policy (a ``Problem``'s template), for the
#: translation catalogue and its test.
PROBLEMS = (*LIGHT_SET_PROBLEMS, *POLICY_PROBLEMS)

__all__ = [
    "BUILT_IN",
    "DATA_ONLY",
    "DEFAULT_POLICY",
    "FREQUENCY_PERIODS",
    "HUNDRED",
    "NO_AGGREGATION",
    "NO_YTD_TARGET",
    "PROBLEMS",
    "RAG_LIGHTS",
    "REASONS",
    "TAIPEI_LIGHTS",
    "TAIPEI_THRESHOLDS",
    "TAIWAN_LIGHTS",
    "ZERO",
    "Aggregation",
    "Band",
    "KpiInput",
    "KpiScore",
    "Level",
    "LightSet",
    "LightSetError",
    "Method",
    "ObjectiveRule",
    "Polarity",
    "Policy",
    "PolicyError",
    "Problem",
    "Rate",
    "Role",
    "Rollup",
    "Target",
    "TargetType",
    "Tolerance",
    "YearToDate",
    "achievement_component",
    "achievement_rate",
    "aggregate",
    "combine",
    "composite_policy",
    "meets",
    "names",
    "pick",
    "rollup",
    "score_all",
    "score_kpi",
    "summarize",
    "thresholds_for",
    "total_score",
    "year_to_date",
]
