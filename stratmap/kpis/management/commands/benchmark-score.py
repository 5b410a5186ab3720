"""``stratmap benchmark-score``: the scoring engine on synthetic KPI-years, timed phase by phase.

Pure computation on one core (no database). Each KPI-year has 12 monthly values (some months
missing, a few KPI-years without any), an aggregation rule (every :class:`Aggregation`), a target of
every type (ratio both ways, at most, at least, milestone, baseline, range), self-assessment scores,
often a weight; a few KPIs are data only whatever the map's method. Timed by the clock and in the
process's own CPU time (which other programs on a shared machine hardly inflate), each the median
of ``--runs`` runs:

- *aggregate*: every KPI-year's value from its 12 months (``scoring.aggregate``);
- per method, *score*: every KPI-year scored, and *rollups*: the organization, each theme,
  perspective, objective and agency (a KPI of two agencies counts in both), under that method's
  policy: composite with Taipei's lights (its worst-KPI group rule), bands (Green within 0, Amber
  within 10 %, Red) with the RAG lights (the weighted group rule), data only.

Not timed: making the synthetic data and the engine's inputs from it, which is a caller's read.
The goal: 100,000 KPI-years with 12 monthly values each aggregated, scored and rolled up in under
5 s under each method (aggregate + score + rollups). The peak memory printed is the process's
peak resident set (``getrusage`` maxrss): the Python interpreter, Django and the inputs included.
"""

from __future__ import annotations

import gc
import random
import resource
import statistics
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from decimal import Decimal
from functools import partial
from typing import Any, TypeVar

from django.core.management.base import BaseCommand, CommandError, CommandParser

from stratmap.core.commands import progress
from stratmap.kpis.scoring import (
    RAG_LIGHTS,
    Aggregation,
    Band,
    KpiInput,
    KpiScore,
    Method,
    ObjectiveRule,
    Polarity,
    Policy,
    TargetType,
    aggregate,
    rollup,
    score_all,
    summarize,
)

GOAL_SECONDS = 5.0
MONTHS = 12
STAGES = tuple(Decimal(v) for v in (10, 30, 50, 60, 100))

#: The policy of each method, named as the figures are printed.
POLICIES: dict[str, Policy] = {
    "composite": Policy(),  # Taipei's: its weights, thresholds and lights
    "bands": Policy(
        method=Method.BANDS,
        lights=RAG_LIGHTS,
        bands=(Band("green", Decimal(0)), Band("amber", Decimal(10)), Band("red", None)),
        objective_rule=ObjectiveRule.WEIGHTED,
    ).validated(),
    "data only": Policy(method=Method.DATA_ONLY, lights=RAG_LIGHTS).validated(),
}

#: The aggregation rules that make sense for each target type (a ratio KPI may be any kind of figure).
RULES: dict[TargetType, tuple[Aggregation, ...]] = {
    TargetType.RATIO: tuple(Aggregation),
    TargetType.AT_MOST: (Aggregation.MAXIMUM, Aggregation.AVERAGE, Aggregation.LAST),
    TargetType.AT_LEAST: (Aggregation.MINIMUM, Aggregation.AVERAGE, Aggregation.LAST),
    TargetType.MILESTONE: (Aggregation.LAST, Aggregation.MAXIMUM),
    TargetType.BASELINE: (Aggregation.LAST, Aggregation.AVERAGE),
    TargetType.RANGE: (Aggregation.AVERAGE, Aggregation.LAST),
}
TYPES = tuple(RULES)


#: A KPI-year's monthly values (None: not reported) and its aggregation rule, a string as a column gives it.
Periods = tuple[tuple[Decimal | None, ...], str]


def _number(value: float) -> Decimal:
    """A stored number: 4 decimal places, as the database gives them back."""
    return Decimal(round(value * 100)).scaleb(-2).quantize(Decimal("0.0001"))


