"""Weights on objectives and themes, honest rollups of groups by their weights, and maps shaped otherwise
than Taipei's: one perspective (業務面向), none at all, no themes (issue 12, items 6 and 7)."""

from __future__ import annotations

import hashlib
import io
import json
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from django.contrib.auth import get_user_model
from django.core.cache import caches
from django.core.management import call_command
from hypothesis import given
from hypothesis import strategies as st
from pptx import Presentation

from stratmap.access import SYSTEM
from stratmap.core.models import Membership, Organization
from stratmap.exchange.loader import load_paths
from stratmap.kpis.scoring import TAIPEI_LIGHTS, ObjectiveRule, Policy, Rollup, combine
from stratmap.reports.deck import build_deck
from stratmap.reports.pdf import build_pdf
from stratmap.reports.xlsx import scorecard_workbook
from stratmap.strategy.diagram import MapSpec, ObjectiveBox, layout, render_svg
from stratmap.strategy.models import Objective, StrategyMap, Theme
from tests.conftest import row_counts
from tests.helpers import load_errors, named, page, saved, slide_text, url, write

ORGANIZATIONS = """\
format: stratmap/1
# Invented for tests: a council and one of its departments, not a real organization.
organizations:
  - {code: flatshire, name: Flatshire Council, name_en: Flatshire Council, kind: city}
  - {code: flatshire-housing, name: Flatshire Housing, name_en: Flatshire Housing, kind: bureau, parent: flatshire}
"""

#: No perspectives, no themes; objectives worth 20 and 10 of a declared 100, one without a weight.
FLAT = """\
format: stratmap/1
# Invented for tests: a council plan with no perspectives and no themes, and weighted priorities.
organization: flatshire
year: 2024
title: Flatshire Council Plan 2024
weights_declared: 100
tows:
  s: [{code: S1, text: A young workforce}]
  so: {items: [{code: SO1, text: Build where the jobs are}]}
objectives:
  - code: O1
    name: Homes people can afford
    weight: 20
    kpis:
      - code: O1.1
        name: New affordable homes
        unit: homes
        agencies: [flatshire-housing]
        targets: {2024: 200}
        results:
          2024: {actual: 150, innovation: 75, challenge: 75, contribution: 75}
  - code: O2
    name: Clean streets
    weight: 10
    kpis:
      - code: O2.1
        name: Streets graded clean
        unit: "%"
        agencies: [flatshire-housing]
        targets: {2024: 100}
        results:
          2024: {actual: 60, innovation: 60, challenge: 60, contribution: 60}
      - code: O2.2
        name: Fly-tipping cleared within two days
        unit: "%"
        agencies: [flatshire-housing]
        targets: {2024: 90}
  - code: O3
    name: Know the borough
    kpis:
      - code: O3.1
        name: Residents' survey responses
        method: data_only
        agencies: [flatshire-housing]
        results:
          2024: {actual: 1200}
links:
  - {from: O2, to: O1}
"""

#: One perspective, weighted themes, and an objective outside the perspective and the themes.
ONE_PERSPECTIVE = """\
format: stratmap/1
# Invented for tests: one perspective (業務面向), weighted themes, an objective outside the perspective.
organization: flatshire
year: 2025
title: Flatshire Council Plan 2025
perspectives:
  - {code: B, name: 業務面向, name_en: Business}
objectives:
  - code: X1
    name: Cross-cutting savings
    kpis:
      - code: X1.1
        name: Savings delivered
        agencies: [flatshire-housing]
        targets: {2025: 10}
        results:
          2025: {actual: 10, innovation: 90, challenge: 90, contribution: 90}
themes:
  - code: T1
    name: Housing
    weight: 60
    objectives:
      - code: A1
        name: Homes people can afford
        perspective: B
        kpis:
          - code: A1.1
            name: New affordable homes
            agencies: [flatshire-housing]
            targets: {2025: 200}
            results:
              2025: {actual: 200, innovation: 90, challenge: 90, contribution: 90}
      - code: A3
        name: Homes for key workers
  - code: T2
    name: Streets
    weight: 40
    objectives:
      - code: A2
        name: Clean streets
        perspective: B
        kpis:
          - code: A2.1
            name: Streets graded clean
            agencies: [flatshire-housing]
            targets: {2025: 100}
            results:
              2025: {actual: 80, innovation: 80, challenge: 80, contribution: 80}
links:
  - {from: A2, to: A1}
"""


