"""Text as stratmap sets it: the font, and how wide a text is in it.

A pure module (no Django, nothing of the apps), and the only place that measures text: the
diagram and the slides wrap with :func:`wrap`, the Excel sheets size their rows with
:func:`cell_lines`, the terminal tables align with :func:`display_width`.

Two measures, because two kinds of surface:

- proportional, in ems of :data:`FONT` (the diagram, the slides): each character's advance width
  as the font itself gives it (its ``hmtx`` and ``cmap`` tables, read with fontTools from Debian's
  fonts-noto-cjk, regular and bold), read once a process. Where the font is not installed, or a
  character is not in it, an estimate stands in: a CJK, full-width or ambiguous-width character
  1em, any other 0.6em (0.35em for the narrowest, such as "i" or "."). Kerning is left out (a
  fraction of a percent on Latin text; none on Chinese).
- in columns of a fixed grid (terminals, Excel's column widths): wide and full-width
  characters take two columns, the others one. A terminal is such a grid; a spreadsheet's
  column is counted in digits but its cells wrap proportional text, so :func:`cell_lines`
  measures in ems.

Wrapping (:func:`wrap`) breaks Latin text at spaces, a word only when it alone is wider than a
line (then at its hyphens, else anywhere); Chinese between any two characters, with the usual
line-breaking rules (禁則): no line starts with closing punctuation (、。」） and their Latin
equivalents), none ends with opening punctuation (「（); a Latin word or a number inside Chinese
stays whole. The lines come out as evenly long as their number allows.
"""

from __future__ import annotations

import os
import shutil
import struct
import subprocess
import unicodedata
from bisect import bisect_right
from collections.abc import Container, Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

