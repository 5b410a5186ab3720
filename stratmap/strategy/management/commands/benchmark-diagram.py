"""``stratmap benchmark-diagram``: the diagram engine on a synthetic map, timed.

Pure computation (no database): a map of 8 themes and 4 perspectives with cross-theme
objectives, stacked cells and random cause-and-effect links. Layout (measuring, placing,
routing) and rendering are timed apart and together; the first call measures every text
afresh, later calls find the wrapped lines cached, as a server drawing the same map again
does. The demo's city map is timed by ``stratmap benchmark-pages``.
"""

from __future__ import annotations

import random
import statistics
import time
from collections.abc import Callable
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from stratmap.strategy.diagram import LightStyle, MapSpec, ObjectiveBox, layout, render_svg


def synthetic(n_objectives: int = 100, n_links: int = 150, seed: int = 7) -> MapSpec:
    """A city-sized map: 4 cross-theme objectives, the rest in random cells, ``n_links`` distinct links."""
    rnd = random.Random(seed)
    perspectives = [("C", "顧客"), ("P", "內部流程"), ("L", "學習成長"), ("F", "財務")]
    themes = [(chr(ord("A") + i), f"主題{i + 1}號策略") for i in range(8)]
    objectives = [ObjectiveBox(f"TC{i + 1}", f"跨主題目標{i + 1}", "C", None) for i in range(min(4, n_objectives))]
    counters: dict[tuple[str, str], int] = {}
    lights = [
        LightStyle("excellent", "★", "優", "#1a7f37"),
        LightStyle("good", "●", "良", "#0969da"),
        LightStyle("fair", "▲", "可", "#9a6700"),
        LightStyle("poor", "╳", "差", "#cf222e"),
        None,
    ]
    while len(objectives) < n_objectives:
        t = rnd.choice(themes)[0]
        p = rnd.choice(perspectives)[0]
        counters[(t, p)] = counters.get((t, p), 0) + 1
        code = f"{t}{p}{counters[(t, p)]}"
        name = "提升" + "策略目標名稱"[: rnd.randint(2, 6)] * rnd.randint(1, 2)
        objectives.append(ObjectiveBox(code, name, p, t, rnd.choice(lights), f"/o/{code}"))
    codes = [o.code for o in objectives]
    links: list[tuple[str, str]] = []
    while len(links) < n_links:  # distinct links between different boxes, so that all are drawn
        link = (rnd.choice(codes), rnd.choice(codes))
        if link[0] != link[1] and link not in links:
            links.append(link)
    return MapSpec("合成策略地圖", "使命", "願景", ["正直", "創新"], {}, perspectives, themes, objectives, links)


def _median_ms(run: Callable[[], object], repeat: int) -> float:
    timings = []
    for _ in range(repeat):
        started = time.perf_counter()
        run()
        timings.append((time.perf_counter() - started) * 1000)
    return statistics.median(timings)


class Command(BaseCommand):
    help = "Time laying out and drawing a synthetic strategy map (no database) and print the figures."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--objectives", type=int, default=100, help="objectives on the map (default 100)")
        parser.add_argument("--links", type=int, default=150, help="cause-and-effect links (default 150)")
        parser.add_argument("--repeat", type=int, default=20, help="runs of each step; the median is printed")

    def handle(self, *args: Any, objectives: int, links: int, repeat: int, **options: Any) -> None:
        if objectives < 2 or repeat < 1:
            raise CommandError("--objectives must be at least 2 and --repeat at least 1")
        if not 0 <= links <= objectives * (objectives - 1):
            raise CommandError(
                f"--links must be between 0 and {objectives * (objectives - 1)} for {objectives} objectives"
            )
        spec = synthetic(objectives, links)
        started = time.perf_counter()
        svg = render_svg(spec)  # the first call: no wrapped line is cached yet
        first = (time.perf_counter() - started) * 1000
        lay = layout(spec)
        both = _median_ms(lambda: render_svg(spec), repeat)
        placing = _median_ms(lambda: layout(spec), repeat)
        drawing = _median_ms(lambda: render_svg(spec, lay), repeat)
        self.stdout.write(
            f"8 themes x 4 perspectives, {len(spec.objectives)} objectives, {len(spec.links)} links "
            f"({len(lay.arrows)} drawn), {len(svg)} bytes of SVG\n"
            f"layout + render: first call {first:.1f} ms, median of {repeat} {both:.1f} ms "
            f"(layout {placing:.1f} ms, render {drawing:.1f} ms)"
        )
