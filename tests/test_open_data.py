"""Open data (issue 17 item 2): the scorecard as CSV and JSON with columns that never change, its metadata,
a KPI's series for Taipei City Dashboard; and the dataset format's JSON Schema served and described (item 7)."""

from __future__ import annotations

import codecs
import csv
import io
import json
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from stratmap.exchange.schema import json_schema
from stratmap.kpis.models import Kpi, KpiResult
from stratmap.strategy.models import StrategyMap
from stratmap.web.opendata import FIELD_NAMES

TAIPEI = "/taipei/109/open-data"
COUNCIL = "/ashcombe/2024/open-data"

#: The columns, as docs/open-data.md documents them: a change here is a change of a published interface.
COLUMNS = [
    "organization_code", "organization_name", "organization_name_en", "language", "year_ad", "year_roc",
    "year_label", "period", "objective_code", "objective_name", "objective_name_en", "kpi_code", "kpi_name",
    "kpi_name_en", "unit", "unit_en", "polarity", "target", "actual", "rate", "status_code", "status_label",
    "light_key", "light_label",
]  # fmt: skip


def read_csv(response) -> tuple[list[str], list[dict[str, str]]]:
    body = response.content
    assert body.startswith(codecs.BOM_UTF8)
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    return rows[0], [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]


@pytest.mark.parametrize("base", [TAIPEI, COUNCIL])
def test_the_columns_are_the_same_in_both_languages_and_for_every_organization(demo, client, base):
    found = {}
    for prefix in ("", "/en"):
        header, rows = read_csv(client.get(f"{prefix}{base}/scorecard.csv", follow=True))
        records = json.loads(client.get(f"{prefix}{base}/scorecard.json", follow=True).content)
        assert header == COLUMNS == FIELD_NAMES
        assert all(list(record) == COLUMNS for record in records)
        found[prefix] = (rows, records)
    # Not only the names: the values are the organization's, whatever the page's language.
    assert found[""] == found["/en"]


def test_taipei_s_rows_are_in_chinese_with_english_beside_and_roc_years(demo, client):
    _header, rows = read_csv(client.get(f"{TAIPEI}/scorecard.csv"))
    row = next(r for r in rows if r["kpi_code"] == "DP5.1")
    assert row["organization_code"] == "taipei"
    assert row["organization_name"] == "臺北市政府"
    assert row["organization_name_en"] == "Taipei City Government"
    assert row["language"] == "zh-hant"
    assert (row["year_ad"], row["year_roc"], row["year_label"], row["period"]) == ("2020", "109", "民國109年", "")
    kpi = Kpi.objects.get(objective__map__organization__code="taipei", objective__map__year=2020, code="DP5.1")
    assert row["kpi_name"] == kpi.name and row["kpi_name_en"] == kpi.i18n["name_en"]
    assert row["polarity"] in ("positive", "negative")
    assert row["light_key"] in {"excellent", "good", "fair", "poor", "unknown", "not_available", "data_only"}


def test_the_council_s_rows_have_its_fiscal_year_its_lights_and_no_roc_year(demo, client):
    records = json.loads(client.get(f"{COUNCIL}/scorecard.json").content)
    h11 = next(r for r in records if r["kpi_code"] == "H1.1")
    assert (h11["organization_name"], h11["language"]) == ("Ashcombe District Council", "en")
    assert (h11["year_ad"], h11["year_roc"], h11["year_label"]) == (2024, None, "2024/25")
    assert (h11["target"], h11["actual"], h11["rate"]) == (200, 214, 107.0)
    assert (h11["status_code"], h11["light_key"], h11["light_label"]) == ("published", "green", "Green")


def test_a_period_gives_the_year_to_date_and_a_bad_one_is_a_400_naming_it(demo, client):
    records = json.loads(client.get(f"{COUNCIL}/scorecard.json?period=Q2").content)
    h11 = next(r for r in records if r["kpi_code"] == "H1.1")
    assert h11["period"] == "2024-Q2"
    assert h11["actual"] == 48 + 55  # the council's quarters, summed to date
    response = client.get(f"{COUNCIL}/scorecard.csv?period=Q7")
    assert response.status_code == 400
    assert "period='Q7'" in response.content.decode()