__all__ = [
    "FONT",
    "FONT_STACK",
    "LINE_HEIGHT",
    "cell_lines",
    "display_width",
    "metrics_source",
    "text_table",
    "text_width",
    "truncate",
    "unbreakable_width",
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


# --- the font's own metrics ------------------------------------------------------------------------

#: Where Linux distributions install the font collections (Debian's fonts-noto-cjk first); else fc-match.
_FONT_DIRS = (
    "/usr/share/fonts/opentype/noto",
    "/usr/share/fonts/noto-cjk",
    "/usr/share/fonts/google-noto-cjk",
    "/usr/share/fonts/opentype/noto-cjk",
    "/usr/share/fonts/noto",
)
_FONT_FILES = {False: "NotoSansCJK-Regular.ttc", True: "NotoSansCJK-Bold.ttc"}
#: ``STRATMAP_TEXT_METRICS=estimate`` measures by the estimate even where the font is installed.
_ENV = "STRATMAP_TEXT_METRICS"


@dataclass(frozen=True)
class _Metrics:
    """One face's advance widths in ems: those other than 1em by code point, and which code points
    the font has at all (the others are 1em), as sorted ranges of code points."""

    source: str
    widths: dict[int, float]
    starts: tuple[int, ...]
    ends: tuple[int, ...]

    def advance(self, cp: int) -> float | None:
        width = self.widths.get(cp)
        if width is not None:
            return width
        i = bisect_right(self.starts, cp) - 1
        return 1.0 if i >= 0 and cp <= self.ends[i] else None


def _candidates(bold: bool) -> Iterator[str]:
    for folder in _FONT_DIRS:
        path = Path(folder) / _FONT_FILES[bold]
        if path.is_file():
            yield str(path)
    fc_match = shutil.which("fc-match")
    if fc_match:
        try:
            found = subprocess.run(
                [fc_match, "-f", "%{family}\t%{file}", f"{FONT}:{'bold' if bold else 'regular'}"],
                capture_output=True,
                text=True,
                timeout=10,
                check=False,
            ).stdout
        except (OSError, subprocess.SubprocessError):
            return
        family, _, file = found.partition("\t")
        if FONT in family.split(","):  # fc-match names a substitute when the font is missing
            yield file


def _face(path: str, bold: bool) -> Any:  # a fontTools TTFont, or None
    """The face of :data:`FONT` in ``path`` (a collection holds the JP, KR, SC, TC … faces)."""
    from fontTools.ttLib import TTCollection, TTFont  # type: ignore[import-untyped]

    faces = (
        TTCollection(path, lazy=True).fonts if path.lower().endswith((".ttc", ".otc")) else [TTFont(path, lazy=True)]
    )
    style = "Bold" if bold else "Regular"
    for face in faces:
        names = face["name"]
        family = names.getDebugName(16) or names.getDebugName(1)
        if family == FONT and (names.getDebugName(17) or names.getDebugName(2)) == style:
            return face
    return None


def _cmap_ranges(face: Any) -> list[tuple[int, int, int]]:
    """(first code point, last code point, first glyph id) of the face's Unicode cmap.

    Read from the format-12 subtable's raw groups: fontTools' own decoding names all 65,535 glyphs
    first, which takes most of a second; these are the same numbers in a few milliseconds."""
    raw = face.reader["cmap"]
    (count,) = struct.unpack_from(">H", raw, 2)
    for i in range(count):
        platform, encoding, offset = struct.unpack_from(">HHI", raw, 4 + 8 * i)
        if (platform, encoding) in ((3, 10), (0, 4), (0, 6)) and struct.unpack_from(">H", raw, offset)[0] == 12:
            (groups,) = struct.unpack_from(">I", raw, offset + 12)
            return list(struct.iter_unpack(">III", raw[offset + 16 : offset + 16 + 12 * groups]))
    order = {name: gid for gid, name in enumerate(face.getGlyphOrder())}  # no format 12: the slow way
    return [(cp, cp, order[name]) for cp, name in sorted(face.getBestCmap().items())]


def _read(path: str, bold: bool) -> _Metrics | None:
    face = _face(path, bold)
    if face is None:
        return None
    units = face["head"].unitsPerEm
    n = face["hhea"].numberOfHMetrics
    advances = [adv for adv, _lsb in struct.iter_unpack(">Hh", face.reader["hmtx"][: 4 * n])]
    ems: dict[int, float] = {}  # one float object per distinct width, not one per code point
    widths: dict[int, float] = {}
    spans: list[list[int]] = []
    for first, last, glyph in _cmap_ranges(face):
        for cp in range(first, last + 1):
            advance = advances[min(glyph + cp - first, n - 1)]  # glyphs past n share the last advance
            if advance != units:
                widths[cp] = ems.setdefault(advance, advance / units)
        if spans and spans[-1][1] + 1 >= first:
            spans[-1][1] = max(spans[-1][1], last)
        else:
            spans.append([first, last])
    face.close()
    return _Metrics(
        f"{path} ({FONT} {'Bold' if bold else 'Regular'})",
        widths,
        tuple(s for s, _ in spans),
        tuple(e for _, e in spans),
    )


@lru_cache(maxsize=2)
def _metrics(bold: bool) -> _Metrics | None:
    """The face's metrics, read once a process; None where the font is not installed (or unreadable)."""
    if os.environ.get(_ENV) == "estimate":
        return None
    try:
        import fontTools.ttLib  # type: ignore[import-untyped]  # noqa: F401 -- WeasyPrint's; without it, the estimate
    except ImportError:
        return None
    for path in _candidates(bold):
        try:
            found = _read(path, bold)
        except (OSError, ValueError, KeyError, IndexError, struct.error):
            continue  # a damaged or unexpected file: the next candidate, else the estimate
        if found is not None:
            return found
    return None


def metrics_source(bold: bool = False) -> str | None:
    """The font file :func:`text_width` measures with (``bold`` or regular), or None: by the estimate."""
    found = _metrics(bold)
    return found.source if found else None


# --- proportional: ems of the font -----------------------------------------------------------------

_NARROW = frozenset("iljI.,:;'|!`")
#: No line starts with these (closing punctuation, CJK and Latin) ...
_NO_START = frozenset(
    "、。，．・：；？！）」』】〕〉》〗〙〛｝］…‥ー々〜゛゜ぁぃぅぇぉっゃゅょァィゥェォッャュョ,.;:!?)]}%’”»›"
)
#: ... and none ends with these (opening punctuation).
_NO_END = frozenset("「『（【〔〈《〖〘〚｛［([{‘“«‹")
_ZERO_WIDTH = frozenset("\u200b\u200c\u200d\u2060\ufeff")
#: Spaces that do not break: inside a unit, not between units.
_GLUE_SPACES = frozenset("\u00a0\u2007\u202f")
_HYPHENS = frozenset("-\u2010\u2013/")
_ELLIPSES = frozenset("…‥")
_PUNCTUATION = "".join(sorted(_NO_START | _NO_END))


def _estimate(ch: str) -> float:
    if unicodedata.east_asian_width(ch) in ("W", "F", "A"):
        return 1.0
    if ch in _NARROW or ch == " ":
        return 0.35
    return 0.6


_EMS: dict[bool, dict[str, float]] = {False: {}, True: {}}


def _em(ch: str, bold: bool) -> float:
    if unicodedata.combining(ch) or ch in _ZERO_WIDTH:
        width = 0.0
    else:
        found = _metrics(bold)
        advance = found.advance(ord(ch)) if found else None
        width = advance if advance is not None else _estimate(ch) * (1.05 if bold else 1.0)
    _EMS[bold][ch] = width
    return width


def text_width(text: str, size: float, bold: bool = False) -> float:
    """Advance width of ``text`` at ``size`` (px, pt: the result is in the same unit), by the font's metrics."""
    known = _EMS[bold]
    total = 0.0
    for ch in text:
        width = known.get(ch)
        total += _em(ch, bold) if width is None else width
    return total * size


def _breaks_anywhere(ch: str) -> bool:
    """Chinese, Japanese and other wide characters: a line may break before and after each."""
    return unicodedata.east_asian_width(ch) in ("W", "F") and not ch.isspace()


def _is_space(ch: str) -> bool:
    return ch.isspace() and ch not in _GLUE_SPACES


def _atoms(text: str) -> list[str]:
    """Runs of spaces, Latin words and numbers (with the punctuation in them), and single wide characters."""
    atoms: list[str] = []
    for ch in text:
        if atoms and not _breaks_anywhere(ch) and (_is_space(ch) == _is_space(atoms[-1][-1])):
            last = atoms[-1][-1]
            # an ellipsis ends a word (…2024 may break after it), and so does closing punctuation before opening
            parted = ch not in _NO_START and (last in _ELLIPSES or (last in _NO_START and ch in _NO_END))
            if not _breaks_anywhere(last) and not parted:
                atoms[-1] += ch
                continue
        atoms.append(ch)
    return atoms


def _units(text: str) -> list[str]:
    """``text`` cut where a line may break: runs of spaces, and between them the units a line never
    splits if it can help it: a Latin word or number whole, a Chinese character with the closing
    punctuation after it and the opening punctuation before it (「推, 動」。)."""
    units: list[str] = []
    for atom in _atoms(text):
        previous = units[-1] if units else ""
        if previous and not _is_space(previous[-1]) and not _is_space(atom[0]):
            if atom[0] in _NO_START or previous[-1] in _NO_END:
                units[-1] += atom
                continue
        units.append(atom)
    return units


def _pieces(unit: str, size: float, max_w: float, bold: bool) -> list[str]:
    """A unit wider than a line, cut: first between a word and the punctuation held to it or in it
    (a word that fits stays whole), then a word at its hyphens or slashes, and what is still too
    wide anywhere; the closing and opening punctuation go with a neighbour again where that fits."""
    parts: list[str] = []
    for atom in _atoms(unit):
        if text_width(atom, size, bold) <= max_w:
            parts.append(atom)
            continue
        core = atom.lstrip(_PUNCTUATION)
        lead, core = atom[: len(atom) - len(core)], core.rstrip(_PUNCTUATION)
        trail = atom[len(lead) + len(core) :]
        parts.extend(lead)
        for part in _split_after(core, _HYPHENS):
            parts.extend([part] if text_width(part, size, bold) <= max_w else part)
        parts.extend(trail)
    pieces: list[str] = []
    for part in parts:
        if pieces and (part[0] in _NO_START or pieces[-1][-1] in _NO_END):
            if text_width(pieces[-1] + part, size, bold) <= max_w:
                pieces[-1] += part
                continue
        pieces.append(part)
    return pieces


def _split_after(word: str, marks: Container[str]) -> list[str]:
    parts: list[str] = []
    start = 0
    for i, ch in enumerate(word[:-1]):
        if ch in marks and i > start and word[i - 1].isalpha() and word[i + 1].isalpha():
            parts.append(word[start : i + 1])
            start = i + 1
    parts.append(word[start:])
    return parts


def _wrap_greedy(units: Sequence[str], size: float, max_w: float, bold: bool) -> list[str]:
    lines: list[str] = []
    cur, cur_w = "", 0.0  # cur_w includes the spaces inside the line, not those at its end
    spaces = ""
    for unit in units:
        if _is_space(unit[0]):  # spaces stay at the end of a line (invisible), so joining the lines gives the text back
            spaces += unit
            continue
        w = text_width(unit, size, bold)
        if w <= max_w + 0.01:
            pieces, fresh = [(unit, w)], False
        else:  # a word that alone is too wide starts a line of its own, as a browser breaks it
            pieces = [(p, text_width(p, size, bold)) for p in _pieces(unit, size, max_w, bold)]
            fresh = not _breaks_anywhere(unit[0])
        for i, (piece, pw) in enumerate(pieces):
            gap = text_width(spaces, size, bold) if spaces else 0.0
            if cur.strip() and (cur_w + gap + pw > max_w + 0.01 or (fresh and i == 0)):
                lines.append(cur + spaces)
                cur, cur_w, spaces, gap = "", 0.0, "", 0.0
            cur, cur_w, spaces = cur + spaces + piece, cur_w + gap + pw, ""
    if cur or spaces:
        lines.append(cur + spaces)
    return lines


@lru_cache(maxsize=4096)
def wrap_verbatim(text: str, size: float, max_w: float, bold: bool = False) -> tuple[str, ...]:
    """``text`` as it is (spaces included) wrapped into lines no wider than ``max_w``, as evenly long
    as possible; the lines joined give ``text`` back."""
    if not text:
        return ()
    units = _units(text)
    lines = _wrap_greedy(units, size, max_w, bold)
    if len(lines) <= 1:
        return tuple(lines)
    # Balance: the narrowest width that still needs no more lines, but never so narrow that a unit
    # which fits the full width would be broken.
    widest = max((text_width(u, size, bold) for u in units if not _is_space(u[0])), default=0.0)
    lo, hi = max(max_w / len(lines), min(widest, max_w)), max_w
    for _ in range(8):
        mid = (lo + hi) / 2
        if len(_wrap_greedy(units, size, mid, bold)) <= len(lines):
            hi = mid
        else:
            lo = mid
    return tuple(_wrap_greedy(units, size, hi, bold))


def unbreakable_width(text: str, size: float, bold: bool = False) -> float:
    """The width of the widest part of ``text`` that :func:`wrap` keeps whole when it can: a word,
    a number, a Chinese character with its punctuation. A line narrower than that breaks a word."""
    return max((text_width(u, size, bold) for u in _units(text) if not _is_space(u[0])), default=0.0)


def wrap(text: str, size: float, max_w: float, bold: bool = False) -> tuple[str, ...]:
    """``text`` wrapped into balanced lines no wider than ``max_w`` at ``size`` (any unit, the same for both)."""
    return wrap_verbatim(" ".join(text.split()), size, max_w, bold)


#: Excel's unit of column width: a digit of the workbook's default font, 7 px (Calibri 11, and
#: Noto Sans CJK at 10 pt alike).
_COLUMN_PX = 7.0


def cell_lines(text: str, columns: float, size: float = 10, bold: bool = False) -> int:
    """How many lines ``text`` takes in a spreadsheet cell ``columns`` wide (Excel's unit) at ``size`` pt,
    wrapped as Excel and LibreOffice wrap a cell: each of its lines at spaces and between Chinese characters."""
    px = size * 96 / 72
    inner = max(columns * _COLUMN_PX - 5, px)  # less the cell's padding
    return sum(max(1, len(wrap(line, px, inner, bold))) for line in text.splitlines() or [""])


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
