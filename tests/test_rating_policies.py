"""Rating policies and light sets as data (issue 12, items 1, 2 and 8): named per organization, shared by
the organizations below it, chosen per map, loaded and dumped, administered, and shown everywhere a map's
lights are: pages, map, score command, workbook, deck and PDF.

The organizations and figures here are invented for the tests (the Shire and its parks department).
"""

from __future__ import annotations

import io
import json
import re
import textwrap
from pathlib import Path

import openpyxl
import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation
from pptx import Presentation
from pypdf import PdfReader

from stratmap.access import SYSTEM
from stratmap.core.models import AuditEvent, Membership, Organization
from stratmap.exchange.dumper import dump_map, dump_organizations
from stratmap.exchange.loader import LoadWouldLose, load_paths
from stratmap.exchange.parse import DatasetInvalid
from stratmap.kpis.models import LightLevel, LightSet, RatingPolicy, ScoringPolicy
from stratmap.kpis.scoring import RAG_LIGHTS, Method
from stratmap.kpis.selectors import map_scorecard, map_summaries, policy_of
from stratmap.strategy.models import StrategyMap
from tests.conftest import row_counts
from tests.helpers import saved, slide_text

# --- the invented Shire: a council with the built-in RAG key, rated by achievement bands ------------

ORGANIZATIONS = """\
format: stratmap/1
organizations:
  - code: shire
    name: The Shire Council (invented for the tests)
    kind: city
    language: en
    light_sets:
      - key: shire-lights
        names: {en: Shire lights}
        levels:
          - {key: good, symbol: "▲", names: {en: Good, zh: 好}, colour: "#1a7f37"}
          - {key: bad, symbol: "▼", names: {en: Bad, zh: 壞}, colour: "#cf222e"}
          - {key: none, symbol: "?", names: {en: No data, zh: 無資料}, colour: "#6e7781", role: unknown}
    rating_policies:
      - key: rag-bands
        names: {en: Red/Amber/Green by achievement, zh: 依達成度紅黃綠}
        method: bands
        lights: rag
        bands:
          - {level: green, within: 0}
          - {level: amber, within: 10}
          - {level: red}
      - key: shire-composite
        method: composite
        lights: shire-lights
        thresholds: {good: 80}
  - code: shire-parks
    name: Shire Parks Department (invented)
    kind: bureau
    language: en
    parent: shire
  - code: bree
    name: Bree Town Council (invented)
    kind: city
"""

MAP = """\
format: stratmap/1
organization: shire-parks
year: 2024
rating: rag-bands
perspectives:
  - {code: S, name: Service}
themes:
  - code: A
    name: Green spaces
    objectives:
      - code: A1
        name: Well-kept parks
        perspective: S
        kpis:
          - code: A1.1
            name: Parks inspected
            targets: {2024: 100}
            results: {2024: {actual: 100, light_reported: green}}
      - code: A2
        name: More trees
        perspective: S
        kpis:
          - code: A2.1
            name: Trees planted
            targets: {2024: 100}
            results: {2024: {actual: 95}}
      - code: A3
        name: Safe playgrounds
        perspective: S
        kpis:
          - code: A3.1
            name: Benches repaired
            targets: {2024: 100}
            results: {2024: {actual: 80}}
          - code: A3.2
            name: Visitor survey
            targets: {2024: 100}
            results: {2024: {unknown_reason: survey not run this year}}
"""


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


@pytest.fixture
def shire(db, tmp_path):
    """The Shire's organizations, light set and policies, and the parks department's 2024 map rated by
    the shared-by-the-city policy ``rag-bands``."""
    load_paths([write(tmp_path, "organizations.yaml", ORGANIZATIONS), write(tmp_path, "parks.yaml", MAP)])
    return StrategyMap.objects.select_related("organization", "scoring_policy").get(organization__code="shire-parks")


def errors_of(tmp_path: Path, *files: tuple[str, str]) -> list[str]:
    paths = [write(tmp_path, name, text) for name, text in files]
    before = row_counts()
    with pytest.raises(DatasetInvalid) as refused:
        load_paths(paths)
    assert row_counts() == before  # nothing written
    return [str(error) for error in refused.value.errors]


# --- scoring by a named policy -------------------------------------------------------------------


