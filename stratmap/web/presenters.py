"""What every page shows (a context processor): the light legend and the administrator's links.

How scores read (lights, numbers, reasons, the summary sentence) is :mod:`stratmap.kpis.presenters`."""

from __future__ import annotations

from collections.abc import Iterable

from stratmap.access import access_for
from stratmap.kpis.presenters import light_style, light_styles
from stratmap.kpis.scoring import LightSet
from stratmap.kpis.selectors import policy_of
from stratmap.strategy.diagram import LightStyle
from stratmap.strategy.models import StrategyMap


def legend(sets: Iterable[LightSet]) -> list[LightStyle]:
    """The levels of ``sets``, each once, in order: the legend of a page showing maps of several sets."""
    seen: dict[object, LightStyle] = {}
    for lights in sets:
        for level in lights:
            seen.setdefault(level, light_style(level))
    return list(seen.values())


def map_legend(smap: StrategyMap) -> list[LightStyle]:
    """The legend of a page of a map: its own light set (its rating policy's)."""
    return light_styles(policy_of(smap=smap).lights)


def lights_context(request) -> dict:
    """What every page shows: the light legend (the default light set; a page of a map shows its map's,
    the ``legend`` tag), and the extra links of the administrators of the page's organization
    (``is_administrator``)."""
    access = access_for(request)
    match = getattr(request, "resolver_match", None)
    org = match.kwargs.get("org") if match else None
    return {
        "lights": light_styles(),
        "is_administrator": bool(org) and access.is_insider and access.is_administrator(org),
    }
