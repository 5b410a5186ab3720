"""Placing a map: measuring its boxes and headers, putting them on the grid, routing the links.

The map is a grid with one row band per perspective (in the given order, top to bottom) and one
column per strategic theme. Objectives without a perspective go in one more band, unnamed, below
the others; a map without perspectives has that band alone and no column of perspective headers.
An objective is a box in the cell (its perspective's row, its theme's column); several objectives
of one cell are stacked. Objectives without a theme (the city's
TC1–TC4) sit side by side across the full width of their row, in a band above that row's cells;
each of them spans a whole number of theme columns, so the channels between those groups of
columns stay open for arrows. Above the grid come the title, mission, vision and core values, then
the theme headers; left of it the perspective headers.

:func:`layout` measures once, places the boxes with the narrowest channels and gutters, routes the
links (:mod:`.routing`), widens each channel and gutter to fit its lanes (up to a cap, beyond which
lanes draw closer), places again and routes along the same tracks. The result, a
:class:`~.geometry.Layout`, carries every position and every wrapped line.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from stratmap.text import text_width, unbreakable_width, wrap_verbatim

from .geometry import BoxText, Corner, Header, Layout, Panel, Rect, RowHead, ThemeHead
from .routing import CLEAR, LANE, realize, route_links
from .spec import MapSpec, ObjectiveBox, label

__all__ = ["layout"]

# --------------------------------------------------------------------------- dimensions (px)

MARGIN = 12.0
ROW_HEAD_W = 104.0  # perspective header column, including the gap before the first channel
ROW_HEAD_MAX = 168.0  # ... widened up to this for a perspective's longest word ("sustainability")
ROW_HEAD_GAP = 6.0
COL_W = 152.0  # theme column = objective box width
CHANNEL_MIN = 28.0
CHANNEL_MAX = 72.0
GUTTER_EDGE_MIN = 28.0  # above the first and below the last row band
GUTTER_ROW_MIN = 36.0  # between row bands (includes both bands' padding)
GUTTER_INNER_MIN = 24.0  # inside a band: below a cross-theme line
GUTTER_MAX = 160.0
BAND_PAD = 8.0
STACK_GAP = 8.0
EMPTY_ROW_H = 40.0
BOX_PAD_X = 8.0
BOX_PAD_TOP = 5.0
BOX_PAD_BOTTOM = 6.0
LINE_H = 17.0  # a line of text in a box
THEME_LINE = 19  # a line of a theme header
CORNER_LINE = 16  # a line of a corner caption
PANEL_PAD = 8.0
HEAD_LINE = 18.0  # a line of a header panel
TITLE_LINE = 26.0

# type sizes (px) the text is measured at, and drawn at
CODE_SIZE = 13
NAME_SIZE = 13
LIGHT_SIZE = 12
THEME_SIZE = 14
ROW_SIZE = 15
TITLE_SIZE = 20
HEAD_SIZE = 13
CORNER_SIZE = 12

VALUE_SEP = " · "  # between the core values on a line


# --------------------------------------------------------------------------- measuring


def box_text(ob: ObjectiveBox, w: float) -> BoxText:
    """What ``ob``'s box says, wrapped to a box ``w`` wide, and the height that takes."""
    inner = w - 2 * BOX_PAD_X
    code_lines = wrap_verbatim(ob.code, CODE_SIZE, inner, bold=True) or ("",)
    badge = f"{ob.light.symbol} {ob.light.label}" if ob.light else None
    badge_inline = badge is None or (
        len(code_lines) == 1 and text_width(code_lines[0], CODE_SIZE, True) + 8 + text_width(badge, LIGHT_SIZE) <= inner
    )
    name_lines = wrap_verbatim(ob.name, NAME_SIZE, inner)
    n = len(code_lines) + max(1, len(name_lines)) + (0 if badge_inline else 1)
    return BoxText(code_lines, badge, badge_inline, name_lines, BOX_PAD_TOP + LINE_H * n + BOX_PAD_BOTTOM)


