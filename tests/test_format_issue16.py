"""Issue 16's configuration in the dataset format: a rating policy's early-warning limits, an organization's
review chain (``review_steps:``) and reporting calendar (``reporting:``) are loaded, dumped and loaded back
the same, refused with the file, the key and the value, and never lost to a file that leaves them out."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
import yaml
from django.utils import translation

from stratmap.access import SYSTEM
from stratmap.core.calendars import load_demo_calendars
from stratmap.core.models import AuditEvent, HolidayCalendar, Organization, ReportingCalendar
from stratmap.exchange.dumper import dump_organizations
from stratmap.exchange.loader import load_paths
from stratmap.exchange.schema import ReportingIn
from stratmap.kpis.models import RatingPolicy, ReviewStep, review_chains
from tests.conftest import row_counts
from tests.helpers import load_errors, write

pytestmark = pytest.mark.django_db

#: A city in Chinese and a council in English, each with a chain, a calendar and early-warning limits.
FILE = """\
format: stratmap/1
organizations:
  - code: city
    name: 示範市政府
    name_en: Example City
    kind: city
    review_steps:
      - {name: 初核, name_en: First review, role: coordinator}
      - {name: 複核, name_en: Second review, role: office}
    reporting:
      period_days: 10
      period_day_kind: working
      remind_before: 3
      escalate_office_after: 21
      holidays: hols
    rating_policies:
      - key: city-policy
        early_warning: {high_risk_below: 85, medium_risk_below: 95}
  - code: shire
    name: Shire Council
    name_zh_hant: 郡議會
    language: en
    kind: council
    year_start_month: 4
    year_label: span
    review_steps:
      - {name: Scrutiny, name_zh_hant: 審查, role: office}
    reporting: {year_days: 60, year_day_kind: working}
    rating_policies:
      - key: shire-bands
        method: bands
        lights: rag
        bands: [{level: green, within: 0}, {level: amber, within: 5}, {level: red}]
        early_warning: {high_risk_below: 80}
"""


CITY_CHAIN = """\
    review_steps:
      - {name: 初核, name_en: First review, role: coordinator}
      - {name: 複核, name_en: Second review, role: office}
"""
CITY_CALENDAR = """\
    reporting:
      period_days: 10
      period_day_kind: working
      remind_before: 3
      escalate_office_after: 21
      holidays: hols
"""
SHIRE_CHAIN = """\
    review_steps:
      - {name: Scrutiny, name_zh_hant: 審查, role: office}
