"""The map as a standalone SVG document, drawn from its :class:`~.geometry.Layout`.

Nothing is measured or placed here: positions, sizes and wrapped lines all come from the layout;
the spec gives only what is written (names, lights, links). Everything is deterministic: the
same spec gives the same SVG, byte for byte.
"""

from __future__ import annotations

import re
from xml.sax.saxutils import escape, quoteattr

from stratmap.text import FONT_STACK

from .geometry import BoxText, Layout, Rect
from .placement import (
    BOX_PAD_TOP,
    BOX_PAD_X,
    CODE_SIZE,
    CORNER_LINE,
    CORNER_SIZE,
    HEAD_LINE,
    HEAD_SIZE,
    LIGHT_SIZE,
    LINE_H,
    NAME_SIZE,
    PANEL_PAD,
    ROW_SIZE,
    THEME_LINE,
    THEME_SIZE,
    TITLE_LINE,
    TITLE_SIZE,
    VALUE_SEP,
)
from .placement import layout as _layout  # render_svg's parameter is named ``layout``
from .spec import MapSpec, ObjectiveBox

__all__ = ["ARROW", "NEUTRAL", "render_svg"]

NEUTRAL = "#8c959f"  # an objective without KPI data
INK = "#1f2328"
THEME_FILL = "#24476b"
ARROW = "#4b5563"
ROW_LINE = 21  # a line of a perspective header


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
        f"{s} a:hover .frame{{stroke-width:3.5}}"
        # A keyboard's focus in ink, not in the light's colour (a pale yellow frame on white is not 3:1).
        f"{s} a:focus .frame{{stroke:{INK};stroke-width:4}}"
        f"{s} a:focus{{outline:none}}"
        f"{s} .link{{fill:none;stroke:{ARROW};stroke-width:1.4;stroke-linejoin:round}}"
    )


def _lang(language: str) -> str:
    """The attribute that marks a text in another language than the drawing's (empty when it is in its)."""
    return f" lang={quoteattr(language)}" if language else ""


def render_svg(spec: MapSpec, layout: Layout | None = None, *, decorative: bool = False) -> str:
    """The map as a standalone SVG document (``layout`` defaults to :func:`.placement.layout` of ``spec``).

    ``decorative``: for a page that gives the map in words beside the drawing (objectives, lights and links as
    lists): the drawing is hidden from assistive technology, and its boxes stay links for the mouse only (out of
    the tab order), so that nothing focusable is hidden; an image (``role="img"``) with links inside is one that a
    screen reader can neither read as an image nor walk (axe: nested-interactive). Otherwise (the file saved
    alone, the deck's and the PDF's picture) the drawing is an image named by its title, as it was."""
    lay = layout if layout is not None else _layout(spec)
    out: list[str] = []
    w, h = lay.width, lay.height
    if decorative:
        semantics = ' aria-hidden="true" focusable="false"'
    else:
        semantics = f' role="img" aria-label={quoteattr(spec.title)}'
    out.append(
        f'<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" '
        f'class="strategy-map" width="{_n(w)}" height="{_n(h)}" viewBox="0 0 {_n(w)} {_n(h)}"'
        f"{semantics}{_lang(spec.language)}>"
    )
    out.append(f"<title>{escape(spec.title)}</title>")
    out.append(f"<style>{_style()}</style>")
    out.append(
        '<defs><marker id="sm-arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="9" markerHeight="9" '
        f'markerUnits="userSpaceOnUse" orient="auto"><path d="M0,0.5 L10,5 L0,9.5 z" fill="{ARROW}"/></marker></defs>'
    )
    out.append(f'<rect class="background" width="{_n(w)}" height="{_n(h)}" fill="#ffffff"/>')
    _render_header(out, lay, spec.langs)
    _render_themes(out, spec, lay)
    _render_rows(out, spec, lay)
    for ob in spec.objectives:
        rect = lay.boxes.get(ob.code)
        if rect is not None:
            _render_box(out, ob, rect, lay.texts[ob.code], decorative=decorative)
    out.append('<g class="links">')
    for s, t, pts in lay.arrows:
        d = "M" + " L".join(f"{_n(x)},{_n(y)}" for x, y in pts)
        out.append(
            f'<path class="link" data-from={quoteattr(s)} data-to={quoteattr(t)} d="{d}" marker-end="url(#sm-arrow)"/>'
        )
    out.append("</g></svg>")
    return "".join(out)


