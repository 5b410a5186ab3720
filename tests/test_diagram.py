"""The strategy-map diagram: grid layout, arrow routing and SVG output (pure Python, no database)."""

from __future__ import annotations

import hashlib
import itertools
import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from stratmap.strategy.diagram import (
    LightStyle,
    MapSpec,
    ObjectiveBox,
    Rect,
    layout,
    render_svg,
)
from stratmap.text import text_width

SVG = "{http://www.w3.org/2000/svg}"
EPS = 1e-6

EXCELLENT = LightStyle("excellent", "★", "優", "#1a7f37")
GOOD = LightStyle("good", "●", "良", "#0969da")
FAIR = LightStyle("fair", "▲", "可", "#9a6700")
POOR = LightStyle("poor", "╳", "差", "#cf222e")
UNKNOWN = LightStyle("unknown", "？", "不明", "#6e7781")

PERSPECTIVES = [("C", "顧客"), ("P", "內部流程"), ("L", "學習成長"), ("F", "財務")]
THEMES = [
    ("A", "營造永續環境"),
    ("B", "健全都市發展"),
    ("C", "發展文化多元"),
    ("D", "優化產業勞動"),
    ("E", "強化社會支持"),
    ("F", "打造優質教育"),
    ("G", "精進健康安全"),
    ("H", "精實良善治理"),
]
LABELS = {"mission": "使命", "vision": "願景", "values": "核心價值", "themes": "策略主題", "perspectives": "構面"}


def make_spec(objectives, links=(), *, themes=THEMES, perspectives=PERSPECTIVES, **fields) -> MapSpec:
    base = dict(
        title="臺北市政府110年度策略地圖",
        mission="為市民服務，替城市創新",
        vision="成為宜居永續城市",
        values=["正直誠信", "團隊合作", "創新卓越", "開放共享"],
        labels=LABELS,
    )
    base.update(fields)
    return MapSpec(
        perspectives=list(perspectives), themes=list(themes), objectives=list(objectives), links=list(links), **base
    )


def city_spec() -> MapSpec:
    """A city map like Taipei's: 8 themes, a TC row across all themes, several objectives per cell."""
    names = {
        "C": ["促進充分就業", "穩健產業發展", "完善創業服務及投資環境"],
        "P": ["健全商貿環境", "打造創業搖籃", "發展重點產業", "友善勞動環境", "建構職場安全體系"],
        "L": ["培育優秀人力"],
        "F": ["提高預算執行效能", "開發市政教育及體育經費來源"],
    }
    lights = [EXCELLENT, GOOD, FAIR, POOR, UNKNOWN, None]
    objectives = [
        ObjectiveBox("TC1", "提升滿意的住民", "C", None, EXCELLENT),
        ObjectiveBox("TC2", "增加快樂的員工", "C", None, GOOD),
        ObjectiveBox("TC3", "發展協力的企業", "C", None, FAIR),
        ObjectiveBox("TC4", "促成和諧的府際關係", "C", None, None),
    ]
    i = 0
    for t, (theme, _name) in enumerate(THEMES):
        for p, (persp, _pname) in enumerate(PERSPECTIVES):
            count = max(1, len(names[persp]) - (t + p) % 2)
            for k in range(count):
                code = f"{theme}{persp}{k + 1}"
                objectives.append(
                    ObjectiveBox(
                        code, names[persp][k], persp, theme, lights[i % len(lights)], f"/themes/{theme}#{code}"
                    )
                )
                i += 1
    links = [
        ("DF1", "DL1"), ("DL1", "DP1"), ("DL1", "DP3"), ("DP1", "DC2"), ("DP3", "DC2"), ("DP2", "DC1"),
        ("DC1", "TC1"), ("DC2", "TC3"), ("AL1", "AP1"), ("HF1", "HP2"), ("EP1", "EC1"), ("GP2", "GC1"),
        ("BC1", "TC1"), ("HC1", "TC4"), ("AF1", "BP1"),
    ]  # fmt: skip
    return make_spec(objectives, links)


def busy_spec() -> MapSpec:
    """A 3x3 map with stacked cells, a cross-theme box and links in every direction."""
    themes = [("A", "甲"), ("B", "乙"), ("C", "丙")]
    perspectives = [("C", "顧客"), ("P", "內部流程"), ("L", "學習成長")]
    objectives = [ObjectiveBox("T1", "跨主題", "C", None)]
    for theme, _n in themes:
        for persp, _p in perspectives:
            for k in range(1 + (ord(theme) + ord(persp)) % 3):
                objectives.append(ObjectiveBox(f"{theme}{persp}{k}", "提升目標名稱", persp, theme))
    codes = [o.code for o in objectives]
    links = [(a, b) for i, a in enumerate(codes) for j, b in enumerate(codes) if i != j and (i * 7 + j * 3) % 11 == 0]
    return make_spec(objectives, links, themes=themes, perspectives=perspectives)