def test_a_map_rated_by_its_city_s_named_policy_gets_its_lights_from_the_rag_set(shire):
    card = map_scorecard(smap=shire, access=SYSTEM)
    assert card.policy.method == Method.BANDS and card.policy.lights == RAG_LIGHTS and card.policy.key == "rag-bands"
    lights = {row.kpi.code: row.score.light.key for row in card.rows}
    assert lights == {"A1.1": "green", "A2.1": "amber", "A3.1": "red", "A3.2": "not_available"}
    (whole,) = card.rollups["organization"].values()
    assert whole.light_counts == {"green": 1, "amber": 1, "red": 1, "not_available": 1, "data_only": 0}


def test_a_policy_s_light_set_is_its_organization_s_own_before_a_shared_one_before_a_built_in_one(shire):
    own = RatingPolicy.objects.get(key="shire-composite")
    assert [level.key for level in own.light_set()] == ["good", "bad", "none", "data_only"]
    # A shared set of the built-in's key is found before the built-in; the city's own before the shared one.
    shared = LightSet.objects.create(key="rag", names={"en": "Shared RAG"})
    for order, (key, role) in enumerate([("g", "rated"), ("r", "rated"), ("u", "unknown")]):
        LightLevel.objects.create(
            light_set=shared, key=key, symbol="*", names={"en": key}, colour="#000000", role=role, order=order
        )
    bands = RatingPolicy.objects.get(key="rag-bands")
    assert [level.key for level in bands.light_set()] == ["g", "r", "u", "data_only"]
    city = LightSet.objects.create(organization=Organization.objects.get(code="shire"), key="rag")
    LightLevel.objects.create(light_set=city, key="ok", symbol="+", names={"en": "OK"}, colour="#00ff00")
    LightLevel.objects.create(
        light_set=city, key="nd", symbol="?", names={"en": "n/d"}, colour="#999999", role="unknown"
    )
    bands = RatingPolicy.objects.get(key="rag-bands")
    assert [level.key for level in bands.light_set()] == ["ok", "nd", "data_only"]


def test_a_bureau_map_may_choose_its_city_s_policy_but_not_another_city_s(shire):
    bree = RatingPolicy.objects.create(
        organization=Organization.objects.get(code="bree"), key="bree-bands", method="data_only", lights="rag"
    )
    row = ScoringPolicy.objects.get(map=shire)
    row.full_clean()  # the Shire's policy: the parks department is below the Shire
    row.rating_policy = bree
    with translation.override("zh-hant"), pytest.raises(ValidationError) as refused:
        row.full_clean()
    assert "bree-bands是其他機關的評核政策" in str(refused.value.message_dict["rating_policy"])


def test_the_policies_of_many_maps_are_read_in_a_fixed_number_of_queries(shire, tmp_path):
    def queries(maps: list[StrategyMap]) -> int:
        fresh = list(StrategyMap.objects.filter(pk__in=[m.pk for m in maps]).select_related("scoring_policy"))
        with CaptureQueriesContext(connection) as captured:
            map_summaries(maps=fresh, access=SYSTEM)
        return len(captured)

    one = queries([shire])
    for year in range(2025, 2030):
        load_paths([write(tmp_path, f"parks-{year}.yaml", MAP.replace("2024", str(year)))])
    many = list(StrategyMap.objects.filter(organization__code="shire-parks"))
    assert len(many) == 6
    assert queries(many) == one


def test_asking_again_for_a_map_s_policy_costs_no_query(shire):
    policy_of(smap=shire)
    with CaptureQueriesContext(connection) as captured:
        again = policy_of(smap=shire)
    assert len(captured) == 0 and again.lights == RAG_LIGHTS


# --- the dataset format ----------------------------------------------------------------------------


def test_light_sets_and_rating_policies_dump_and_load_back_unchanged(shire, tmp_path):
    organizations = dump_organizations()
    parks = dump_map("shire-parks", 2024, access=SYSTEM)
    assert "rating: rag-bands" in parks and "scoring:" not in parks
    assert "shire-lights" in organizations and "within: 10" in organizations
    events = AuditEvent.objects.count()
    report = load_paths(
        [write(tmp_path, "again-organizations.yaml", organizations), write(tmp_path, "again-parks.yaml", parks)]
    )
    assert AuditEvent.objects.count() == events and not report.changed and not any(report.rows.values())
    assert dump_organizations() == organizations and dump_map("shire-parks", 2024, access=SYSTEM) == parks


