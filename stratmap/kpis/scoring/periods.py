"""A year's value from its periods' values: by the KPI's aggregation rule."""

from __future__ import annotations

import enum
from collections.abc import Iterable
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