# ----------------------------------------------------------------------------- geometry helpers


def overlaps(a: Rect, b: Rect) -> bool:
    return a.x < b.x + b.w - EPS and b.x < a.x + a.w - EPS and a.y < b.y + b.h - EPS and b.y < a.y + a.h - EPS


def inside(inner: Rect, outer: Rect) -> bool:
    return (
        inner.x >= outer.x - EPS
        and inner.y >= outer.y - EPS
        and inner.x + inner.w <= outer.x + outer.w + EPS
        and inner.y + inner.h <= outer.y + outer.h + EPS
    )


def on_edge(point, r: Rect) -> bool:
    x, y = point
    on_side = (abs(x - r.x) < EPS or abs(x - (r.x + r.w)) < EPS) and r.y - EPS <= y <= r.y + r.h + EPS
    on_top_bottom = (abs(y - r.y) < EPS or abs(y - (r.y + r.h)) < EPS) and r.x - EPS <= x <= r.x + r.w + EPS
    return on_side or on_top_bottom


def crosses_interior(p, q, r: Rect) -> bool:
    """Does the axis-parallel segment p-q pass through the inside of r (touching the border is fine)?"""
    (x0, y0), (x1, y1) = p, q
    if abs(y0 - y1) < EPS:  # horizontal
        lo, hi = sorted((x0, x1))
        return r.y + EPS < y0 < r.y + r.h - EPS and max(lo, r.x) < min(hi, r.x + r.w) - EPS
    lo, hi = sorted((y0, y1))
    return r.x + EPS < x0 < r.x + r.w - EPS and max(lo, r.y) < min(hi, r.y + r.h) - EPS


def assert_sound_layout(spec: MapSpec, lay) -> None:
    """The invariants every layout keeps, whatever the map."""
    rows = {code: lay.rows[code] for code, _ in spec.perspectives}
    for ob in spec.objectives:
        box = lay.boxes[ob.code]
        assert inside(box, rows[ob.perspective]), ob.code
        if ob.theme is not None:
            column = lay.columns[ob.theme]
            assert column.x - EPS <= box.x and box.x + box.w <= column.x + column.w + EPS, ob.code
    codes = list(lay.boxes)
    for i, a in enumerate(codes):
        for b in codes[i + 1 :]:
            assert not overlaps(lay.boxes[a], lay.boxes[b]), (a, b)
    for source, target, points in lay.arrows:
        assert source != target
        assert len(points) >= 2
        assert on_edge(points[0], lay.boxes[source]), (source, target, points)
        assert on_edge(points[-1], lay.boxes[target]), (source, target, points)
        for p, q in itertools.pairwise(points):
            assert abs(p[0] - q[0]) < EPS or abs(p[1] - q[1]) < EPS, f"diagonal segment {p}-{q} of {source}->{target}"
            for code, box in lay.boxes.items():
                assert not crosses_interior(p, q, box), f"{source}->{target} passes through {code}"


def collinear_overlaps(lay) -> list:
    """Pairs of arrows that run on top of each other for more than a pixel."""
    segments = []
    for n, (_s, _t, points) in enumerate(lay.arrows):
        for p, q in itertools.pairwise(points):
            if abs(p[1] - q[1]) < EPS:
                segments.append((n, "H", round(p[1], 6), *sorted((p[0], q[0]))))
            else:
                segments.append((n, "V", round(p[0], 6), *sorted((p[1], q[1]))))
    found = []
    for i, (n, kind, at, lo, hi) in enumerate(segments):
        for m, kind2, at2, lo2, hi2 in segments[i + 1 :]:
            if m != n and kind == kind2 and abs(at - at2) < 0.5 and min(hi, hi2) - max(lo, lo2) > 1:
                found.append((lay.arrows[n][:2], lay.arrows[m][:2]))
    return found


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)


def objective_group(root: ET.Element, code: str) -> ET.Element:
    (group,) = [g for g in root.iter(f"{SVG}g") if g.get("class") == "objective" and g.get("data-code") == code]
    return group