def dataset(folder: Path) -> list[Path]:
    return [
        write(folder, ORGANIZATIONS, "organizations.yaml"),
        write(folder, FLAT, "flatshire-2024.yaml"),
        write(folder, ONE_PERSPECTIVE, "flatshire-2025.yaml"),
    ]


@pytest.fixture
def flatshire(db, tmp_path):
    """The two invented maps loaded: 2024 without perspectives or themes, 2025 with one perspective."""
    return load_paths(dataset(tmp_path))


# --------------------------------------------------------------------------- pages of other shapes

SHAPED = [(2024, None, "O1.1"), (2025, "T1", "A1.1")]


@pytest.mark.parametrize("language", ["zh-hant", "en"])
@pytest.mark.parametrize(("year", "theme", "kpi"), SHAPED, ids=["no-perspectives", "one-perspective"])
def test_every_page_of_a_map_without_perspectives_or_themes_opens(flatshire, client, year, theme, kpi, language):
    args = ["flatshire", year]
    assert "Flatshire" in page(client, "web:home", [], language)
    assert "Homes people can afford" in page(client, "web:map", args, language)
    assert kpi in page(client, "web:scorecard", args, language)
    assert kpi in page(client, "web:scorecard", args, language, "sort=perspective")
    assert kpi in page(client, "web:kpi", [*args, kpi], language)
    page(client, "web:plans", args, language)
    page(client, "web:revisions", args, language)
    page(client, "web:cascade", args, language)
    if year == 2024:
        assert "A young workforce" in page(client, "web:tows", args, language)
    if theme:
        html = page(client, "web:theme", [*args, theme], language)
        assert kpi in html and 'id="objective-A3"' in html  # A3 is outside the perspective
    csv = client.get(url("web:scorecard-csv", args, language))
    assert csv.status_code == 200 and kpi in csv.content.decode()
    svg = client.get(url("web:map-svg", args, language))
    assert svg.status_code == 200 and b'class="perspective unnamed"' in svg.content


def test_a_map_without_perspectives_shows_no_perspective_column_or_filter(flatshire, client):
    html = page(client, "web:scorecard", ["flatshire", 2024], "en")
    assert 'name="perspective"' not in html and "sort=perspective" not in html
    html = page(client, "web:scorecard", ["flatshire", 2025], "en")
    assert 'name="perspective"' in html and "Business" in html


def test_the_scorecard_shows_each_objectives_points_of_its_weight_and_the_organizations_21_of_30(flatshire, client):
    html = page(client, "web:scorecard", ["flatshire", 2024], "en")
    assert "Objectives by weight" in html and "Themes by weight" not in html
    assert "15 of 20" in html and "6 of 10" in html  # O1 scores 75 of 100, O2 60
    assert "<strong>21 of 30</strong>" in html  # the organization: 30 of its declared 100 are weighted
    assert "70.00" in html  # (20 × 75 + 10 × 60) / 30
    assert "O3" not in html.split("Objectives by weight")[1]  # no weight, no points
    assert "<strong>21／30</strong>" in page(client, "web:scorecard", ["flatshire", 2024])


def test_the_scorecard_rolls_up_themes_by_their_weights(flatshire, client):
    html = page(client, "web:scorecard", ["flatshire", 2025], "en")
    assert "Themes by weight" in html and "Objectives by weight" not in html
    # T1 scores 92.5 (0.25 × rate 100 + 0.75 × scores of 90) of 60, T2 80 of 40: 55.5 + 32 = 87.5 of 100
    assert "55.5 of 60" in html and "32 of 40" in html and "<strong>87.5 of 100</strong>" in html


def test_a_scorecard_without_weights_shows_nothing_new(flatshire, client):
    Objective.objects.update(weight=None)
    Theme.objects.update(weight=None)
    for year in (2024, 2025):
        html = page(client, "web:scorecard", ["flatshire", year], "en")
        assert "by weight" not in html and " of " not in html.split("</table>")[1]


def test_weights_cost_the_scorecard_no_query(flatshire, client):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def queries() -> int:
        caches["pages"].clear()  # the page itself, not a kept copy (web.pagecache)
        with CaptureQueriesContext(connection) as seen:
            page(client, "web:scorecard", ["flatshire", 2024], "en")
        return len(seen)

    weighted = queries()
    Objective.objects.update(weight=None)
    assert queries() == weighted


