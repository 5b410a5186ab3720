"""Each concept is defined once, and what is derived from it follows it (issue 11, item 2).

The scoring engine defines the lights, polarities and target types; the result services define
the fields of an entry; stratmap.text the font. The database, the dataset format, the pages, the
entry form, the workbook and the administration take them from there, so none can fall behind.
"""

from __future__ import annotations

import html
import io
from pathlib import Path

import openpyxl
import pytest
from django.urls import reverse
from django.utils import translation
from pydantic import ValidationError

import stratmap
from stratmap.exchange.schema import KPI_ROWS, KPI_VALUES, KpiIn
from stratmap.exchange.workbook.columns import RESULTS, letter
from stratmap.kpis.models import Kpi, KpiResult
from stratmap.kpis.scoring import TAIPEI_LIGHTS, Polarity, TargetType
from stratmap.kpis.services import ADMIN_FIELDS, ENTRY_FIELDS
from stratmap.text import FONT_STACK

pytestmark = pytest.mark.django_db

# A result's light as published is a level of its map's light set, which is data (tests/test_rating_policies.py).
DEFINED = [
    (Kpi, "polarity", Polarity, lambda value: KpiIn(code="K1", name="KPI", polarity=value)),
    (Kpi, "target_type", TargetType, lambda value: KpiIn(code="K1", name="KPI", target_type=value)),
]


@pytest.mark.parametrize(("model", "name", "values", "block"), DEFINED, ids=[d[1] for d in DEFINED])
def test_the_database_and_the_dataset_format_take_exactly_the_scoring_engines_values(model, name, values, block):
    assert [value for value, _label in model._meta.get_field(name).choices] == [str(value) for value in values]
    for value in values:
        assert getattr(block(str(value)), name) == value
    with pytest.raises(ValidationError, match=r"Input should be"):
        block("something-else")


def test_a_dataset_block_dumps_the_engines_values_as_plain_text():
    dumped = KpiIn(code="K1", name="KPI", polarity="negative", target_type="at_most").model_dump()
    assert type(dumped["polarity"]) is str and type(dumped["target_type"]) is str


def test_the_entry_page_asks_for_every_entry_field(people, client):
    client.force_login(people["dol"])
    page = client.get("/taipei/109/kpis/DP5.1/result/").content.decode()
    missing = [name for name in ENTRY_FIELDS if f'name="{name}"' not in page]
    assert not missing


def test_the_workbook_has_an_editable_column_for_every_entry_field(people, client):
    client.force_login(people["dol"])
    response = client.get("/taipei/109/workbook.xlsx", {"agency": "taipei-dol"})
    sheet = openpyxl.load_workbook(io.BytesIO(response.content))[RESULTS]
    locked = [name for name in ENTRY_FIELDS if sheet[f"{letter(name)}2"].protection.locked]
    assert sheet.max_row >= 2 and not locked


def test_the_result_admin_page_has_an_input_for_every_field_the_administration_may_change(demo, admin_client):
    result = KpiResult.objects.get(kpi__code="DP5.1", year=2019)
    KpiResult.objects.filter(pk=result.pk).update(status=KpiResult.Status.RETURNED)  # a published one is locked
    page = admin_client.get(reverse("admin:kpis_kpiresult_change", args=[result.pk])).content.decode()
    missing = [name for name in ADMIN_FIELDS if f'name="{name}"' not in page]
    assert not missing


def test_the_pages_take_their_font_and_light_colours_from_the_code_not_from_a_second_copy(demo, client):
    page = html.unescape(client.get("/taipei/108/").content.decode())
    assert f"font-family: {FONT_STACK};" in page
    assert all(f"--{light.key}: {light.colour};" in page for light in TAIPEI_LIGHTS)
    stylesheet = (Path(stratmap.__file__).parent / "web" / "static" / "stratmap" / "css" / "stratmap.css").read_text()
    assert not any(f"--{light.key}:" in stylesheet for light in TAIPEI_LIGHTS) and "Noto Sans CJK TC" not in stylesheet


def test_each_key_of_a_kpi_in_the_dataset_is_a_column_of_the_kpi_row_or_rows_of_their_own():
    # The loader and the dumper copy every key but KPI_ROWS to and from the row's column of that name.
    columns = {field.name for field in Kpi._meta.get_fields() if field.concrete and not field.is_relation}
    assert set(KPI_VALUES) <= columns
    assert set(KPI_ROWS) <= set(KpiIn.model_fields)


def test_every_reason_the_scoring_engine_gives_reads_in_chinese():
    from stratmap.kpis import presenters, scoring

    assert set(presenters.REASONS) == set(scoring.REASONS)
    with translation.override("zh-hant"):
        untranslated = [reason for reason in scoring.REASONS if presenters.reason_text(reason) == reason]
    assert not untranslated