def texts_of_class(root: ET.Element, cls: str) -> list[str]:
    return ["".join(t.itertext()) for t in root.iter() if cls in (t.get("class") or "").split()]


# ----------------------------------------------------------------------------- grid


def test_each_theme_gets_one_column_in_the_given_order_left_to_right():
    lay = layout(city_spec())
    assert list(lay.columns) == [code for code, _ in THEMES]
    xs = [lay.columns[code].x for code, _ in THEMES]
    assert xs == sorted(xs)
    for left, right in itertools.pairwise(THEMES):
        a, b = lay.columns[left[0]], lay.columns[right[0]]
        assert a.x + a.w < b.x, "columns are separated by a channel"


def test_each_perspective_gets_one_row_band_in_the_given_order_top_to_bottom():
    lay = layout(city_spec())
    assert list(lay.rows) == ["C", "P", "L", "F"]
    customer, process = lay.rows["C"], lay.rows["P"]
    assert customer.y + customer.h < process.y, "the customer row is above the internal-process row"
    ys = [lay.rows[code].y for code, _ in PERSPECTIVES]
    assert ys == sorted(ys)


def test_the_perspective_order_is_the_given_one_even_when_financial_comes_first():
    spec = make_spec(
        [ObjectiveBox("AF1", "財務", "F", "A"), ObjectiveBox("AC1", "顧客", "C", "A")],
        perspectives=[("F", "財務"), ("C", "顧客")],
        themes=[("A", "甲")],
    )
    lay = layout(spec)
    assert lay.rows["F"].y < lay.rows["C"].y
    assert lay.boxes["AF1"].y < lay.boxes["AC1"].y


def test_every_objective_has_a_box_inside_its_row_band_and_its_theme_column():
    spec = city_spec()
    lay = layout(spec)
    assert set(lay.boxes) == {ob.code for ob in spec.objectives}
    assert_sound_layout(spec, lay)


def test_boxes_stacked_in_one_cell_keep_their_order_and_do_not_overlap():
    spec = city_spec()
    lay = layout(spec)
    stack = [lay.boxes[code] for code in ("DP1", "DP2", "DP3", "DP4", "DP5")]
    assert len({b.x for b in stack}) == 1
    for upper, lower in itertools.pairwise(stack):
        assert upper.y + upper.h <= lower.y, "stacked top to bottom in the given order, without overlap"


def test_no_two_boxes_overlap_anywhere_on_the_city_map():
    lay = layout(city_spec())
    rects = list(lay.boxes.values())
    assert not [(a, b) for i, a in enumerate(rects) for b in rects[i + 1 :] if overlaps(a, b)]


def test_cross_theme_objectives_share_the_full_width_of_their_row_above_its_cells():
    lay = layout(city_spec())
    first, last = lay.columns["A"], lay.columns["H"]
    tc = [lay.boxes[f"TC{i}"] for i in range(1, 5)]
    assert [b.x for b in tc] == sorted(b.x for b in tc), "side by side in the given order"
    assert tc[0].x == pytest.approx(first.x)
    assert tc[-1].x + tc[-1].w == pytest.approx(last.x + last.w)
    assert sum(b.w for b in tc) > 0.9 * (last.x + last.w - first.x)
    assert len({(b.y, b.h) for b in tc}) == 1, "one band of equal boxes"
    cells_top = min(b.y for code, b in lay.boxes.items() if code[1] == "C" and not code.startswith("TC"))
    assert tc[0].y + tc[0].h < cells_top, "the band sits above the row's cells"
    assert tc[0].y >= lay.rows["C"].y


def test_a_single_cross_theme_objective_spans_every_theme_column():
    spec = make_spec([ObjectiveBox("TC1", "提升滿意的住民", "C", None), ObjectiveBox("AC1", "甲", "C", "A")])
    lay = layout(spec)
    box, first, last = lay.boxes["TC1"], lay.columns["A"], lay.columns["H"]
    assert box.x == pytest.approx(first.x)
    assert box.x + box.w == pytest.approx(last.x + last.w)


def test_more_cross_theme_objectives_than_themes_wrap_onto_several_full_width_lines():
    themes = [("A", "甲"), ("B", "乙"), ("C", "丙")]
    spec = make_spec([ObjectiveBox(f"TC{i}", f"目標{i}", "C", None) for i in range(5)], themes=themes)
    lay = layout(spec)
    lines: dict[float, list[Rect]] = {}
    for i in range(5):
        lines.setdefault(lay.boxes[f"TC{i}"].y, []).append(lay.boxes[f"TC{i}"])
    assert len(lines) == 2
    for boxes in lines.values():
        assert min(b.x for b in boxes) == pytest.approx(lay.columns["A"].x)
        assert max(b.x + b.w for b in boxes) == pytest.approx(lay.columns["C"].x + lay.columns["C"].w)
    assert_sound_layout(spec, lay)


