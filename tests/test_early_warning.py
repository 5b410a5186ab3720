"""Early warning (issue 16 item 5): the at-risk selector, the KPI page's projection, the at-risk page and who sees what.

The council's H1.1 (affordable homes, a quarterly sum, 50 a quarter of a 200 target) is made to lag: Q1 48, Q2 40,
Q3 and Q4 not in, so it projects at 176 (88 %: high risk under the default limits). Taipei's DP5.1 (勞動局's,
theme D's, negative, target 5.75 in 109) is made quarterly by average with two quarters in.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from stratmap.access import Access
from stratmap.kpis.models import Kpi, KpiResult, KpiTarget, RatingPolicy
from stratmap.kpis.scoring.forecast import ForecastMethod, Risk
from stratmap.kpis.selectors import at_risk
from stratmap.strategy.models import StrategyMap
from tests.helpers import admin_url, answer

D = Decimal


def council_map() -> StrategyMap:
    return StrategyMap.objects.get(organization__code="ashcombe", year=2024, in_force=True)


def h11() -> Kpi:
    return Kpi.objects.get(code="H1.1", objective__map=council_map())


@pytest.fixture
def lagging(council_people, monkeypatch):
    """H1.1 two quarters in and behind its plan; the clock in the council's 2024/25 year."""
    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: datetime.date(2024, 11, 30))
    kpi = h11()
    KpiResult.objects.filter(kpi=kpi, year=2024, period__in=["Q3", "Q4"]).delete()
    KpiResult.objects.filter(kpi=kpi, year=2024, period="Q2").update(actual=D(40))
    return council_people


def warnings_for(user, maps=None):
    return at_risk(access=Access(user), maps=maps or [council_map()])


def test_a_quarterly_sum_behind_its_plan_is_projected_on_the_plan_and_is_high_risk(lagging):
    found = warnings_for(lagging["council-admin"])
    (row,) = [w for w in found.at_risk if w.kpi.code == "H1.1"]
    assert row.forecast.method == ForecastMethod.PLAN
    assert row.forecast.projected == D(176)
    assert row.forecast.risk == Risk.HIGH
    assert str(row.forecast.reason) == "projected at 176, 88 % of the target of 200: below the high-risk limit of 90 %"


def test_high_risk_comes_before_medium(lagging):
    found = warnings_for(lagging["council-admin"])
    risks = [w.forecast.risk for w in found.at_risk]
    assert risks == sorted(risks, key=[Risk.HIGH, Risk.MEDIUM].index)
    assert Risk.HIGH in risks


def test_the_organizations_own_limits_move_a_kpi_between_bands(lagging):
    RatingPolicy.objects.filter(key="ashcombe-bands").update(risk_high_below=D(80), risk_medium_below=D(95))
    (row,) = [w for w in warnings_for(lagging["council-admin"]).kpis if w.kpi.code == "H1.1"]
    assert row.forecast.risk == Risk.MEDIUM  # 88 %: above 80, below 95


def test_last_years_quarters_of_the_same_lineage_give_a_seasonal_projection(lagging):
    KpiTarget.objects.filter(kpi=h11(), year=2024).exclude(period="").delete()  # no plan by quarter
    before = Kpi.objects.get(code="H1.1", objective__map__year=2023, objective__map__organization__code="ashcombe")
    for period, actual in [("Q1", 20), ("Q2", 40), ("Q3", 60), ("Q4", 80)]:
        KpiResult.objects.create(kpi=before, year=2023, period=period, actual=D(actual))
    (row,) = [w for w in warnings_for(lagging["council-admin"]).kpis if w.kpi.code == "H1.1"]
    # (48 + 40) / (20 + 40) of last year's 200
    assert row.forecast.method == ForecastMethod.SEASONAL
    assert row.forecast.projected.quantize(D("0.01")) == D("293.33")
    assert row.forecast.risk == Risk.LOW


def test_without_plan_or_last_year_a_sum_is_extrapolated_by_the_share_of_quarters_in(lagging):
    KpiTarget.objects.filter(kpi=h11(), year=2024).exclude(period="").delete()
    (row,) = [w for w in warnings_for(lagging["council-admin"]).kpis if w.kpi.code == "H1.1"]
    assert (row.forecast.method, row.forecast.projected) == (ForecastMethod.LINEAR, D(176))


def test_a_yearly_kpi_gets_no_projection_and_is_never_listed_at_risk(lagging):
    found = warnings_for(lagging["council-admin"])
    (row,) = [w for w in found.kpis if w.kpi.code == "H1.2"]  # reported yearly
    assert row.forecast.projected is None
    assert str(row.forecast.reason) == "a KPI of whole years has no periods to project from"
    assert "H1.2" not in [w.kpi.code for w in found.at_risk]