@dataclass
class _Box:
    ob: ObjectiveBox
    row: int
    first: int  # first column
    last: int  # last column
    line: int  # cross-theme line in its row, -1 for a box in a cell
    h: float
    text: BoxText  # as measured for a box text_w wide
    text_w: float
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
    inline: bool
    name_lines: tuple[str, ...]


#: The row code of the band of objectives without a perspective (no perspective's code is empty).
UNNAMED = ""


@dataclass
class _Model:
    """What does not depend on the channel widths and gutter heights."""

    spec: MapSpec
    head_w: float  # the perspective header column: none without perspectives
    ncol: int  # columns drawn (at least 1, even without themes)
    boxes: dict[str, _Box]
    rows: list[_Row]
    gutter_min: list[float]
    theme_heads: list[_ThemeHead]
    corner: tuple[tuple[str, ...], tuple[str, ...]]  # theme caption lines, perspective caption lines
    theme_h: float


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
    bands = list(spec.perspectives)
    if any(ob.perspective is None for ob in spec.objectives):
        pindex[UNNAMED] = len(bands)
        bands.append((UNNAMED, ""))

    spanning: list[list[ObjectiveBox]] = [[] for _ in bands]
    cells: list[dict[int, list[ObjectiveBox]]] = [{} for _ in bands]
    seen: set[str] = set()
    for ob in spec.objectives:
        if ob.code in seen:
            raise ValueError(f"objective {ob.code!r} is listed twice")
        seen.add(ob.code)
        perspective = UNNAMED if ob.perspective is None else ob.perspective
        if perspective not in pindex or ob.perspective == UNNAMED:
            raise ValueError(f"objective {ob.code!r}: unknown perspective {ob.perspective!r}")
        r = pindex[perspective]
        if ob.theme is None:
            spanning[r].append(ob)
        elif ob.theme in tindex:
            cells[r].setdefault(tindex[ob.theme], []).append(ob)
        else:
            raise ValueError(f"objective {ob.code!r}: unknown theme {ob.theme!r}")

    boxes: dict[str, _Box] = {}
    rows: list[_Row] = []
    gutter_min: list[float] = [GUTTER_EDGE_MIN]
    for r, (pcode, pname) in enumerate(bands):
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
                for ob, ncols in zip(obs, _even_split(ncol, count), strict=False):
                    w = ncols * COL_W + (ncols - 1) * CHANNEL_MIN
                    text = box_text(ob, w)
                    boxes[ob.code] = _Box(ob, r, col, col + ncols - 1, k, text.height, text, w)
                    codes.append(ob.code)
                    col += ncols
                h = max(boxes[code].h for code in codes)
                for code in codes:
                    boxes[code].h = h
                lines.append(codes)
                line_h.append(h)
        row_cells: dict[int, list[str]] = {}
        cells_h = 0.0
        for c in sorted(cells[r]):
            stack = cells[r][c]
            for ob in stack:
                text = box_text(ob, COL_W)
                boxes[ob.code] = _Box(ob, r, c, c, -1, text.height, text, COL_W)
            row_cells[c] = [ob.code for ob in stack]
            cells_h = max(cells_h, sum(boxes[ob.code].h for ob in stack) + STACK_GAP * (len(stack) - 1))
        for k in range(len(lines)):
            if k < len(lines) - 1 or row_cells:
                after_line.append(len(gutter_min))
                gutter_min.append(GUTTER_INNER_MIN)
            else:
                after_line.append(None)
        below = len(gutter_min)
        last = r == len(bands) - 1
        gutter_min.append(GUTTER_EDGE_MIN if last else GUTTER_ROW_MIN)
        row = _Row(pcode, pname, lines, line_h, row_cells, cells_h, above, after_line, below)
        rows.append(row)
        for k, codes in enumerate(lines):
            for code in codes:
                boxes[code].top_g = above if k == 0 else after_line[k - 1]
                boxes[code].bottom_g = after_line[k] if after_line[k] is not None else below
        for column in row_cells.values():
            first_gutter = after_line[-1] if lines else above
            boxes[column[0]].top_g = first_gutter
            boxes[column[-1]].bottom_g = below

    inner = COL_W - 2 * BOX_PAD_X
    heads: list[_ThemeHead] = []
    theme_h = 44.0
    for code, name in spec.themes:
        inline = text_width(code, THEME_SIZE, True) + 6 + text_width(name, THEME_SIZE) <= inner
        name_lines = (name,) if inline else wrap_verbatim(name, THEME_SIZE, inner)
        heads.append(_ThemeHead(code, inline, name_lines))
        nlines = 1 if inline else 1 + max(1, len(name_lines))
        theme_h = max(theme_h, 2 * 8 + nlines * THEME_LINE)
    corner: tuple[tuple[str, ...], tuple[str, ...]] = ((), ())
    head_w = 0.0  # without perspectives, the map has no column of their headers (nor the corner above it)
    if spec.perspectives:
        # wide enough for the longest word of a perspective's name (English words stay whole), up to a cap
        widest = max(unbreakable_width(name, ROW_SIZE, bold=True) for _code, name in spec.perspectives)
        head_w = min(max(ROW_HEAD_W, math.ceil(widest) + 12 + ROW_HEAD_GAP), ROW_HEAD_MAX)
        corner_w = head_w - ROW_HEAD_GAP - 10
        corner = (
            wrap_verbatim(label(spec, "themes"), CORNER_SIZE, corner_w),
            wrap_verbatim(label(spec, "perspectives"), CORNER_SIZE, corner_w),
        )
        theme_h = max(theme_h, 10 + CORNER_LINE * (len(corner[0]) + len(corner[1])) + 8)
    return _Model(spec, head_w, ncol, boxes, rows, gutter_min, heads, corner, theme_h)