def test_an_objective_with_an_unknown_perspective_or_theme_is_an_error():
    with pytest.raises(ValueError, match="perspective"):
        layout(make_spec([ObjectiveBox("X1", "x", "Q", "A")]))
    with pytest.raises(ValueError, match="theme"):
        layout(make_spec([ObjectiveBox("X1", "x", "C", "Z")]))


def test_a_map_without_objectives_or_themes_still_lays_out():
    lay = layout(make_spec([], themes=[]))
    assert lay.columns == {} and lay.boxes == {} and lay.arrows == []
    assert list(lay.rows) == ["C", "P", "L", "F"]
    parse(render_svg(make_spec([], themes=[])))


# ----------------------------------------------------------------------------- arrows


def test_every_arrow_is_orthogonal_runs_from_edge_to_edge_and_crosses_no_box():
    spec = busy_spec()
    lay = layout(spec)
    assert len(lay.arrows) == len(spec.links) > 20
    directions = set()
    for source, target, _points in lay.arrows:
        a, b = lay.boxes[source], lay.boxes[target]
        directions.add(((b.x > a.x) - (b.x < a.x), (b.y > a.y) - (b.y < a.y)))
    assert len(directions) >= 8, "links run in (nearly) all directions"
    assert_sound_layout(spec, lay)


def test_arrows_on_the_city_map_cross_no_box():
    spec = city_spec()
    lay = layout(spec)
    assert len(lay.arrows) == len(spec.links)
    assert_sound_layout(spec, lay)


def test_parallel_arrows_get_their_own_lanes_and_never_run_on_top_of_each_other():
    for spec in (busy_spec(), city_spec()):
        assert collinear_overlaps(layout(spec)) == []


def test_busy_channels_widen_to_give_each_arrow_its_own_lane():
    objectives = [ObjectiveBox(f"AP{i}", "目標", "P", "A") for i in range(6)] + [
        ObjectiveBox(f"AC{i}", "目標", "C", "A") for i in range(6)
    ]
    links = [(f"AP{i}", f"AC{j}") for i in range(6) for j in range(6) if (i + j) % 2 == 0]
    themes = [("A", "甲"), ("B", "乙")]

    def channel_widths(lay):
        widths = [x1 - x0 for x0, x1 in lay.channels]
        a, b = lay.columns["A"], lay.columns["B"]
        assert lay.channels[0][1] == a.x and lay.channels[1] == (a.x + a.w, b.x) and lay.channels[2][0] == b.x + b.w
        return widths

    quiet = channel_widths(layout(make_spec(objectives, [], themes=themes)))
    spec = make_spec(objectives, links, themes=themes)
    lay = layout(spec)
    busy = channel_widths(lay)
    assert len(set(quiet)) == 1 and max(busy) > quiet[0]
    assert_sound_layout(spec, lay)
    assert collinear_overlaps(lay) == []


def test_a_lone_link_between_boxes_stacked_in_one_column_is_a_straight_vertical_arrow():
    spec = make_spec(
        [ObjectiveBox("AL1", "培育優秀人力", "L", "A"), ObjectiveBox("AP1", "加強公害防治", "P", "A")],
        [("AL1", "AP1")],
    )
    lay = layout(spec)
    ((_s, _t, points),) = lay.arrows
    assert len(points) == 2 and points[0][0] == points[1][0]
    assert points[0][1] == lay.boxes["AL1"].y and points[1][1] == lay.boxes["AP1"].y + lay.boxes["AP1"].h


def test_a_link_to_an_unknown_code_to_itself_or_repeated_is_skipped():
    spec = make_spec(
        [ObjectiveBox("AC1", "甲", "C", "A"), ObjectiveBox("AP1", "乙", "P", "A")],
        [("AC1", "NOPE"), ("NOPE", "AC1"), ("AC1", "AC1"), ("AP1", "AC1"), ("AP1", "AC1")],
    )
    lay = layout(spec)
    assert [(s, t) for s, t, _ in lay.arrows] == [("AP1", "AC1")]
    root = parse(render_svg(spec, lay))
    assert [(p.get("data-from"), p.get("data-to")) for p in root.iter(f"{SVG}path") if p.get("class") == "link"] == [
        ("AP1", "AC1")
    ]


