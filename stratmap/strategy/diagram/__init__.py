"""Strategy-map diagrams: grid layout, orthogonal arrow routing and SVG output.

Pure Python, no Django: the web layer turns one map version into a :class:`MapSpec`,
:func:`layout` works out a :class:`Layout` (every position, size and wrapped line), and
:func:`render_svg` and the deck's map slide draw from that one layout. Text is measured
with :mod:`stratmap.text`, as everywhere else.

- :mod:`.spec` — what to draw (the input), :func:`sub_map`, a theme's part of a map, and :func:`outline`, the
  map in words (its lists of objectives and links, which a page gives beside the drawing);
- :mod:`.geometry` — the :class:`Layout` and its parts (the output);
- :mod:`.placement` — measuring boxes and headers and placing them on the grid;
- :mod:`.routing` — the arrows' routes, ports and lanes through the gutters between the boxes;
- :mod:`.svg` — the SVG document.

Timing: ``stratmap benchmark-diagram``.
"""

from __future__ import annotations

from .geometry import BoxText, Corner, Header, Layout, Panel, Rect, RowHead, ThemeHead
from .placement import BOX_PAD_X, NAME_SIZE, layout
from .spec import LightStyle, MapSpec, ObjectiveBox, Outline, OutlinePerspective, OutlineTheme, cycles, outline, sub_map
from .svg import ARROW, NEUTRAL, render_svg

__all__ = [
    "ARROW",
    "BOX_PAD_X",
    "NAME_SIZE",
    "NEUTRAL",
    "BoxText",
    "Corner",
    "Header",
    "Layout",
    "LightStyle",
    "MapSpec",
    "ObjectiveBox",
    "Outline",
    "OutlinePerspective",
    "OutlineTheme",
    "Panel",
    "Rect",
    "RowHead",
    "ThemeHead",
    "cycles",
    "layout",
    "outline",
    "render_svg",
    "sub_map",
]