def _header(spec: MapSpec, width: float) -> Header:
    """The title and the mission, vision and values panels of a map ``width`` wide."""
    inner = width - 2 * MARGIN
    title_lines = wrap_verbatim(spec.title, TITLE_SIZE, inner, bold=True)
    y = MARGIN + len(title_lines) * TITLE_LINE + (8 if title_lines else 0)
    values = [v for v in spec.values if v]
    keys = [k for k, present in (("mission", spec.mission), ("vision", spec.vision), ("values", values)) if present]
    found: list[tuple[str, float, float, list[list[str]]]] = []  # key, x, w, lines
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
                        lines.extend([piece] for piece in wrap_verbatim(value, HEAD_SIZE, text_w))
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
                lines = [[line] for line in wrap_verbatim(getattr(spec, key), HEAD_SIZE, text_w)]
            found.append((key, MARGIN + i * (w + gap), w, lines))
        panel_h = 2 * PANEL_PAD + HEAD_LINE * (1 + max(len(lines) for _k, _x, _w, lines in found))
    panels = tuple(
        Panel(key, label(spec, key), Rect(x, y, w, panel_h), tuple(tuple(line) for line in lines))
        for key, x, w, lines in found
    )
    height = y + (panel_h + 12 if panels else 0)
    return Header(Rect(MARGIN, MARGIN, inner, len(title_lines) * TITLE_LINE), title_lines, panels, height)


# --------------------------------------------------------------------------- placing


@dataclass
class _Geo:
    """The map placed for one choice of channel widths and gutter heights (a :class:`.routing.Grid`)."""

    width: float
    height: float
    col_w: float
    col_x: list[float]
    ch: list[tuple[float, float]]  # channel free extents (x0, x1)
    gut: list[tuple[float, float]]  # gutter free extents (y0, y1)
    X: list[float]  # channel centres
    Y: list[float]  # gutter centres
    rects: dict[str, Rect]
    rows: dict[str, Rect]
    columns: dict[str, Rect]
    blocked: list[list[tuple[float, float]]]  # per channel: y ranges closed by a cross-theme box
    header: Header
    theme_top: float