@st.composite
def random_maps(draw) -> MapSpec:
    themes = [(f"T{i}", f"主題{i}") for i in range(draw(st.integers(1, 5)))]
    perspectives = [(f"P{i}", f"構面{i}") for i in range(draw(st.integers(1, 4)))]
    objectives = []
    for i in range(draw(st.integers(1, 24))):
        perspective = draw(st.sampled_from(perspectives))[0]
        theme = None if draw(st.integers(0, 5)) == 0 else draw(st.sampled_from(themes))[0]
        name = draw(st.text(alphabet="提升策略目標營造永續 abcWXYZ&<>\"'", max_size=30))
        objectives.append(ObjectiveBox(f"O{i}", name, perspective, theme))
    codes = [ob.code for ob in objectives]
    links = draw(st.lists(st.tuples(st.sampled_from([*codes, "NOPE"]), st.sampled_from(codes)), max_size=40))
    return make_spec(objectives, links, themes=themes, perspectives=perspectives)


@settings(max_examples=150, deadline=None)
@given(random_maps())
def test_random_maps_keep_every_box_in_its_cell_and_every_arrow_in_the_gutters(spec):
    lay = layout(spec)
    assert_sound_layout(spec, lay)
    expected = {(s, t) for s, t in spec.links if s != t and s in lay.boxes and t in lay.boxes}
    assert {(s, t) for s, t, _ in lay.arrows} == expected
    parse(render_svg(spec, lay))


# ----------------------------------------------------------------------------- SVG


def test_the_svg_is_a_standalone_accessible_document():
    spec = city_spec()
    lay = layout(spec)
    svg = render_svg(spec, lay)
    root = parse(svg)
    assert root.tag == f"{SVG}svg"
    assert float(root.get("width")) == pytest.approx(lay.width, abs=0.1)
    assert float(root.get("height")) == pytest.approx(lay.height, abs=0.1)
    assert root.get("viewBox").split()[2:] == [root.get("width"), root.get("height")]
    assert root.get("role") == "img"
    assert root.get("aria-label") == spec.title
    assert root.findtext(f"{SVG}title") == spec.title
    style = root.findtext(f"{SVG}style")
    assert '"Noto Sans CJK TC", "Noto Sans TC", "Microsoft JhengHei", "PingFang TC", sans-serif' in style
    links = [p for p in root.iter(f"{SVG}path") if p.get("class") == "link"]
    assert len(links) == len(lay.arrows)
    marker_ids = {m.get("id") for m in root.iter(f"{SVG}marker")}
    assert all(p.get("marker-end") == "url(#sm-arrow)" for p in links) and "sm-arrow" in marker_ids


def test_theme_headers_and_perspective_rows_carry_their_codes_and_names_in_order():
    root = parse(render_svg(city_spec()))
    themes = [g for g in root.iter(f"{SVG}g") if g.get("class") == "theme"]
    assert [g.get("data-code") for g in themes] == [code for code, _ in THEMES]
    for g, (_code, name) in zip(themes, THEMES, strict=False):
        assert name in "".join(g.itertext())
    rows = [g for g in root.iter(f"{SVG}g") if g.get("class") == "perspective"]
    assert [g.get("data-code") for g in rows] == ["C", "P", "L", "F"]
    assert ["".join(g.itertext()) for g in rows] == [name for _, name in PERSPECTIVES]
    heading = "".join(root.itertext())
    for caption in LABELS.values():
        assert caption in heading


