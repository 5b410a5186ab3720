"""Rating policies: how a map's KPIs get their lights.

A policy is chosen per map and may be shared by name (a city sets one for all its bureaus). Its
method is one of:

- *composite* (Taipei's): the achievement and the self-assessment scores, weighted, make a total;
  the total's thresholds give the light;
- *bands* (Red/Amber/Green): the light follows the achievement alone: met, or short of the target
  by at most a tolerance (relative, in %, or absolute, in the KPI's unit), or missed;
- *data only* (monitoring): values are shown and charted, never rated.
"""

from __future__ import annotations

import enum
import itertools
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from stratmap.kpis.scoring.lights import TAIPEI_LIGHTS, Level, LightSet, LightSetError, Problem
from stratmap.kpis.scoring.rates import HUNDRED


class Method(enum.StrEnum):
    """How a KPI's light is decided."""

    COMPOSITE = "composite"
    BANDS = "bands"
    DATA_ONLY = "data_only"


class Tolerance(enum.StrEnum):
    """How a band's ``within`` is read."""

    PERCENT = "percent"  # a percentage of the target
    ABSOLUTE = "absolute"  # in the KPI's unit


class ObjectiveRule(enum.StrEnum):
    """Where an objective's (or a theme's …) light comes from."""

    WORST = "worst"  # its worst KPI
    WEIGHTED = "weighted"  # its KPIs' weighted score, under the map's method


@dataclass(frozen=True, slots=True)
class Band:
    """A band of the *bands* method: ``level`` when the actual is short of the target by at most
    ``within`` (0: met), or, for the last band only, ``within=None``: whatever is left."""

    level: str
    within: Decimal | None


class PolicyError(ValueError):
    """A rating policy that cannot be applied; the message says which field and why."""


#: Taipei's thresholds on the total score: ★ from 92.5, ● from 84.5, ▲ from 74.5, ╳ below.
TAIPEI_THRESHOLDS: tuple[tuple[str, Decimal], ...] = (
    ("excellent", Decimal("92.5")),
    ("good", Decimal("84.5")),
    ("fair", Decimal("74.5")),
)

# The templates of the objections to a policy (lights.Problem; each value given already written).
NOT_ONE_OF = "must be one of {choices} (got {value})"
NEGATIVE = "must not be negative (got {value})"
WEIGHTS_NOT_ONE = "must add up to 1 (they add up to {total})"
BELOW_ZERO = "must not be below 0 (got {value})"
THRESHOLDS_FOR = "must give a minimum for each of {levels}, in that order (got {given})"
NO_THRESHOLDS = "must give no minimum: the light set {set} has a single rated level (got {given})"
THRESHOLDS_ORDER = "must be in order {order} (got {given})"
NO_BAND = "the bands method needs at least one band"
NOT_RATED = "{level} is not a rated level"
ONLY_LAST_OPEN = "only the last band may take whatever is left"
BANDS_ORDER = "the levels must be in the light set's order, best first, each once"
BANDS_REACH = "each band must reach further than the one before (got {given})"
POLICY_PROBLEMS = (
    NOT_ONE_OF,
    NEGATIVE,
    WEIGHTS_NOT_ONE,
    BELOW_ZERO,
    THRESHOLDS_FOR,
    NO_THRESHOLDS,
    THRESHOLDS_ORDER,
    NO_BAND,
    NOT_RATED,
    ONLY_LAST_OPEN,
    BANDS_ORDER,
    BANDS_REACH,
)


def thresholds_for(lights: LightSet, given: tuple[tuple[str, Decimal], ...]) -> tuple[tuple[str, Decimal], ...]:
    """The thresholds a policy gives, or, when it gives none and ``lights`` rates with Taipei's levels,
    Taipei's: a named policy on the taipei set need not write them again."""
    if given:
        return given
    taipei = [key for key, _ in TAIPEI_THRESHOLDS] == [level.key for level in lights.rated[:-1]]
    return TAIPEI_THRESHOLDS if taipei else ()


