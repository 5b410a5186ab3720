"""Bad dataset files: every error names file, path, value and expectation, and nothing is written."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from stratmap.access import SYSTEM
from stratmap.exchange.loader import load_paths
from tests.conftest import row_counts
from tests.helpers import GOOD, load_errors, write


@pytest.fixture
def baseline(demo):
    """The demo data is in the database; a failed load must leave it exactly as it is."""
    return row_counts()


def test_a_good_file_loads(baseline, tmp_path):
    report = load_paths([write(tmp_path, GOOD)])
    assert report.maps == ["taipei 2019"]


# The rating keys of a KPI: each way its targets cannot be read.
KPI = "            polarity: negative\n            targets: {108: 3.8, 2020: 3.8}"


def rating(keys: str, targets: str = "{108: 30, 2020: 30}") -> str:
    return f"            {keys}\n            targets: {targets}"


RATING_ERRORS = [
    pytest.param(
        rating("target_type: milestone\n            stages: [10, 30, 20, 60]"),
        "kpis[0].stages",
        "'10, 30, 20, 60'",
        "stage values that increase",
        id="stages not increasing",
    ),
    pytest.param(
        rating("target_type: milestone\n            stages: [10, 20, 60]"),
        "kpis[0].targets.2019",
        "30",
        "one of the KPI's stages",
        id="a milestone target that is not a stage",
    ),
    pytest.param(
        rating("target_type: baseline\n            baseline: 30"),
        "kpis[0].targets.2019",
        "30",
        "a target other than the baseline 30",
        id="a baseline equal to its target",
    ),
    pytest.param(
        rating("target_type: baseline"), "kpis[0].baseline", "None", "a baseline for", id="a baseline missing"
    ),
    pytest.param(
        rating("target_type: range", "{108: {value: 30, upper: 20}}"),
        "kpis[0].targets.2019.upper",
        "20",
        "an upper bound not below the target 30",
        id="a range upside down",
    ),
    pytest.param(
        rating("target_type: range"),
        "kpis[0].targets.2019.upper",
        "None",
        "an upper bound for a range target",
        id="a range without an upper bound",
    ),
    pytest.param(rating("weight: -1"), "kpis[0].weight", "-1", "greater than or equal to 0", id="a negative weight"),
    pytest.param(
        rating("method: sometimes"),
        "kpis[0].method",
        "'sometimes'",
        "input should be '' or 'data_only'",
        id="an unknown rating method",
    ),
]


@pytest.mark.parametrize(("kpi", "path", "value", "expected"), RATING_ERRORS)
def test_a_kpi_whose_targets_cannot_be_read_is_refused_with_where_and_what(
    baseline, tmp_path, kpi, path, value, expected
):
    assert KPI in GOOD
    file = write(tmp_path, GOOD.replace(KPI, kpi, 1))
    errors = load_errors(file)
    found = [e for e in errors if path in e]
    assert found, errors
    assert f"got {value}" in found[0] and expected in found[0]
    assert row_counts() == baseline


@pytest.mark.parametrize(
    ("old", "new", "path", "value", "expected"),
    [
        pytest.param(
            "name: 失業率",
            "name: 失業率\n            colour: red",
            "kpis[0].colour",
            "'red'",
            "no such key",
            id="unknown key",
        ),
        pytest.param(
            "2020: 3.8}", "2020: lots}", "kpis[0].targets.2020", "'lots'", "valid decimal", id="non-numeric number"
        ),
        pytest.param("2020: 3.8}", "2020: .inf}", "kpis[0].targets.2020", "inf", "finite number", id="infinite number"),
        pytest.param(
            "2020: 3.8}", "2150: 3.8}", "kpis[0].targets.2150", "2150", "out of range", id="year out of range"
        ),
        pytest.param("year: 108", "year: 1850", "year", "1850", "out of range", id="map year out of range"),
        pytest.param(
            "- code: DP5",
            "- code: DC1",
            "themes[0].objectives[1].code",
            "'DC1'",
            "unique objective code",
            id="duplicate code",
        ),
        pytest.param(
            "{from: DP5, to: DC1}",
            "{from: DP5, to: DC9}",
            "links[0].to",
            "'DC9'",
            "the code of an objective",
            id="link to a missing objective",
        ),
        pytest.param(
            "perspective: P",
            "perspective: X",
            "themes[0].objectives[1].perspective",
            "'X'",
            "one of the map's perspectives",
            id="objective in an unknown perspective",
        ),
        pytest.param(
            "organization: taipei",
            "organization: nowhere",
            "organization",
            "'nowhere'",
            "the code of an organization",
            id="unknown organization",
        ),
        pytest.param(
            "2020: 3.8}",
            "2019: 3.8}",
            "kpis[0].targets.2019",
            "2019",
            "each year once",
            id="same year twice as ROC and AD",
        ),
    ],
)
def test_a_bad_file_is_refused_with_where_and_what_and_nothing_is_written(
    baseline, tmp_path, old, new, path, value, expected
):
    assert old in GOOD
    file = write(tmp_path, GOOD.replace(old, new, 1))
    first, *_ = load_errors(file)
    assert first.startswith(f"{file}: ")
    assert path in first
    assert f"got {value}" in first
    assert expected in first
    assert row_counts() == baseline


def test_an_error_in_one_file_keeps_every_other_file_out(baseline, tmp_path):
    good = write(tmp_path, GOOD.replace("year: 108", "year: 112"), "a-good.yaml")
    bad = write(tmp_path, GOOD.replace("name: 失業率", "name: 失業率\n            bogus: 1"), "b-bad.yaml")
    errors = load_errors(good, bad)
    assert all(str(bad) in e for e in errors)
    assert row_counts() == baseline


def test_an_error_in_the_database_write_rolls_everything_back(baseline, tmp_path, monkeypatch):
    """All or nothing holds even for a failure the validation could not foresee."""
    from stratmap.exchange import loader

    def explode(self, smap):
        raise RuntimeError("disk full")

    monkeypatch.setattr(loader._MapWriter, "_write_revisions", explode)
    with pytest.raises(RuntimeError):
        load_paths([write(tmp_path, GOOD.replace("year: 108", "year: 112"))])
    assert row_counts() == baseline


def test_yaml_that_does_not_parse_names_the_line(baseline, tmp_path):
    errors = load_errors(write(tmp_path, GOOD.replace("name: 失業率", "name: [失業率")))
    assert "line " in errors[0] and "valid YAML" in errors[0]
    assert row_counts() == baseline


def test_the_command_prints_every_error_and_fails(baseline, tmp_path, capsys):
    file = write(tmp_path, GOOD.replace("2020: 3.8}", "2020: .nan}"))
    with pytest.raises(CommandError, match="nothing was written"):
        call_command("load", str(file))
    assert "targets.2020" in capsys.readouterr().err
    assert row_counts() == baseline


def test_loading_the_same_file_twice_updates_it(baseline, tmp_path):
    file = write(tmp_path, GOOD.replace("year: 108", "year: 112"))
    load_paths([file])
    once = row_counts()
    load_paths([write(tmp_path, GOOD.replace("year: 108", "year: 112").replace("失業率", "失業率（修正）"))])
    # the same rows, one of them changed in place, and the change recorded in the audit trail
    assert {**row_counts(), "core.AuditEvent": 0} == {**once, "core.AuditEvent": 0}
    from stratmap.core.models import AuditEvent
    from stratmap.kpis.models import Kpi

    kpi = Kpi.objects.get(objective__map__year=2023, code="DC1.1")
    assert kpi.name == "失業率（修正）"
    assert AuditEvent.objects.filter(kpi=kpi, field="name", old="失業率", new="失業率（修正）").exists()


@pytest.mark.parametrize(
    ("scoring", "path", "expected"),
    [
        ("{achievement_weight: 0.5}", "scoring.weights", "must add up to 1 (they add up to 1.25)"),
        ("{excellent: 80}", "scoring.thresholds", "must be in order excellent > good > fair"),
        ("{achievement_cap: -1}", "scoring.achievement_cap", "must not be below 0"),
    ],
)
def test_a_bad_scoring_policy_is_refused_when_loaded(baseline, tmp_path, scoring, path, expected):
    file = write(tmp_path, GOOD.replace("year: 108", f"year: 108\nscoring: {scoring}"))
    first, *_ = load_errors(file)
    assert f"{file}: {path}: got " in first
    assert expected in first
    assert row_counts() == baseline


def test_a_good_scoring_policy_is_loaded_and_dumped_back(db, tmp_path):
    from stratmap.exchange.dumper import dump_map
    from stratmap.kpis.models import ScoringPolicy

    load_paths([write(tmp_path, (Path(__file__).parent.parent / "stratmap/data/taipei/organizations.yaml")
                      .read_text(encoding="utf-8"), "orgs.yaml")])  # fmt: skip
    policy = "{achievement_weight: 0.4, innovation_weight: 0.2, challenge_weight: 0.2, contribution_weight: 0.2}"
    load_paths([write(tmp_path, GOOD.replace("year: 108", f"year: 108\nscoring: {policy}"))])
    assert ScoringPolicy.objects.get().policy().achievement_weight == Decimal("0.4")
    assert "achievement_weight: 0.4" in dump_map("taipei", 2019, access=SYSTEM)
