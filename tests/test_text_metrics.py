"""Text is measured with the font's own metrics and wrapped as a typesetter would (issue 14, item 4).

Latin text breaks at spaces (a word only when it alone cannot fit a line), Chinese between
characters with the line-breaking rules (no line starts with 、。」）, none ends with 「（), and a Latin
word or number inside Chinese stays whole. The tests that compare with the font's real advances find
the font themselves and skip, saying so, where fonts-noto-cjk is not installed (CI installs it:
`make test` runs `make install`, whose system packages include fonts-noto-cjk).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import unicodedata
import xml.etree.ElementTree as ET
from functools import cache
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from stratmap.strategy.diagram import MapSpec, ObjectiveBox, render_svg
from stratmap.text import FONT, cell_lines, metrics_source, text_width, wrap, wrap_verbatim

DEBIAN = {
    False: "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    True: "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc",
}


def font_file(bold: bool) -> str | None:
    """The font file as the system has it: Debian's path, else what fc-match names (if it is the font)."""
    if Path(DEBIAN[bold]).is_file():
        return DEBIAN[bold]
    if shutil.which("fc-match"):
        out = subprocess.run(
            ["fc-match", "-f", "%{family}\t%{file}", f"{FONT}:{'bold' if bold else 'regular'}"],
            capture_output=True,
            text=True,
            check=False,
        ).stdout
        family, _, file = out.partition("\t")
        if FONT in family.split(","):
            return file
    return None


needs_font = pytest.mark.skipif(
    font_file(False) is None or font_file(True) is None,
    reason=f"{FONT} is not installed (Debian: apt-get install fonts-noto-cjk); text is measured by the estimate",
)


@cache
def real_advance(text: str, bold: bool) -> float:
    """``text``'s advance in ems, summed from the font's hmtx and cmap as fontTools decodes them."""
    from fontTools.ttLib import TTCollection, TTFont

    path = font_file(bold)
    assert path is not None
    faces = TTCollection(path, lazy=True).fonts if path.endswith(".ttc") else [TTFont(path, lazy=True)]
    (face,) = [f for f in faces if f["name"].getDebugName(1) == FONT]
    cmap, hmtx, units = face.getBestCmap(), face["hmtx"], face["head"].unitsPerEm
    return sum(hmtx[cmap[ord(ch)]][0] for ch in text) / units


# --- measuring -------------------------------------------------------------------------------------


@needs_font
@pytest.mark.parametrize("bold", [False, True], ids=["regular", "bold"])
@pytest.mark.parametrize(
    "text", ["WWWWWWWW", "iiiiiiii", "Reduce homelessness", "促進充分就業", "2024/25（民國113年）"]
)
def test_text_is_measured_within_two_percent_of_the_fonts_own_advances(text, bold):
    assert text_width(text, 10, bold) == pytest.approx(real_advance(text, bold) * 10, rel=0.02)


@needs_font
def test_the_metrics_come_from_the_installed_font():
    assert metrics_source(False) is not None and metrics_source(False).startswith(font_file(False))
    assert metrics_source(True) is not None and metrics_source(True).startswith(font_file(True))


def test_without_the_font_text_is_measured_by_the_estimate_and_still_wraps():
    """A machine without fonts-noto-cjk (here: told to measure by the estimate) still measures and wraps."""
    code = (
        "from stratmap.text import metrics_source, text_width, wrap\n"
        "print(metrics_source(), text_width('WWWWWWWW', 10), text_width('促進', 10),"
        " wrap('Keep the finances on track', 13, 90))"
    )
    env = {**os.environ, "STRATMAP_TEXT_METRICS": "estimate"}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True).stdout
    assert out.strip() == "None 48.0 20.0 ('Keep the ', 'finances ', 'on track')"


def test_a_cell_takes_a_line_for_each_of_its_lines_and_wraps_chinese_by_character():
    assert cell_lines("第一行\n第二行", 30) == 2
    # 12 columns are 84 px less the padding: five 13.3 px characters of 10 pt a line
    assert cell_lines("提升市民對政府信任度並強化社會", 12) == 3


