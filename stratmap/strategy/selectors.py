"""Reads of a map's own structure (perspectives, themes, objectives, links), for the pages: a fixed number of
queries, whatever the map's size. Reads that take in KPIs or plans live in those apps (ARCHITECTURE.md).

Every read takes the reader's :class:`~stratmap.access.Access` (keyword ``access``, required)
and refuses (404) a map it may not read; commands pass ``Access.everything()``.
"""

from __future__ import annotations

from dataclasses import dataclass

from stratmap.access import Access
from stratmap.strategy.models import Objective, Perspective, StrategyMap, Theme


@dataclass
class MapStructure:
    """Perspectives, themes, objectives and links of one map, ready to draw."""

    map: StrategyMap
    perspectives: list[Perspective]
    themes: list[Theme]
    objectives: list[Objective]
    links: list[tuple[str, str]]

    def objectives_of(self, theme: Theme | None, perspective: Perspective | None) -> list[Objective]:
        """The objectives of a theme (None: across themes) in a perspective (None: outside them)."""
        theme_id = theme.pk if theme else None
        perspective_id = perspective.pk if perspective else None
        return [o for o in self.objectives if o.theme_id == theme_id and o.perspective_id == perspective_id]


def map_structure(*, smap: StrategyMap, access: Access) -> MapStructure:
    """Four queries: perspectives, themes (with groups), objectives, links."""
    access.require(smap)
    return MapStructure(
        map=smap,
        perspectives=list(smap.perspectives.order_by("order")),
        themes=list(smap.themes.select_related("group").order_by("order")),
        objectives=list(smap.objectives.order_by("order")),
        links=list(smap.links.order_by("pk").values_list("source__code", "target__code")),
    )