def test_a_red_kpi_is_listed_until_a_countermeasure_is_entered(lagging):
    red = [w.kpi.code for w in warnings_for(lagging["council-admin"]).red_without_countermeasures]
    assert "H1.2" in red  # 51 empty homes of 60: Red under the council's bands
    KpiResult.objects.filter(kpi__code="H1.2", kpi__objective__map=council_map(), year=2024, period="").update(
        countermeasures="Two more empty homes officers from January."
    )
    red = [w.kpi.code for w in warnings_for(lagging["council-admin"]).red_without_countermeasures]
    assert "H1.2" not in red


def test_a_sum_half_way_through_its_year_on_plan_is_not_red(lagging):
    """Rated at its latest quarter (103 of the 100 planned by Q2), not its half year against the year's 200."""
    KpiResult.objects.filter(kpi=h11(), year=2024, period="Q2").update(actual=D(55))
    found = warnings_for(lagging["council-admin"])
    (row,) = [w for w in found.kpis if w.kpi.code == "H1.1"]
    assert (row.score.light.key, row.latest.period) == ("green", "Q2")
    assert "H1.1" not in [w.kpi.code for w in found.red_without_countermeasures]


def test_results_the_reader_may_not_see_do_not_count(lagging):
    """The public sees published results only: H1.1's draft quarters are not in for it."""
    StrategyMap.objects.filter(pk=council_map().pk).update(published=True)
    assert at_risk(access=Access(None), maps=[council_map()]).kpis  # the published map is read
    KpiResult.objects.filter(kpi=h11(), year=2024, period="Q2").update(status=KpiResult.Status.DRAFT)
    (row,) = [w for w in at_risk(access=Access(None), maps=[council_map()]).kpis if w.kpi.code == "H1.1"]
    assert row.forecast.periods_in == 1  # Q1 alone, published
    (row,) = [w for w in warnings_for(lagging["council-admin"]).kpis if w.kpi.code == "H1.1"]
    assert row.forecast.periods_in == 2


def test_the_selector_asks_the_same_number_of_queries_for_more_kpis_and_maps(lagging):
    access = Access(lagging["council-admin"])
    access.memberships  # noqa: B018 (read once, as a request does before)
    current = council_map()
    older = StrategyMap.objects.get(organization__code="ashcombe", year=2023)
    with CaptureQueriesContext(connection) as few:
        at_risk(access=access, maps=[current])
    objective = h11().objective
    for i in range(15):
        more = Kpi.objects.create(
            objective=objective,
            code=f"H1.9{i}",
            name=f"More homes {i}",
            frequency="quarterly",
            aggregation="sum",
            order=100 + i,
        )
        KpiTarget.objects.create(kpi=more, year=2024, value=D(100))
        for period in ("Q1", "Q2"):
            KpiResult.objects.create(kpi=more, year=2024, period=period, actual=D(20))  # 80 of 100: high
    with CaptureQueriesContext(connection) as many:
        found = at_risk(access=access, maps=[current, older])
    assert len([w for w in found.at_risk if w.kpi.code.startswith("H1.9")]) == 15
    assert len(many) == len(few) <= 9, [q["sql"][:60] for q in many.captured_queries]


# --- the pages ----------------------------------------------------------------------------------------------


def test_the_public_is_sent_to_log_in_for_the_at_risk_page(client, lagging):
    assert answer(client.get("/at-risk/")) == "login"
    assert client.get("/en/at-risk/")["Location"] == "/en/accounts/login/?next=/en/at-risk/"


def test_an_outsider_is_told_nothing_is_at_risk(client, lagging):
    client.force_login(lagging["outsider"])
    page = client.get("/en/at-risk/").content.decode()
    assert "No KPI of yours is at risk" in page
    assert "H1.1" not in page


@pytest.mark.parametrize(
    ("who", "listed"),
    [
        ("council-admin", True),  # the council's administrator: every KPI of its maps
        ("council-place", True),  # the Place Directorate's editor: H1.1 is its own
        ("council-resources", False),  # another directorate's editor
        ("council-viewer", False),  # reads, enters and reviews nothing
        ("admin", False),  # Taipei's administrator, an outsider to the council
    ],
)
def test_the_at_risk_page_lists_a_lagging_kpi_to_those_who_work_on_it(client, lagging, who, listed):
    client.force_login(lagging[who])
    page = client.get("/en/at-risk/").content.decode()
    assert ("H1.1" in page) is listed
    if listed:
        assert "▼▼ high risk" in page
        assert "projected at 176, 88 % of the target of 200" in page
        assert "on the profile of this year&#x27;s period targets" in page


def test_the_at_risk_page_shows_risk_in_the_readers_language_not_colour_alone(client, lagging):
    client.force_login(lagging["council-admin"])
    chinese = client.get("/at-risk/").content.decode()
    english = client.get("/en/at-risk/").content.decode()
    assert '<html lang="zh-Hant-TW">' in chinese and "H1.1" in chinese and "▼▼" in chinese
    assert '<html lang="en">' in english and "▼▼ high risk" in english


