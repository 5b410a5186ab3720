"""What the engine works out: every position, size and wrapped line of a map, in px.

:class:`Layout` is the one description of a drawn map. The SVG renderer and the deck's map
slide both draw from it and measure nothing themselves, so they cannot disagree.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["BoxText", "Corner", "Header", "Layout", "Panel", "Rect", "RowHead", "ThemeHead"]


@dataclass(frozen=True)
class Rect:
    x: float
    y: float
    w: float
    h: float


@dataclass(frozen=True)
class BoxText:
    """What an objective's box says, wrapped to the box's width."""

    code_lines: tuple[str, ...]
    badge: str | None  # "★ 優"
    badge_inline: bool  # on the code line (top-right corner) or on a line of its own (bottom-right)
    name_lines: tuple[str, ...]
    height: float  # of the text; a box in a band of equal boxes may be taller


@dataclass(frozen=True)
class Panel:
    """Mission, vision or core values, a panel in the header."""

    key: str  # "mission" | "vision" | "values"
    caption: str
    rect: Rect
    lines: tuple[tuple[str, ...], ...]  # mission/vision: one string per line; values: the values (or pieces) per line


@dataclass(frozen=True)
class Header:
    """Everything above the theme headers."""

    title: Rect
    title_lines: tuple[str, ...]
    panels: tuple[Panel, ...]  # side by side, those of mission, vision and values the map has
    height: float  # from the top of the map to the theme headers


@dataclass(frozen=True)
class ThemeHead:
    """A theme's header at the top of its column."""

    rect: Rect
    inline: bool  # "A 營造永續環境" on one line; else the code above the name's lines
    name_lines: tuple[str, ...]


@dataclass(frozen=True)
class Corner:
    """The box left of the theme headers and above the perspective headers, with both captions."""

    rect: Rect
    themes_lines: tuple[str, ...]  # top right: "Strategic themes"
    perspectives_lines: tuple[str, ...]  # bottom left: "Perspectives"


@dataclass(frozen=True)
class RowHead:
    """A perspective's header at the left of its row band."""

    rect: Rect
    lines: tuple[str, ...]


@dataclass
class Layout:
    """A map laid out (:func:`~.placement.layout`): what the SVG and the deck's map slide draw."""

    width: float
    height: float
    boxes: dict[str, Rect]  # objective code -> rect
    rows: dict[str, Rect]  # perspective code -> band; "" -> the unnamed band of objectives without one
    columns: dict[str, Rect]  # theme code -> column, from its header down to the last band
    arrows: list[tuple[str, str, list[tuple[float, float]]]]  # (from, to, polyline points)
    texts: dict[str, BoxText]  # objective code -> its box's text
    header: Header
    theme_heads: dict[str, ThemeHead]  # theme code -> header
    corner: Corner | None  # None without themes (no theme headers either) or without perspectives
    row_heads: dict[str, RowHead]  # perspective code -> header
    channels: list[tuple[float, float]]  # x from and to of the vertical channels, left to right
    body: Rect  # the theme headers and the row bands: the map without its header