def test_a_reload_that_changes_a_policy_is_audited_and_keeps_the_results(shire, tmp_path):
    changed = ORGANIZATIONS.replace("{level: amber, within: 10}", "{level: amber, within: 20}")
    load_paths([write(tmp_path, "organizations.yaml", changed)])
    event = AuditEvent.objects.get(object_type="kpis.ratingpolicy", field="bands")
    assert "10" in event.old and "20" in event.new and event.reason.startswith("loaded from")
    card = map_scorecard(smap=StrategyMap.objects.get(pk=shire.pk), access=SYSTEM)
    assert {row.kpi.code: row.score.light.key for row in card.rows}["A3.1"] == "amber"  # 80 is within 20 %


def test_a_reload_without_one_of_a_set_s_levels_is_refused_and_replace_removes_it(shire, tmp_path):
    bad = '          - {key: bad, symbol: "▼", names: {en: Bad, zh: 壞}, colour: "#cf222e"}\n'
    monitored = (
        '          - {key: monitored, symbol: "◇", names: {en: Monitored}, colour: "#57606a", role: data_only}\n'
    )
    load_paths([write(tmp_path, "more.yaml", ORGANIZATIONS.replace(bad, bad + monitored))])
    path = write(tmp_path, "organizations.yaml", ORGANIZATIONS)
    before = row_counts()
    with pytest.raises(LoadWouldLose) as refused:
        load_paths([path])
    assert row_counts() == before
    (error,) = refused.value.errors
    assert "organizations[0].light_sets[0]: level monitored of the light set shire-lights" in str(error)
    assert "Give --replace" in str(error)
    report = load_paths([path], replace=True)
    assert not LightLevel.objects.filter(key="monitored").exists()
    assert any("level monitored" in line for line in report.removed)
    assert AuditEvent.objects.filter(object_type="kpis.lightlevel", action="delete").exists()


BAD_ORGANIZATIONS = [
    (
        '{key: bad, symbol: "▼", names: {en: Bad, zh: 壞}, colour: "#cf222e"}',
        '{key: bad, symbol: "▼", names: {en: Bad, zh: 壞}, colour: "red"}',
        "organizations[0].light_sets[0].levels[1].colour: got 'red'; the value must be a colour written #rrggbb",
    ),
    (
        '{key: bad, symbol: "▼", names: {en: Bad, zh: 壞}, colour: "#cf222e"}',
        '{key: bad, symbol: "", names: {en: Bad, zh: 壞}, colour: "#cf222e"}',
        "organizations[0].light_sets[0].levels[1].symbol: got ''; must not be empty: a light is never colour alone",
    ),
    (
        'colour: "#6e7781", role: unknown}',
        'colour: "#6e7781"}',
        "organizations[0].light_sets[0].levels: got 'good (rated), bad (rated), none (rated)'; "
        "must have a level of role unknown",
    ),
    (
        "          - {level: green, within: 0}\n          - {level: amber, within: 10}\n",
        "          - {level: amber, within: 10}\n          - {level: green, within: 0}\n",
        "organizations[0].rating_policies[0].bands: got [{'level': 'amber', 'within': 10}, {'level': 'green', "
        "'within': 0}, {'level': 'red', 'within': None}]; the levels must be in the light set's order, best first, "
        "each once (the light set rag: green, amber, red, not_available, data_only)",
    ),
    (
        "{level: amber, within: 10}\n          - {level: red}",
        "{level: amber, within: 10}\n          - {level: red, within: 5}",
        "organizations[0].rating_policies[0].bands: got [{'level': 'green', 'within': 0}, "
        "{'level': 'amber', 'within': 10}, {'level': 'red', 'within': 5}]; "
        "each band must reach further than the one before (got 0, 10, 5)",
    ),
    (
        "{level: green, within: 0}",
        "{level: green, within: -5}",
        "organizations[0].rating_policies[0].bands[0].within: got -5; must not be negative (got -5)",
    ),
    (
        "{level: amber, within: 10}",
        "{level: orange, within: 10}",
        "organizations[0].rating_policies[0].bands[1].level: got 'orange'; 'orange' is not a level of the light set "
        "'rag'",
    ),
    (
        "thresholds: {good: 80}",
        "thresholds: {excellent: 92.5, good: 84.5, fair: 74.5}",
        "organizations[0].rating_policies[1].thresholds: got {'excellent': 92.5, 'good': 84.5, 'fair': 74.5}; "
        "must give a minimum for each of good, in that order (got ['excellent', 'good', 'fair']) (the light set "
        "shire-lights: good, bad, none, data_only)",
    ),
    (
        "lights: shire-lights",
        "lights: moon-lights",
        "organizations[0].rating_policies[1].lights: got 'moon-lights'; the key of a light set of shire, of an "
        "organization above it, a shared one or a built-in one (taipei, rag, tw-gov)",
    ),
    (
        "        thresholds: {good: 80}\n",
        "        thresholds: {good: 80}\n        flag_tolerance: -1\n",
        "organizations[0].rating_policies[1].flag_tolerance: got -1; must not be negative (got -1)",
    ),
    (
        "        method: bands\n",
        "        method: bands\n        weights: {achievement: 0.5}\n",
        "organizations[0].rating_policies[0].weights: got {'achievement': 0.5, 'innovation': 0.25, 'challenge': "
        "0.3, 'contribution': 0.2}; must add up to 1 (they add up to 1.25)",
    ),
]


