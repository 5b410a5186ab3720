"""Strategy-map diagrams: grid layout, orthogonal arrow routing and SVG output.

Pure Python, no Django: the web layer turns one map version into a
:class:`MapSpec` and calls :func:`render_svg`.

Layout
    The map is a grid with one row band per perspective (in the given order, top
    to bottom) and one column per strategic theme. An objective is a box in the
    cell (its perspective's row, its theme's column); several objectives of one
    cell are stacked. Objectives without a theme (the city's TC1–TC4) sit side
    by side across the full width of their row, in a band above that row's
    cells; each of them spans a whole number of theme columns, so the channels
    between those groups of columns stay open for arrows. Above the grid come
    the title, mission, vision and core values, then the theme headers; left of
    it the perspective headers.

Routing
    Arrows run only through gutters: the vertical *channels* left of, between and
    right of the theme columns, and the full-width horizontal *gutters* between
    row bands, between a row's cross-theme band and its cells, and above and
    below the grid. An arrow leaves its box through a side into the adjacent
    channel, or through the top or bottom edge into the adjacent gutter (only the
    top and bottom box of a stack have such an edge), and enters its target the
    same way, so it never crosses a box. Every link gets its own lane in each
    channel and gutter it shares with an overlapping link; channels and gutters
    grow to fit their lanes (up to a cap, beyond which lanes draw closer).

Text widths are estimated without fonts: a CJK or full-width character counts as
1em, any other character as 0.6em (0.35em for the narrowest, such as "i" or
"."). Chinese names wrap by character, other text at spaces.

Everything is deterministic: the same spec gives the same SVG, byte for byte.
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from xml.sax.saxutils import escape, quoteattr

__all__ = [
    "Layout",
    "LightStyle",
    "MapSpec",
    "ObjectiveBox",
    "Rect",
    "layout",
    "render_svg",
    "sub_map",
    "text_width",
    "wrap",
]


# --------------------------------------------------------------------------- interface


@dataclass(frozen=True)
class LightStyle:
    """How a light looks."""

    key: str  # "excellent" | "good" | "fair" | "poor" | "unknown"
    symbol: str  # "★"
    label: str  # "優" or "excellent" (already in the page's language)
    colour: str  # "#1a7f37"


@dataclass(frozen=True)
class ObjectiveBox:
    code: str
    name: str
    perspective: str  # perspective code
    theme: str | None  # theme code, None = spans all themes
    light: LightStyle | None = None  # None: no KPI data, drawn neutral grey without symbol
    href: str | None = None


@dataclass(frozen=True)
class MapSpec:
    title: str
    mission: str
    vision: str
    values: list[str]
    labels: dict[str, str]  # captions: "mission", "vision", "values", "themes", "perspectives"
    perspectives: list[tuple[str, str]]  # (code, name) in drawing order
    themes: list[tuple[str, str]]  # (code, name) in order
    objectives: list[ObjectiveBox]
    links: list[tuple[str, str]]  # (from objective code, to objective code)


@dataclass(frozen=True)
class Rect:
    x: float
    y: float
    w: float
    h: float


@dataclass
class Layout:
    width: float
    height: float
    boxes: dict[str, Rect]  # objective code -> rect
    rows: dict[str, Rect]  # perspective code -> band
    columns: dict[str, Rect]  # theme code -> column
    arrows: list[tuple[str, str, list[tuple[float, float]]]]  # (from, to, polyline points)


# --------------------------------------------------------------------------- dimensions (px)

MARGIN = 12.0
ROW_HEAD_W = 104.0  # perspective header column, including the gap before the first channel
ROW_HEAD_GAP = 6.0
COL_W = 152.0  # theme column = objective box width
CHANNEL_MIN = 28.0
CHANNEL_MAX = 72.0
GUTTER_EDGE_MIN = 28.0  # above the first and below the last row band
GUTTER_ROW_MIN = 36.0  # between row bands (includes both bands' padding)
GUTTER_INNER_MIN = 24.0  # inside a band: below a cross-theme line
GUTTER_MAX = 160.0
LANE = 6.0  # distance between parallel arrows
CLEAR = 10.0  # distance of the outermost lane from a box (room for the arrowhead)
LANE_GAP = 12.0  # two arrows may share a lane only this far apart
BAND_PAD = 8.0
STACK_GAP = 8.0
EMPTY_ROW_H = 40.0
BOX_PAD_X = 8.0
BOX_PAD_TOP = 5.0
BOX_PAD_BOTTOM = 6.0
LINE_H = 17.0
BEND = 24.0  # routing cost of one bend, in px of length
CROWD = 6.0  # routing cost of each arrow already in a channel
PORT_GAP = 14.0  # between arrows on the top or bottom edge of a box

CODE_SIZE = 13
NAME_SIZE = 13
LIGHT_SIZE = 12
THEME_SIZE = 14
ROW_SIZE = 15
TITLE_SIZE = 20
HEAD_SIZE = 13
CORNER_SIZE = 12

FONT_STACK = '"Noto Sans CJK TC", "Noto Sans TC", "Microsoft JhengHei", "PingFang TC", sans-serif'
NEUTRAL = "#8c959f"
INK = "#1f2328"
THEME_FILL = "#24476b"
ARROW = "#4b5563"

DEFAULT_LABELS = {
    "mission": "Mission",
    "vision": "Vision",
    "values": "Core values",
    "themes": "Strategic themes",
    "perspectives": "Perspectives",
}


# --------------------------------------------------------------------------- text measurement

_NARROW = frozenset("iljI.,:;'|!`")
_NO_LINE_START = frozenset("，。、；：！？）」』】〕〉》〗…‥,.;:!?)]}%’”")


@lru_cache(maxsize=4096)
def _em(ch: str) -> float:
    if unicodedata.combining(ch) or ch in "\u200b\u200c\u200d\ufeff":
        return 0.0
    if unicodedata.east_asian_width(ch) in ("W", "F", "A"):
        return 1.0
    if ch in _NARROW or ch == " ":
        return 0.35
    return 0.6


def text_width(text: str, size: float, bold: bool = False) -> float:
    """Estimated advance width of ``text`` at ``size`` px: CJK 1em, other characters about 0.6em."""
    return sum(map(_em, text)) * size * (1.05 if bold else 1.0)


def _tokens(text: str) -> list[str]:
    """Runs of spaces, words of narrow characters, and single wide (CJK) characters."""
    out: list[str] = []
    word = ""
    for ch in text:
        if ch.isspace():
            if word and not word[-1].isspace():
                out.append(word)
                word = ""
            word += ch
        elif _em(ch) >= 1.0:
            if word:
                out.append(word)
                word = ""
            out.append(ch)
        else:
            if word and word[-1].isspace():
                out.append(word)
                word = ""
            word += ch
    if word:
        out.append(word)
    return out


def _wrap_greedy(text: str, size: float, max_w: float, bold: bool) -> list[str]:
    lines: list[str] = []
    cur, cur_w = "", 0.0
    for tok in _tokens(text):
        tok_w = text_width(tok, size, bold)
        if tok.isspace():  # spaces stay at the end of a line (invisible), so joining the lines gives the text back
            cur, cur_w = cur + tok, cur_w + tok_w
            continue
        pieces = [tok] if tok_w <= max_w else list(tok)
        for piece in pieces:
            w = tok_w if len(pieces) == 1 else text_width(piece, size, bold)
            if cur.strip() and cur_w + w > max_w + 0.01:
                if piece[0] in _NO_LINE_START and len(cur) > 1 and not cur[-1].isspace():
                    carry = cur[-1]  # never start a line with closing punctuation: take a character along
                    lines.append(cur[:-1])
                    cur, cur_w = carry, text_width(carry, size, bold)
                else:
                    lines.append(cur)
                    cur, cur_w = "", 0.0
            cur, cur_w = cur + piece, cur_w + w
    if cur:
        lines.append(cur)
    return lines


@lru_cache(maxsize=4096)
def _wrap(text: str, size: float, max_w: float, bold: bool = False) -> tuple[str, ...]:
    """Wrap ``text`` into lines no wider than ``max_w``, as evenly long as possible."""
    if not text:
        return ()
    lines = _wrap_greedy(text, size, max_w, bold)
    if len(lines) <= 1:
        return tuple(lines)
    # Balance: the narrowest width that still needs no more lines, but never so narrow that a word
    # which fits the full width would be broken.
    widest = max((text_width(tok, size, bold) for tok in _tokens(text) if not tok.isspace()), default=0.0)
    lo, hi = max(max_w / len(lines), min(widest, max_w)), max_w
    for _ in range(8):
        mid = (lo + hi) / 2
        if len(_wrap_greedy(text, size, mid, bold)) <= len(lines):
            hi = mid
        else:
            lo = mid
    return tuple(_wrap_greedy(text, size, hi, bold))


def wrap(text: str, size: float, max_w: float, bold: bool = False) -> tuple[str, ...]:
    """``text`` wrapped into balanced lines no wider than ``max_w`` at ``size`` (any unit, the same for both)."""
    return _wrap(" ".join(text.split()), size, max_w, bold)


@dataclass(frozen=True)
class _BoxText:
    code_lines: tuple[str, ...]
    badge: str | None  # "★ 優"
    badge_inline: bool  # on the code line (top-right corner) or on a line of its own (bottom-right)
    name_lines: tuple[str, ...]
    height: float


def _box_text(ob: ObjectiveBox, w: float) -> _BoxText:
    inner = w - 2 * BOX_PAD_X
    code_lines = _wrap(ob.code, CODE_SIZE, inner, bold=True) or ("",)
    badge = f"{ob.light.symbol} {ob.light.label}" if ob.light else None
    badge_inline = badge is None or (
        len(code_lines) == 1 and text_width(code_lines[0], CODE_SIZE, True) + 8 + text_width(badge, LIGHT_SIZE) <= inner
    )
    name_lines = _wrap(ob.name, NAME_SIZE, inner)
    n = len(code_lines) + max(1, len(name_lines)) + (0 if badge_inline else 1)
    return _BoxText(code_lines, badge, badge_inline, name_lines, BOX_PAD_TOP + LINE_H * n + BOX_PAD_BOTTOM)


# --------------------------------------------------------------------------- model (what does not depend on routing)


@dataclass
class _Box:
    ob: ObjectiveBox
    row: int
    first: int  # first column
    last: int  # last column
    line: int  # cross-theme line in its row, -1 for a box in a cell
    h: float
    top_g: int | None = None  # gutter reached through the top edge
    bottom_g: int | None = None  # gutter reached through the bottom edge


@dataclass
class _Row:
    code: str
    name: str
    lines: list[list[str]]  # cross-theme lines: codes
    line_h: list[float]
    cells: dict[int, list[str]]  # column -> codes, top to bottom
    cells_h: float
    above: int  # gutter indices
    after_line: list[int | None]
    below: int


@dataclass
class _ThemeHead:
    code: str
    inline: bool  # "A 營造永續環境" on one line
    name_lines: tuple[str, ...]


@dataclass
class _Model:
    spec: MapSpec
    ncol: int  # columns drawn (at least 1, even without themes)
    boxes: dict[str, _Box]
    rows: list[_Row]
    gutter_min: list[float]
    theme_heads: list[_ThemeHead]
    corner: tuple[tuple[str, ...], tuple[str, ...]]  # theme caption lines, perspective caption lines
    theme_h: float


def _label(spec: MapSpec, key: str) -> str:
    return (spec.labels or {}).get(key) or DEFAULT_LABELS[key]


def _even_split(total: int, parts: int) -> list[int]:
    base, extra = divmod(total, parts)
    return [base + (1 if i < extra else 0) for i in range(parts)]


def _measure(spec: MapSpec) -> _Model:
    pindex: dict[str, int] = {}
    for i, (code, _name) in enumerate(spec.perspectives):
        if code in pindex:
            raise ValueError(f"perspective {code!r} is listed twice")
        pindex[code] = i
    tindex: dict[str, int] = {}
    for i, (code, _name) in enumerate(spec.themes):
        if code in tindex:
            raise ValueError(f"theme {code!r} is listed twice")
        tindex[code] = i
    ncol = max(1, len(spec.themes))

    spanning: list[list[ObjectiveBox]] = [[] for _ in spec.perspectives]
    cells: list[dict[int, list[ObjectiveBox]]] = [{} for _ in spec.perspectives]
    seen: set[str] = set()
    for ob in spec.objectives:
        if ob.code in seen:
            raise ValueError(f"objective {ob.code!r} is listed twice")
        seen.add(ob.code)
        if ob.perspective not in pindex:
            raise ValueError(f"objective {ob.code!r}: unknown perspective {ob.perspective!r}")
        r = pindex[ob.perspective]
        if ob.theme is None:
            spanning[r].append(ob)
        elif ob.theme in tindex:
            cells[r].setdefault(tindex[ob.theme], []).append(ob)
        else:
            raise ValueError(f"objective {ob.code!r}: unknown theme {ob.theme!r}")

    boxes: dict[str, _Box] = {}
    rows: list[_Row] = []
    gutter_min: list[float] = [GUTTER_EDGE_MIN]
    for r, (pcode, pname) in enumerate(spec.perspectives):
        above = len(gutter_min) - 1
        lines: list[list[str]] = []
        line_h: list[float] = []
        after_line: list[int | None] = []
        span = spanning[r]
        if span:
            nlines = math.ceil(len(span) / ncol)
            pos = 0
            for k, count in enumerate(_even_split(len(span), nlines)):
                obs = span[pos : pos + count]
                pos += count
                col = 0
                codes = []
                heights = []
                for ob, ncols in zip(obs, _even_split(ncol, count), strict=False):
                    w = ncols * COL_W + (ncols - 1) * CHANNEL_MIN
                    boxes[ob.code] = _Box(ob, r, col, col + ncols - 1, k, 0.0)
                    heights.append(_box_text(ob, w).height)
                    codes.append(ob.code)
                    col += ncols
                h = max(heights)
                for code in codes:
                    boxes[code].h = h
                lines.append(codes)
                line_h.append(h)
        row_cells: dict[int, list[str]] = {}
        cells_h = 0.0
        for c in sorted(cells[r]):
            stack = cells[r][c]
            for ob in stack:
                boxes[ob.code] = _Box(ob, r, c, c, -1, _box_text(ob, COL_W).height)
            row_cells[c] = [ob.code for ob in stack]
            cells_h = max(cells_h, sum(boxes[ob.code].h for ob in stack) + STACK_GAP * (len(stack) - 1))
        for k in range(len(lines)):
            if k < len(lines) - 1 or row_cells:
                after_line.append(len(gutter_min))
                gutter_min.append(GUTTER_INNER_MIN)
            else:
                after_line.append(None)
        below = len(gutter_min)
        last = r == len(spec.perspectives) - 1
        gutter_min.append(GUTTER_EDGE_MIN if last else GUTTER_ROW_MIN)
        row = _Row(pcode, pname, lines, line_h, row_cells, cells_h, above, after_line, below)
        rows.append(row)
        for k, codes in enumerate(lines):
            for code in codes:
                boxes[code].top_g = above if k == 0 else after_line[k - 1]
                boxes[code].bottom_g = after_line[k] if after_line[k] is not None else below
        for stack in row_cells.values():
            first_gutter = after_line[-1] if lines else above
            boxes[stack[0]].top_g = first_gutter
            boxes[stack[-1]].bottom_g = below

    inner = COL_W - 2 * BOX_PAD_X
    heads: list[_ThemeHead] = []
    theme_h = 44.0
    for code, name in spec.themes:
        inline = text_width(code, THEME_SIZE, True) + 6 + text_width(name, THEME_SIZE) <= inner
        name_lines = (name,) if inline else _wrap(name, THEME_SIZE, inner)
        heads.append(_ThemeHead(code, inline, name_lines))
        nlines = 1 if inline else 1 + max(1, len(name_lines))
        theme_h = max(theme_h, 2 * 8 + nlines * 19)
    corner_w = ROW_HEAD_W - ROW_HEAD_GAP - 10
    corner = (
        _wrap(_label(spec, "themes"), CORNER_SIZE, corner_w),
        _wrap(_label(spec, "perspectives"), CORNER_SIZE, corner_w),
    )
    theme_h = max(theme_h, 10 + 16 * (len(corner[0]) + len(corner[1])) + 8)
    return _Model(spec, ncol, boxes, rows, gutter_min, heads, corner, theme_h)


@dataclass
class _Panel:
    key: str
    caption: str
    x: float
    w: float
    lines: list[list[str]]  # mission/vision: one string per line; values: the values (or pieces) per line


@dataclass
class _Header:
    title_lines: tuple[str, ...]
    panels: list[_Panel]
    panels_y: float
    panel_h: float
    height: float  # from the top of the SVG to the theme headers


PANEL_PAD = 8.0
HEAD_LINE = 18.0
TITLE_LINE = 26.0
VALUE_SEP = " · "


def _header(spec: MapSpec, width: float) -> _Header:
    inner = width - 2 * MARGIN
    title_lines = _wrap(spec.title, TITLE_SIZE, inner, bold=True)
    y = MARGIN + len(title_lines) * TITLE_LINE + (8 if title_lines else 0)
    values = [v for v in spec.values if v]
    keys = [k for k, present in (("mission", spec.mission), ("vision", spec.vision), ("values", values)) if present]
    panels: list[_Panel] = []
    panel_h = 0.0
    if keys:
        gap = 12.0
        w = (inner - gap * (len(keys) - 1)) / len(keys)
        text_w = w - 2 * PANEL_PAD
        for i, key in enumerate(keys):
            if key == "values":
                lines: list[list[str]] = []
                cur: list[str] = []
                cur_w = 0.0
                sep_w = text_width(VALUE_SEP, HEAD_SIZE)
                for value in values:
                    vw = text_width(value, HEAD_SIZE)
                    if vw > text_w:
                        if cur:
                            lines.append(cur)
                        lines.extend([piece] for piece in _wrap(value, HEAD_SIZE, text_w))
                        cur, cur_w = [], 0.0
                    elif cur and cur_w + sep_w + vw > text_w:
                        lines.append(cur)
                        cur, cur_w = [value], vw
                    else:
                        cur_w += (sep_w if cur else 0.0) + vw
                        cur.append(value)
                if cur:
                    lines.append(cur)
            else:
                lines = [[line] for line in _wrap(getattr(spec, key), HEAD_SIZE, text_w)]
            panels.append(_Panel(key, _label(spec, key), MARGIN + i * (w + gap), w, lines))
        panel_h = 2 * PANEL_PAD + HEAD_LINE * (1 + max(len(p.lines) for p in panels))
    height = y + (panel_h + 12 if panels else 0)
    return _Header(title_lines, panels, y, panel_h, height)


# --------------------------------------------------------------------------- geometry


@dataclass
class _Geo:
    width: float
    height: float
    col_x: list[float]
    ch: list[tuple[float, float]]  # channel free extents (x0, x1)
    gut: list[tuple[float, float]]  # gutter free extents (y0, y1)
    X: list[float]  # channel centres
    Y: list[float]  # gutter centres
    rects: dict[str, Rect]
    rows: dict[str, Rect]
    columns: dict[str, Rect]
    blocked: list[list[tuple[float, float]]]  # per channel: y ranges closed by a cross-theme box
    theme_top: float


def _geometry(model: _Model, ch_w: list[float], gut_h: list[float]) -> _Geo:
    n = model.ncol
    x = MARGIN + ROW_HEAD_W
    col_x: list[float] = []
    ch: list[tuple[float, float]] = []
    for c in range(n):
        ch.append((x, x + ch_w[c]))
        x += ch_w[c]
        col_x.append(x)
        x += COL_W
    ch.append((x, x + ch_w[n]))
    grid_right = x + ch_w[n]
    width = grid_right + MARGIN
    theme_top = _header(model.spec, width).height
    y = theme_top + model.theme_h

    gut: list[tuple[float, float]] = [(0.0, 0.0)] * len(gut_h)
    rects: dict[str, Rect] = {}
    rows: dict[str, Rect] = {}
    blocked: list[list[tuple[float, float]]] = [[] for _ in range(n + 1)]
    band_bottom = y
    for row in model.rows:
        gut[row.above] = (y, y + gut_h[row.above])
        y += gut_h[row.above]
        band_top = y - BAND_PAD
        for k, codes in enumerate(row.lines):
            h = row.line_h[k]
            for code in codes:
                b = model.boxes[code]
                x0 = col_x[b.first]
                rects[code] = Rect(x0, y, col_x[b.last] + COL_W - x0, h)
                for c in range(b.first + 1, b.last + 1):
                    blocked[c].append((y, y + h))
            y += h
            g = row.after_line[k]
            if g is not None:
                gut[g] = (y, y + gut_h[g])
                y += gut_h[g]
        if row.cells:
            for c, codes in row.cells.items():
                yy = y
                for code in codes:
                    h = model.boxes[code].h
                    rects[code] = Rect(col_x[c], yy, COL_W, h)
                    yy += h + STACK_GAP
            y += row.cells_h
        elif not row.lines:
            y += EMPTY_ROW_H
        band_bottom = y + BAND_PAD
        rows[row.code] = Rect(MARGIN, band_top, grid_right - MARGIN, band_bottom - band_top)
    last = len(gut_h) - 1
    gut[last] = (y, y + gut_h[last])
    y += gut_h[last]
    height = y + MARGIN
    columns = {
        code: Rect(col_x[i], theme_top, COL_W, band_bottom - theme_top)
        for i, (code, _n) in enumerate(model.spec.themes)
    }
    return _Geo(
        width,
        height,
        col_x,
        ch,
        gut,
        [(a + b) / 2 for a, b in ch],
        [(a + b) / 2 for a, b in gut],
        rects,
        rows,
        columns,
        blocked,
        theme_top,
    )


def _is_blocked(ranges: list[tuple[float, float]], ya: float, yb: float) -> bool:
    if not ranges:
        return False
    lo, hi = (ya, yb) if ya <= yb else (yb, ya)
    return any(b0 < hi and b1 > lo for b0, b1 in ranges)


# --------------------------------------------------------------------------- routing

# A route is (source code, target code, exit side, tracks, entry side). Sides are "L", "R", "T", "B".
# Tracks alternate between ("V", channel) and ("H", gutter); a side exit starts with a channel,
# a top/bottom exit with a gutter (and the same, mirrored, at the entry).
Track = tuple[str, int]
Route = tuple[str, str, str, tuple[Track, ...], str]


def _centre_port(r: Rect, side: str) -> tuple[float, float]:
    if side == "L":
        return r.x, r.y + r.h / 2
    if side == "R":
        return r.x + r.w, r.y + r.h / 2
    if side == "T":
        return r.x + r.w / 2, r.y
    return r.x + r.w / 2, r.y + r.h


@dataclass(frozen=True)
class _Reach:
    gutter: int
    side: str
    tracks: tuple[Track, ...]
    cost: float
    lo: float  # where the route can meet the gutter: x from lo to hi
    hi: float


def _port_range(r: Rect) -> tuple[float, float]:
    """Where on a top or bottom edge an arrow would like to attach: the centre of a box in a cell,
    anywhere above the centres of the columns a cross-theme box covers."""
    half = min(r.w, COL_W) / 2
    return r.x + half, r.x + r.w - half


def _reaches(box: _Box, geo: _Geo) -> list[_Reach]:
    """Every way from a box into a full-width gutter: straight through its top or bottom edge,
    or (boxes in a cell only) out of a side, into the channel there and along it."""
    rect = geo.rects[box.ob.code]
    out: list[_Reach] = []
    lo, hi = _port_range(rect)
    for side, g in (("T", box.top_g), ("B", box.bottom_g)):
        if g is not None:
            py = rect.y if side == "T" else rect.y + rect.h
            out.append(_Reach(g, side, (), abs(py - geo.Y[g]), lo, hi))
    if box.line >= 0:
        return out  # a cross-theme box is entered through its long edges, never its short sides
    for side, c in (("L", box.first), ("R", box.last + 1)):
        px, py = _centre_port(rect, side)
        xc = geo.X[c]
        stub = abs(px - xc) + BEND
        for g, yg in enumerate(geo.Y):
            if not _is_blocked(geo.blocked[c], py, yg):
                out.append(_Reach(g, side, (("V", c),), stub + abs(py - yg), xc, xc))
    return out


def _gap(a_lo: float, a_hi: float, b_lo: float, b_hi: float) -> float:
    return max(0.0, a_lo - b_hi, b_lo - a_hi)


def _route_links(model: _Model, geo: _Geo, links: list[tuple[str, str]]) -> list[Route]:
    """Pick, for each link, the cheapest route (length plus bends plus crowding) through the gutters."""
    reach: dict[str, list[_Reach]] = {}
    by_gutter: dict[str, dict[int, list[_Reach]]] = {}
    use: dict[Track, int] = {}  # arrows already routed along each channel
    routes: list[Route] = []

    def crowd(tracks: tuple[Track, ...]) -> float:
        return CROWD * sum(use.get(tr, 0) for tr in tracks if tr[0] == "V")

    for s, t in links:
        for code in (s, t):
            if code not in reach:
                reach[code] = _reaches(model.boxes[code], geo)
                grouped: dict[int, list[_Reach]] = {}
                for a in reach[code]:
                    grouped.setdefault(a.gutter, []).append(a)
                by_gutter[code] = grouped
        bs, bt = model.boxes[s], model.boxes[t]
        rs, rt = geo.rects[s], geo.rects[t]
        best_cost = math.inf
        best: tuple[str, tuple[Track, ...], str] | None = None
        # straight along one channel, side to side (boxes in cells)
        if bs.line < 0 and bt.line < 0:
            for ss, cs in (("L", bs.first), ("R", bs.last + 1)):
                psx, psy = _centre_port(rs, ss)
                for ts, ct in (("L", bt.first), ("R", bt.last + 1)):
                    if cs != ct:
                        continue
                    ptx, pty = _centre_port(rt, ts)
                    if _is_blocked(geo.blocked[cs], psy, pty):
                        continue
                    xc = geo.X[cs]
                    tracks: tuple[Track, ...] = (("V", cs),)
                    cost = abs(psx - xc) + abs(ptx - xc) + abs(psy - pty) + 2 * BEND + crowd(tracks)
                    if cost < best_cost:
                        best_cost, best = cost, (ss, tracks, ts)
        # out into a gutter, along it, and into the target from the same gutter
        tgroups = by_gutter[t]
        for a in reach[s]:
            for b in tgroups.get(a.gutter, ()):
                if a.tracks and a.tracks == b.tracks:
                    continue  # down and back up the same channel: the straight route covers it
                dx = _gap(a.lo, a.hi, b.lo, b.hi)
                tracks = (*a.tracks, ("H", a.gutter), *b.tracks[::-1])
                cost = a.cost + b.cost + dx + (2 * BEND if dx > 0.5 else 0.0) + crowd(tracks)
                if cost < best_cost:
                    best_cost, best = cost, (a.side, tracks, b.side)
        if best is None:
            # past a cross-theme band: gutter -> open channel -> another gutter
            for a in reach[s]:
                ya = geo.Y[a.gutter]
                for b in reach[t]:
                    if a.gutter == b.gutter:
                        continue
                    yb = geo.Y[b.gutter]
                    for c in range(model.ncol + 1):
                        if _is_blocked(geo.blocked[c], ya, yb):
                            continue
                        xc = geo.X[c]
                        tracks = (*a.tracks, ("H", a.gutter), ("V", c), ("H", b.gutter), *b.tracks[::-1])
                        cost = (
                            a.cost + b.cost + _gap(a.lo, a.hi, xc, xc) + abs(ya - yb) + _gap(xc, xc, b.lo, b.hi)
                            + 4 * BEND + crowd(tracks)
                        )  # fmt: skip
                        if cost < best_cost:
                            best_cost, best = cost, (a.side, tracks, b.side)
        assert best is not None, "the outer channels are always open"
        for tr in best[1]:
            use[tr] = use.get(tr, 0) + 1
        routes.append((s, t, best[0], best[1], best[2]))
    return routes


def _spread(desired: list[float], gap: float, lo: float, hi: float) -> list[float]:
    """Positions at least ``gap`` apart (less if [lo, hi] is too short), in the order of ``desired``
    (sorted), each as near its desired position as possible: clusters are centred on their wishes."""
    n = len(desired)
    if n > 1 and (n - 1) * gap > hi - lo:
        gap = max(0.0, (hi - lo) / (n - 1))
    clusters: list[list[float]] = []  # [first index, count, start]
    for i, d in enumerate(desired):
        clusters.append([i, 1, min(max(d, lo), hi)])
        while len(clusters) > 1 and clusters[-2][2] + clusters[-2][1] * gap > clusters[-1][2] + 1e-9:
            first, count = int(clusters[-2][0]), int(clusters[-2][1] + clusters[-1][1])
            start = sum(desired[first + k] - k * gap for k in range(count)) / count
            start = min(max(start, lo), hi - (count - 1) * gap)
            clusters[-2:] = [[first, count, start]]
    out: list[float] = []
    for _first, count, start in clusters:
        out.extend(start + k * gap for k in range(int(count)))
    return out


def _snap(v: float, residue: int, lo: float, hi: float) -> float:
    """The value nearest ``v`` in [lo, hi] that is ``residue`` modulo 4 (or ``v`` clamped if there is none)."""
    base = math.floor((v - residue) / 4) * 4 + residue
    best = None
    for cand in (base, base + 4, base - 4, base + 8):
        if lo <= cand <= hi and (best is None or abs(cand - v) < abs(best - v)):
            best = cand
    return float(best) if best is not None else min(max(v, lo), hi)


# Ports on the two faces of one channel (or one gutter) use different residues modulo 4, so the
# short stubs from the boxes on either side of it never lie on top of each other.
_RESIDUE = {"R": 0, "L": 2, "B": 0, "T": 2}


def _place_ports(geo: _Geo, routes: list[Route]) -> dict[tuple[int, int], tuple[float, float]]:
    """Where each arrow leaves and enters its boxes. On a side, arrows are spread evenly, ordered by
    where they head next, so that arrows leaving one side do not cross each other; on a top or bottom
    edge each sits as near as it can to where it heads (a cross-theme box is wide)."""
    ends: dict[tuple[str, str], list[tuple[float, float, int, int]]] = {}
    for ri, (s, t, es, tracks, ts) in enumerate(routes):
        for which, code, side, seq, other, oside in ((0, s, es, tracks, t, ts), (1, t, ts, tracks[::-1], s, es)):
            if side in ("L", "R"):
                oy = _centre_port(geo.rects[other], oside)[1]
                key = (geo.Y[seq[1][1]] if len(seq) > 1 else oy, oy)
            else:
                own = geo.rects[code]
                lo, hi = _port_range(own)
                if len(seq) > 1:
                    nxt = geo.X[seq[1][1]]
                else:  # straight across a gutter to the other box: aim at the nearest point of its range
                    olo, ohi = _port_range(geo.rects[other])
                    nxt = min(max(own.x + own.w / 2, olo), ohi)
                key = (min(max(nxt, lo), hi), nxt)
            ends.setdefault((code, side), []).append((key[0], key[1], ri, which))
    ports: dict[tuple[int, int], tuple[float, float]] = {}
    for (code, side), lst in ends.items():
        lst.sort()
        r = geo.rects[code]
        k = len(lst)
        if side in ("L", "R"):
            start, length = r.y, r.h
            wished = [start + length * (j + 1) / (k + 1) for j in range(k)]
        else:
            start, length = r.x, r.w
            wished = _spread([e[0] for e in lst], PORT_GAP, start + 8, start + length - 8)
        lo, hi = start + 3, start + length - 3
        prev = -math.inf
        for raw, (_a, _b, ri, which) in zip(wished, lst, strict=False):
            p = _snap(max(raw, prev + 4), _RESIDUE[side], max(lo, prev + 4), hi)
            prev = p
            if side == "L":
                ports[(ri, which)] = (r.x, p)
            elif side == "R":
                ports[(ri, which)] = (r.x + r.w, p)
            elif side == "T":
                ports[(ri, which)] = (p, r.y)
            else:
                ports[(ri, which)] = (p, r.y + r.h)
    # A lone arrow between two aligned boxes is drawn dead straight.
    for ri, (s, t, es, tracks, ts) in enumerate(routes):
        if len(tracks) != 1 or len(ends[(s, es)]) != 1 or len(ends[(t, ts)]) != 1:
            continue
        (x0, y0), (x1, y1) = ports[(ri, 0)], ports[(ri, 1)]
        rt = geo.rects[t]
        if tracks[0][0] == "H" and abs(x0 - x1) <= 4 and rt.x < x0 < rt.x + rt.w:
            ports[(ri, 1)] = (x0, y1)
        elif tracks[0][0] == "V" and abs(y0 - y1) <= 4 and rt.y < y0 < rt.y + rt.h:
            ports[(ri, 1)] = (x1, y0)
    return ports


def _realize(geo: _Geo, routes: list[Route]) -> tuple[list[list[tuple[float, float]]], dict[Track, int]]:
    """Polylines for the routes, with a lane for each arrow in each channel and gutter it uses;
    also how many lanes each track needed."""
    ports = _place_ports(geo, routes)
    segs: dict[Track, list[tuple[float, float, int, int, int]]] = {}
    coord: dict[tuple[int, int], float] = {}
    for ri, (_s, _t, es, tracks, ts) in enumerate(routes):
        p0, p1 = ports[(ri, 0)], ports[(ri, 1)]
        last = len(tracks) - 1
        for j, (kind, idx) in enumerate(tracks):
            axis = 1 if kind == "V" else 0  # the coordinate that varies along the track
            centre = geo.X[idx] if kind == "V" else geo.Y[idx]
            if last == 0 and abs(p0[axis] - p1[axis]) < 0.5:
                coord[(ri, j)] = centre  # zero length: a straight arrow across the track
                continue
            lo, hi = math.inf, -math.inf
            pref = 0
            for end in (0, 1):
                if (end == 0 and j == 0) or (end == 1 and j == last):
                    p = p0 if end == 0 else p1
                    side = es if end == 0 else ts
                    lo, hi = min(lo, p[axis]), max(hi, p[axis])
                    pref += -1 if side in ("R", "B") else 1  # keep the lane next to the box's face
                else:
                    nb = j - 1 if end == 0 else j + 1  # neighbouring track: the extent of the crossing
                    extent = geo.gut[tracks[nb][1]] if kind == "V" else geo.ch[tracks[nb][1]]
                    lo, hi = min(lo, extent[0]), max(hi, extent[1])
                    far = nb - 1 if end == 0 else nb + 1  # where the arrow goes after the turn
                    if 0 <= far <= last:
                        other = geo.X[tracks[far][1]] if kind == "V" else geo.Y[tracks[far][1]]
                    else:
                        other = (p0 if end == 0 else p1)[1 - axis]
                    pref += -1 if other < centre else 1
            segs.setdefault((kind, idx), []).append((lo, hi, ri, j, pref))
    lanes: dict[Track, int] = {}
    for track, lst in segs.items():
        lst.sort()
        lane_end: list[float] = []
        lane_pref: list[int] = []
        assigned: list[tuple[int, int, int]] = []
        for lo, hi, ri, j, pref in lst:
            lane = next((i for i, end in enumerate(lane_end) if end + LANE_GAP <= lo), None)
            if lane is None:
                lane = len(lane_end)
                lane_end.append(-math.inf)
                lane_pref.append(0)
            lane_end[lane] = hi
            lane_pref[lane] += pref
            assigned.append((ri, j, lane))
        k = len(lane_end)
        lanes[track] = k
        order = sorted(range(k), key=lambda lane: (lane_pref[lane], lane))
        position = {lane: p for p, lane in enumerate(order)}
        a, b = geo.ch[track[1]] if track[0] == "V" else geo.gut[track[1]]
        spacing = LANE if k == 1 else min(LANE, (b - a - 2 * CLEAR) / (k - 1))
        for ri, j, lane in assigned:
            coord[(ri, j)] = (a + b) / 2 + (position[lane] - (k - 1) / 2) * spacing
    polylines: list[list[tuple[float, float]]] = []
    for ri, (_s, _t, _es, tracks, _ts) in enumerate(routes):
        p0, p1 = ports[(ri, 0)], ports[(ri, 1)]
        pts = [p0]
        kind0 = tracks[0][0]
        pts.append((coord[(ri, 0)], p0[1]) if kind0 == "V" else (p0[0], coord[(ri, 0)]))
        for j in range(1, len(tracks)):
            a, b = coord[(ri, j - 1)], coord[(ri, j)]
            pts.append((a, b) if tracks[j - 1][0] == "V" else (b, a))
        kindn = tracks[-1][0]
        pts.append((coord[(ri, len(tracks) - 1)], p1[1]) if kindn == "V" else (p1[0], coord[(ri, len(tracks) - 1)]))
        pts.append(p1)
        polylines.append(_simplify(pts))
    return polylines, lanes


def _simplify(pts: list[tuple[float, float]]) -> list[tuple[float, float]]:
    out: list[tuple[float, float]] = []
    for p in pts:
        if out and abs(p[0] - out[-1][0]) < 1e-9 and abs(p[1] - out[-1][1]) < 1e-9:
            continue
        if len(out) >= 2:
            a, b = out[-2], out[-1]
            if (abs(a[0] - b[0]) < 1e-9 and abs(b[0] - p[0]) < 1e-9) or (
                abs(a[1] - b[1]) < 1e-9 and abs(b[1] - p[1]) < 1e-9
            ):
                out[-1] = p
                continue
        out.append(p)
    return out


def _compute_layout(spec: MapSpec) -> tuple[Layout, _Model]:
    model = _measure(spec)
    n_ch = model.ncol + 1
    geo = _geometry(model, [CHANNEL_MIN] * n_ch, list(model.gutter_min))
    links: list[tuple[str, str]] = []
    seen: set[tuple[str, str]] = set()
    for s, t in spec.links:
        if s == t or s not in model.boxes or t not in model.boxes or (s, t) in seen:
            continue  # unknown ends, self-links and repeats are not drawn
        seen.add((s, t))
        links.append((s, t))
    arrows: list[tuple[str, str, list[tuple[float, float]]]] = []
    if links:
        routes = _route_links(model, geo, links)
        _polylines, lanes = _realize(geo, routes)
        ch_w = [CHANNEL_MIN] * n_ch
        gut_h = list(model.gutter_min)
        for (kind, idx), k in lanes.items():
            if kind == "V":
                ch_w[idx] = min(CHANNEL_MAX, max(CHANNEL_MIN, (k - 1) * LANE + 2 * CLEAR))
            else:
                gut_h[idx] = min(GUTTER_MAX, model.gutter_min[idx] + (k - 1) * LANE)
        geo = _geometry(model, ch_w, gut_h)
        polylines, _lanes = _realize(geo, routes)
        arrows = [(s, t, pts) for (s, t, *_rest), pts in zip(routes, polylines, strict=False)]
    result = Layout(geo.width, geo.height, geo.rects, geo.rows, geo.columns, arrows)
    return result, model


def layout(spec: MapSpec) -> Layout:
    """Place every box, row band and theme column, and route every link (see the module docstring)."""
    return _compute_layout(spec)[0]


# --------------------------------------------------------------------------- SVG


def _n(v: float) -> str:
    s = f"{v:.1f}"
    return s[:-2] if s.endswith(".0") else s


_SAFE_COLOUR = re.compile(r"#[0-9a-fA-F]{3,8}|[a-zA-Z]{1,30}|rgba?\([0-9.,%\s]{1,60}\)")
_BAD_SCHEME = re.compile(r"^\s*(javascript|vbscript|data)\s*:", re.IGNORECASE)


def _colour(value: str) -> str:
    return value if _SAFE_COLOUR.fullmatch(value or "") else NEUTRAL


def _pale(colour: str, amount: float = 0.88) -> str:
    m = re.fullmatch(r"#([0-9a-fA-F]{3}|[0-9a-fA-F]{6})", colour)
    if not m:
        return "#ffffff"
    h = m.group(1)
    if len(h) == 3:
        h = "".join(ch * 2 for ch in h)
    rgb = [int(h[i : i + 2], 16) for i in (0, 2, 4)]
    return "#" + "".join(f"{round(v + (255 - v) * amount):02x}" for v in rgb)


def _style() -> str:
    s = ".strategy-map"
    return (
        f"{s}{{font-family:{FONT_STACK}}}"
        f"{s} text{{fill:{INK}}}"
        f"{s} .title{{font-size:{TITLE_SIZE}px;font-weight:700}}"
        f"{s} .caption{{font-size:{HEAD_SIZE}px;font-weight:700;fill:{THEME_FILL}}}"
        f"{s} .head{{font-size:{HEAD_SIZE}px}}"
        f"{s} .head .sep{{fill:#6e7781}}"
        f"{s} .corner{{font-size:{CORNER_SIZE}px;fill:#57606a}}"
        f"{s} .theme text{{font-size:{THEME_SIZE}px;fill:#ffffff}}"
        f"{s} .theme .tc{{font-weight:700}}"
        f"{s} .perspective text{{font-size:{ROW_SIZE}px;font-weight:700;fill:#24292f}}"
        f"{s} .objective .code{{font-size:{CODE_SIZE}px;font-weight:700}}"
        f"{s} .objective .name{{font-size:{NAME_SIZE}px}}"
        f"{s} .objective .light{{font-size:{LIGHT_SIZE}px}}"
        f"{s} .objective .frame{{stroke-width:2}}"
        f"{s} a:hover .frame,{s} a:focus .frame{{stroke-width:3.5}}"
        f"{s} a:focus{{outline:none}}"
        f"{s} .link{{fill:none;stroke:{ARROW};stroke-width:1.4;stroke-linejoin:round}}"
    )


def render_svg(spec: MapSpec, layout: Layout | None = None) -> str:
    """The map as a standalone SVG document (``layout`` defaults to :func:`layout` of ``spec``)."""
    lay = layout if layout is not None else _compute_layout(spec)[0]
    out: list[str] = []
    w, h = lay.width, lay.height
    out.append(
        f'<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" '
        f'class="strategy-map" width="{_n(w)}" height="{_n(h)}" viewBox="0 0 {_n(w)} {_n(h)}" '
        f'role="img" aria-label={quoteattr(spec.title)}>'
    )
    out.append(f"<title>{escape(spec.title)}</title>")
    out.append(f"<style>{_style()}</style>")
    out.append(
        '<defs><marker id="sm-arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="9" markerHeight="9" '
        f'markerUnits="userSpaceOnUse" orient="auto"><path d="M0,0.5 L10,5 L0,9.5 z" fill="{ARROW}"/></marker></defs>'
    )
    out.append(f'<rect class="background" width="{_n(w)}" height="{_n(h)}" fill="#ffffff"/>')
    _render_header(out, spec, w)
    _render_themes(out, spec, lay)
    _render_rows(out, spec, lay)
    for ob in spec.objectives:
        rect = lay.boxes.get(ob.code)
        if rect is not None:
            _render_box(out, ob, rect)
    out.append('<g class="links">')
    for s, t, pts in lay.arrows:
        d = "M" + " L".join(f"{_n(x)},{_n(y)}" for x, y in pts)
        out.append(
            f'<path class="link" data-from={quoteattr(s)} data-to={quoteattr(t)} d="{d}" marker-end="url(#sm-arrow)"/>'
        )
    out.append("</g></svg>")
    return "".join(out)


def _render_header(out: list[str], spec: MapSpec, width: float) -> None:
    head = _header(spec, width)
    out.append('<g class="header">')
    for i, line in enumerate(head.title_lines):
        y = MARGIN + TITLE_LINE * (i + 1) - 6
        out.append(f'<text class="title" x="{_n(width / 2)}" y="{_n(y)}" text-anchor="middle">{escape(line)}</text>')
    for p in head.panels:
        y = head.panels_y
        out.append(f'<g class="panel {p.key}">')
        out.append(
            f'<rect x="{_n(p.x)}" y="{_n(y)}" width="{_n(p.w)}" height="{_n(head.panel_h)}" rx="6" '
            'fill="#f6f8fa" stroke="#d0d7de"/>'
        )
        base = y + PANEL_PAD + HEAD_LINE - 5
        out.append(f'<text class="caption" x="{_n(p.x + PANEL_PAD)}" y="{_n(base)}">{escape(p.caption)}</text>')
        if p.key == "values":
            for i, line in enumerate(p.lines):
                parts = []
                for k, value in enumerate(line):
                    if k:
                        parts.append(f'<tspan class="sep">{escape(VALUE_SEP)}</tspan>')
                    parts.append(f'<tspan class="value">{escape(value)}</tspan>')
                yy = base + HEAD_LINE * (i + 1)
                x = _n(p.x + PANEL_PAD)
                out.append(f'<text class="head" x="{x}" y="{_n(yy)}" xml:space="preserve">{"".join(parts)}</text>')
        else:
            spans = "".join(
                f'<tspan x="{_n(p.x + PANEL_PAD)}" y="{_n(base + HEAD_LINE * (i + 1))}">{escape(line[0])}</tspan>'
                for i, line in enumerate(p.lines)
            )
            out.append(f'<text class="head {p.key}-text">{spans}</text>')
        out.append("</g>")
    out.append("</g>")


def _render_themes(out: list[str], spec: MapSpec, lay: Layout) -> None:
    model_heads = _measure_theme_heads(spec)
    theme_h, heads, corner = model_heads
    top = min((r.y for r in lay.columns.values()), default=None)
    if top is None:
        return
    cx = MARGIN
    cw = ROW_HEAD_W - ROW_HEAD_GAP
    out.append(
        f'<g class="corner"><rect x="{_n(cx)}" y="{_n(top)}" width="{_n(cw)}" height="{_n(theme_h)}" rx="4" '
        'fill="#f6f8fa" stroke="#d0d7de"/>'
        f'<line x1="{_n(cx)}" y1="{_n(top)}" x2="{_n(cx + cw)}" y2="{_n(top + theme_h)}" stroke="#d0d7de"/>'
    )
    y = top + 4
    for line in corner[0]:
        y += 16
        out.append(
            f'<text class="corner" x="{_n(cx + cw - 5)}" y="{_n(y - 3)}" text-anchor="end">{escape(line)}</text>'
        )
    y = top + theme_h - 4 - 16 * len(corner[1])
    for line in corner[1]:
        y += 16
        out.append(f'<text class="corner" x="{_n(cx + 5)}" y="{_n(y - 3)}">{escape(line)}</text>')
    out.append("</g>")
    for head, (code, name) in zip(heads, spec.themes, strict=False):
        col = lay.columns.get(code)
        if col is None:
            continue
        out.append(f'<g class="theme" data-code={quoteattr(code)}>')
        out.append(f"<title>{escape(f'{code} {name}')}</title>")
        out.append(
            f'<rect x="{_n(col.x)}" y="{_n(top)}" width="{_n(col.w)}" height="{_n(theme_h)}" rx="6" '
            f'fill="{THEME_FILL}"/>'
        )
        xc = col.x + col.w / 2
        if head.inline:
            y = top + theme_h / 2 + 5
            out.append(
                f'<text x="{_n(xc)}" y="{_n(y)}" text-anchor="middle"><tspan class="tc">{escape(code)}</tspan>'
                f' <tspan class="tn">{escape(name)}</tspan></text>'
            )
        else:
            n = 1 + len(head.name_lines)
            y0 = top + (theme_h - n * 19) / 2 + 14
            out.append(f'<text class="tc" x="{_n(xc)}" y="{_n(y0)}" text-anchor="middle">{escape(code)}</text>')
            spans = "".join(
                f'<tspan x="{_n(xc)}" y="{_n(y0 + 19 * (i + 1))}">{escape(line)}</tspan>'
                for i, line in enumerate(head.name_lines)
            )
            out.append(f'<text class="tn" text-anchor="middle">{spans}</text>')
        out.append("</g>")


def _measure_theme_heads(spec: MapSpec) -> tuple[float, list[_ThemeHead], tuple[tuple[str, ...], tuple[str, ...]]]:
    # the same measurement as in _measure, without the objectives
    shell = MapSpec(spec.title, "", "", [], spec.labels, [], spec.themes, [], [])
    m = _measure(shell)
    return m.theme_h, m.theme_heads, m.corner


def _render_rows(out: list[str], spec: MapSpec, lay: Layout) -> None:
    for i, (code, name) in enumerate(spec.perspectives):
        band = lay.rows.get(code)
        if band is None:
            continue
        fill = "#f3f6fa" if i % 2 == 0 else "#eaf0f6"
        hw = ROW_HEAD_W - ROW_HEAD_GAP
        out.append(f'<g class="perspective" data-code={quoteattr(code)}>')
        out.append(
            f'<rect class="band" x="{_n(band.x)}" y="{_n(band.y)}" width="{_n(band.w)}" height="{_n(band.h)}" '
            f'rx="6" fill="{fill}"/>'
        )
        out.append(
            f'<rect x="{_n(band.x)}" y="{_n(band.y)}" width="{_n(hw)}" height="{_n(band.h)}" rx="6" fill="#d3dfec"/>'
        )
        lines = _wrap(name, ROW_SIZE, hw - 12, bold=True) or ("",)
        y0 = band.y + band.h / 2 - 21 * len(lines) / 2 + 16
        spans = "".join(
            f'<tspan x="{_n(band.x + hw / 2)}" y="{_n(y0 + 21 * k)}">{escape(line)}</tspan>'
            for k, line in enumerate(lines)
        )
        out.append(f'<text text-anchor="middle">{spans}</text></g>')


def _render_box(out: list[str], ob: ObjectiveBox, r: Rect) -> None:
    bt = _box_text(ob, r.w)
    colour = _colour(ob.light.colour) if ob.light else NEUTRAL
    fill = _pale(colour) if ob.light else "#f6f8fa"
    tip = f"{ob.code} {ob.name}" + (f" — {ob.light.symbol} {ob.light.label}" if ob.light else "")
    href = ob.href if ob.href and not _BAD_SCHEME.match(ob.href) else None
    if href:
        out.append(f"<a href={quoteattr(href)} xlink:href={quoteattr(href)}>")
    key = ob.light.key if ob.light else "none"
    out.append(f'<g class="objective" data-code={quoteattr(ob.code)} data-light={quoteattr(key)}>')
    out.append(f"<title>{escape(tip)}</title>")
    out.append(
        f'<rect class="frame" x="{_n(r.x)}" y="{_n(r.y)}" width="{_n(r.w)}" height="{_n(r.h)}" rx="6" '
        f"fill={quoteattr(fill)} stroke={quoteattr(colour)}/>"
    )
    top = r.y + max(0.0, (r.h - bt.height) / 2)

    def base(i: int) -> float:
        return top + BOX_PAD_TOP + LINE_H * (i + 1) - 4.5

    left, right = r.x + BOX_PAD_X, r.x + r.w - BOX_PAD_X
    spans = "".join(
        f'<tspan x="{_n(left)}" y="{_n(base(i))}">{escape(line)}</tspan>' for i, line in enumerate(bt.code_lines)
    )
    out.append(f'<text class="code">{spans}</text>')
    first = len(bt.code_lines)
    spans = "".join(
        f'<tspan x="{_n(r.x + r.w / 2)}" y="{_n(base(first + i))}">{escape(line)}</tspan>'
        for i, line in enumerate(bt.name_lines)
    )
    out.append(f'<text class="name" text-anchor="middle">{spans}</text>')
    if ob.light:
        row = 0 if bt.badge_inline else first + max(1, len(bt.name_lines))
        out.append(
            f'<text class="light" x="{_n(right)}" y="{_n(base(row))}" text-anchor="end">'
            f'<tspan class="symbol" fill={quoteattr(colour)}>{escape(ob.light.symbol)}</tspan> '
            f'<tspan class="label">{escape(ob.light.label)}</tspan></text>'
        )
    out.append("</g>")
    if href:
        out.append("</a>")


# --------------------------------------------------------------------------- timing


def _synthetic_spec(n_objectives: int = 100, n_links: int = 150, seed: int = 7) -> MapSpec:
    import random

    rnd = random.Random(seed)
    perspectives = [("C", "顧客"), ("P", "內部流程"), ("L", "學習成長"), ("F", "財務")]
    themes = [(chr(ord("A") + i), f"主題{i + 1}號策略") for i in range(8)]
    objectives = [ObjectiveBox(f"TC{i + 1}", f"跨主題目標{i + 1}", "C", None) for i in range(4)]
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


if __name__ == "__main__":  # python -m stratmap.strategy.diagram (not as a script: strategy/selectors.py)
    import time

    spec = _synthetic_spec()
    start = time.perf_counter()
    svg = render_svg(spec)  # layout + render, text-measurement caches empty
    cold = (time.perf_counter() - start) * 1000
    runs = 20
    start = time.perf_counter()
    for _ in range(runs):
        _wrap.cache_clear()  # every run measures its text again, as a new map would
        svg = render_svg(spec)
    mean = (time.perf_counter() - start) / runs * 1000
    lay = layout(spec)
    print(
        f"8 themes x 4 perspectives, {len(spec.objectives)} objectives, {len(spec.links)} links "
        f"({len(lay.arrows)} drawn): layout + render {cold:.1f} ms first call, {mean:.1f} ms mean of {runs}; "
        f"{len(svg)} bytes"
    )


def sub_map(spec: MapSpec, theme: str, title: str | None = None) -> MapSpec:
    """The part of ``spec`` that one theme draws (its 關聯圖): the theme's column and objectives, the
    cause-and-effect links among them, and only the perspectives it has objectives in."""
    objectives = [o for o in spec.objectives if o.theme == theme]
    codes = {o.code for o in objectives}
    used = {o.perspective for o in objectives}
    return MapSpec(
        title=spec.title if title is None else title,
        mission="",
        vision="",
        values=[],
        labels=spec.labels,
        perspectives=[p for p in spec.perspectives if p[0] in used],
        themes=[t for t in spec.themes if t[0] == theme],
        objectives=objectives,
        links=[(s, t) for s, t in spec.links if s in codes and t in codes],
    )