# --- wrapping: examples ------------------------------------------------------------------------------


SVG = "{http://www.w3.org/2000/svg}"


@needs_font
def test_an_english_objective_name_on_the_map_wraps_at_spaces():
    """Was "Internationalisatio / n of environmental / partnerships" by the estimate (0.6 em a letter)."""
    name, perspective = "Internationalisation of environmental partnerships", "Outcomes for residents and businesses"
    spec = MapSpec(
        "Council Plan", "", "", [], {}, [("C", perspective)], [("E", "A Greener District")],
        [ObjectiveBox("E2", name, "C", "E")], [],
    )  # fmt: skip
    root = ET.fromstring(render_svg(spec))
    (group,) = [g for g in root.iter(f"{SVG}g") if g.get("class") == "objective" and g.get("data-code") == "E2"]
    (text,) = [t for t in group.iter(f"{SVG}text") if t.get("class") == "name"]
    lines = [span.text or "" for span in text.iter(f"{SVG}tspan")]
    assert len(lines) > 1 and [w for line in lines for w in line.split()] == name.split(), lines
    (head,) = [t for t in root.iter(f"{SVG}text") if "".join(t.itertext()).startswith("Outcomes")]
    words = [w for span in head.iter(f"{SVG}tspan") for w in (span.text or "").split()]
    assert words == perspective.split(), "the perspective's name keeps its words whole (was 'busin / esses')"


def test_chinese_wraps_by_character_without_closing_punctuation_at_a_line_start():
    lines = wrap("提升行政效率，強化數位韌性。建構「智慧城市」（含AI應用）", 10, 60)
    assert "".join(lines) == "提升行政效率，強化數位韌性。建構「智慧城市」（含AI應用）"
    assert all(line[0] not in "，。」）" for line in lines)
    assert all(line[-1] not in "「（" for line in lines)
    assert any("AI" in line for line in lines), "the Latin word inside Chinese stays whole"


def test_a_number_inside_chinese_stays_whole():
    lines = wrap("預計於2024年完成12345件申請案", 10, 55)
    assert any("12345" in line for line in lines) and any("2024" in line for line in lines), lines


def test_a_word_too_long_for_any_line_is_broken_and_starts_a_line_of_its_own():
    lines = wrap("An interdepartmentalisation plan", 10, 60)
    assert "".join(lines) == "An interdepartmentalisation plan"
    assert lines[0] == "An ", lines
    assert all(text_width(line.rstrip(), 10) <= 60 for line in lines)


def test_lines_come_out_as_evenly_long_as_their_number_allows():
    lines = wrap("Keep the council's finances on track for the next year", 10, 200)
    assert len(lines) == 2
    widths = [text_width(line.rstrip(), 10) for line in lines]
    assert max(widths) - min(widths) < 40, lines


# --- wrapping: properties ----------------------------------------------------------------------------

NO_START = "、。，．・：；？！）」』】〕〉》…‥,.;:!?)]}%’”"
NO_END = "「『（【〔〈《([{‘“"
LATIN_WORDS = st.text(st.sampled_from("abcdefghijklmnopqrstuvwxyzWMIl0123456789"), min_size=1, max_size=18)
CJK_CHARS = st.sampled_from("促進充分就業提升行政效率強化數位韌性市民臺北")
#: A token as text has it: a Chinese character or a Latin word, now and then in opening and closing
#: punctuation, then a space or not.
TOKENS = st.tuples(
    st.sampled_from(["", "", "", *NO_END]),
    st.one_of(CJK_CHARS, LATIN_WORDS),
    st.sampled_from(["", "", "", *NO_START]),
    st.sampled_from(["", "", " "]),
)
WIDTHS = st.floats(min_value=20, max_value=400)
SIZES = st.sampled_from([10.0, 13.0, 15.0])
PROPERTY = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def texts(tokens: list[tuple[str, str, str, str]]) -> str:
    """The tokens as text; a Latin word or Latin punctuation is followed by a space (a Latin word
    written right after either is one word with it, as in 3,000 or don’t)."""
    return "".join(
        o + core + c + (" " if is_latin(core[-1]) or not wide(c) else sep) for o, core, c, sep in tokens
    ).strip()


