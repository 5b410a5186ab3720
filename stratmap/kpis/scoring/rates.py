"""Achievement: how a KPI's actual compares with its target, by the KPI's target type and polarity.

The edge cases are defined, not guessed (docs/scoring.md): a missing value gives an unknown rate
with its reason, never 0; where a ratio means nothing (a zero denominator, a negative value) the rate
is left empty and whether the target is met is decided by comparing the values.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from decimal import Decimal
from itertools import pairwise

HUNDRED = Decimal(100)
ZERO = Decimal(0)

# Why the engine cannot rate a KPI. English message ids: the pages and reports translate them
# (stratmap.kpis.presenters.reason_text); reasons typed in the data are shown as written.
NO_TARGET = "no target"
NO_ACTUAL = "no actual"
NOT_A_STAGE = "the target is not one of the KPI's stages"
STAGES_NOT_INCREASING = "the KPI's stages do not increase"
NO_BASELINE = "no baseline"
BASELINE_IS_TARGET = "the baseline equals the target"
NO_UPPER_BOUND = "the range has no upper bound"
BOUNDS_REVERSED = "the range's upper bound is below its lower bound"
NO_SCORE = "a self-assessment score is missing"
MEANINGLESS_RATIO = "a ratio of these values means nothing; met is decided by comparing them"


class TargetType(enum.StrEnum):
    """How a target is read."""

    RATIO = "ratio"  # the rate is actual/target (or target/actual for a negative KPI)
    AT_MOST = "at_most"  # "maintain ≤ x": met when actual ≤ x
    AT_LEAST = "at_least"  # "maintain ≥ x": met when actual ≥ x
    MILESTONE = "milestone"  # stages with their values (10, 30, 50 … %): the rate is value reached ÷ value targeted
    BASELINE = "baseline"  # progress from a baseline to the target: (actual − baseline) ÷ (target − baseline)
    RANGE = "range"  # within [target, upper]


_KINDS: dict[str, TargetType] = {kind.value: kind for kind in TargetType}


def _kind(value: str) -> TargetType:
    """``TargetType(value)`` without the enum's lookup machinery, which scoring pays several times per
    KPI; an unknown type is still refused by ``TargetType`` itself."""
    kind = _KINDS.get(value)
    return kind if kind is not None else TargetType(value)


class Polarity(enum.StrEnum):
    """Which way a KPI improves."""

    POSITIVE = "positive"  # higher is better: the rate is actual/target
    NEGATIVE = "negative"  # lower is better: the rate is target/actual


@dataclass(frozen=True, slots=True)
class Rate:
    """An achievement rate in percent, whether the target is met, and why either is unknown."""

    percent: Decimal | None
    met: bool | None
    reason: str = ""


@dataclass(frozen=True, slots=True)
class Target:
    """What a KPI's actual is measured against in one year or period."""

    value: Decimal | None
    polarity: str = Polarity.POSITIVE
    type: str = TargetType.RATIO
    stages: tuple[Decimal, ...] = ()
    baseline: Decimal | None = None
    upper: Decimal | None = None

    def problem(self) -> str:
        """Why this target cannot be read, whatever the actual; "" when it can."""
        kind = _kind(self.type)
        if self.value is None:
            return NO_TARGET
        if kind is TargetType.MILESTONE:
            if any(b <= a for a, b in pairwise(self.stages)):
                return STAGES_NOT_INCREASING
            if self.value not in self.stages:
                return NOT_A_STAGE
        if kind is TargetType.BASELINE:
            if self.baseline is None:
                return NO_BASELINE
            if self.baseline == self.value:
                return BASELINE_IS_TARGET
        if kind is TargetType.RANGE:
            if self.upper is None:
                return NO_UPPER_BOUND
            if self.upper < self.value:
                return BOUNDS_REVERSED
        return ""

    @property
    def lower_is_better(self) -> bool:
        """Which way the actual improves for this target."""
        kind = _kind(self.type)
        if kind is TargetType.AT_MOST:
            return True
        if kind in (TargetType.AT_LEAST, TargetType.MILESTONE):
            return False
        if kind is TargetType.BASELINE and self.value is not None and self.baseline is not None:
            return self.value < self.baseline
        return self.polarity == Polarity.NEGATIVE


def achievement_rate(target: Target, actual: Decimal | None) -> Rate:
    """The achievement rate of ``actual`` against ``target``.

    - missing target or actual: unknown (``percent`` and ``met`` are None), with the reason;
    - ratio: positive ``actual/target``, negative ``target/actual``;
    - at_most / at_least ("maintain ≤ x" / "≥ x"): 100 % when maintained, else how far off;
    - milestone: ``actual/target``, the values of the stage reached and of the stage targeted
      (a value between stages is allowed);
    - baseline: ``(actual − baseline) / (target − baseline)``, below 0 when the KPI went backwards;
    - range: 100 % within ``[target, upper]``, else how far off the nearer bound.
    """
    problem = target.problem()
    if problem:
        return Rate(None, None, problem)
    if actual is None:
        return Rate(None, None, NO_ACTUAL)
    value = target.value
    assert value is not None  # target.problem() says NO_TARGET otherwise
    kind = _kind(target.type)
    if kind is TargetType.RANGE:
        upper = target.upper
        assert upper is not None  # target.problem() says NO_UPPER_BOUND otherwise
        if actual < value:
            return _compared(actual, value, met=False)
        if actual > upper:
            return _compared(upper, actual, met=False)
        return Rate(HUNDRED, True)
    if kind is TargetType.BASELINE:
        baseline = target.baseline
        assert baseline is not None  # target.problem() says NO_BASELINE otherwise
        percent = HUNDRED * (actual - baseline) / (value - baseline)
        return Rate(percent, percent >= HUNDRED)
    if kind is TargetType.AT_MOST:
        met = actual <= value
        return Rate(HUNDRED, True) if met else _compared(value, actual, met=False)
    if kind is TargetType.AT_LEAST:
        met = actual >= value
        return Rate(HUNDRED, True) if met else _compared(actual, value, met=False)
    if target.lower_is_better:
        return _compared(value, actual, met=actual <= value)
    return _compared(actual, value, met=actual >= value)


def _compared(numerator: Decimal, denominator: Decimal, *, met: bool) -> Rate:
    """numerator/denominator in percent, or no rate when that ratio means nothing."""
    if denominator <= 0 or numerator < 0:
        return Rate(None, met, MEANINGLESS_RATIO)
    percent = HUNDRED * numerator / denominator
    # A ratio that rounds to exactly 100 % is met; ``met`` says so for the values that are compared.
    return Rate(percent, met or percent >= HUNDRED)


def meets(target: Target, actual: Decimal, *, slack: Decimal, percent: bool) -> bool:
    """Whether ``actual`` reaches ``target`` when it may fall short by ``slack`` on the wrong side.

    ``slack`` is in the KPI's unit, or, with ``percent``, a percentage of the bound it applies to:
    a 10 % slack on a lower-is-better target of 20 ends at 22, on a higher-is-better 100 at 90.
    ``target`` must be readable (``target.problem()`` is "").
    """
    value = target.value
    assert value is not None

    def allowed(bound: Decimal) -> Decimal:
        return abs(bound) * slack / HUNDRED if percent else slack

    if _kind(target.type) is TargetType.RANGE:
        upper = target.upper
        assert upper is not None
        return value - allowed(value) <= actual <= upper + allowed(upper)
    if target.lower_is_better:
        return actual <= value + allowed(value)
    return actual >= value - allowed(value)
