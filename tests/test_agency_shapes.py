"""Issue 12, review defects of other agencies' shapes: `stratmap check` runs the checks that need the
database, a shared light set or rating policy key defined twice is refused, data-only measures need no
action plan, plan month grids follow the fiscal year, range targets read unambiguously, and the home
page names whose light key is whose."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from stratmap.exchange.loader import load_paths
from tests.conftest import row_counts

# Invented for tests: a council with a department, not a real organization.
ORGANIZATIONS = """\
format: stratmap/1
organizations:
  - code: shire
    name: Shire Council
    name_en: Shire Council
    kind: council
    rating_policies:
      - key: shire-bands
        method: bands
        lights: rag
        bands: [{level: green, within: 0}, {level: amber, within: 5}, {level: red}]
  - {code: shire-housing, name: Shire Housing, name_en: Shire Housing, kind: department, parent: shire}
rating_policies:
  - {key: watch, method: data_only, lights: rag}
"""

#: A map rated by ``{rating}``, one KPI with a plan and one without.
MAP = """\
format: stratmap/1
organization: shire
year: 2024
title: Shire Council Plan 2024
rating: {rating}
objectives:
  - code: O1
    name: Homes people can afford
    kpis:
      - code: O1.1
        name: New affordable homes
        agencies: [shire-housing]
        targets: {{2024: 200}}
        action_plans: [{{code: O1.1.1, name: Build with partners, tasks: [{{name: Sites, months: [4]}}]}}]
      - code: O1.2
        name: Homes empty for six months
        agencies: [shire-housing]
        targets: {{2024: 50}}
links: []
"""


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def errors_of(command: str, *paths: Path) -> list[str]:
    """The error lines a command prints on stderr before it fails."""
    err = io.StringIO()
    with pytest.raises(CommandError):
        call_command(command, *map(str, paths), stdout=io.StringIO(), stderr=err)
    return err.getvalue().splitlines()


def check(*paths: Path) -> str:
    out = io.StringIO()
    call_command("check", *map(str, paths), stdout=out)
    return out.getvalue()


# --- 1. check runs the checks that need the database -------------------------------------------------


def test_check_refuses_an_unknown_rating_key_with_the_error_load_gives_and_writes_nothing(db, tmp_path):
    load_paths([write(tmp_path, "organizations.yaml", ORGANIZATIONS)])
    before = row_counts()
    path = write(tmp_path, "shire-2024.yaml", MAP.format(rating="shire-rag-bands"))
    by_check = errors_of("check", path)
    by_load = errors_of("load", path)
    assert by_check == by_load
    assert by_check == [f"{path}: rating: got 'shire-rag-bands'; the key of a rating policy of shire, or a shared one"]
    assert row_counts() == before


def test_check_refuses_a_policy_naming_no_light_set_read_with_the_database(db, tmp_path):
    load_paths([write(tmp_path, "organizations.yaml", ORGANIZATIONS)])
    policies = write(
        tmp_path,
        "policies.yaml",
        "format: stratmap/1\nrating_policies:\n  - {key: shared-bands, method: bands, lights: no-such-set, "
        "bands: [{level: green, within: 0}, {level: red}]}\n",
    )
    (error,) = errors_of("check", policies)
    assert error.startswith(f"{policies}: rating_policies[0].lights: got 'no-such-set'; the key of a light set")


def test_check_accepts_a_map_whose_rating_policy_is_in_the_database(db, tmp_path):
    load_paths([write(tmp_path, "organizations.yaml", ORGANIZATIONS)])
    said = check(write(tmp_path, "shire-2024.yaml", MAP.format(rating="shire-bands")))
    assert "1 file(s) checked" in said


# --- 2. a shared key defined in two files ------------------------------------------------------------

SHARED_SET = """\
format: stratmap/1
light_sets:
  - key: county-rag
    levels:
      - {{key: green, symbol: "●", names: {{en: Green}}, colour: "{colour}"}}
      - {{key: red, symbol: "■", names: {{en: Red}}, colour: "#c4261d"}}
      - {{key: na, symbol: "?", names: {{en: N/A}}, colour: "#505a5f", role: unknown}}
