"""``stratmap benchmark-score``: the scoring engine on synthetic KPI results, timed.

Pure computation on one core (no database): building the inputs is not timed,
scoring and the five rollups are. The goal is 100,000 results in under 2 s.
"""

from __future__ import annotations

import random
import time
import tracemalloc
from decimal import Decimal

from django.core.management.base import BaseCommand, CommandParser

from stratmap.kpis.scoring import KpiInput, Polarity, rollup, score_all, summarize


def synthetic(count: int, seed: int = 108) -> list[KpiInput]:
    """KPIs shaped like a city's: 40 agencies, 8 themes, both polarities, some unknowns."""
    rng = random.Random(seed)
    kpis = []
    for i in range(count):
        target = Decimal(rng.randint(1, 20000)) / 10
        actual = None if rng.random() < 0.03 else target * Decimal(rng.randint(60, 160)) / 100
        theme = "ABCDEFGH"[i % 8]
        kpis.append(
            KpiInput(
                code=f"{theme}P{i % 7}.{i}",
                polarity=Polarity.NEGATIVE if rng.random() < 0.2 else Polarity.POSITIVE,
                target=target,
                actual=actual,
                unknown_reason="" if actual is not None else "data not yet released",
                innovation=Decimal(rng.randint(70, 100)),
                challenge=Decimal(rng.randint(70, 100)),
                contribution=Decimal(rng.randint(70, 100)),
                score_reported=Decimal(rng.randint(700, 1000)) / 10 if rng.random() < 0.5 else None,
                weight=Decimal(rng.randint(1, 5)) if rng.random() < 0.5 else None,
                objective=f"{theme}P{i % 7}",
                theme=theme,
                perspective="CPLF"[i % 4],
                agencies=(f"agency-{i % 40}",),
            )
        )
    return kpis


def roll_up(scores: list) -> None:
    summarize("all", scores)
    for key in (lambda s: s.kpi.theme, lambda s: s.kpi.perspective, lambda s: s.kpi.objective):
        rollup(scores, key)
    rollup(scores, lambda s: s.kpi.agencies, many=True)


class Command(BaseCommand):
    help = "Time scoring synthetic KPI results (goal: 100,000 in under 2 s on one core) and print the figures."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--count", type=int, default=100_000, help="how many KPI results (default 100000)")

    def handle(self, *args, count: int, **options) -> None:
        kpis = synthetic(count)
        started = time.perf_counter()
        scores = score_all(kpis)
        scored = time.perf_counter()
        roll_up(scores)
        finished = time.perf_counter()
        # Memory is measured on a second run: tracing slows Python down several times.
        tracemalloc.start()
        roll_up(score_all(kpis))
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        self.stdout.write(
            f"scored {count} KPI results in {scored - started:.3f} s, rollups {finished - scored:.3f} s, "
            f"total {finished - started:.3f} s (goal < 2 s); peak traced memory {peak / 2**20:.1f} MiB"
        )