def _render_header(out: list[str], lay: Layout, langs: dict[str, str]) -> None:
    head = lay.header
    out.append('<g class="header">')
    title_lang = _lang(langs.get("title", ""))
    for i, line in enumerate(head.title_lines):
        y = head.title.y + TITLE_LINE * (i + 1) - 6
        out.append(
            f'<text class="title" x="{_n(lay.width / 2)}" y="{_n(y)}" text-anchor="middle"{title_lang}>'
            f"{escape(line)}</text>"
        )
    for p in head.panels:
        r = p.rect
        out.append(f'<g class="panel {p.key}">')
        lang = _lang(langs.get(p.key, ""))
        out.append(
            f'<rect x="{_n(r.x)}" y="{_n(r.y)}" width="{_n(r.w)}" height="{_n(r.h)}" rx="6" '
            'fill="#f6f8fa" stroke="#d0d7de"/>'
        )
        base = r.y + PANEL_PAD + HEAD_LINE - 5
        out.append(f'<text class="caption" x="{_n(r.x + PANEL_PAD)}" y="{_n(base)}">{escape(p.caption)}</text>')
        if p.key == "values":
            for i, values in enumerate(p.lines):
                parts = []
                for k, value in enumerate(values):
                    if k:
                        parts.append(f'<tspan class="sep">{escape(VALUE_SEP)}</tspan>')
                    parts.append(f'<tspan class="value">{escape(value)}</tspan>')
                yy = base + HEAD_LINE * (i + 1)
                x = _n(r.x + PANEL_PAD)
                out.append(
                    f'<text class="head" x="{x}" y="{_n(yy)}" xml:space="preserve"{lang}>{"".join(parts)}</text>'
                )
        else:
            spans = "".join(
                f'<tspan x="{_n(r.x + PANEL_PAD)}" y="{_n(base + HEAD_LINE * (i + 1))}">{escape(text[0])}</tspan>'
                for i, text in enumerate(p.lines)
            )
            out.append(f'<text class="head {p.key}-text"{lang}>{spans}</text>')
        out.append("</g>")
    out.append("</g>")


def _render_themes(out: list[str], spec: MapSpec, lay: Layout) -> None:
    corner = lay.corner
    if corner is None:
        return
    c = corner.rect
    out.append(
        f'<g class="corner"><rect x="{_n(c.x)}" y="{_n(c.y)}" width="{_n(c.w)}" height="{_n(c.h)}" rx="4" '
        'fill="#f6f8fa" stroke="#d0d7de"/>'
        f'<line x1="{_n(c.x)}" y1="{_n(c.y)}" x2="{_n(c.x + c.w)}" y2="{_n(c.y + c.h)}" stroke="#d0d7de"/>'
    )
    y = c.y + 4
    for line in corner.themes_lines:
        y += CORNER_LINE
        out.append(
            f'<text class="corner" x="{_n(c.x + c.w - 5)}" y="{_n(y - 3)}" text-anchor="end">{escape(line)}</text>'
        )
    y = c.y + c.h - 4 - CORNER_LINE * len(corner.perspectives_lines)
    for line in corner.perspectives_lines:
        y += CORNER_LINE
        out.append(f'<text class="corner" x="{_n(c.x + 5)}" y="{_n(y - 3)}">{escape(line)}</text>')
    out.append("</g>")
    for code, name in spec.themes:
        head = lay.theme_heads.get(code)
        if head is None:
            continue
        r = head.rect
        out.append(f'<g class="theme" data-code={quoteattr(code)}>')
        out.append(f"<title>{escape(f'{code} {name}')}</title>")
        out.append(
            f'<rect x="{_n(r.x)}" y="{_n(r.y)}" width="{_n(r.w)}" height="{_n(r.h)}" rx="6" fill="{THEME_FILL}"/>'
        )
        xc = r.x + r.w / 2
        if head.inline:
            y = r.y + r.h / 2 + 5
            out.append(
                f'<text x="{_n(xc)}" y="{_n(y)}" text-anchor="middle"><tspan class="tc">{escape(code)}</tspan>'
                f' <tspan class="tn"{_lang(spec.langs.get(f"theme:{code}", ""))}>{escape(name)}</tspan></text>'
            )
        else:
            n = 1 + len(head.name_lines)
            y0 = r.y + (r.h - n * THEME_LINE) / 2 + 14
            out.append(f'<text class="tc" x="{_n(xc)}" y="{_n(y0)}" text-anchor="middle">{escape(code)}</text>')
            spans = "".join(
                f'<tspan x="{_n(xc)}" y="{_n(y0 + THEME_LINE * (i + 1))}">{escape(line)}</tspan>'
                for i, line in enumerate(head.name_lines)
            )
            lang = _lang(spec.langs.get(f"theme:{code}", ""))
            out.append(f'<text class="tn" text-anchor="middle"{lang}>{spans}</text>')
        out.append("</g>")


