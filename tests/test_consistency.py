"""`stratmap check` reports the documents' oddities as warnings; the data still loads."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from stratmap.exchange.consistency import check_files
from stratmap.exchange.loader import DEMO_DATA
from stratmap.exchange.parse import parse_paths


@pytest.fixture(scope="module")
def report() -> str:
    return "\n".join(str(w) for w in check_files(parse_paths([DEMO_DATA])))


@pytest.mark.parametrize(
    "expected",
    [
        "objective CC1-2 is printed as 'CC1'",  # the 108 city map prints CC1 twice
        "action plan DP3.4.1 does not start with its KPI's code DP3.3",
        "action plan DP3.5.1 is printed as 'DP.3.5.1'",
        "KPI DP4.1 is printed as 'DP4.'",
        "KPI BF2.1 does not start with its objective's code BF1",
        "the dataset has no KPIs of taipei for 110, so the citations cannot be checked",
        "printed '2(-1)': 2 -1 is 1, not 2",  # the 109 revision table's financial row
        "task(s) have no monthly schedule",
    ],
)
def test_the_report_lists_each_oddity_of_the_documents(report, expected):
    assert expected in report


def test_the_report_names_the_file_and_the_path(report):
    line = next(line for line in report.splitlines() if "DP4.'" in line)
    assert line.startswith(str(DEMO_DATA / "taipei-doed-110.yaml"))
    assert ".kpis[0].code" in line


def test_the_command_prints_warnings_and_imports_nothing(db, capsys):
    from stratmap.strategy.models import StrategyMap

    call_command("check", "--demo")
    out = capsys.readouterr().out
    assert out.count("warning: ") > 5
    assert "file(s) checked" in out
    assert not StrategyMap.objects.exists()


def test_a_clean_map_has_no_warnings_about_codes(tmp_path):
    path = tmp_path / "clean.yaml"
    path.write_text(
        "format: stratmap/1\norganization: x\nyear: 112\nperspectives: [{code: C, name: 顧客}]\n"
        "themes:\n- code: A\n  name: a\n  objectives:\n  - code: AC1\n    name: o\n    perspective: C\n"
        "    kpis:\n    - code: AC1.1\n      name: k\n      action_plans: [{code: AC1.1.1, name: p}]\n"
        "links: []\n",
        encoding="utf-8",
    )
    warnings = [w.message for w in check_files(parse_paths([path]))]
    assert warnings == ["the map has no cause-and-effect links"]