@pytest.fixture
def council_admin(flatshire, client):
    user = get_user_model().objects.create_user("clerk", password="pw-for-tests-only")
    Membership.objects.create(
        user=user, organization=Organization.objects.get(code="flatshire"), role=Membership.Role.ADMINISTRATOR
    )
    client.force_login(user)
    return client


def test_an_objective_is_added_without_a_perspective_to_a_map_that_has_none(council_admin):
    assert council_admin.get("/flatshire/113/revise/").status_code == 200
    version = StrategyMap.objects.get(year=2024).version
    data = {"level": "objective", "action": "add", "code": "O4", "name": "Safer roads", "reason": "new priority"}
    response = council_admin.post("/flatshire/113/revise/", {"do": "revise", "version": version, **data})
    assert response.status_code == 302
    added = Objective.objects.get(code="O4")
    assert added.perspective is None and added.theme is None
    assert 'data-code="O4"' in council_admin.get("/flatshire/113/map.svg").content.decode()


def test_a_map_with_one_perspective_still_asks_a_new_objective_for_it(council_admin):
    version = StrategyMap.objects.get(year=2025).version
    data = {"level": "objective", "action": "add", "code": "A9", "name": "Parks", "parent": "T1", "reason": "new"}
    response = council_admin.post("/flatshire/114/revise/", {"do": "revise", "version": version, **data})
    assert response.status_code == 200 and not Objective.objects.filter(code="A9").exists()
    assert "請填寫新策略目標的構面代碼。" in response.content.decode()


def test_a_map_with_weights_and_objectives_outside_the_perspectives_rolls_over(council_admin):
    version = StrategyMap.objects.get(year=2025).version
    response = council_admin.post("/flatshire/114/revise/", {"do": "rollover", "year": "115", "version": version})
    assert response.status_code == 302
    rolled = Objective.objects.select_related("theme").get(map__year=2026, code="X1")
    assert rolled.perspective is None
    assert Theme.objects.get(map__year=2026, code="T1").weight == 60


def test_the_results_workbook_of_a_map_without_perspectives_or_themes_downloads(council_admin):
    response = council_admin.get("/flatshire/113/workbook.xlsx", {"agency": "flatshire-housing"})
    assert response.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    codes = {cell.value for ws in book.worksheets for row in ws.iter_rows() for cell in row}
    assert {"O1.1", "O2.1", "O2.2"} <= codes


# --------------------------------------------------------------------------- the score command


def score(*args: str) -> str:
    out = io.StringIO()
    call_command("score", *args, stdout=out)
    return out.getvalue()


def test_the_score_table_shows_the_weighted_average_and_the_points_where_weights_exist(flatshire):
    table = score("--org", "flatshire", "--year", "2024", "--language", "en")
    assert "weighted average" in table and "points" in table
    line = next(line for line in table.splitlines() if "by objective weights" in line)
    assert "70.00" in line and "21 of 30" in line
    assert next(line for line in table.splitlines() if line.startswith("objective, of its weight") and " O1 " in line)


def test_the_score_json_carries_the_weights_and_each_groups_points(flatshire):
    data = json.loads(score("--org", "flatshire", "--year", "2024", "--format", "json"))
    assert data["weights"] == {"declared": 100.0, "objectives": {"O1": 20.0, "O2": 10.0}, "themes": {}}
    (whole,) = [r for r in data["rollups"] if r["level"] == "organization_by_objective"]
    assert (whole["weighted_average"], whole["points"], whole["possible"]) == (70.0, 21.0, 30.0)
    points = {r["key"]: (r["points"], r["possible"]) for r in data["rollups"] if r["level"] == "objective_points"}
    assert points == {"O1": (15.0, 20.0), "O2": (6.0, 10.0)}
    themes = json.loads(score("--org", "flatshire", "--year", "2025", "--format", "json"))
    assert themes["weights"]["themes"] == {"T1": 60.0, "T2": 40.0}
    (whole,) = [r for r in themes["rollups"] if r["level"] == "organization_by_theme"]
    assert (whole["points"], whole["possible"]) == (87.5, 100.0)


def test_taipeis_score_output_has_nothing_new_without_weights(demo):
    data = json.loads(score("--org", "taipei", "--year", "108", "--format", "json"))
    assert "weights" not in data
    assert {r["level"] for r in data["rollups"]} == {"organization", "theme", "perspective", "objective", "agency"}
    table = score("--org", "taipei", "--year", "108", "--language", "en")
    assert "points" not in table and "weighted average" not in table