@pytest.fixture
def taipei_quarterly(people, monkeypatch):
    """DP5.1 of 109 (2020) reported by quarter, averaged, two quarters in at 6.5 against 5.75 (negative)."""
    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: datetime.date(2020, 8, 15))
    kpi = Kpi.objects.get(code="DP5.1", objective__map__year=2020, objective__map__organization__code="taipei")
    Kpi.objects.filter(pk=kpi.pk).update(frequency="quarterly", aggregation="average")
    for period in ("Q1", "Q2"):
        KpiResult.objects.create(kpi=kpi, year=2020, period=period, actual=D("6.5"))
    return people


@pytest.mark.parametrize(
    ("who", "listed"),
    [("admin", True), ("dol", True), ("coord", True), ("doed", False), ("viewer", False), ("outsider", False)],
)
def test_taipeis_roles_see_the_kpis_they_administer_enter_or_review(client, taipei_quarterly, who, listed):
    client.force_login(taipei_quarterly[who])
    page = client.get("/en/at-risk/").content.decode()
    assert ("DP5.1" in page) is listed
    if listed:
        assert "▼▼ high risk" in page  # 5.75 / 6.5: 88.5 %


def test_the_at_risk_page_asks_a_fixed_number_of_queries(client, lagging):
    client.force_login(lagging["council-admin"])
    client.get("/en/at-risk/")
    with CaptureQueriesContext(connection) as few:
        client.get("/en/at-risk/")
    objective = h11().objective
    for i in range(10):
        more = Kpi.objects.create(
            objective=objective,
            code=f"H1.8{i}",
            name=f"Homes {i}",
            frequency="quarterly",
            aggregation="sum",
            order=200 + i,
        )
        KpiTarget.objects.create(kpi=more, year=2024, value=D(100))
        KpiResult.objects.create(kpi=more, year=2024, period="Q1", actual=D(5))
    with CaptureQueriesContext(connection) as many:
        page = client.get("/en/at-risk/").content.decode()
    assert "H1.89" in page
    assert len(many) == len(few)


def test_whats_due_links_to_the_at_risk_page(client, lagging):
    client.force_login(lagging["council-place"])
    assert 'href="/en/at-risk/"' in client.get("/en/due/").content.decode()


def test_the_kpi_page_shows_the_projection_and_risk_in_words_and_numbers(client, lagging):
    client.force_login(lagging["council-admin"])
    page = client.get("/en/ashcombe/2024/kpis/H1.1/").content.decode()
    assert "Early warning, 2024/25" in page
    assert "176 homes" in page
    assert "2 of 4 periods in" in page
    assert "88.0%" in page
    assert "▼▼ high risk" in page


def test_the_kpi_page_of_a_yearly_kpi_has_no_early_warning(client, lagging):
    client.force_login(lagging["council-admin"])
    page = client.get("/en/ashcombe/2024/kpis/H1.2/").content.decode()
    assert "Early warning" not in page


def test_the_kpi_page_says_why_there_is_no_projection_before_any_period_is_in(client, lagging):
    KpiResult.objects.filter(kpi=h11(), year=2024).delete()
    client.force_login(lagging["council-admin"])
    page = client.get("/en/ashcombe/2024/kpis/H1.1/").content.decode()
    assert "No projection: no period of the year is in yet" in page


# --- the policy's limits -------------------------------------------------------------------------------------


def test_risk_limits_out_of_order_are_refused_on_the_named_field(council_people):
    policy = RatingPolicy.objects.get(key="ashcombe-bands")
    policy.risk_high_below, policy.risk_medium_below = D(100), D(90)
    with pytest.raises(ValidationError) as refused:
        policy.full_clean()
    assert "risk_high_below" in refused.value.message_dict


def test_the_policys_admin_page_shows_the_risk_limits(client, council_people, django_user_model):
    client.force_login(django_user_model.objects.create_superuser("root", password="pw-for-tests-only"))
    policy = RatingPolicy.objects.get(key="ashcombe-bands")
    page = client.get(admin_url("admin:kpis_ratingpolicy_change", policy.pk)).content.decode()
    assert 'name="risk_high_below"' in page and 'name="risk_medium_below"' in page


def test_every_reason_of_the_engine_is_written_out_for_translation():
    from stratmap.kpis import presenters
    from stratmap.kpis.scoring import forecast as engine

    assert set(presenters.FORECAST_REASONS) == set(engine.FORECAST_REASONS)
    assert set(presenters.FORECAST_METHODS) == set(engine.ForecastMethod)
    assert set(presenters.RISK_LABELS) == set(engine.Risk)