def test_script_quotes_and_ampersands_in_the_spec_show_as_text():
    nasty = "<script>alert(\"x\")</script> & 'co'"
    spec = make_spec(
        [
            ObjectiveBox(
                'A&1"', "名稱" + nasty, "C", "A", LightStyle("good", "<●>", 'l"&<', "#0969da"), '/x?a=1&b="2"'
            ),
            ObjectiveBox("AP1", "乙", "P", "A"),
        ],
        [("AP1", 'A&1"')],
        title="地圖 " + nasty,
        mission="使命 " + nasty,
        vision="願景 & <vision>",
        values=["a<b", 'x & "y"'],
        labels={**LABELS, "mission": "使命<&>"},
        themes=[("A", 'Theme "A" & <b>')],
        perspectives=[("C", "顧客 <&>"), ("P", "內部流程")],
    )
    svg = render_svg(spec)
    assert "<script" not in svg and "<b>" not in svg and "<vision>" not in svg
    root = parse(svg)  # well-formed
    assert root.get("aria-label") == spec.title
    assert root.findtext(f"{SVG}title") == spec.title
    group = objective_group(root, 'A&1"')
    assert ["".join(t.itertext()) for t in group.iter(f"{SVG}text") if t.get("class") == "name"] == [
        spec.objectives[0].name
    ]
    assert "<●>" in "".join(group.itertext()) and 'l"&<' in "".join(group.itertext())
    (anchor,) = root.iter(f"{SVG}a")
    assert anchor.get("href") == '/x?a=1&b="2"'
    assert texts_of_class(root, "mission-text") == [spec.mission]
    assert [t.text for t in root.iter(f"{SVG}tspan") if t.get("class") == "value"] == spec.values
    assert "使命<&>" in texts_of_class(root, "caption")
    theme = next(g for g in root.iter(f"{SVG}g") if g.get("class") == "theme")
    assert theme.get("data-code") == "A" and 'Theme "A" & <b>' in "".join(theme.itertext())
    assert [p.get("data-to") for p in root.iter(f"{SVG}path") if p.get("class") == "link"] == ['A&1"']


def test_a_long_chinese_name_wraps_by_character_inside_its_box():
    name = "優化緊急救護及防災應變機制並強化社會與交通安全機制"
    spec = make_spec([ObjectiveBox("GP6", name, "P", "G", GOOD)])
    root = parse(render_svg(spec))
    box = layout(spec).boxes["GP6"]
    (text,) = [t for t in objective_group(root, "GP6").iter(f"{SVG}text") if t.get("class") == "name"]
    lines = [span.text for span in text.iter(f"{SVG}tspan")]
    assert len(lines) >= 3 and "".join(lines) == name
    assert all(text_width(line, 13) <= box.w - 16 for line in lines)
    ys = [float(span.get("y")) for span in text.iter(f"{SVG}tspan")]
    assert ys == sorted(ys) and box.y < ys[0] and ys[-1] < box.y + box.h


def test_the_light_shows_its_symbol_and_label_in_the_box_not_only_its_colour():
    spec = make_spec(
        [ObjectiveBox("DC1", "促進充分就業", "C", "D", POOR), ObjectiveBox("DC2", "穩健產業發展", "C", "D")]
    )
    root = parse(render_svg(spec))
    poor = objective_group(root, "DC1")
    (light,) = [t for t in poor.iter(f"{SVG}text") if t.get("class") == "light"]
    assert "".join(light.itertext()) == "╳ 差"
    frame = next(r for r in poor.iter(f"{SVG}rect") if r.get("class") == "frame")
    assert frame.get("stroke") == "#cf222e" and frame.get("fill") not in ("#cf222e", "none")
    assert "╳ 差" in poor.findtext(f"{SVG}title")
    none = objective_group(root, "DC2")
    assert not [t for t in none.iter(f"{SVG}text") if t.get("class") == "light"]
    assert next(r for r in none.iter(f"{SVG}rect") if r.get("class") == "frame").get("stroke") == "#8c959f"


def test_a_long_english_light_label_moves_below_the_name_instead_of_overflowing():
    label = LightStyle("unknown", "？", "insufficient data to judge", "#6e7781")
    spec = make_spec([ObjectiveBox("AC1.1.1", "Improve environmental quality", "C", "A", label)])
    root = parse(render_svg(spec))
    group = objective_group(root, "AC1.1.1")
    (light,) = [t for t in group.iter(f"{SVG}text") if t.get("class") == "light"]
    (code,) = [t for t in group.iter(f"{SVG}text") if t.get("class") == "code"]
    assert float(light.get("y")) > float(code.find(f"{SVG}tspan").get("y"))
    box = layout(spec).boxes["AC1.1.1"]
    assert float(light.get("y")) < box.y + box.h


def test_a_box_with_a_link_is_wrapped_in_an_anchor_with_a_tooltip():
    spec = make_spec(
        [
            ObjectiveBox("DC1", "促進充分就業", "C", "D", GOOD, "/maps/taipei/2021/themes/D/#objective-DC1"),
            ObjectiveBox("DC2", "穩健產業發展", "C", "D", GOOD),
            ObjectiveBox("DC3", "壞連結", "C", "D", GOOD, "javascript:alert(1)"),
        ]
    )
    root = parse(render_svg(spec))
    anchors = list(root.iter(f"{SVG}a"))
    assert len(anchors) == 1, "no link without href, and never a javascript: link"
    (anchor,) = anchors
    assert anchor.get("href") == "/maps/taipei/2021/themes/D/#objective-DC1"
    (group,) = list(anchor)
    assert group.get("class") == "objective" and group.get("data-code") == "DC1"
    assert group.findtext(f"{SVG}title") == "DC1 促進充分就業 — ● 良"


