"""Dumping and loading again gives the same data, over the whole demo dataset."""

from __future__ import annotations

import datetime

import pytest
import yaml

from stratmap.access import SYSTEM
from stratmap.core.models import Organization
from stratmap.exchange.dumper import dump_map, dump_organizations
from stratmap.exchange.loader import load_paths
from stratmap.exchange.schema import KPI_VALUES
from stratmap.strategy.models import StrategyMap
from tests.conftest import row_counts
from tests.helpers import GOOD, write

pytestmark = pytest.mark.django_db


def dump_everything() -> dict[str, str]:
    dumps = {"organizations.yaml": dump_organizations()}
    for smap in StrategyMap.objects.select_related("organization"):
        dumps[f"{smap.organization.code}-{smap.year}.yaml"] = dump_map(smap.organization.code, smap.year, access=SYSTEM)
    return dumps


def test_a_dump_loaded_into_an_empty_database_dumps_the_same(demo, tmp_path):
    first = dump_everything()
    counts = row_counts()
    assert len(first) == 7  # the organizations, four Taipei maps and the council's two
    for name, text in first.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    StrategyMap.objects.all().delete()
    Organization.objects.update(parent=None, lead=None)
    Organization.objects.all().delete()
    load_paths([tmp_path])
    assert dump_everything() == first
    assert row_counts() == counts


def test_a_dump_writes_roc_years_and_plain_numbers(demo):
    data = yaml.safe_load(dump_map("taipei", 2020, access=SYSTEM))
    assert data["year"] == 109
    dc11 = next(o for t in data["themes"] if t["code"] == "D" for o in t["objectives"] if o["code"] == "DC1")["kpis"][0]
    assert dc11["targets"] == {109: 3.8, 110: 3.8, 111: 3.8}


#: A value for each of a KPI's own values (``schema.KPI_VALUES``), none of them the default.
EVERY_VALUE = {
    "code": "DC1.1",
    "printed_code": "DC 1.1",
    "name": "失業率",
    "unit": "%",
    "polarity": "negative",
    "frequency": "quarterly",
    "aggregation": "average",
    "data_source": "主計總處人力資源調查",
    "release": "每季",
    "agencies_printed": "勞動局",
    "cites": "DC9.9",
    "cites_printed": "府級KPI：DC9.9",
    "weight": 2.5,
    "target_type": "milestone",
    "stages": [1, 2, 3.5],
    "method": "data_only",
    "baseline": 4.25,
    "numerator": "失業者人數",
    "denominator": "勞動力人數",
    "deadline": datetime.date(2020, 12, 31),
    "evaluation": "依主計總處年報",
    "note": "試算",
}


def test_a_range_targets_upper_bound_is_loaded_and_dumped_back(demo, tmp_path):
    doc = yaml.safe_load(GOOD)
    doc["version"] = {"label": "試算", "in_force": False}
    kpi = {"code": "DC1.1", "name": "空床率", "target_type": "range", "targets": {108: {"value": 5, "upper": 8}}}
    doc["themes"][0]["objectives"][0]["kpis"] = [kpi]
    load_paths([write(tmp_path, yaml.safe_dump(doc, allow_unicode=True))])
    dumped = yaml.safe_load(dump_map("taipei", 2019, "試算", access=SYSTEM))
    [back] = dumped["themes"][0]["objectives"][0]["kpis"]
    assert back["targets"] == {108: {"value": 5, "upper": 8}}


def test_every_own_value_of_a_kpi_is_loaded_and_dumped_back(demo, tmp_path):
    assert set(EVERY_VALUE) == set(KPI_VALUES)
    doc = yaml.safe_load(GOOD)
    doc["version"] = {"label": "試算", "in_force": False}
    doc["themes"][0]["objectives"][0]["kpis"] = [EVERY_VALUE]
    load_paths([write(tmp_path, yaml.safe_dump(doc, allow_unicode=True))])
    dumped = yaml.safe_load(dump_map("taipei", 2019, "試算", access=SYSTEM))
    [kpi] = dumped["themes"][0]["objectives"][0]["kpis"]
    assert {name: kpi.get(name) for name in KPI_VALUES} == EVERY_VALUE