def _geometry(model: _Model, ch_w: list[float], gut_h: list[float]) -> _Geo:
    n = model.ncol
    x = MARGIN + model.head_w
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
    header = _header(model.spec, width)  # its height depends on the width: the title and panels wrap
    theme_top = header.height
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
        width=width,
        height=height,
        col_w=COL_W,
        col_x=col_x,
        ch=ch,
        gut=gut,
        X=[(a + b) / 2 for a, b in ch],
        Y=[(a + b) / 2 for a, b in gut],
        rects=rects,
        rows=rows,
        columns=columns,
        blocked=blocked,
        header=header,
        theme_top=theme_top,
    )


def layout(spec: MapSpec) -> Layout:
    """Place every header, box, row band and theme column, and route every link (see the module docstring)."""
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
        routes = route_links(model.boxes, geo, links)
        _polylines, lanes = realize(geo, routes)
        ch_w = [CHANNEL_MIN] * n_ch
        gut_h = list(model.gutter_min)
        for (kind, idx), k in lanes.items():
            if kind == "V":
                ch_w[idx] = min(CHANNEL_MAX, max(CHANNEL_MIN, (k - 1) * LANE + 2 * CLEAR))
            else:
                gut_h[idx] = min(GUTTER_MAX, model.gutter_min[idx] + (k - 1) * LANE)
        geo = _geometry(model, ch_w, gut_h)
        polylines, _lanes = realize(geo, routes)
        arrows = [(s, t, pts) for (s, t, *_rest), pts in zip(routes, polylines, strict=False)]
    return _result(model, geo, arrows)


def _result(model: _Model, geo: _Geo, arrows: list[tuple[str, str, list[tuple[float, float]]]]) -> Layout:
    texts = {
        # a cross-theme box is measured at the narrowest channels; wider ones leave its text more room
        code: box.text if geo.rects[code].w == box.text_w else box_text(box.ob, geo.rects[code].w)
        for code, box in model.boxes.items()
    }
    head_w = model.head_w - ROW_HEAD_GAP
    row_heads = {}
    for row in model.rows:
        if row.code == UNNAMED:
            continue  # the band of objectives without a perspective has no header
        band = geo.rows[row.code]
        row_heads[row.code] = RowHead(
            Rect(band.x, band.y, head_w, band.h), wrap_verbatim(row.name, ROW_SIZE, head_w - 12, bold=True) or ("",)
        )
    theme_heads = {
        head.code: ThemeHead(
            Rect(geo.columns[head.code].x, geo.theme_top, COL_W, model.theme_h), head.inline, head.name_lines
        )
        for head in model.theme_heads
    }
    corner = (
        Corner(Rect(MARGIN, geo.theme_top, head_w, model.theme_h), *model.corner)
        if model.theme_heads and model.head_w
        else None
    )
    # the theme headers' top, or without themes the first band's
    top = min([r.y for r in geo.columns.values()] + [r.y for r in geo.rows.values()], default=geo.theme_top)
    if geo.rows:
        bottom = max(r.y + r.h for r in geo.rows.values())
    else:
        bottom = max((r.y + r.h for r in geo.columns.values()), default=top)
    return Layout(
        width=geo.width,
        height=geo.height,
        boxes=geo.rects,
        rows=geo.rows,
        columns=geo.columns,
        arrows=arrows,
        texts=texts,
        header=geo.header,
        theme_heads=theme_heads,
        corner=corner,
        row_heads=row_heads,
        channels=list(geo.ch),
        body=Rect(MARGIN, top, geo.width - 2 * MARGIN, bottom - top),
    )