# --------------------------------------------------------------------------- the dataset format


def test_weights_and_objectives_without_a_perspective_are_dumped_and_loaded_back(flatshire, tmp_path):
    from stratmap.exchange.dumper import dump_map

    first = {year: dump_map("flatshire", year, access=SYSTEM) for year in (2024, 2025)}
    assert "weights_declared: 100" in first[2024] and "weight: 20" in first[2024]
    assert "perspectives" not in first[2024] and "perspective:" not in first[2024]
    assert "weight: 60" in first[2025]
    StrategyMap.objects.filter(organization__code="flatshire").delete()
    for year, text in first.items():
        (tmp_path / f"{year}.yaml").write_text(text, encoding="utf-8")
    load_paths([tmp_path / "2024.yaml", tmp_path / "2025.yaml"])
    assert {year: dump_map("flatshire", year, access=SYSTEM) for year in (2024, 2025)} == first
    assert Objective.objects.get(code="X1").perspective is None


@pytest.mark.parametrize(
    ("where", "text", "path"),
    [
        ("objective", ("    weight: 20\n", "    weight: -1\n"), "objectives[0].weight"),
        ("declared", ("weights_declared: 100\n", "weights_declared: -100\n"), "weights_declared"),
    ],
)
def test_a_weight_below_0_is_refused_naming_the_file_the_path_and_the_value_and_nothing_is_written(
    db, tmp_path, where, text, path
):
    before = row_counts()
    files = dataset(tmp_path)
    files[1].write_text(FLAT.replace(*text, 1), encoding="utf-8")
    (error,) = load_errors(*files)
    assert error.startswith(f"{files[1]}: {path}: got -1") and "greater than or equal to 0" in error
    assert row_counts() == before


def test_a_themes_weight_below_0_is_refused_too(db, tmp_path):
    before = row_counts()
    files = dataset(tmp_path)
    files[2].write_text(ONE_PERSPECTIVE.replace("weight: 60", "weight: -0.5"), encoding="utf-8")
    (error,) = load_errors(*files)
    assert error.startswith(f"{files[2]}: themes[0].weight: got -0.5")
    assert row_counts() == before


def test_an_objective_in_a_perspective_the_map_does_not_declare_is_still_refused(db, tmp_path):
    files = dataset(tmp_path)
    files[1].write_text(FLAT.replace("    weight: 20\n", "    perspective: C\n", 1), encoding="utf-8")
    (error,) = load_errors(*files)
    assert error == f"{files[1]}: objectives[0].perspective: got 'C'; one of the map's perspectives []"


# --------------------------------------------------------------------------- the consistency report


def check(*paths: Path) -> str:
    out = io.StringIO()
    call_command("check", *map(str, paths), stdout=out)
    return out.getvalue()


def test_check_warns_when_objective_weights_add_up_to_less_than_declared_and_the_map_still_loads(db, tmp_path):
    files = dataset(tmp_path)
    said = check(*files)
    assert (
        f"{files[1]}: weights_declared: the objectives' weights add up to 30, less than the 100 declared "
        "(1 objective(s) have no weight)"
    ) in said
    assert "flatshire-2025.yaml: weights_declared" not in said  # nothing declared, nothing to warn of
    load_paths(files)
    assert StrategyMap.objects.get(year=2024).weights_declared == 100


def test_check_warns_when_weights_add_up_to_more_than_declared(db, tmp_path):
    files = dataset(tmp_path)
    files[1].write_text(FLAT.replace("weights_declared: 100", "weights_declared: 25"), encoding="utf-8")
    assert "add up to 30, more than the 25 declared" in check(*files)


def test_check_warns_when_an_objectives_kpis_weigh_more_than_the_objective(db, tmp_path):
    files = dataset(tmp_path)
    heavy = FLAT.replace("        unit: homes\n", "        unit: homes\n        weight: 25\n", 1)
    files[1].write_text(heavy, encoding="utf-8")
    said = check(*files)
    assert (
        f"{files[1]}: objectives[0].weight: the weights of objective O1's KPIs add up to 25, "
        "more than its own weight 20"
    ) in said
    load_paths(files)  # a warning, not an error


# --------------------------------------------------------------------------- the downloads