@pytest.mark.parametrize(("old", "new", "expected"), BAD_ORGANIZATIONS, ids=[e[2][:60] for e in BAD_ORGANIZATIONS])
def test_a_bad_light_set_or_rating_policy_is_refused_naming_file_path_value_and_what_was_expected(
    db, tmp_path, old, new, expected
):
    assert old in ORGANIZATIONS
    errors = errors_of(tmp_path, ("organizations.yaml", ORGANIZATIONS.replace(old, new)), ("parks.yaml", MAP))
    assert any(error.startswith(f"{tmp_path / 'organizations.yaml'}: {expected}") for error in errors), errors


BAD_MAPS = [
    ("rating: rag-bands", "rating: nothing", "rating: got 'nothing'; the key of a rating policy of shire-parks, "
     "of an organization above it (shire), or a shared one"),
    ("rating: rag-bands", "rating: rag-bands\nscoring: {achievement_weight: 1, innovation_weight: 0, "
     "challenge_weight: 0, contribution_weight: 0}", "rating: got 'rag-bands'; either a named rating policy "
     "(rating) or a scoring block, not both"),
    ("light_reported: green", "light_reported: excellent", "themes[0].objectives[0].kpis[0].results.2024"
     ".light_reported: got 'excellent'; a level of the map's light set rag: one of green, amber, red, "
     "not_available, data_only"),
]  # fmt: skip


@pytest.mark.parametrize(("old", "new", "expected"), BAD_MAPS, ids=[e[2][:40] for e in BAD_MAPS])
def test_a_map_s_bad_rating_is_refused_naming_file_path_value_and_what_was_expected(db, tmp_path, old, new, expected):
    errors = errors_of(tmp_path, ("organizations.yaml", ORGANIZATIONS), ("parks.yaml", MAP.replace(old, new)))
    assert f"{tmp_path / 'parks.yaml'}: {expected}" in errors, errors


def test_a_bureau_may_not_name_the_policy_of_an_organization_it_is_not_below(db, tmp_path):
    errors = errors_of(
        tmp_path, ("organizations.yaml", ORGANIZATIONS), ("bree.yaml", MAP.replace("shire-parks", "bree"))
    )
    expected = "rating: got 'rag-bands'; the key of a rating policy of bree, or a shared one"
    assert f"{tmp_path / 'bree.yaml'}: {expected}" in errors, errors


def test_a_map_without_a_rating_policy_takes_taipei_s_lights_as_published(db, tmp_path):
    plain = MAP.replace("rating: rag-bands\n", "")
    errors = errors_of(tmp_path, ("organizations.yaml", ORGANIZATIONS), ("parks.yaml", plain))
    expected = (
        "themes[0].objectives[0].kpis[0].results.2024.light_reported: got 'green'; a level of the map's light set "
        "taipei: one of excellent, good, fair, poor, unknown, data_only"
    )
    assert f"{tmp_path / 'parks.yaml'}: {expected}" in errors, errors


# --- shown with the map's own light set everywhere ---------------------------------------------------

#: What the RAG set's three rated levels look like: symbol, name (English, Chinese) and colour.
SHOWN = [("✓", "Green", "綠", "#1a7f37"), ("!", "Amber", "黃", "#9a6700"), ("×", "Red", "紅", "#cf222e")]