def test_draft_results_never_reach_the_public_s_files(demo, people, client):
    kpi = Kpi.objects.get(objective__map__organization__code="taipei", objective__map__year=2020, code="DP5.1")
    KpiResult.objects.update_or_create(
        kpi=kpi, year=2020, period="", defaults={"actual": Decimal("777.77"), "status": KpiResult.Status.DRAFT}
    )
    for url in (f"{TAIPEI}/scorecard.csv", f"{TAIPEI}/scorecard.json", "/taipei/kpis/DP5.1/dashboard.json"):
        assert "777.77" not in client.get(url).content.decode(), url
    _header, rows = read_csv(client.get(f"{TAIPEI}/scorecard.csv"))
    assert next(r for r in rows if r["kpi_code"] == "DP5.1")["status_code"] == ""
    # 勞動局's editor sees their draft, marked as one, as on their scorecard page.
    client.force_login(people["dol"])
    _header, rows = read_csv(client.get(f"{TAIPEI}/scorecard.csv"))
    row = next(r for r in rows if r["kpi_code"] == "DP5.1")
    assert (row["actual"], row["status_code"]) == ("777.77", "draft")
    assert "777.77" in client.get("/taipei/kpis/DP5.1/dashboard.json").content.decode()


def test_an_unpublished_map_s_files_are_a_404_for_the_public_and_outsiders(demo, people, client):
    StrategyMap.objects.filter(organization__code="ashcombe", year=2024, in_force=True).update(published=False)
    for name in ("scorecard.csv", "scorecard.json", "metadata.json", ""):
        assert client.get(f"{COUNCIL}/{name}").status_code == 404
    client.force_login(people["outsider"])
    assert client.get(f"{COUNCIL}/scorecard.json").status_code == 404


def test_text_that_looks_like_a_formula_is_written_as_text(demo, client):
    Kpi.objects.filter(objective__map__organization__code="taipei", objective__map__year=2020, code="DP5.1").update(
        name='=HYPERLINK("http://evil.example","x")'
    )
    _header, rows = read_csv(client.get(f"{TAIPEI}/scorecard.csv"))
    assert next(r for r in rows if r["kpi_code"] == "DP5.1")["kpi_name"].startswith("'=HYPERLINK")


def test_the_metadata_names_the_licence_the_fields_and_the_files(demo, client, settings):
    data = json.loads(client.get(f"{TAIPEI}/metadata.json").content)
    assert data["licence"]["name_en"] == "Open Government Data License, version 1.0"
    assert [f["name"] for f in data["fields"]] == COLUMNS
    assert all(f["type"] in ("string", "integer", "number") and f["description"] for f in data["fields"])
    assert data["files"][0]["url"] == "http://testserver/taipei/109/open-data/scorecard.csv"
    assert data["publisher"]["name"] == "臺北市政府"
    assert data["update_frequency"] == "yearly"
    council = json.loads(client.get(f"{COUNCIL}/metadata.json").content)
    assert council["update_frequency"] == "monthly"  # H2.1 is reported by month
    assert council["publisher"]["name"] == "Ashcombe District Council"
    settings.STRATMAP_OPEN_DATA_LICENCE = {"name": "Open Government Licence v3.0", "url": "https://example.org/ogl"}
    assert (
        json.loads(client.get(f"{COUNCIL}/metadata.json").content)["licence"]["name"] == "Open Government Licence v3.0"
    )


def test_the_open_data_page_lists_the_files_and_the_dictionary_and_the_scorecard_links_it(demo, client):
    for prefix, base in (("", TAIPEI), ("/en", "/ashcombe/2024/open-data")):
        page = client.get(f"{prefix}{base}/").content.decode()
        for name in COLUMNS:
            assert f"<code>{name}</code>" in page
        assert f"{prefix}{base}/scorecard.csv" in page and f"{prefix}{base}/metadata.json" in page
        scorecard = client.get(f"{prefix}{base.removesuffix('/open-data')}/scorecard/").content.decode()
        assert f'href="{prefix}{base}/"' in scorecard


# --- the KPI's series for Taipei City Dashboard ----------------------------------------------------


def dashboard(client, url) -> dict:
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    return json.loads(response.content)