@pytest.fixture
def downloads(flatshire, rendered_once) -> dict[str, bytes]:
    """The deck, PDF and Excel scorecard of both invented maps, made once for the module."""

    def make() -> dict[str, bytes]:
        made = {}
        for year in (2024, 2025):
            made[f"pptx {year}"] = saved(build_deck("flatshire", year, access=SYSTEM, language="zh-hant"))
            made[f"pdf {year}"] = build_pdf("flatshire", year, access=SYSTEM, language="zh-hant")
            buffer = io.BytesIO()
            scorecard_workbook("flatshire", year, access=SYSTEM, language="zh-hant").save(buffer)
            made[f"xlsx {year}"] = buffer.getvalue()
        made["pptx 2025 T1"] = saved(build_deck("flatshire", 2025, "T1", access=SYSTEM, language="zh-hant"))
        return made

    return rendered_once("flatshire", make)


@pytest.mark.parametrize("year", [2024, 2025])
def test_the_deck_pdf_and_excel_scorecard_of_other_shapes_render(downloads, year):
    deck = Presentation(io.BytesIO(downloads[f"pptx {year}"]))
    assert [s.name for s in deck.slides][:3] == ["cover", "divider", "map"]
    assert downloads[f"pdf {year}"].startswith(b"%PDF")
    book = openpyxl.load_workbook(io.BytesIO(downloads[f"xlsx {year}"]))
    assert any(ws.title != "總表" and ws.max_row > 3 for ws in book.worksheets)


def test_the_theme_deck_of_a_map_with_one_perspective_names_the_objectives_outside_it(downloads):
    deck = Presentation(io.BytesIO(downloads["pptx 2025 T1"]))
    (linkage,) = named(deck, "linkage:T1")
    text = slide_text(linkage)
    assert "業務面向" in text and "A1 Homes people can afford" in text
    assert "未分構面" in text and "A3 Homes for key workers" in text


# --------------------------------------------------------------------------- the engine: groups by their weights

D = Decimal


def group(key: str, score: str | None, *, light: str = "good", count: int = 1, data_only: int = 0) -> Rollup:
    """A group (an objective, a theme) whose KPIs score ``score`` on average (None: all unknown)."""
    levels = {level.key: level for level in TAIPEI_LIGHTS}
    return Rollup(
        key=key,
        count=count,
        data_only=[f"{key}.d{i}" for i in range(data_only)],
        unknown=[] if score is not None else [f"{key}.1"],
        average=None if score is None else D(score),
        light=levels["unknown"] if score is None else levels[light],
    )


def test_an_organization_earns_its_objectives_weights_times_their_scores_21_of_30():
    whole = combine("council", [(group("O1", "75"), D(20)), (group("O2", "60"), D(10))])
    assert whole.points == D(21) and whole.possible == D(30)
    assert whole.weighted_average == D(70)  # (20 × 75 + 10 × 60) / 30
    assert whole.count == 2


def test_an_objective_whose_kpis_are_all_unknown_earns_nothing_of_its_weight():
    whole = combine("council", [(group("O1", "75"), D(20)), (group("O2", None), D(10))])
    assert (whole.points, whole.possible) == (D(15), D(30))
    assert whole.weighted_average == D(75)  # the unknown group's weight is not averaged in
    assert whole.unknown == ["O2.1"]


def test_a_group_of_data_only_measures_is_worth_no_points_and_is_no_light():
    whole = combine("council", [(group("O1", "80"), D(20)), (group("O3", None, count=1, data_only=1), D(10))])
    assert (whole.points, whole.possible) == (D(16), D(20))
    alone = combine("O3", [(group("O3", None, count=1, data_only=1), D(10))])
    assert alone.light.key == "data_only" and alone.points is None


def test_without_any_weight_there_are_no_points_and_no_weighted_average():
    whole = combine("council", [(group("O1", "75"), None), (group("O2", "60"), None)])
    assert whole.points is None and whole.possible is None and whole.weighted_average is None
    assert whole.average == D("67.5")


def test_the_light_of_the_whole_is_its_worst_groups_or_its_weighted_score_by_the_maps_rule():
    groups = [(group("O1", "95", light="excellent"), D(90)), (group("O2", "70", light="poor"), D(10))]
    assert combine("c", groups).light.key == "poor"  # Taipei's rule: the worst
    whole = combine("c", groups, policy=Policy(objective_rule=ObjectiveRule.WEIGHTED))
    assert whole.weighted_average == D("92.5")  # (90 × 95 + 10 × 70) / 100
    assert whole.light.key == "excellent"  # ★ from 92.5, inclusive