def _render_rows(out: list[str], spec: MapSpec, lay: Layout) -> None:
    for i, (code, _name) in enumerate(spec.perspectives):
        band = lay.rows.get(code)
        if band is None:
            continue
        head = lay.row_heads[code]
        r = head.rect
        fill = "#f3f6fa" if i % 2 == 0 else "#eaf0f6"
        out.append(f'<g class="perspective" data-code={quoteattr(code)}>')
        out.append(
            f'<rect class="band" x="{_n(band.x)}" y="{_n(band.y)}" width="{_n(band.w)}" height="{_n(band.h)}" '
            f'rx="6" fill="{fill}"/>'
        )
        out.append(f'<rect x="{_n(r.x)}" y="{_n(r.y)}" width="{_n(r.w)}" height="{_n(r.h)}" rx="6" fill="#d3dfec"/>')
        y0 = r.y + r.h / 2 - ROW_LINE * len(head.lines) / 2 + 16
        spans = "".join(
            f'<tspan x="{_n(r.x + r.w / 2)}" y="{_n(y0 + ROW_LINE * k)}">{escape(line)}</tspan>'
            for k, line in enumerate(head.lines)
        )
        out.append(f'<text text-anchor="middle"{_lang(spec.langs.get(f"perspective:{code}", ""))}>{spans}</text></g>')
    band = lay.rows.get("")  # objectives without a perspective: a band with no header
    if band is not None:
        fill = "#f3f6fa" if len(spec.perspectives) % 2 == 0 else "#eaf0f6"
        out.append(
            f'<g class="perspective unnamed"><rect class="band" x="{_n(band.x)}" y="{_n(band.y)}" '
            f'width="{_n(band.w)}" height="{_n(band.h)}" rx="6" fill="{fill}"/></g>'
        )


def _href(ob: ObjectiveBox) -> str | None:
    return ob.href if ob.href and not _BAD_SCHEME.match(ob.href) else None


def _render_box(out: list[str], ob: ObjectiveBox, r: Rect, bt: BoxText, *, decorative: bool = False) -> None:
    colour = _colour(ob.light.colour) if ob.light else NEUTRAL
    fill = _pale(colour) if ob.light else "#f6f8fa"
    tip = f"{ob.code} {ob.name}" + (f" — {ob.light.symbol} {ob.light.label}" if ob.light else "")
    href = _href(ob)
    if href:
        # Hidden from assistive technology, a link must not be reached with the keyboard either: the page's list
        # of the objectives is the way there.
        extra = ' tabindex="-1"' if decorative else ""
        out.append(f"<a href={quoteattr(href)} xlink:href={quoteattr(href)}{extra}>")
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
    out.append(f'<text class="name" text-anchor="middle"{_lang(ob.lang)}>{spans}</text>')
    if ob.light:
        row = 0 if bt.badge_inline else first + max(1, len(bt.name_lines))
        out.append(
            f'<text class="light" x="{_n(right)}" y="{_n(base(row))}" text-anchor="end">'
            f'<tspan class="symbol" fill={quoteattr(colour)}>{escape(ob.light.symbol)}</tspan> '
            f'<tspan class="label"{_lang(ob.light.lang)}>{escape(ob.light.label)}</tspan></text>'
        )
    out.append("</g>")
    if href:
        out.append("</a>")