"""


@pytest.mark.parametrize("command", ["load", "check"])
def test_two_files_defining_one_shared_light_set_key_are_refused_naming_both(db, tmp_path, command):
    first = write(tmp_path, "a.yaml", SHARED_SET.format(colour="#00703c"))
    second = write(tmp_path, "b.yaml", SHARED_SET.format(colour="#1a7f37"))
    before = row_counts()
    (error,) = errors_of(command, first, second)
    assert error.startswith(f"{second}: light_sets[0].key: got 'county-rag'; ")
    assert str(first) in error and "light_sets[0]" in error
    assert row_counts() == before


@pytest.mark.parametrize("command", ["load", "check"])
def test_two_files_defining_one_shared_rating_policy_key_are_refused_naming_both(db, tmp_path, command):
    policy = "format: stratmap/1\nrating_policies:\n  - {key: watch, method: data_only, lights: rag}\n"
    first = write(tmp_path, "organizations.yaml", ORGANIZATIONS)
    second = write(tmp_path, "more.yaml", policy)
    (error,) = errors_of(command, first, second)
    assert error.startswith(f"{second}: rating_policies[0].key: got 'watch'; ")
    assert f"{first} (rating_policies[0])" in error


def test_one_key_for_two_different_organizations_is_not_a_repeat(db, tmp_path):
    other = ORGANIZATIONS.replace("code: shire\n", "code: vale\n").replace("Shire", "Vale")
    other = other.replace("shire-housing", "vale-housing").replace("parent: shire", "parent: vale")
    other = other.replace("rating_policies:\n  - {key: watch, method: data_only, lights: rag}\n", "")
    first = write(tmp_path, "shire.yaml", ORGANIZATIONS)
    second = write(tmp_path, "vale.yaml", other)
    assert "2 file(s) checked" in check(first, second)
    load_paths([first, second])


# --- 3. data-only measures need no action plan -------------------------------------------------------


def test_check_does_not_ask_a_data_only_measure_for_an_action_plan(db):
    out = io.StringIO()
    call_command("check", "--demo", stdout=out)
    said = out.getvalue()
    assert "KPI H1.2 has no action plan" in said  # rated: it should have one
    assert "KPI H2.2 has no action plan" not in said  # method: data_only
    assert "KPI S2.4 has no action plan" not in said


def test_check_does_not_ask_for_action_plans_in_a_map_rated_by_a_data_only_policy(db, tmp_path):
    organizations = write(tmp_path, "organizations.yaml", ORGANIZATIONS)
    rated = MAP.format(rating="shire-bands")
    monitored = MAP.format(rating="watch").replace("year: 2024", "year: 2025").replace("{2024:", "{2025:")
    rated_path = write(tmp_path, "shire-2024.yaml", rated)
    monitored_path = write(tmp_path, "shire-2025.yaml", monitored)
    said = check(organizations, rated_path, monitored_path)
    assert f"{rated_path}: objectives[0].kpis[1]: KPI O1.2 has no action plan" in said
    assert f"{monitored_path}: objectives[0].kpis[1]: KPI O1.2 has no action plan" not in said
    # The policy found in the database, when the organizations file is not checked with the map.
    load_paths([organizations])
    assert "has no action plan" not in check(monitored_path)


# --- 4. plan month grids follow the fiscal year ------------------------------------------------------


def month_headers(html: str) -> list[str]:
    """The first plan grid's month headers, as read (tags dropped, spaces joined)."""
    head = re.search(r'<table class="months">\s*<thead>(.*?)</thead>', html, re.S)
    assert head, "no plan grid"
    cells = re.findall(r'<th scope="col" class="month[^"]*">(.*?)</th>', head.group(1), re.S)
    return [" ".join(re.sub(r"<[^>]+>", " ", cell).split()) for cell in cells]


def test_the_councils_plan_grid_runs_from_april_to_march_with_the_years(demo, client):
    html = client.get("/en/ashcombe/2024/plans/").content.decode()
    assert month_headers(html) == [
        "Apr 2024", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec", "Jan 2025", "Feb", "Mar",
    ]  # fmt: skip
    chinese = client.get("/ashcombe/2024/plans/").content.decode()
    assert month_headers(chinese) == [
        "2024年4月", "5月", "6月", "7月", "8月", "9月", "10月", "11月", "12月", "2025年1月", "2月", "3月",
    ]  # fmt: skip


def test_a_task_of_january_to_march_is_drawn_at_the_end_of_the_councils_year(demo, client):
    html = client.get("/en/ashcombe/2024/plans/").content.decode()
    row = re.search(r"<th scope=\"row\">Start on site at Mill Lane</th>(.*?)</tr>", html, re.S)
    assert row
    cells = re.findall(r'<td class="month( on)?">', row.group(1))
    assert [bool(on) for on in cells] == [False] * 9 + [True] * 3


def test_taipeis_plan_grid_still_runs_from_january_to_december(demo, client):
    html = client.get("/taipei/109/plans/").content.decode()
    assert month_headers(html) == [f"{m}月" for m in range(1, 13)]
    assert month_headers(client.get("/en/taipei/2020/plans/").content.decode())[:3] == ["Jan", "Feb", "Mar"]


