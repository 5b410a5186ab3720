"""The synthetic cities (stratmap.exchange.synthetic) and ``stratmap benchmark-scale``, at a tiny size.

The data must load and pass ``stratmap check`` as a real dataset does, say everywhere that it is synthetic,
and come out the same for the same seed; the benchmark must print a row of figures for every page type.
No timing is asserted: the figures depend on the machine.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from stratmap.core.models import Organization
from stratmap.exchange.synthetic import Shape, write
from stratmap.kpis.models import Kpi, KpiResult
from stratmap.plans.models import PlanTask
from stratmap.strategy.models import StrategyMap

TINY = Shape(bureaus=2, kpis=5, years=2)
#: The page types and roles the benchmark promises (docs/scale.md).
PAGE_ROLES = [
    ("home", "public"),
    ("home", "admin"),
    ("due", "admin"),
    ("due", "editor"),
    ("map", "public"),
    ("map", "admin"),
    ("scorecard", "public"),
    ("scorecard", "admin"),
    ("kpi", "public"),
    ("kpi", "admin"),
    ("plans", "public"),
    ("plans", "admin"),
    ("cascade", "public"),
    ("cascade", "admin"),
    ("theme", "public"),
    ("theme", "admin"),
    ("workbook", "admin"),
    ("workbook", "editor"),
    ("scorecard.xlsx", "public"),
    ("scorecard.xlsx", "admin"),
]


def files_of(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*.yaml"))}


def test_a_synthetic_city_passes_the_consistency_check_without_a_warning_and_loads(db, tmp_path):
    written = write(tmp_path, TINY)
    out = io.StringIO()
    call_command("check", str(tmp_path), stdout=out)
    assert f"{written.files} file(s) checked, 0 warning(s)" in out.getvalue()

    call_command("load", str(tmp_path), stdout=io.StringIO())
    # A city map and two bureaus' maps for each of the two years, as many KPI-years as the generator says.
    assert StrategyMap.objects.count() == written.maps == 6
    assert Kpi.objects.count() == written.kpi_years
    assert PlanTask.objects.count() == written.tasks
    assert KpiResult.objects.count() == written.results
    # The year before the current cycle has every result published; the current one is under way.
    last = KpiResult.objects.filter(year=TINY.last_year).values_list("status", flat=True)
    assert set(KpiResult.objects.filter(year=TINY.last_year - 1).values_list("status", flat=True)) == {"published"}
    assert len(set(last)) > 1
    assert Kpi.objects.exclude(cites="").count() == written.cites > 0
    assert Kpi.objects.filter(lineage__isnull=True).count() == 0


def test_every_synthetic_file_and_organization_says_it_is_synthetic(tmp_path):
    write(tmp_path, TINY)
    for name, data in files_of(tmp_path).items():
        assert data.decode().startswith("# SYNTHETIC DATA"), name
    organizations = (tmp_path / "syn1" / "organizations.yaml").read_text()
    names = re.findall(r"^  name: (.*)$", organizations, re.MULTILINE)
    assert names and all("合成資料" in name for name in names)
    assert all("synthetic data" in name for name in re.findall(r"^  name_en: (.*)$", organizations, re.MULTILINE))


def test_the_same_seed_writes_the_same_files_and_another_seed_others(tmp_path):
    write(tmp_path / "a", TINY)
    write(tmp_path / "b", TINY)
    write(tmp_path / "c", Shape(bureaus=2, kpis=5, years=2, seed=14))
    assert files_of(tmp_path / "a") == files_of(tmp_path / "b")
    assert files_of(tmp_path / "a") != files_of(tmp_path / "c")


def test_each_city_has_its_own_organization_codes_and_loads_beside_the_others(db, tmp_path):
    write(tmp_path, Shape(cities=2, bureaus=1, kpis=4, years=1))
    call_command("load", str(tmp_path), stdout=io.StringIO())
    cities = Organization.objects.filter(kind="city").values_list("code", flat=True)
    assert sorted(cities) == ["syn1", "syn2"]
    assert StrategyMap.objects.filter(organization__code__startswith="syn2").count() == 2


def test_the_scale_benchmark_prints_figures_for_every_page_type_and_role(db, capsys):
    call_command("benchmark-scale", bureaus=2, kpis=5, years=2, runs=1)
    out = capsys.readouterr().out
    assert re.search(r"^load: \d+\.\d s by the clock, \d+\.\d s CPU .* peak memory .* \d+ MB", out, re.MULTILINE)
    assert "74 KPI-years" in out and "loaded 11 organization(s), 6 map(s)" in out
    number = r"\d+(?:\.\d+)?"
    for page, role in PAGE_ROLES:
        # first ms, median ms, queries, peak MB, raw SQL ms, page/raw
        figures = rf" +({number}) +({number}) +(\d+) +({number}) +({number}) +({number})×"
        match = re.search(rf"^{re.escape(page)} +{role} +200{figures}", out, re.MULTILINE)
        assert match, f"no figures for {page} as {role}:\n{out}"
        _first, _median, queries, _peak, raw, ratio = match.groups()
        assert int(queries) > 0 and float(raw) > 0 and float(ratio) > 0
    assert len(re.findall(r"^\S+ +(?:public|admin|editor) +", out, re.MULTILINE)) == len(PAGE_ROLES)
    # The people it logged in as are gone; the synthetic city stays.
    assert not Organization.objects.get(code="syn1").memberships.exists()
    assert StrategyMap.objects.filter(organization__code="syn1").count() == 2


def test_the_scale_benchmark_times_only_the_pages_asked_for(db, capsys):
    call_command("benchmark-scale", bureaus=1, kpis=4, years=1, runs=1, pages=["kpi", "due"])
    out = capsys.readouterr().out
    rows = re.findall(r"^(\S+) +(public|admin|editor) +200 ", out, re.MULTILINE)
    assert rows == [("kpi", "public"), ("kpi", "admin"), ("due", "admin"), ("due", "editor")]


def test_the_scale_benchmark_refuses_a_database_with_data_unless_forced(demo, tmp_path):
    before = StrategyMap.objects.count()
    with pytest.raises(CommandError, match=r"holds \d+ organization\(s\) already.*--force"):
        call_command("benchmark-scale", bureaus=1, kpis=4, years=1, runs=1)
    assert StrategyMap.objects.count() == before
    (tmp_path / "something").write_text("")
    with pytest.raises(CommandError, match="not an empty folder"):
        call_command("benchmark-scale", bureaus=1, kpis=4, years=1, runs=1, force=True, keep=tmp_path)


def test_the_scale_benchmark_keeps_the_files_it_loaded_when_asked(demo, tmp_path, capsys):
    call_command(
        "benchmark-scale", bureaus=1, kpis=4, years=1, runs=1, pages=["home"], force=True, keep=tmp_path / "kept"
    )
    kept = ["syn1/organizations.yaml", "syn1/syn1-2025.yaml", "syn1/syn1-b01-2025.yaml"]
    assert sorted(files_of(tmp_path / "kept")) == kept
    assert StrategyMap.objects.filter(organization__code="syn1").exists()
    assert StrategyMap.objects.filter(organization__code="taipei").exists()


def test_the_scale_benchmark_times_the_pages_of_cities_loaded_before_without_loading_again(db, capsys):
    with pytest.raises(CommandError, match="--loaded: the database holds no synthetic syn1, syn1-b01"):
        call_command("benchmark-scale", bureaus=1, kpis=4, years=1, runs=1, loaded=True)
    call_command("benchmark-scale", bureaus=1, kpis=4, years=1, runs=1, pages=["home"])
    maps = StrategyMap.objects.count()
    capsys.readouterr()
    call_command("benchmark-scale", bureaus=1, kpis=4, years=1, runs=1, pages=["kpi"], loaded=True)
    out = capsys.readouterr().out
    assert "load:" not in out and "written in" not in out
    assert re.findall(r"^(\S+) +(public|admin|editor) +200 ", out, re.MULTILINE) == [
        ("kpi", "public"),
        ("kpi", "admin"),
    ]
    assert StrategyMap.objects.count() == maps