def test_a_kpi_s_series_has_the_dashboard_s_shape_across_the_years(demo, client):
    data = dashboard(client, "/taipei/kpis/DP5.1/dashboard.json")
    assert list(data) == ["data"]
    assert [series["name"] for series in data["data"]] == ["目標值", "達成值"]  # the page's words, Chinese here
    for series in data["data"]:
        assert series["data"], series
        for point in series["data"]:
            assert set(point) == {"x", "y"}
            assert re.fullmatch(r"\d{4}-01-01T00:00:00\+08:00", point["x"])  # Taipei's years start in January
            assert isinstance(point["y"], int | float)
        xs = [point["x"] for point in series["data"]]
        assert xs == sorted(xs)
    years = {p["x"][:4] for series in data["data"] for p in series["data"]}
    assert len(years) > 1, "across the years of the KPI's lineage"
    assert [s["name"] for s in dashboard(client, "/en/taipei/kpis/DP5.1/dashboard.json")["data"]] == [
        "target",
        "actual",
    ]


def test_a_quarterly_kpi_s_series_is_by_quarter_in_the_organization_s_time_zone(demo, client, settings):
    settings.STRATMAP_TIME_ZONES = {"ashcombe": "Europe/London"}
    data = dashboard(client, "/ashcombe/kpis/H1.1/dashboard.json")
    actual = {p["x"]: p["y"] for p in data["data"][1]["data"]}
    # The council's quarters from April, at midnight in London: summer time in April, GMT in January.
    assert actual["2024-04-01T00:00:00+01:00"] == 48
    assert actual["2025-01-01T00:00:00+00:00"] == 59
    settings.STRATMAP_TIME_ZONES = {}
    data = dashboard(client, "/ashcombe/kpis/H1.1/dashboard.json")
    assert "2024-04-01T00:00:00+08:00" in {p["x"] for p in data["data"][1]["data"]}  # the site's zone


def test_an_unknown_kpi_or_one_of_an_unpublished_map_is_a_404(demo, people, client):
    assert client.get("/taipei/kpis/NOPE/dashboard.json").status_code == 404
    StrategyMap.objects.filter(organization__code="ashcombe").update(published=False)
    assert client.get("/ashcombe/kpis/H1.1/dashboard.json").status_code == 404
    client.force_login(people["admin"])  # Taipei's administrator is an outsider to the council
    assert client.get("/ashcombe/kpis/H1.1/dashboard.json").status_code == 404


def test_the_files_run_a_fixed_number_of_queries_whatever_the_data(demo, client):
    def queries(url: str) -> int:
        with CaptureQueriesContext(connection) as done:
            assert client.get(url).status_code == 200
        return len(done)

    # A KPI with several years of lineage and one with a single map: the same queries.
    assert queries("/taipei/kpis/DP5.1/dashboard.json") == queries("/ashcombe/kpis/H1.1/dashboard.json")
    # The city's map with dozens of KPIs and a bureau's with a few.
    assert queries(f"{TAIPEI}/scorecard.json") == queries("/taipei-doed/110/open-data/scorecard.json")


# --- the dataset format's JSON Schema (item 7) --------------------------------------------------------


def undescribed(node, path="$") -> list[str]:
    """The paths of every property of ``node`` (a schema) without a description, through every nesting."""
    missing = []
    if isinstance(node, dict):
        for name, prop in (node.get("properties") or {}).items():
            if not (isinstance(prop, dict) and prop.get("description")):
                missing.append(f"{path}.properties.{name}")
        for key, value in node.items():
            missing += undescribed(value, f"{path}.{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            missing += undescribed(value, f"{path}[{i}]")
    return missing


def test_every_property_of_the_dataset_schema_has_a_description_and_the_schema_an_id():
    schema = json_schema()
    assert undescribed(schema) == []
    assert schema["$id"]


def test_the_dataset_schema_is_served_at_a_stable_address_and_may_be_cached(demo, client):
    response = client.get("/schema/dataset/v1.json")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/schema+json"
    assert "public" in response["Cache-Control"] and "max-age=86400" in response["Cache-Control"]
    assert json.loads(response.content) == json.loads(json.dumps(json_schema()))