def badges(html: str) -> set[tuple[str, str, str]]:
    """The light badges of a page: (symbol, name, colour) of each (the ``light`` tag and the legend)."""
    found = re.findall(
        r'style="color: (#[0-9a-f]{6})"[^>]*><span aria-hidden="true">([^<]*)</span> ([^<]*)</span>', html
    )
    return {(symbol, name, colour) for colour, symbol, name in found}


def test_the_scorecard_page_shows_the_map_s_lights_and_legend_in_both_languages(shire, client):
    english = client.get("/en/shire-parks/2024/scorecard/").content.decode()
    chinese = client.get("/shire-parks/113/scorecard/").content.decode()  # its years are ROC years in Chinese
    for symbol, name, zh, colour in SHOWN:
        assert (symbol, name, colour) in badges(english)
        assert (symbol, zh, colour) in badges(chinese)
    legend = english.split('<footer class="site">')[1]
    assert ("?", "N/A", "#6e7781") in badges(legend) and not any(name == "excellent" for _, name, _ in badges(legend))
    # The light filter offers the map's levels.
    assert '<option value="amber" >! Amber</option>' in english.replace('"amber"  >', '"amber" >')


def test_the_kpi_page_shows_the_kpi_s_light_from_the_map_s_set(shire, client):
    html = client.get("/en/shire-parks/2024/kpis/A2.1/").content.decode()
    assert ("!", "Amber", "#9a6700") in badges(html)
    html = client.get("/en/shire-parks/2024/kpis/A3.2/").content.decode()
    assert ("?", "N/A", "#6e7781") in badges(html) and "survey not run this year" in html


def test_the_map_and_its_svg_show_each_objective_s_light_from_the_map_s_set(shire, client):
    svg = client.get("/en/shire-parks/2024/map.svg").content.decode()
    for symbol, name, _, colour in SHOWN:
        assert f"{symbol} {name}" in svg or f"{symbol}{name}" in svg, name
        assert colour in svg
    home = client.get("/en/").content.decode()
    assert {("✓", "Green", "#1a7f37"), ("?", "N/A", "#6e7781")} <= badges(home)


def test_the_score_command_gives_the_map_s_policy_and_lights(shire):
    out = io.StringIO()
    call_command("score", "--org", "shire-parks", "--year", "2024", "--format", "json", stdout=out)
    data = json.loads(out.getvalue())
    assert data["policy"]["key"] == "rag-bands" and data["policy"]["method"] == "bands"
    assert data["policy"]["lights"]["key"] == "rag"
    levels = {level["key"]: level for level in data["policy"]["lights"]["levels"]}
    for (symbol, name, zh, colour), key in zip(SHOWN, ("green", "amber", "red"), strict=True):
        assert levels[key]["symbol"] == symbol and levels[key]["colour"] == colour
        assert levels[key]["names"] == {"zh": zh, "en": name}
    assert {k["code"]: k["light"] for k in data["kpis"]}["A2.1"] == "amber"
    assert {k["code"]: k["light_reported"] for k in data["kpis"]}["A1.1"] == "green"
    table = io.StringIO()
    call_command("score", "--org", "shire-parks", "--year", "2024", "--language", "en", stdout=table)
    for symbol, name, _, _ in SHOWN:
        assert f"{symbol} {name}" in table.getvalue()  # as the pages write it in English


@pytest.fixture
def shire_reports(shire, rendered_once):
    """The Shire parks' 2024 workbook, deck and PDF, made once for the module."""
    from stratmap.reports.deck import build_deck
    from stratmap.reports.pdf import build_pdf
    from stratmap.reports.xlsx import scorecard_workbook

    def workbook() -> bytes:
        buffer = io.BytesIO()
        scorecard_workbook("shire-parks", 2024, access=SYSTEM, language="zh-hant").save(buffer)
        return buffer.getvalue()

    return {
        "xlsx": rendered_once("shire xlsx", workbook),
        "deck": rendered_once(
            "shire deck", lambda: saved(build_deck("shire-parks", 2024, "A", access=SYSTEM, language="zh-hant"))
        ),
        "pdf": rendered_once(
            "shire pdf", lambda: build_pdf("shire-parks", 2024, "A", access=SYSTEM, language="zh-hant")
        ),
    }