def test_the_councils_progress_form_lists_its_months_from_april(council_people, client):
    client.force_login(council_people["council-place"])
    response = client.get("/en/ashcombe/2024/plans/H1.1.1/progress/")
    assert response.status_code == 200
    html = response.content.decode()
    rows = [" ".join(re.sub(r"<[^>]+>", " ", r).split()) for r in re.findall(r'<th scope="row">(.*?)</th>', html)]
    assert rows[:2] == ["Apr 2024", "May"] and rows[9] == "Jan 2025" and rows[11] == "Mar"
    # Progress is per task since issue 16: each task's months, in the council's order.
    cells = re.findall(r'name="planned-(\d+)-(\d+)"', html)
    first = cells[0][0]
    assert [m for t, m in cells if t == first] == [str(m) for m in (4, 5, 6, 7, 8, 9, 10, 11, 12, 1, 2, 3)]
    chinese = client.get("/ashcombe/2024/plans/H1.1.1/progress/").content.decode()
    assert "4月" in re.findall(r'<th scope="row">(.*?)</th>', chinese)[0]


def test_the_councils_progress_saved_in_march_stays_in_march(council_people, client):
    client.force_login(council_people["council-place"])
    url = "/en/ashcombe/2024/plans/H1.1.1/progress/"
    html = client.get(url).content.decode()
    task = re.search(r'name="version-(\d+)-3" value="(\d+)"', html)
    cell = f"{task.group(1)}-3"
    response = client.post(
        url, {f"version-{cell}": task.group(2), f"done-{cell}": "done", f"note-{cell}": "on site", "reason": "test"}
    )
    assert response.status_code == 302
    html = client.get(url).content.decode()
    assert re.search(rf'name="note-{cell}" value="on site"', html)
    assert html.index(f'name="done-{cell}"') > html.index(f'name="done-{task.group(1)}-12"')


# --- 5. a range target reads unambiguously -----------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("/en/ashcombe/2024/kpis/S2.1/", "−1 to 1 %"),
        ("/ashcombe/2024/kpis/S2.1/", "−1～1 %"),
    ],
)
def test_a_range_target_reads_with_a_minus_sign_and_not_as_a_dash(demo, client, url, expected):
    html = client.get(url).content.decode()
    assert expected in " ".join(re.sub(r"<[^>]+>", " ", html).split())
    assert "-1–1" not in html


def test_the_scorecard_reads_a_range_target_as_a_range(demo, client):
    html = client.get("/en/ashcombe/2024/scorecard/").content.decode()
    row = re.search(r"S2\.1.*?</tr>", html, re.S)
    assert row and "−1 to 1" in row.group(0) and "-1–1" not in row.group(0)


def test_the_score_table_reads_a_range_target_as_a_range(demo):
    out = io.StringIO()
    call_command("score", "--org", "ashcombe", "--year", "2024", "--language", "en", stdout=out)
    line = next(line for line in out.getvalue().splitlines() if line.startswith("S2.1"))
    assert "−1 to 1" in line


# --- 6. the home page says whose light key is whose --------------------------------------------------


def footer(html: str) -> str:
    found = re.search(r'<footer class="site">(.*?)</footer>', html, re.S)
    assert found
    return " ".join(re.sub(r"<[^>]+>", " ", found.group(1)).split())


def test_the_home_page_labels_each_light_legend_with_its_set_and_who_uses_it(demo, client):
    text = footer(client.get("/en/").content.decode())
    taipei = text.index("Taipei lights, used by Taipei City Government")
    council = text.index("Ashcombe RAG key, used by Ashcombe District Council")
    # Each key after its own label, before the next (the organizations are listed top-level first, by code).
    taipei_key = text[taipei:council] if taipei < council else text[taipei:]
    council_key = text[council:taipei] if council < taipei else text[council:]
    assert "★ excellent" in taipei_key and "★" not in council_key and "● Green" in council_key
    chinese = footer(client.get("/").content.decode())
    assert "臺北市政府、臺北市政府產業發展局使用的臺北市燈號" in chinese
    assert "艾施康區議會使用的艾施康紅黃綠燈號" in chinese


def test_a_page_of_a_map_keeps_its_one_unlabelled_legend(demo, client):
    text = footer(client.get("/en/ashcombe/2024/").content.decode())
    assert "used by" not in text and "● Green" in text and "★" not in text


# --- years in the report's paths and messages ----------------------------------------------------------


@pytest.mark.parametrize(("label", "key"), [("span", "2024"), ("roc", "113")])
def test_checks_warning_names_a_year_as_the_organization_types_it(db, tmp_path, label, key):
    organizations = ORGANIZATIONS.replace("    kind: council\n", f"    kind: council\n    year_label: {label}\n", 1)
    # O1.2's 2024 result says neither its actual nor why it is missing.
    smap = MAP.format(rating="shire-bands").replace(
        "targets: {2024: 50}", "targets: {2024: 50}\n        results: {2024: {printed: '?'}}"
    )
    said = check(write(tmp_path, "organizations.yaml", organizations), write(tmp_path, "shire-2024.yaml", smap))
    assert f"kpis[1].results.{key}: KPI O1.2 has no actual and no reason why" in said