def breaks(lines: tuple[str, ...]) -> list[int]:
    """Where in the text each line but the first starts."""
    out, at = [], 0
    for line in lines[:-1]:
        at += len(line)
        out.append(at)
    return out


def wide(marks: str) -> bool:
    return all(unicodedata.east_asian_width(ch) in ("W", "F") for ch in marks)


def is_latin(ch: str) -> bool:
    return ch.isalnum() and ord(ch) < 0x3000


def latin_word_at(text: str, i: int) -> str:
    start, end = i, i
    while start > 0 and is_latin(text[start - 1]):
        start -= 1
    while end < len(text) and is_latin(text[end]):
        end += 1
    return text[start:end]


@PROPERTY
@given(tokens=st.lists(TOKENS, min_size=1, max_size=30), max_w=WIDTHS, size=SIZES, bold=st.booleans())
def test_joining_the_lines_gives_the_text_back(tokens, max_w, size, bold):
    text = texts(tokens)
    assert "".join(wrap_verbatim(text, size, max_w, bold)) == text
    assert "".join(wrap(text, size, max_w, bold)) == " ".join(text.split())


@PROPERTY
@given(tokens=st.lists(TOKENS, min_size=1, max_size=30), max_w=WIDTHS, size=SIZES, bold=st.booleans())
@example(tokens=[("", "促", "", ""), ("(", "Wic", "", "")], max_w=20.0, size=10.0, bold=False)  # found in CI
def test_no_line_is_wider_than_the_width_unless_it_is_one_character(tokens, max_w, size, bold):
    for line in wrap(texts(tokens), size, max_w, bold):
        # wrap's own slack of 0.01, and a rounding's more: it adds its pieces' widths up ("(" then "Wic"), which
        # may come to a hair less than the line's width measured whole (20.009999… against 20.010000000000005).
        assert text_width(line.rstrip(), size, bold) <= max_w + 0.01 + 1e-9 or len(line.rstrip()) == 1, line


@PROPERTY
@given(tokens=st.lists(TOKENS, min_size=1, max_size=30), max_w=WIDTHS, size=SIZES, bold=st.booleans())
def test_a_latin_word_or_number_that_fits_a_line_is_never_broken(tokens, max_w, size, bold):
    text = " ".join(texts(tokens).split())
    for at in breaks(wrap(text, size, max_w, bold)):
        if is_latin(text[at - 1]) and is_latin(text[at]):
            word = latin_word_at(text, at)
            assert text_width(word, size, bold) > max_w, f"{word!r} fits {max_w} but was broken"


@PROPERTY
@given(tokens=st.lists(TOKENS, min_size=1, max_size=30), size=SIZES, bold=st.booleans(), extra=st.floats(0, 200))
def test_no_line_starts_with_closing_or_ends_with_opening_punctuation_where_avoidable(tokens, size, bold, extra):
    # avoidable: every token with its punctuation fits a line
    max_w = max(text_width("".join(token[:3]), size, bold) for token in tokens) + extra
    text = texts(tokens)
    lines = wrap(text, size, max_w, bold)
    for line in lines[1:]:
        assert line[0] not in NO_START, lines
    for line in lines[:-1]:
        assert line.rstrip()[-1] not in NO_END, lines


@PROPERTY
@given(
    words=st.lists(
        st.text(st.sampled_from("abcdefghijklmnopqrstuvwxyzWM"), min_size=1, max_size=12), min_size=1, max_size=20
    ),
    max_w=WIDTHS,
)
def test_english_text_breaks_only_at_spaces_when_every_word_fits(words, max_w):
    text = " ".join(words)
    if max(text_width(w, 13) for w in words) > max_w:
        return
    lines = wrap(text, 13, max_w)
    assert [w for line in lines for w in line.split()] == words