def test_the_city_map_is_legible_at_its_natural_size():
    spec = city_spec()
    lay = layout(spec)
    svg = render_svg(spec, lay)
    sizes = [float(v) for v in re.findall(r"font-size:\s*([\d.]+)px", svg)]
    sizes += [float(v) for v in re.findall(r'font-size="([\d.]+)', svg)]
    assert sizes and min(sizes) >= 12
    for column in lay.columns.values():
        assert 140 <= column.w <= 200
    for ob in spec.objectives:
        box = lay.boxes[ob.code]
        assert box.h >= 40
        assert text_width(ob.code, 13, bold=True) < box.w
    assert lay.width <= 1700, "8 themes fit a wide screen"


def test_text_width_counts_cjk_and_full_width_letters_as_one_em():
    # Latin text is measured by the font's own advances: tests/test_text_metrics.py
    assert text_width("促進充分就業", 10) == pytest.approx(60)
    assert text_width("ＡＢ", 10) == pytest.approx(20), "full-width letters are 1em"


def test_layout_and_svg_are_deterministic():
    """The same map, built afresh and drawn after another map, comes out the same: nothing is carried from
    one drawing to the next (a counter, a cache), and drawing leaves the map it draws unchanged."""
    first_layout, first_svg = layout(city_spec()), render_svg(city_spec())
    other = busy_spec()
    assert layout(other) != first_layout and render_svg(other) != first_svg  # another map in between
    spec = city_spec()
    assert layout(spec) == first_layout
    assert render_svg(spec) == first_svg
    assert spec == city_spec()