def synthetic(count: int, seed: int = 108) -> tuple[list[Periods], list[dict[str, Any]]]:
    """KPI-years shaped like a city's: 40 agencies, 8 themes, 4 perspectives, every target type and rule.

    The months hover around what meets the target (from 60 % to 160 % of it), so every light of every
    method is given; 3 % of the KPI-years have no value at all and 5 % of the months are missing.
    Returns each KPI-year's periods, and the rest of its input to the engine.
    """
    rng = random.Random(seed)
    periods: list[Periods] = []
    inputs: list[dict[str, Any]] = []
    for i in range(count):
        kind = TYPES[i % len(TYPES)]
        rules = RULES[kind]
        how = rules[i // len(TYPES) % len(rules)].value  # in turn: 30 KPI-years have every rule
        polarity = Polarity.NEGATIVE if kind is TargetType.RATIO and rng.random() < 0.3 else Polarity.POSITIVE
        target = _number(rng.uniform(1, 2000))
        fields: dict[str, Any] = {"target_type": kind.value, "polarity": polarity.value}
        level = float(target)
        if kind is TargetType.MILESTONE:
            target = STAGES[rng.randrange(1, len(STAGES))]
            level = float(target)
            fields["stages"] = STAGES
        elif kind is TargetType.BASELINE:
            # Half reduce a figure (from twice the target, as 20 days to 10), half raise one (from half of it).
            fields["baseline"] = _number(float(target) * (2 if rng.random() < 0.5 else 0.5))
        elif kind is TargetType.RANGE:
            fields["target_upper"] = _number(float(target) * 1.1)
        if how == Aggregation.SUM:
            level /= MONTHS  # a count: the months add up to the year
        fields["target"] = target
        if rng.random() < 0.03:
            months: tuple[Decimal | None, ...] = (None,) * MONTHS
        else:
            months = tuple(
                None if rng.random() < 0.05 else _number(level * rng.uniform(0.6, 1.6)) for _ in range(MONTHS)
            )
        theme = "ABCDEFGH"[i % 8]
        agency = f"agency-{i % 40}"
        fields.update(
            code=f"{theme}P{i % 7}.{i}",
            unknown_reason="" if any(v is not None for v in months) else "data not yet released",
            innovation=Decimal(rng.randint(70, 100)),
            challenge=Decimal(rng.randint(70, 100)),
            contribution=Decimal(rng.randint(70, 100)),
            score_reported=Decimal(rng.randint(700, 1000)) / 10 if rng.random() < 0.3 else None,
            weight=Decimal(rng.randint(1, 5)) if rng.random() < 0.7 else None,
            method=Method.DATA_ONLY.value if rng.random() < 0.03 else "",
            objective=f"{theme}P{i % 7}",
            theme=theme,
            perspective="CPLF"[i % 4],
            agencies=(agency, f"agency-{(i + 1) % 40}") if rng.random() < 0.1 else (agency,),
        )
        periods.append((months, how))
        inputs.append(fields)
    return periods, inputs


def aggregate_all(periods: list[Periods]) -> list[Decimal | None]:
    return [aggregate(months, how) for months, how in periods]


def roll_up(scores: list[KpiScore], policy: Policy) -> None:
    """The five rollups a scorecard shows."""
    summarize("all", scores, policy=policy)
    for key in (lambda s: s.kpi.theme, lambda s: s.kpi.perspective, lambda s: s.kpi.objective):
        rollup(scores, key, policy=policy)
    rollup(scores, lambda s: s.kpi.agencies, many=True, policy=policy)


T = TypeVar("T")


def timed(run: Callable[[], T]) -> tuple[float, float, T]:
    """Wall-clock and CPU seconds of ``run()``, and what it returned.

    The CPU seconds are this process's alone: on a shared machine the clock also counts the turns
    other programs take on the core.
    """
    wall, cpu = time.perf_counter(), time.process_time()
    result = run()
    return time.perf_counter() - wall, time.process_time() - cpu, result


class CollectorClock:
    """The CPU seconds Python's garbage collector ran, from its callbacks: a share of every phase."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self._started = 0.0

    def __call__(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._started = time.process_time()
        else:
            self.seconds += time.process_time() - self._started


def peak_mib() -> float:
    """The process's peak resident set so far (Linux gives KiB, macOS bytes)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (2**20 if sys.platform == "darwin" else 2**10)


class Command(BaseCommand):
    help = (
        "Time aggregating monthly values, scoring under every rating method and rolling up synthetic "
        f"KPI-years (goal: 100,000 in under {GOAL_SECONDS:g} s per method on one core); print the medians "
        "and the peak memory."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--count", type=int, default=100_000, help="how many KPI-years (default 100000)")
        parser.add_argument("--runs", type=int, default=3, help="runs of each phase; the median is printed (default 3)")

    def handle(self, *args: Any, count: int, runs: int, **options: Any) -> None:
        if count < 1 or runs < 1:
            raise CommandError("--count and --runs must be at least 1")
        periods, inputs = synthetic(count)
        actuals = aggregate_all(periods)
        # The inputs a caller's read makes once the year's values are known: not part of the timing.
        kpis = [KpiInput(actual=actual, **fields) for fields, actual in zip(inputs, actuals, strict=True)]
        del inputs  # a caller keeps the engine's inputs, not what it made them from
        built = peak_mib()
        wall: dict[str, list[float]] = defaultdict(list)
        cpu: dict[str, list[float]] = defaultdict(list)

        clock = CollectorClock()
        gc.callbacks.append(clock)
        try:
            with progress(self.stderr, "timing the phases", runs * (1 + 2 * len(POLICIES))) as steps:
                timed_phases = 0

                def phase(name: str, run: Callable[[], T]) -> T:
                    nonlocal timed_phases
                    seconds, cpu_seconds, result = timed(run)
                    wall[name].append(seconds)
                    cpu[name].append(cpu_seconds)
                    timed_phases += 1
                    steps(timed_phases)
                    return result

                for _ in range(runs):
                    collected = clock.seconds
                    phase("aggregate", partial(aggregate_all, periods))
                    for name, policy in POLICIES.items():
                        scores = phase(f"{name} score", partial(score_all, kpis, policy))
                        phase(f"{name} rollups", partial(roll_up, scores, policy))
                        del scores
                    cpu["collector"].append(clock.seconds - collected)
        finally:
            gc.callbacks.remove(clock)
        types = len({kpi.target_type for kpi in kpis})
        self.stdout.write(report(wall, cpu, periods, types, runs, built))


def verdict(figures: tuple[float, float]) -> str:
    by_clock, by_cpu = (figure < GOAL_SECONDS for figure in figures)
    if by_clock:
        return f"under the goal of {GOAL_SECONDS:g} s"
    if by_cpu:
        return f"under the goal of {GOAL_SECONDS:g} s in CPU time, OVER it by the clock (a busy machine?)"
    return f"OVER the goal of {GOAL_SECONDS:g} s"


def report(
    wall: dict[str, list[float]],
    cpu: dict[str, list[float]],
    periods: list[Periods],
    types: int,
    runs: int,
    built: float,
) -> str:
    clock = {name: statistics.median(values) for name, values in wall.items()}
    own = {name: statistics.median(values) for name, values in cpu.items()}
    values = sum(len(months) for months, _ in periods)
    known = sum(v is not None for months, _ in periods for v in months)
    rules = len({how for _, how in periods})

    def both(*names: str) -> tuple[float, float]:
        return sum(clock[n] for n in names), sum(own[n] for n in names)

    def seconds(figures: tuple[float, float]) -> str:
        return f"{figures[0]:.3f} s (CPU {figures[1]:.3f} s)"

    lines = [
        f"{len(periods)} KPI-years, {values} monthly values ({known} known), {rules} aggregation rules, "
        f"{types} target types; one thread, median of {runs} run(s), by the clock (CPU of this process):",
        f"  aggregate {seconds(both('aggregate'))}",
    ]
    for name in POLICIES:
        pipeline = both("aggregate", f"{name} score", f"{name} rollups")
        lines.append(
            f"  {name}: score {seconds(both(f'{name} score'))}, rollups {seconds(both(f'{name} rollups'))}; "
            f"with aggregate {seconds(pipeline)}: {verdict(pipeline)}"
        )
    everything = both("aggregate", *(f"{name} {part}" for name in POLICIES for part in ("score", "rollups")))
    lines += [
        f"  all three methods, aggregating once: {seconds(everything)}, "
        f"of which Python's garbage collection CPU {own['collector']:.3f} s",
        f"peak memory (getrusage maxrss, the whole process): {built:.1f} MiB once the inputs are built, "
        f"{peak_mib():.1f} MiB at the end",
    ]
    return "\n".join(lines)