"""
SHIRE_CALENDAR = "    reporting: {year_days: 60, year_day_kind: working}\n"


@pytest.fixture
def holidays(db) -> HolidayCalendar:
    """A national holiday calendar the file's ``reporting.holidays`` names (``stratmap calendar load``'s)."""
    return HolidayCalendar.objects.create(code="hols", name="National holidays", language="en")


def load(tmp_path: Path, text: str, name: str = "organizations.yaml") -> None:
    load_paths([write(tmp_path, text, name)])


def steps(code: str) -> list[tuple[int, str, str, dict]]:
    rows = ReviewStep.objects.filter(organization__code=code).order_by("order")
    return [(row.order, row.name, row.role, {k: v for k, v in (row.i18n or {}).items() if v}) for row in rows]


def organization_block(dump: str, code: str) -> dict:
    return next(org for org in yaml.safe_load(dump)["organizations"] if org["code"] == code)


def test_a_file_gives_each_organization_its_review_chain_in_order(holidays, tmp_path):
    load(tmp_path, FILE)
    assert steps("city") == [
        (1, "初核", "coordinator", {"name_en": "First review"}),
        (2, "複核", "office", {"name_en": "Second review"}),
    ]
    assert steps("shire") == [(1, "Scrutiny", "office", {"name_zh_hant": "審查"})]
    chains = review_chains(Organization.objects.values_list("pk", flat=True))
    assert [[step.role for step in chain] for chain in chains.values()] in (
        [["coordinator", "office"], ["office"]],
        [["office"], ["coordinator", "office"]],
    )


def test_a_file_gives_each_organization_its_reporting_calendar_and_what_it_leaves_out_takes_the_defaults(
    holidays, tmp_path
):
    load(tmp_path, FILE)
    city = ReportingCalendar.objects.get(organization__code="city")
    assert (city.period_days, city.period_day_kind, city.year_days, city.remind_before) == (10, "working", 30, 3)
    assert (city.escalate_coordinator_after, city.escalate_office_after, city.holidays) == (7, 21, holidays)
    shire = ReportingCalendar.objects.get(organization__code="shire")
    assert (shire.year_days, shire.year_day_kind, shire.period_days, shire.holidays) == (60, "working", 15, None)


def test_a_rating_policys_early_warning_limits_are_loaded_and_left_out_ones_take_the_defaults(holidays, tmp_path):
    load(tmp_path, FILE)
    city = RatingPolicy.objects.get(key="city-policy")
    assert (city.risk_high_below, city.risk_medium_below) == (Decimal(85), Decimal(95))
    shire = RatingPolicy.objects.get(key="shire-bands")
    assert (shire.risk_high_below, shire.risk_medium_below) == (Decimal(80), Decimal(100))


def test_the_dump_writes_the_chain_the_calendar_and_the_limits_as_the_file_gave_them(holidays, tmp_path):
    load(tmp_path, FILE)
    dump = dump_organizations()
    city = organization_block(dump, "city")
    assert city["review_steps"] == [
        {"name": "初核", "name_en": "First review", "role": "coordinator"},
        {"name": "複核", "name_en": "Second review", "role": "office"},
    ]
    assert city["reporting"] == {
        "period_days": 10,
        "period_day_kind": "working",
        "remind_before": 3,
        "escalate_office_after": 21,
        "holidays": "hols",
    }
    assert city["rating_policies"][0]["early_warning"] == {"high_risk_below": 85, "medium_risk_below": 95}
    shire = organization_block(dump, "shire")
    assert shire["review_steps"] == [{"name": "Scrutiny", "name_zh_hant": "審查", "role": "office"}]
    assert shire["reporting"] == {"year_days": 60, "year_day_kind": "working"}
    assert shire["rating_policies"][0]["early_warning"] == {"high_risk_below": 80}


def test_an_organization_with_nothing_configured_dumps_none_of_the_keys(tmp_path):
    load(tmp_path, "format: stratmap/1\norganizations:\n  - {code: town, name: Town, kind: council, language: en}\n")
    RatingPolicy.objects.create(key="plain", organization=Organization.objects.get())
    town = organization_block(dump_organizations(), "town")
    assert "review_steps" not in town and "reporting" not in town
    assert "early_warning" not in town["rating_policies"][0]


def test_a_dump_loaded_into_an_empty_database_dumps_the_same(holidays, tmp_path):
    load(tmp_path, FILE)
    first = dump_organizations()
    counts = row_counts()
    Organization.objects.all().delete()
    load(tmp_path, first, "dumped.yaml")
    assert dump_organizations() == first
    # the audit trail keeps the first load's events beside the second's
    assert row_counts() | {"core.AuditEvent": 0} == counts | {"core.AuditEvent": 0}


def test_the_demos_calendars_dump_and_load_back_into_a_database_that_has_the_holiday_calendars(demo, tmp_path):
    load_demo_calendars(access=SYSTEM)
    first = dump_organizations()
    assert organization_block(first, "taipei")["reporting"] == {"holidays": "tw"}
    assert organization_block(first, "ashcombe")["reporting"] == {"holidays": "england"}
    assert "review_steps" not in organization_block(first, "taipei")  # the demo keeps the default chain
    ReportingCalendar.objects.all().delete()
    load(tmp_path, first, "dumped.yaml")
    assert ReportingCalendar.objects.get(organization__code="ashcombe").holidays.code == "england"
    assert dump_organizations() == first


def test_loading_the_same_file_again_changes_and_records_nothing(holidays, tmp_path):
    load(tmp_path, FILE)
    events = AuditEvent.objects.count()
    load(tmp_path, FILE)
    assert AuditEvent.objects.count() == events


def test_a_file_without_the_keys_keeps_the_chain_and_calendar_people_set_in_the_administration(holidays, tmp_path):
    load(tmp_path, FILE)
    ReviewStep.objects.filter(organization__code="city", order=2).update(name="複核（研考會）")
    ReportingCalendar.objects.filter(organization__code="city").update(period_days=20)
    RatingPolicy.objects.filter(key="city-policy").update(risk_high_below=88)
    bare = FILE
    for block in (CITY_CHAIN, CITY_CALENDAR, SHIRE_CHAIN, SHIRE_CALENDAR):
        assert block in bare
        bare = bare.replace(block, "")
    assert "review_steps" not in bare and "reporting" not in bare
    load(tmp_path, bare, "bare.yaml")
    assert steps("city")[1][1] == "複核（研考會）"
    assert steps("shire") == [(1, "Scrutiny", "office", {"name_zh_hant": "審查"})]
    assert ReportingCalendar.objects.get(organization__code="city").period_days == 20
    assert ReportingCalendar.objects.get(organization__code="shire").year_days == 60


def test_a_new_chain_replaces_the_old_one_in_place_and_the_change_is_audited_old_and_new(holidays, tmp_path):
    load(tmp_path, FILE)
    kept = ReviewStep.objects.get(organization__code="city", order=1).pk
    shorter = FILE.replace("      - {name: 複核, name_en: Second review, role: office}\n", "").replace(
        "{name: 初核, name_en: First review, role: coordinator}", "{name: 審查, name_en: Review, role: office}"
    )
    load(tmp_path, shorter, "shorter.yaml")
    assert steps("city") == [(1, "審查", "office", {"name_en": "Review"})]
    assert ReviewStep.objects.get(organization__code="city").pk == kept
    event = AuditEvent.objects.filter(object_type="core.organization", field="review_steps").latest("pk")
    assert "1. 初核 (coordinator" in event.old and "2. 複核 (office" in event.old
    assert event.new.startswith("1. 審查 (office")
    assert event.reason == f"loaded from {tmp_path / 'shorter.yaml'}"


def test_an_empty_chain_removes_the_organizations_steps_and_it_follows_the_default(holidays, tmp_path):
    load(tmp_path, FILE)
    load(tmp_path, FILE.replace(SHIRE_CHAIN, "    review_steps: []\n"), "empty.yaml")
    assert steps("shire") == []
    shire = Organization.objects.get(code="shire")
    assert [step.role for step in review_chains([shire.pk])[shire.pk]] == ["coordinator"]


def test_a_changed_reporting_calendar_is_audited_field_by_field(holidays, tmp_path):
    load(tmp_path, FILE)
    load(tmp_path, FILE.replace("period_days: 10", "period_days: 12"), "again.yaml")
    event = AuditEvent.objects.filter(object_type="core.reportingcalendar", field="period_days").latest("pk")
    assert (event.old, event.new) == ("10", "12")


def test_a_new_reporting_calendar_is_audited_with_what_differs_from_the_defaults(holidays, tmp_path):
    load(tmp_path, FILE)
    fields = set(AuditEvent.objects.filter(object_type="core.reportingcalendar").values_list("field", flat=True))
    assert {"period_days", "holidays", "year_days"} <= fields
    assert "escalate_coordinator_after" not in fields


@pytest.mark.parametrize(
    ("old", "new", "path", "value", "expected"),
    [
        ("holidays: hols", "holidays: narnia", "organizations[0].reporting.holidays", "'narnia'", "holiday calendar"),
        ("escalate_office_after: 21", "escalate_office_after: 5", "organizations[0].reporting.escalate_office_after",
         "5", "after the theme coordinator"),
        ("period_days: 10", "period_days: 400", "organizations[0].reporting.period_days", "400", "366"),
        ("period_day_kind: working", "period_day_kind: lunar", "organizations[0].reporting.period_day_kind",
         "'lunar'", "calendar"),
        ("role: coordinator}", "role: mayor}", "organizations[0].review_steps[0].role", "'mayor'", "coordinator"),
        ("{name: 初核, ", "{", "organizations[0].review_steps[0].name", "", "name"),
        ("high_risk_below: 85", "high_risk_below: 120",
         "organizations[0].rating_policies[0].early_warning.high_risk_below", "120", "between 0 and 100"),
        ("high_risk_below: 85", "high_risk_below: 98",
         "organizations[0].rating_policies[0].early_warning.high_risk_below", "98", "not be above the medium"),
        ("high_risk_below: 80", "low_risk_below: 80", "organizations[1].rating_policies[0].early_warning", "", ""),
    ],
)  # fmt: skip
def test_a_bad_value_is_refused_naming_the_file_the_key_and_the_value_and_nothing_is_written(
    holidays, tmp_path, old, new, path, value, expected
):
    before = row_counts()
    file = write(tmp_path, FILE.replace(old, new), "organizations.yaml")
    with translation.override("en"):  # the model's own messages are in the language of the command
        errors = load_errors(file)
    found = [error for error in errors if error.startswith(f"{file}: {path}")]
    assert found, errors
    assert f"got {value}" in found[0] or not value
    assert expected in found[0]
    assert row_counts() == before
    assert not Organization.objects.exists()


def test_every_error_of_the_file_is_given_at_once(holidays, tmp_path):
    bad = FILE.replace("holidays: hols", "holidays: narnia").replace("high_risk_below: 85", "high_risk_below: -1")
    errors = load_errors(write(tmp_path, bad, "organizations.yaml"))
    assert any("reporting.holidays: got 'narnia'" in error for error in errors)
    assert any("early_warning.high_risk_below: got -1" in error for error in errors)


def test_a_holiday_calendar_of_another_organization_is_refused(holidays, tmp_path):
    load(tmp_path, FILE)
    HolidayCalendar.objects.create(
        code="shire-days", name="Shire days", organization=Organization.objects.get(code="shire")
    )
    errors = load_errors(write(tmp_path, FILE.replace("holidays: hols", "holidays: shire-days"), "again.yaml"))
    assert any("organizations[0].reporting.holidays: got 'shire-days'" in e and "shire's" in e for e in errors)


def test_the_reporting_blocks_defaults_are_the_models():
    given = ReportingIn().model_dump()
    model = ReportingCalendar()
    assert given == {name: getattr(model, name) for name in ReportingIn.model_fields if name != "holidays"} | {
        "holidays": None
    }