def test_the_workbook_writes_the_map_s_lights_in_their_colours_and_its_method(shire_reports):
    book = openpyxl.load_workbook(io.BytesIO(shire_reports["xlsx"]))
    cells = [cell for ws in book.worksheets for row in ws.iter_rows() for cell in row if isinstance(cell.value, str)]
    for symbol, _, zh, colour in SHOWN:
        found = [cell for cell in cells if cell.value == f"{symbol}{zh}"]
        assert found and all(cell.font.color.rgb.endswith(colour[1:].upper()) for cell in found), zh
    notes = [cell.value for cell in cells if "燈號依" in cell.value]
    assert notes and all("依達成度分級" in note and "總分(計算) = " not in note for note in notes)


def test_the_deck_and_the_pdf_show_the_map_s_lights(shire_reports):
    deck = Presentation(io.BytesIO(shire_reports["deck"]))
    text = "\n".join(slide_text(slide) for slide in deck.slides)
    pdf = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(shire_reports["pdf"])).pages)
    for symbol, _, zh, _ in SHOWN:
        assert f"{symbol}{zh}" in text, zh
        assert f"{symbol}{zh}" in pdf.replace(" ", ""), zh
    assert "★" not in text and "●良" not in text


# --- the administration ------------------------------------------------------------------------------


def staff(username: str, organization: str | None = None, *, superuser: bool = False):
    make = get_user_model().objects.create_superuser if superuser else get_user_model().objects.create_user
    user = make(username, password="pw-for-tests-only", is_staff=True)
    if organization:
        Membership.objects.create(
            user=user, organization=Organization.objects.get(code=organization), role=Membership.Role.ADMINISTRATOR
        )
    return user


def admin_url(name: str, *args) -> str:
    with translation.override("zh-hant"):
        return reverse(name, args=args)


def levels_form(*levels: tuple[str, str, str, str, str]) -> dict[str, str]:
    data = {
        "levels-TOTAL_FORMS": str(len(levels)),
        "levels-INITIAL_FORMS": "0",
        "levels-MIN_NUM_FORMS": "0",
        "levels-MAX_NUM_FORMS": "1000",
    }
    for i, (key, symbol, name, colour, role) in enumerate(levels):
        data |= {
            f"levels-{i}-order": str(i),
            f"levels-{i}-key": key,
            f"levels-{i}-symbol": symbol,
            f"levels-{i}-names": json.dumps({"en": name}),
            f"levels-{i}-colour": colour,
            f"levels-{i}-role": role,
        }
    return data


TRAFFIC = [
    ("go", "▶", "Go", "#1a7f37", "rated"),
    ("stop", "■", "Stop", "#cf222e", "rated"),
    ("dunno", "?", "Don't know", "#6e7781", "unknown"),
]


def test_a_superuser_adds_a_shared_light_set_with_its_levels_on_one_page_audited(shire, client):
    client.force_login(staff("root", superuser=True))
    data = {"organization": "", "key": "traffic", "names": '{"en": "Traffic"}', "change_reason": "the council's key"}
    response = client.post(admin_url("admin:kpis_lightset_add"), data | levels_form(*TRAFFIC))
    assert response.status_code == 302
    traffic = LightSet.objects.get(key="traffic", organization=None)
    assert [level.key for level in traffic.light_set().levels] == ["go", "stop", "dunno"]
    audited = AuditEvent.objects.filter(reason="the council's key", action="admin-create")
    assert {(e.object_type, e.object_repr) for e in audited} >= {
        ("kpis.lightset", "traffic"),
        ("kpis.lightlevel", "■ stop"),
    }


def test_a_light_set_the_engine_refuses_is_refused_on_its_page_in_the_reader_s_language(shire, client):
    client.force_login(staff("root", superuser=True))
    data = {"organization": "", "key": "traffic", "names": "{}", "change_reason": "the council's key"}
    before = row_counts()
    response = client.post(admin_url("admin:kpis_lightset_add"), data | levels_form(*TRAFFIC[:2]))
    assert response.status_code == 200 and row_counts() == before
    assert "levels 須有一個「不明」燈號" in response.content.decode()