@dataclass(frozen=True)
class Policy:
    """How a KPI's light is decided, and how its groups' lights are.

    The default is Taipei's composite with a least-squares fit of the weights to the 108 report
    (docs/scoring.md), which reproduces 8 of the 15 published 108 totals: a documented,
    configurable default, not the city's rule.
    """

    method: str = Method.COMPOSITE
    lights: LightSet = TAIPEI_LIGHTS
    achievement_weight: Decimal = Decimal("0.25")
    innovation_weight: Decimal = Decimal("0.25")
    challenge_weight: Decimal = Decimal("0.30")
    contribution_weight: Decimal = Decimal("0.20")
    achievement_cap: Decimal = HUNDRED
    #: (level, minimum total) for each rated level but the last, best first (composite).
    thresholds: tuple[tuple[str, Decimal], ...] = TAIPEI_THRESHOLDS
    #: The bands, best first (bands).
    bands: tuple[Band, ...] = ()
    tolerance: str = Tolerance.PERCENT
    flag_tolerance: Decimal = Decimal("0.5")
    objective_rule: str = ObjectiveRule.WORST
    key: str = ""

    WEIGHTS = ("achievement_weight", "innovation_weight", "challenge_weight", "contribution_weight")

    @property
    def self_assessed(self) -> bool:
        """Whether a KPI's year carries a self-assessment (innovation, challenge, contribution): only the
        composite method adds it to the total; bands and data only rate by the achievement alone."""
        return self.method == Method.COMPOSITE

    def problems(self) -> list[tuple[str, Problem]]:
        """(field, what is wrong) for every rule the policy breaks; empty when usable."""
        out = [(f"lights.{where}", why) for where, why in self.lights.problems()]
        for name, kind in (("method", Method), ("tolerance", Tolerance), ("objective_rule", ObjectiveRule)):
            value = getattr(self, name)
            if value not in set(kind):
                out.append((name, Problem(NOT_ONE_OF, choices=", ".join(kind), value=repr(value))))
        for name in self.WEIGHTS:
            if getattr(self, name) < 0:
                out.append((name, Problem(NEGATIVE, value=getattr(self, name))))
        total = sum(getattr(self, name) for name in self.WEIGHTS)
        if total != 1:
            out.append(("weights", Problem(WEIGHTS_NOT_ONE, total=total)))
        if self.achievement_cap < 0:
            out.append(("achievement_cap", Problem(BELOW_ZERO, value=self.achievement_cap)))
        if self.flag_tolerance < 0:
            out.append(("flag_tolerance", Problem(NEGATIVE, value=self.flag_tolerance)))
        if self.method == Method.COMPOSITE:
            out += self._threshold_problems()
        if self.method == Method.BANDS:
            out += self._band_problems()
        return out

    def _threshold_problems(self) -> list[tuple[str, Problem]]:
        wanted = [level.key for level in self.lights.rated[:-1]]
        given = [key for key, _ in self.thresholds]
        if given != wanted:
            if not wanted:
                return [("thresholds", Problem(NO_THRESHOLDS, set=self.lights.key, given=given))]
            return [("thresholds", Problem(THRESHOLDS_FOR, levels=", ".join(wanted), given=given))]
        minimums = [minimum for _, minimum in self.thresholds]
        if any(b >= a for a, b in itertools.pairwise(minimums)):
            got = ", ".join(str(m) for m in minimums)
            return [("thresholds", Problem(THRESHOLDS_ORDER, order=" > ".join(wanted), given=got))]
        return []

    def _band_problems(self) -> list[tuple[str, Problem]]:
        if not self.bands:
            return [("bands", Problem(NO_BAND))]
        out: list[tuple[str, Problem]] = []
        ranks: list[int] = []
        for i, band in enumerate(self.bands):
            where = f"bands[{i}]"
            try:
                level = self.lights.get(band.level)
            except LightSetError as error:
                out.append((f"{where}.level", error.args[0]))
                continue
            if not level.rated:
                out.append((f"{where}.level", Problem(NOT_RATED, level=repr(band.level))))
            ranks.append(self.lights.rank(level))
            last = i == len(self.bands) - 1
            if band.within is None and not last:
                out.append((f"{where}.within", Problem(ONLY_LAST_OPEN)))
            if band.within is not None and band.within < 0:
                out.append((f"{where}.within", Problem(NEGATIVE, value=band.within)))
        if ranks != sorted(set(ranks)):
            out.append(("bands", Problem(BANDS_ORDER)))
        withins = [band.within for band in self.bands if band.within is not None]
        if any(b <= a for a, b in itertools.pairwise(withins)):
            got = ", ".join(map(str, withins))
            out.append(("bands", Problem(BANDS_REACH, given=got)))
        return out

    def validated(self) -> Policy:
        problems = self.problems()
        if problems:
            raise PolicyError("; ".join(f"{name} {why}" for name, why in problems))
        return self

    def light(self, score: Decimal | None) -> Level:
        """The light of a total score under the composite thresholds (inclusive: 92.5 is ★)."""
        if score is None:
            return self.lights.unknown
        for key, minimum in self.thresholds:
            if score >= minimum:
                return self.lights.get(key)
        return self.lights.rated[-1]


DEFAULT_POLICY = Policy()


def composite_policy(values: Mapping[str, Decimal]) -> Policy:
    """Taipei's composite from the flat values a map's ``scoring:`` block and policy row hold: the four
    weights, the cap, the ``excellent``, ``good`` and ``fair`` thresholds and the flag tolerance."""
    return Policy(
        achievement_weight=values["achievement_weight"],
        innovation_weight=values["innovation_weight"],
        challenge_weight=values["challenge_weight"],
        contribution_weight=values["contribution_weight"],
        achievement_cap=values["achievement_cap"],
        thresholds=tuple((key, values[key]) for key, _ in TAIPEI_THRESHOLDS),
        flag_tolerance=values["flag_tolerance"],
    )