def test_the_svg_does_not_depend_on_the_hash_seed():
    code = (
        "import hashlib, sys; sys.path.insert(0, 'tests');"
        "from test_diagram import busy_spec, city_spec; from stratmap.strategy.diagram import render_svg;"
        "print(hashlib.sha256((render_svg(city_spec()) + render_svg(busy_spec())).encode()).hexdigest())"
    )
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    digests = {
        subprocess.run(
            [sys.executable, "-c", code],
            cwd=root,
            env={**os.environ, "PYTHONHASHSEED": seed},
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        for seed in ("1", "2")
    }
    here = hashlib.sha256((render_svg(city_spec()) + render_svg(busy_spec())).encode()).hexdigest()
    assert digests == {here}


# ----------------------------------------------------------------------------- one layout, two drawings


def svg_rect(element: ET.Element) -> Rect:
    return Rect(*(float(element.get(k)) for k in ("x", "y", "width", "height")))


def test_the_svg_draws_every_box_header_and_band_where_the_layout_puts_them():
    spec = city_spec()
    lay = layout(spec)
    root = parse(render_svg(spec, lay))
    drawn: dict[str, Rect] = {}
    for group in root.iter(f"{SVG}g"):
        kind, code = (group.get("class") or "").split(" ")[0], group.get("data-code")
        rects = [svg_rect(r) for r in group.iter(f"{SVG}rect")]
        if kind == "objective":
            drawn[f"box {code}"] = rects[0]
            name = next(t for t in group.iter(f"{SVG}text") if t.get("class") == "name")
            assert tuple(span.text for span in name) == lay.texts[code].name_lines, code
        elif kind == "theme":
            drawn[f"theme {code}"] = rects[0]
        elif kind == "perspective":
            drawn[f"band {code}"], drawn[f"row head {code}"] = rects
        elif kind == "panel":
            drawn[f"panel {group.get('class').split()[1]}"] = rects[0]
        elif kind == "corner":
            drawn["corner"] = rects[0]
    expected = {
        **{f"box {code}": r for code, r in lay.boxes.items()},
        **{f"theme {code}": head.rect for code, head in lay.theme_heads.items()},
        **{f"band {code}": r for code, r in lay.rows.items()},
        **{f"row head {code}": head.rect for code, head in lay.row_heads.items()},
        **{f"panel {panel.key}": panel.rect for panel in lay.header.panels},
        "corner": lay.corner.rect,
    }
    assert drawn.keys() == expected.keys()
    for key, r in expected.items():
        assert tuple(drawn[key].__dict__.values()) == pytest.approx(tuple(r.__dict__.values()), abs=0.051), key
    column = lay.columns["A"]
    assert lay.theme_heads["A"].rect.y == column.y and lay.theme_heads["A"].rect.y + lay.theme_heads["A"].rect.h < min(
        band.y for band in lay.rows.values()
    ), "the theme headers top the columns, above the first band"
    assert lay.header.height == column.y and len(lay.header.panels) == 3


def test_the_deck_slide_draws_the_same_layout_scaled_to_fit_its_area():
    from pptx import Presentation
    from pptx.enum.shapes import MSO_SHAPE_TYPE
    from pptx.util import Emu, Inches

    from stratmap.reports.deck import HEIGHT, WIDTH, map_shapes

    spec = city_spec()
    lay = layout(spec)
    prs = Presentation()
    prs.slide_width, prs.slide_height = WIDTH, HEIGHT
    slide = prs.slides.add_slide(prs.slide_layouts[6])
    map_shapes(slide, spec, 0.3, 1.1, 12.7, 6.3)
    by_text = {shape.text_frame.text.split("\n")[0]: shape for shape in slide.shapes if shape.text_frame.text}
    boxes = {
        shape.text_frame.text.split()[0]: shape
        for shape in slide.shapes
        if shape.text_frame.text and "\n" in shape.text_frame.text
    }
    bands = [s for s in slide.shapes if s.shape_type == MSO_SHAPE_TYPE.AUTO_SHAPE and not s.text_frame.text]
    drawn = {
        # a box: its code (and light) on the first line, its name below, as the layout lays it out
        **{f"box {ob.code}": boxes[ob.code] for ob in spec.objectives},
        **{f"theme {code}": by_text[f"{code} {name}"] for code, name in spec.themes},
        **{f"row head {code}": by_text[name] for code, name in spec.perspectives},
        **{f"band {code}": band for (code, _name), band in zip(spec.perspectives, bands, strict=True)},
    }
    expected = {
        **{f"box {code}": r for code, r in lay.boxes.items()},
        **{f"theme {code}": head.rect for code, head in lay.theme_heads.items()},
        **{f"row head {code}": head.rect for code, head in lay.row_heads.items()},
        **{f"band {code}": r for code, r in lay.rows.items()},
    }
    # one scale and offset for everything: taken from two boxes far apart
    a, b = lay.boxes["TC1"], lay.boxes["HF1"]
    scale = (drawn["box HF1"].left - drawn["box TC1"].left) / (b.x - a.x)
    x0, y0 = drawn["box TC1"].left - a.x * scale, drawn["box TC1"].top - a.y * scale
    for key, r in expected.items():
        shape = drawn[key]
        place = (x0 + r.x * scale, y0 + r.y * scale, r.w * scale, r.h * scale)
        assert (shape.left, shape.top, shape.width, shape.height) == pytest.approx(place, abs=50), key
    body = lay.body
    assert x0 + body.x * scale >= Inches(0.3) - 50 and x0 + (body.x + body.w) * scale <= Inches(13.0) + 50
    assert y0 + body.y * scale == pytest.approx(Inches(1.1), abs=50) and y0 + (body.y + body.h) * scale <= Inches(
        7.4
    ) + Emu(50), "the map below its header fills the area's height"
    assert len([s for s in slide.shapes if s.shape_type == MSO_SHAPE_TYPE.FREEFORM]) == len(lay.arrows)


def test_the_diagram_benchmark_prints_its_figures(capsys):
    from django.core.management import CommandError, call_command

    call_command("benchmark-diagram", objectives=30, links=40, repeat=2)
    out = capsys.readouterr().out
    assert "30 objectives, 40 links (40 drawn)" in out and "layout + render: first call" in out
    with pytest.raises(CommandError, match="--links must be between 0 and 6 for 3 objectives"):
        call_command("benchmark-diagram", objectives=3, links=7)


def test_the_objectives_whose_links_go_round_are_named_group_by_group_in_the_order_the_links_name_them():
    from stratmap.strategy.diagram import cycles

    links = [("L1", "P1"), ("P1", "C1"), ("C1", "P1"), ("F1", "F2"), ("F2", "F3"), ("F3", "F1"), ("C1", "X")]
    assert cycles(links) == [["P1", "C1"], ["F1", "F2", "F3"]]
    assert cycles([("L1", "P1"), ("P1", "C1")]) == []  # a chain of causes is no cycle