def test_a_rating_policy_the_engine_refuses_is_refused_naming_the_field_in_the_reader_s_language(shire, client):
    client.force_login(staff("root", superuser=True))
    data = {
        "organization": str(Organization.objects.get(code="shire").pk),
        "key": "backwards",
        "names": "{}",
        "method": "bands",
        "lights": "rag",
        "objective_rule": "worst",
        "achievement_weight": "0.25",
        "innovation_weight": "0.25",
        "challenge_weight": "0.3",
        "contribution_weight": "0.2",
        "achievement_cap": "100",
        "thresholds": "{}",
        "flag_tolerance": "0.5",
        "bands": json.dumps([{"level": "amber", "within": 10}, {"level": "green", "within": -1}]),
        "tolerance": "percent",
        "change_reason": "try",
    }
    before = row_counts()
    page = client.post(admin_url("admin:kpis_ratingpolicy_add"), data)
    assert page.status_code == 200 and row_counts() == before
    errors = page.context["adminform"].form.errors["bands"]
    assert "bands 燈號須依燈號組的順序由佳至差排列，且各只出現一次" in errors
    assert "bands[1].within 不得為負數（目前為-1）" in errors
    data["lights"] = "moon"
    page = client.post(admin_url("admin:kpis_ratingpolicy_add"), data)
    assert "本機關沒有燈號組moon" in page.context["adminform"].form.errors["lights"][0]


def test_every_objection_of_the_engine_to_a_light_set_or_a_policy_reads_in_chinese():
    from stratmap.kpis import models, scoring

    assert set(models.PROBLEMS) == set(scoring.PROBLEMS)
    with translation.override("zh-hant"):
        english = [
            template for template, text in models.PROBLEMS.items() if not re.search(r"[\u4e00-\u9fff]", str(text))
        ]
    assert not english


def test_a_bureau_administrator_reads_the_shared_policies_and_changes_only_its_own(shire, client):
    parks = Organization.objects.get(code="shire-parks")
    shared = RatingPolicy.objects.create(key="shared-monitoring", method="data_only", lights="rag")
    own = RatingPolicy.objects.create(organization=parks, key="parks-monitoring", method="data_only", lights="rag")
    client.force_login(staff("parks-admin", "shire-parks"))
    listed = client.get(admin_url("admin:kpis_ratingpolicy_changelist")).context["cl"].result_list
    assert {p.key for p in listed} == {"shared-monitoring", "parks-monitoring"}  # not the Shire's own
    assert client.get(admin_url("admin:kpis_ratingpolicy_change", shared.pk)).status_code == 200
    assert (
        client.get(
            admin_url("admin:kpis_ratingpolicy_change", RatingPolicy.objects.get(key="rag-bands").pk)
        ).status_code
        == 404
    )
    before = row_counts()
    refused = client.post(admin_url("admin:kpis_ratingpolicy_change", shared.pk), {"key": "mine", "change_reason": "x"})
    assert refused.status_code == 403 and row_counts() == before
    page = client.get(admin_url("admin:kpis_ratingpolicy_change", own.pk))
    data = {name: value for name, value in page.context["adminform"].form.initial.items() if value is not None}
    data |= {"organization": str(parks.pk), "names": '{"en": "Parks monitoring"}', "thresholds": "{}", "bands": "[]"}
    data["change_reason"] = "name it"
    assert client.post(admin_url("admin:kpis_ratingpolicy_change", own.pk), data).status_code == 302
    event = AuditEvent.objects.get(object_type="kpis.ratingpolicy", object_id=own.pk, field="names")
    assert "Parks monitoring" in event.new and event.reason == "name it"


def test_the_map_page_offers_the_rating_policies_of_its_organization_above_it_and_shared(shire, client):
    RatingPolicy.objects.create(key="shared-monitoring", method="data_only", lights="rag")
    RatingPolicy.objects.create(organization=Organization.objects.get(code="bree"), key="bree-own", lights="taipei")
    client.force_login(staff("parks-admin", "shire-parks"))
    page = client.get(admin_url("admin:strategy_strategymap_change", shire.pk))
    (inline,) = [i for i in page.context["inline_admin_formsets"] if i.formset.model is ScoringPolicy]
    offered = {p.key for p in inline.formset.forms[0].fields["rating_policy"].queryset}
    assert offered == {"rag-bands", "shire-composite", "shared-monitoring"}