scores = st.decimals(min_value=0, max_value=100, places=2)
weights = st.decimals(min_value=0, max_value=1000, places=2)
groups_of = st.lists(st.tuples(scores, weights), min_size=1, max_size=8)


def rolled(pairs) -> list[tuple[Rollup, Decimal | None]]:
    return [(group(f"O{i}", str(score)), weight) for i, (score, weight) in enumerate(pairs)]


@given(pairs=groups_of)
def test_the_weighted_average_lies_between_the_lowest_and_the_highest_group_score(pairs):
    whole = combine("c", rolled(pairs))
    if whole.weighted_average is None:
        assert all(weight == 0 for _, weight in pairs)
    else:
        weighted = [score for score, weight in pairs if weight > 0]
        assert min(weighted) <= whole.weighted_average <= max(weighted)


@given(pairs=groups_of)
def test_points_never_exceed_what_is_possible_when_every_score_is_at_most_100(pairs):
    whole = combine("c", rolled(pairs))
    assert whole.points is not None and whole.possible is not None
    assert whole.points <= whole.possible
    assert whole.possible == sum((weight for _, weight in pairs), D(0))


@given(pairs=groups_of, others=st.lists(scores, max_size=5))
def test_groups_without_a_weight_leave_the_weighted_figures_unchanged(pairs, others):
    weighted = combine("c", rolled(pairs))
    unweighted = [(group(f"U{i}", str(score)), None) for i, score in enumerate(others)]
    both = combine("c", rolled(pairs) + unweighted)
    assert (both.weighted_average, both.points, both.possible) == (
        weighted.weighted_average,
        weighted.points,
        weighted.possible,
    )


# --------------------------------------------------------------------------- the diagram of other shapes


def flat_spec(perspectives=(), perspective=None, themes=()) -> MapSpec:
    return MapSpec(
        title="Flatshire Council Plan",
        mission="",
        vision="",
        values=[],
        labels={},
        perspectives=list(perspectives),
        themes=list(themes),
        objectives=[
            ObjectiveBox("O1", "Homes people can afford", perspective, None),
            ObjectiveBox("O2", "Clean streets", perspective, None),
            ObjectiveBox("X1", "Cross-cutting savings", None, None),
        ],
        links=[("O2", "O1")],
    )


def test_a_map_without_perspectives_is_one_unnamed_band_with_no_column_of_perspective_headers():
    lay = layout(flat_spec())
    assert list(lay.rows) == [""] and lay.row_heads == {} and lay.corner is None
    assert min(r.x for r in lay.boxes.values()) < 104  # where Taipei's perspective headers begin to end
    svg = render_svg(flat_spec())
    assert svg.count('class="perspective unnamed"') == 1 and 'class="perspective" ' not in svg
    assert all(f'data-code="{code}"' in svg for code in ("O1", "O2", "X1"))
    assert len(lay.arrows) == 1


def test_objectives_outside_the_one_perspective_go_in_an_unnamed_band_below_it():
    spec = flat_spec(perspectives=[("B", "業務面向")], perspective="B", themes=[("T1", "Housing")])
    lay = layout(spec)
    assert list(lay.rows) == ["B", ""] and list(lay.row_heads) == ["B"]
    assert lay.rows[""].y > lay.rows["B"].y + lay.rows["B"].h
    assert lay.boxes["X1"].y > lay.rows["B"].y + lay.rows["B"].h
    assert lay.corner is not None  # themes and perspectives: the corner captions both
    svg = render_svg(spec)
    assert 'data-code="B"' in svg and "業務面向" in svg and 'class="perspective unnamed"' in svg


def test_taipeis_maps_draw_byte_for_byte_as_before_objectives_could_lack_a_perspective():
    from tests.test_diagram import busy_spec, city_spec

    digests = [hashlib.sha256(render_svg(spec()).encode()).hexdigest() for spec in (city_spec, busy_spec)]
    # Changed once since (issue 17): a box's keyboard focus drawn with a dark frame (3:1), its hover as before.
    assert digests == [
        "29e65bf0f61c630ea72849f88a5bf3e8cb15077b8cc24e18b7c88a90a6657132",
        "2f83c069d633ca5c29f4646482ca308e9d16b7352d7b89e67f98d3e45153c0a0",
    ]
