"""A year's value from its periods' values by the KPI's aggregation rule, and the year to date."""

from __future__ import annotations

import enum
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

ZERO = Decimal(0)


class Aggregation(enum.StrEnum):
    """How a KPI's period values make its year's value."""

    SUM = "sum"  # counts: visitors, cases, kilometres built
    LAST = "last"  # stocks and cumulative figures: the latest value stands for the year
    AVERAGE = "average"  # rates measured each period
    MAXIMUM = "maximum"
    MINIMUM = "minimum"


def aggregate(values: Iterable[Decimal | None], how: str) -> Decimal | None:
    """The aggregate of the known ``values`` (in period order); None when none is known.

    A missing period is left out, never counted as 0: the sum of Q1–Q3 is the year to date.
    """
    known = [value for value in values if value is not None]
    if not known:
        return None
    match Aggregation(how):
        case Aggregation.SUM:
            return sum(known, ZERO)
        case Aggregation.LAST:
            return known[-1]
        case Aggregation.AVERAGE:
            return sum(known, ZERO) / len(known)
        case Aggregation.MAXIMUM:
            return max(known)
        case Aggregation.MINIMUM:
            return min(known)


#: The periods a KPI reports in, by its frequency (core.years.Unit's values); any other frequency
#: (yearly, every two years, once) has values of whole years only.
FREQUENCY_PERIODS = {"half_yearly": "half", "quarterly": "quarter", "monthly": "month"}

#: A year-to-date target cannot be known: period targets are not set and the year's target is a total
#: (summed KPIs), of which no share can be assumed to fall in the periods so far.
NO_YTD_TARGET = "no year-to-date target"
#: Period values are known but the KPI says no rule to make a year (or a year to date) of them.
NO_AGGREGATION = "no aggregation rule for the KPI's periods"

#: The rules under which the year's value is one period's kind of value (a level, not a total), so the
#: year's target stands for any part of the year too.
LEVELS = frozenset({Aggregation.LAST, Aggregation.AVERAGE, Aggregation.MAXIMUM, Aggregation.MINIMUM})


@dataclass(frozen=True, slots=True)
class YearToDate:
    """The actual and the target of the periods up to one, and why either is unknown.

    ``actual_from`` and ``target_from`` are the places (1-based) of the periods each was made of;
    ``target_from`` is empty when the target is the year's own.
    """

    actual: Decimal | None
    target: Decimal | None
    actual_from: tuple[int, ...]
    target_from: tuple[int, ...]
    actual_reason: str = ""
    target_reason: str = ""


def year_to_date(
    actuals: Sequence[Decimal | None],
    targets: Sequence[Decimal | None],
    *,
    year_target: Decimal | None,
    how: str | None,
    upto: int,
) -> YearToDate:
    """The year to date at the ``upto``-th period (1-based) of a year of ``len(actuals)`` periods.

    - actual: the aggregate of the known period actuals up to it (a missing period is left out);
    - target: the aggregate of the known period targets up to it when the year has any period target;
      else the year's target when the rule makes a level of the periods (last, average, maximum,
      minimum); else (a sum without period targets) unknown: :data:`NO_YTD_TARGET`.

    Without a rule (``how`` empty) nothing is aggregated: both are unknown, :data:`NO_AGGREGATION`.
    """
    if not 1 <= upto <= len(actuals) or len(targets) != len(actuals):
        raise ValueError(f"period {upto} of {len(actuals)}, with {len(targets)} targets")
    if not how:
        return YearToDate(None, None, (), (), NO_AGGREGATION, NO_AGGREGATION)
    rule = Aggregation(how)
    places = range(1, upto + 1)
    counted = tuple(i for i in places if actuals[i - 1] is not None)
    actual = aggregate(actuals[:upto], rule)
    if any(t is not None for t in targets):
        target_from = tuple(i for i in places if targets[i - 1] is not None)
        target = aggregate(targets[:upto], rule)
    else:
        target_from = ()
        target = year_target if rule in LEVELS else None
    # With no target of any kind, the engine's own NO_TARGET says it.
    some_target = year_target is not None or bool(target_from)
    target_reason = NO_YTD_TARGET if target is None and (some_target or any(t is not None for t in targets)) else ""
    return YearToDate(actual, target, counted, target_from, "", target_reason)
