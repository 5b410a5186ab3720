"""Text as stratmap sets it: the font, and how wide a text is, without the font at hand.

A pure module (no Django, nothing of the apps), and the only place that measures text: the
diagram and the slides wrap with :func:`wrap`, the Excel sheets size their rows with
:func:`display_width`, the terminal tables align with it.

Two measures, because two kinds of surface:

- proportional, in ems of :data:`FONT` (the diagram, the slides): a CJK, full-width or
  ambiguous-width character counts as 1em, any other character as 0.6em (0.35em for the
  narrowest, such as "i" or "."). Chinese text wraps by character, other text at spaces, into
  lines as evenly long as possible; a line never starts with closing punctuation.
- in columns of a fixed grid (terminals, Excel's column widths): wide and full-width
  characters take two columns, the others one.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Container, Sequence
from functools import lru_cache

__all__ = [
    "FONT",
    "FONT_STACK",
    "LINE_HEIGHT",
    "display_width",
    "text_table",
    "text_width",
    "truncate",
    "wrap",
    "wrap_verbatim",
]

#: The typeface of every document stratmap writes (slides, PDF, workbooks, diagrams): a CJK font,
#: so that Traditional Chinese is drawn with Chinese glyphs wherever it is installed (Debian's
#: fonts-noto-cjk, see the Makefile).
FONT = "Noto Sans CJK TC"
#: The CSS font-family of the diagram and the printed report: the font, then what Windows and
#: macOS have instead.
FONT_STACK = f'"{FONT}", "Noto Sans TC", "Microsoft JhengHei", "PingFang TC", sans-serif'
#: The font's line height, in ems.
LINE_HEIGHT = 1.45


# --- proportional: ems of the font -----------------------------------------------------------------

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
def wrap_verbatim(text: str, size: float, max_w: float, bold: bool = False) -> tuple[str, ...]:
    """``text`` as it is (spaces included) wrapped into lines no wider than ``max_w``, as evenly long
    as possible; the lines joined give ``text`` back."""
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
    return wrap_verbatim(" ".join(text.split()), size, max_w, bold)


# --- columns of a fixed grid: terminals, Excel -----------------------------------------------------


def display_width(text: str) -> int:
    """Columns ``text`` takes: wide and full-width characters take two, the others one."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def truncate(text: str, width: int) -> str:
    """``text`` cut to ``width`` columns, ending in … when cut."""
    if display_width(text) <= width:
        return text
    out, used = "", 0
    for ch in text:
        w = display_width(ch)
        if used + w > width - 1:
            break
        out, used = out + ch, used + w
    return out + "…"


def text_table(headers: Sequence[str], rows: Sequence[Sequence[str]], right: Container[int] = frozenset()) -> str:
    """A plain-text table for terminals, columns aligned by display width; the columns in
    ``right`` are right-aligned (numbers)."""
    widths = [max(display_width(str(c)) for c in column) for column in zip(headers, *rows, strict=True)]

    def line(cells: Sequence[str]) -> str:
        out = []
        for i, (cell, width) in enumerate(zip(cells, widths, strict=True)):
            pad = " " * (width - display_width(str(cell)))
            out.append(pad + str(cell) if i in right else str(cell) + pad)
        return "  ".join(out).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(headers), rule, *(line(r) for r in rows)])