def test_the_result_administration_shows_and_offers_the_levels_of_the_map_s_light_set(shire, client):
    from stratmap.kpis.models import KpiResult

    result = KpiResult.objects.get(kpi__code="A1.1")
    KpiResult.objects.filter(pk=result.pk).update(status=KpiResult.Status.DRAFT)  # a published one is locked
    client.force_login(staff("root", superuser=True))
    form = client.get(admin_url("admin:kpis_kpiresult_change", result.pk)).context["adminform"].form
    assert form.initial["light_reported"] == "green"
    assert list(form.fields["light_reported"].choices)[1:4] == [("green", "✓綠"), ("amber", "!黃"), ("red", "×紅")]
    listing = client.get(admin_url("admin:kpis_kpiresult_changelist")).content.decode()
    assert '<span style="color:#1a7f37">✓綠</span>' in listing


def test_choosing_a_rating_policy_on_the_map_page_rates_the_map_by_it(shire, client):
    from tests.test_admin_audit import posted

    client.force_login(staff("parks-admin", "shire-parks"))
    address = admin_url("admin:strategy_strategymap_change", shire.pk)
    data = posted(client.get(address))
    data["scoring_policy-0-rating_policy"] = str(RatingPolicy.objects.get(key="shire-composite").pk)
    data["change_reason"] = "the Shire's own lights"
    assert client.post(address, data).status_code == 302
    policy = policy_of(smap=StrategyMap.objects.get(pk=shire.pk))
    assert policy.key == "shire-composite" and policy.lights.key == "shire-lights"
    event = AuditEvent.objects.get(object_type="kpis.scoringpolicy", field="rating_policy")
    assert (event.old, event.new, event.reason) == ("rag-bands", "shire-composite", "the Shire's own lights")


def test_a_page_of_a_map_rated_by_a_named_policy_runs_the_same_queries_for_ten_times_the_kpis(shire, client, tmp_path):
    more = "".join(
        f"          - {{code: A3.{n}, name: Paths {n}, targets: {{2025: 100}}, results: {{2025: {{actual: {n}}}}}}}\n"
        for n in range(3, 40)
    )
    load_paths([write(tmp_path, "parks-2025.yaml", MAP.replace("2024", "2025") + more)])

    def queries(year: int, page: str) -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(f"/en/shire-parks/{year}/{page}").status_code == 200
        return len(captured)

    for page in ("scorecard/", "", "plans/"):
        assert queries(2024, page) == queries(2025, page), page


def test_the_result_list_of_maps_rated_by_named_policies_runs_a_fixed_number_of_queries(shire, client, tmp_path):
    more = "".join(
        f"          - {{code: A3.{n}, name: Paths {n}, targets: {{2025: 100}}, results: {{2025: {{actual: {n}}}}}}}\n"
        for n in range(3, 30)
    )
    load_paths([write(tmp_path, "parks-2025.yaml", MAP.replace("2024", "2025") + more)])
    client.force_login(staff("root", superuser=True))
    address = admin_url("admin:kpis_kpiresult_changelist")

    def queries(query: str) -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(address + query).status_code == 200
        return len(captured)

    assert queries("?q=A1.1") == queries("")


def test_a_banded_maps_scorecard_has_no_self_assessment_columns_and_calls_its_figure_a_score(shire, client):
    banded = client.get("/en/shire-parks/2024/scorecard/").content.decode()
    assert "innov." not in banded and ">score</a>" in banded and ">total</a>" not in banded


def test_the_kpi_page_shows_a_milestone_kpis_stages_and_a_range_targets_bounds(shire, client):
    from stratmap.kpis.models import Kpi, KpiTarget

    Kpi.objects.filter(code="A1.1").update(target_type="milestone", stages=["10", "50", "100"], numerator="parks")
    Kpi.objects.filter(code="A2.1").update(target_type="range")
    KpiTarget.objects.filter(kpi__code="A2.1").update(value=90, upper=110)
    milestone = client.get("/en/shire-parks/2024/kpis/A1.1/").content.decode()
    assert "milestone stages: 10 → 50 → 100" in milestone and "<dt>numerator</dt><dd>parks</dd>" in milestone
    assert "Self-assessment" not in milestone  # a banded map asks for none
    ranged = client.get("/en/shire-parks/2024/kpis/A2.1/").content.decode()
    assert "<dd>90 to 110 </dd>" in ranged and ("✓", "Green", "#1a7f37") in badges(ranged)
