"""Issue 12, item 4: a period result (a quarter, a month) goes through the same entry, review, audit and
publication as a yearly one, on pages of its own, and what is due lists the periods that have ended.

On the invented council's 2024/25 map (stratmap/data/ashcombe): H1.1 (affordable homes, the Place
Directorate's) is reported by quarter and summed into the year, H2.1 (temporary accommodation, the People
Directorate's) by month, the last month standing for the year. The demo publishes all their periods; the
tests take H1.1's third quarter out first, so that it is entered from the start.
"""

from __future__ import annotations

import datetime
import re
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from stratmap.access import Access
from stratmap.core.models import AuditEvent, Membership, Organization
from stratmap.kpis.models import Kpi, KpiResult
from stratmap.kpis.selectors import due_work
from stratmap.strategy.models import Theme
from tests.conftest import row_counts
from tests.helpers import answer

pytestmark = pytest.mark.django_db

MAP = "/ashcombe/2024"
KPI_PAGE = f"{MAP}/kpis/H1.1/"
YEAR = f"{MAP}/kpis/H1.1/result/"
Q3 = f"{MAP}/kpis/H1.1/results/Q3/"
SCORECARD = f"{MAP}/scorecard/"
NAME = "Affordable homes delivered"
#: The third quarter's figure the editor enters: its target is 50 (the year's is 200).
FIGURE = "53"


def as_user(client: Client, user) -> Client:
    client.force_login(user)
    return client


def q3() -> KpiResult | None:
    return KpiResult.objects.filter(kpi__code="H1.1", kpi__objective__map__year=2024, year=2024, period="Q3").first()


@pytest.fixture
def council(council_people):
    """The council's people, its theme H reviewed by a coordinator, and H1.1's third quarter not entered."""
    users = dict(council_people)
    council = Organization.objects.get(code="ashcombe")
    group = Organization.objects.create(
        code="ashcombe-scrutiny", name="Scrutiny", kind=Organization.Kind.THEME_GROUP, parent=council
    )
    Theme.objects.filter(map__organization=council, map__year=2024, code="H").update(group=group)
    users["council-coord"] = get_user_model().objects.create_user("council-coord", password="pw-for-tests-only")
    Membership.objects.create(user=users["council-coord"], organization=group, role=Membership.Role.COORDINATOR)
    assert q3() is not None and q3().status == "published"
    q3().delete()
    return users


def entry(**values) -> dict:
    return {"actual": FIGURE, "unknown_kind": "", "version": "0", **values}


def act(client: Client, action: str, text: str = ""):
    return client.post(f"{Q3}{action}/", {"version": q3().version, "text": text})


def q3_row(page: str) -> str:
    """The third quarter's row of the KPI page's table by period."""
    found = re.search(r"<tr><th scope=\"row\">(?:<a [^>]*>)?(?:Q3|第3季)(?:</a>)?</th>.*?</tr>", page)
    assert found, "no Q3 row"
    return found.group(0)


# --- item 6: from entry to publication ------------------------------------------------------------


def test_a_quarter_goes_from_entry_through_review_to_publication_and_the_public_sees_it_only_then(council, client):
    public = Client()
    english_kpi, english_scorecard = f"/en{KPI_PAGE}", f"/en{SCORECARD}"
    before_kpi = public.get(english_kpi).content.decode()
    assert '<td class="n">50</td><td class="n"></td>' in q3_row(before_kpi)
    assert "derived from Q1, Q2, Q4" in public.get(english_scorecard).content.decode()

    editor = as_user(Client(), council["council-place"])
    response = editor.post(f"/en{Q3}", entry())
    assert answer(response) == f"302 /en{Q3}"
    saved = q3()
    assert (saved.actual, saved.status, saved.version, saved.year) == (Decimal(FIGURE), "draft", 1, 2024)
    page = editor.get(response["Location"]).content.decode()
    assert f"Result 2024/25 Q3 of H1.1 {NAME} saved." in page

    assert answer(act(editor, "submit")) == f"302 {Q3}"
    assert q3().status == "submitted"
    # The editor cannot approve its own quarter.
    assert act(editor, "approve").status_code == 404
    coordinator = as_user(Client(), council["council-coord"])
    assert act(coordinator, "approve").status_code == 302
    assert q3().status == "approved"
    # Approved is locked: the editor's change is refused and nothing is written.
    before = row_counts()
    assert editor.post(Q3, entry(actual="1", version="3")).status_code == 404
    assert row_counts() == before

    # Until it is published, the public's KPI page and scorecard show the quarter as not entered.
    assert public.get(english_kpi).content.decode() == before_kpi
    assert "derived from Q1, Q2, Q4" in public.get(english_scorecard).content.decode()
    assert FIGURE not in q3_row(public.get(KPI_PAGE).content.decode())

    administrator = as_user(Client(), council["council-admin"])
    assert act(coordinator, "publish").status_code == 404  # a coordinator reviews, it does not publish
    response = act(administrator, "publish")
    assert q3().status == "published"
    assert "2024/25年第3季成果已公布" in administrator.get(response["Location"]).content.decode()

    after_kpi = public.get(english_kpi).content.decode()
    assert f'<td class="n">50</td><td class="n">{FIGURE}</td>' in q3_row(after_kpi)
    scorecard = public.get(english_scorecard).content.decode()
    assert "derived from Q1–Q4" in scorecard and "derived from Q1, Q2, Q4" not in scorecard
    assert "215" in scorecard  # 48 + 55 + 53 + 59

    # Every step is in the quarter's own audit trail, with who took it.
    events = AuditEvent.objects.filter(object_type="kpis.kpiresult", object_id=q3().pk).order_by("pk")
    assert ("create", "actual", "53", "council-place") in set(events.values_list("action", "field", "new", "username"))
    steps = events.filter(field="status").values_list("new", "username")
    assert list(steps) == [
        ("submitted", "council-place"),
        ("approved", "council-coord"),
        ("published", "council-admin"),
    ]
    assert {e.kpi.code for e in events} == {"H1.1"} and all("Q3" in e.object_repr for e in events)


def test_a_stale_version_of_a_period_result_is_refused_with_409_and_saves_nothing(council, client):
    first, second = as_user(Client(), council["council-place"]), as_user(Client(), council["council-admin"])
    assert first.post(Q3, entry()).status_code == 302
    before = row_counts()
    response = second.post(f"/en{Q3}", entry(actual="54"))  # opened before the first entry: version 0
    assert response.status_code == 409
    page = response.content.decode()
    assert "Someone else changed this result after you opened it; nothing was saved." in page
    assert "council-place" in page
    assert row_counts() == before and q3().actual == Decimal(FIGURE) and q3().version == 1
    # A step of the cycle on a version read before a change is refused too.
    as_user(first, council["council-place"]).post(Q3, entry(actual="52", version="1"))
    response = second.post(f"/en{Q3}submit/", {"version": 1})
    assert response.status_code == 302
    page = second.get(response["Location"]).content.decode()
    assert "Someone else changed this result after you opened it; nothing was done." in page
    assert q3().status == "draft" and q3().actual == Decimal("52")


def test_a_missed_period_target_needs_the_explanation_and_a_met_one_does_not(council, client):
    editor = as_user(client, council["council-place"])
    # 53 of the quarter's 50 meets it (it would miss the year's 200): saved without an explanation.
    assert editor.post(Q3, entry()).status_code == 302
    # 45 misses the quarter's 50: the situation analysis and countermeasures are required.
    before = row_counts()
    response = editor.post(f"/en{Q3}", entry(actual="45", version="1"))
    assert response.status_code == 200
    assert response.content.decode().count("The target was missed: this explanation is required.") == 2
    assert row_counts() == before and q3().actual == Decimal(FIGURE)
    response = editor.post(Q3, entry(actual="45", version="1", situation_analysis="Site delays", countermeasures="x"))
    assert response.status_code == 302 and q3().actual == Decimal("45")


def test_the_preview_rates_a_period_against_its_own_target(council, client):
    editor = as_user(client, council["council-place"])
    response = editor.post(f"/en{Q3}preview/", {"actual": "45", "unknown_kind": ""})
    page = response.content.decode()
    assert "90.0%" in page and "not met" in page  # 45 of the quarter's 50
    assert "The target is missed: the situation analysis and countermeasures are required." in page
    assert q3() is None


# --- item 2: the KPI's periods only ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "path"),
    [
        ("council-place", "H1.1/results/M05/"),  # a month of a quarterly KPI
        ("council-place", "H1.1/results/H1/"),  # a half of it
        ("council-place", "H1.2/results/Q1/"),  # a quarter of a yearly KPI
        ("council-admin", "H2.1/results/Q2/"),  # a quarter of a monthly KPI
        ("council-place", "H1.1/results/Q5/"),  # no such quarter
        ("council-place", "H1.1/results/M13/"),
        ("council-place", "H1.1/results/q3/"),
        ("council-place", "H1.1/results/M5/"),
        ("council-place", "H1.1/results/2024-Q3/"),
        ("council-place", "H1.1/results/%00/"),
    ],
)
def test_a_period_that_is_not_one_of_the_kpis_is_a_404_for_every_method(council, client, who, path):
    as_user(client, council[who])
    url = f"{MAP}/kpis/{path}"
    before = row_counts()
    assert client.get(url).status_code == 404
    assert client.post(url, entry()).status_code == 404
    assert client.post(url + "preview/", {"actual": "1"}).status_code == 404
    assert client.post(url + "submit/", {"version": 1}).status_code == 404
    assert row_counts() == before


@pytest.mark.parametrize("who", ["anonymous", "outsider", "council-resources", "council-viewer", "admin"])
def test_someone_who_may_not_work_on_the_kpi_is_told_nothing_of_its_periods(council, client, who):
    if who != "anonymous":
        client.force_login(council[who])
    before = row_counts()
    for response in (client.get(Q3), client.post(Q3, entry()), client.post(f"{MAP}/kpis/H1.1/results/Q2/publish/")):
        assert answer(response) == ("login" if who == "anonymous" else "404")
        assert NAME not in response.content.decode()
    assert row_counts() == before


# --- item 3: the page ----------------------------------------------------------------------------


def test_a_period_page_names_the_period_and_shows_its_target_in_both_languages(council, client):
    editor = as_user(client, council["council-place"])
    english = editor.get(f"/en{Q3}").content.decode()
    assert f'Result of 2024/25 Q3: <span class="code">H1.1</span> {NAME}' in english
    assert re.search(r"<dt>target</dt><dd>50 homes</dd>", english)
    chinese = editor.get(Q3).content.decode()
    assert "2024/25年第3季成果" in chinese
    month = as_user(Client(), council["council-admin"]).get(f"/en{MAP}/kpis/H2.1/results/M05/").content.decode()
    assert "Result of May 2024: " in month


def test_a_taipei_kpi_reported_by_quarter_names_its_quarter_as_taipei_writes_years(people, client):
    Kpi.objects.filter(code="DP5.1", objective__map__year=2020).update(frequency="quarterly", aggregation="last")
    page = as_user(client, people["dol"]).get("/taipei/109/kpis/DP5.1/results/Q3/").content.decode()
    assert "109年第3季成果" in page
    response = client.post("/taipei/109/kpis/DP5.1/results/Q3/", entry(actual="4"))
    assert answer(response) == "302 /taipei/109/kpis/DP5.1/results/Q3/"
    assert "DP5.1 職業災害死亡百萬人率 109年第3季成果已儲存。" in client.get(response["Location"]).content.decode()


SELF_ASSESSED = re.compile(r'name="(innovation|challenge|contribution)(_note)?"')


def test_a_composite_maps_period_form_leaves_the_self_assessment_to_the_year(people, client):
    Kpi.objects.filter(code="DP5.1", objective__map__year=2020).update(frequency="quarterly", aggregation="last")
    editor = as_user(client, people["dol"])
    page = editor.get("/en/taipei/2020/kpis/DP5.1/results/Q3/").content.decode()
    assert 'name="actual"' in page and 'name="situation_analysis"' in page
    assert not SELF_ASSESSED.search(page)
    assert "The self-assessment (innovation, challenge, contribution) is the year's" in page
    assert 'name="innovation"' in editor.get("/en/taipei/2020/kpis/DP5.1/result/").content.decode()


def test_a_map_rated_by_its_achievement_asks_no_self_assessment_even_for_its_year(council, client):
    """The council rates by bands: neither its periods nor its years are self-assessed, and its preview
    calls the figure a score, not a total."""
    editor = as_user(client, council["council-place"])
    year_page = editor.get(f"/en{YEAR}").content.decode()
    assert 'name="actual"' in year_page and not SELF_ASSESSED.search(year_page)
    assert not SELF_ASSESSED.search(editor.get(f"/en{Q3}").content.decode())
    preview = editor.post(f"/en{Q3}preview/", {"actual": FIGURE, "unknown_kind": ""}).content.decode()
    assert "score" in preview and "total score computed" not in preview


def test_scores_posted_on_a_period_are_not_kept_and_those_it_holds_are(council, client):
    editor = as_user(client, council["council-place"])
    # Scores posted anyway are not a period's; a score the row already holds (from a dataset) is kept.
    editor.post(Q3, entry(innovation="90"))
    assert q3().innovation is None
    KpiResult.objects.filter(pk=q3().pk).update(innovation=Decimal(70))
    assert editor.post(Q3, entry(actual="54", version="1")).status_code == 302
    assert (q3().actual, q3().innovation) == (Decimal("54"), Decimal(70))
    assert not AuditEvent.objects.filter(object_id=q3().pk, object_type="kpis.kpiresult", field="innovation")


def test_a_period_page_shows_that_periods_history_only(council, client):
    editor = as_user(client, council["council-place"])
    editor.post(Q3, entry(reason="quarter three figure"))
    q2 = KpiResult.objects.get(kpi__code="H1.1", year=2024, period="Q2")
    response = editor.get(Q3)
    assert {e.object_id for e in response.context["history"]} == {q3().pk}
    assert "quarter three figure" in response.content.decode()
    q2_page = editor.get(f"{MAP}/kpis/H1.1/results/Q2/")
    assert all(e.object_id == q2.pk for e in q2_page.context["history"])
    assert "quarter three figure" not in q2_page.content.decode()
    # The year's page tells the KPI's story but its periods'.
    assert "quarter three figure" not in editor.get(YEAR).content.decode()


# --- item 4: what happened, said with the period ---------------------------------------------------


def test_each_step_says_which_periods_result_it_moved_in_both_languages(council, client):
    editor = as_user(client, council["council-place"])
    chinese = editor.get(editor.post(Q3, entry())["Location"]).content.decode()
    assert f"H1.1 {NAME} 2024/25年第3季成果已儲存。" in chinese
    english = editor.get(editor.post(f"/en{Q3}submit/", {"version": 1})["Location"]).content.decode()
    assert f"Result 2024/25 Q3 of H1.1 {NAME} submitted for review." in english
    coordinator = as_user(Client(), council["council-coord"])
    response = coordinator.post(f"{Q3}return/", {"version": 2, "text": "Check the Mill Lane count"})
    assert f"H1.1 {NAME} 2024/25年第3季成果已附意見退回修正。" in coordinator.get(response["Location"]).content.decode()
    # A month is named by its calendar month.
    administrator = as_user(Client(), council["council-admin"])
    KpiResult.objects.filter(kpi__code="H2.1", year=2024, period="M05").delete()
    month = f"/en{MAP}/kpis/H2.1/results/M05/"
    response = administrator.post(month, entry(actual="119"))
    page = administrator.get(response["Location"]).content.decode()
    assert "Result May 2024 of H2.1 Households in temporary accommodation (month end) saved." in page


# --- item 3: links to the periods, for those who work on them -------------------------------------


def test_the_kpi_page_links_each_period_with_its_status_for_those_who_work_on_it_only(council, client):
    editor = as_user(client, council["council-place"]).get(f"/en{KPI_PAGE}").content.decode()
    for quarter in ("Q1", "Q2", "Q3", "Q4"):
        assert f'href="/en{MAP}/kpis/H1.1/results/{quarter}/">{quarter}</a>' in editor
    assert "not entered</td>" in q3_row(editor) and "published</td>" in editor
    for who in ("council-viewer", "outsider", None):
        reader = Client()
        if who:
            reader.force_login(council[who])
        page = reader.get(f"/en{KPI_PAGE}").content.decode()
        assert "/results/" not in page and "published</td>" not in page, who
    # A quarterly KPI whose periods nobody has entered yet offers them all to its editor.
    recycling = as_user(client, council["council-place"]).get(f"/en{MAP}/kpis/E1.2/").content.decode()
    assert f'href="/en{MAP}/kpis/E1.2/results/Q4/"' in recycling
    assert "/results/" not in Client().get(f"/en{MAP}/kpis/E1.2/").content.decode()


def test_the_years_result_page_lists_the_periods_and_says_the_year_is_derived_from_them(council, client):
    editor = as_user(client, council["council-place"])
    page = editor.get(f"/en{YEAR}").content.decode()
    assert "Results by period, 2024/25" in page
    assert f'<a href="/en{MAP}/kpis/H1.1/results/Q3/">2024/25 Q3</a>' in page
    assert (
        "No actual is entered for the year: the year's value is derived from its periods, sum of the periods: "
        "162 homes (derived from Q1, Q2, Q4)." in page
    )
    chinese = editor.get(YEAR).content.decode()
    # The council's unit, untranslated, is marked as the English it is (issue 14).
    assert (
        '全年度未填達成值：全年度數值為各期加總，162 <span lang="en">homes</span>（由第1季、第2季、第4季推算）。'
        in chinese
    )
    # Once the year's own actual is entered, it stands for the year.
    response = editor.post(YEAR, {**entry(actual="210"), "situation_analysis": "a", "countermeasures": "b"})
    assert response.status_code == 302
    page = editor.get(f"/en{YEAR}").content.decode()
    assert "The actual entered for the year stands for the year" in page
    # A KPI of whole years has no periods to list.
    assert "Results by period" not in editor.get(f"/en{MAP}/kpis/H1.2/result/").content.decode()


# --- item 5: what is due --------------------------------------------------------------------------


def rows(due: list, code: str) -> list[tuple[str, str | None]]:
    return [(row.period, row.status) for row in due if row.kpi.code == code and row.kpi.objective.map.year == 2024]


def test_whats_due_asks_for_the_periods_that_have_ended_and_not_for_a_year_made_of_them(council):
    editor = Access(council["council-place"])
    # Mid-November 2024: the second quarter (July–September) has ended, the third (October–December) has not.
    assert rows(due_work(access=editor, today=datetime.date(2024, 11, 15)).to_enter, "H1.1") == []
    # In June 2025 the whole year has ended: the quarter taken out is asked for, not the year it sums up.
    assert rows(due_work(access=editor, today=datetime.date(2025, 6, 1)).to_enter, "H1.1") == [("Q3", None)]
    # A quarterly KPI whose year's result is published is closed: none of its quarters is asked for.
    assert rows(due_work(access=editor, today=datetime.date(2025, 6, 1)).to_enter, "E1.2") == []
    # A monthly KPI's months ended, entered or not (the People Directorate's: its administrator's).
    KpiResult.objects.filter(kpi__code="H2.1", year=2024, period__in=["M10", "M11"]).delete()
    admin = Access(council["council-admin"])
    # October has ended by 30 November, November only the next day.
    assert rows(due_work(access=admin, today=datetime.date(2024, 11, 30)).to_enter, "H2.1") == [("M10", None)]
    assert rows(due_work(access=admin, today=datetime.date(2024, 12, 1)).to_enter, "H2.1") == [
        ("M10", None),
        ("M11", None),
    ]


def test_whats_due_lists_period_results_to_review_and_to_publish_with_their_label_and_page(council, client):
    editor = as_user(Client(), council["council-place"])
    editor.post(Q3, entry())
    page = editor.get("/en/due/").content.decode()
    to_enter = page[page.index("Results to enter") : page.index("Results to review")]
    assert "2024/25 Q3" in to_enter and f'href="/en{Q3}"' in to_enter
    editor.post(f"{Q3}submit/", {"version": 1})
    coordinator = as_user(Client(), council["council-coord"])
    page = coordinator.get("/en/due/").content.decode()
    to_review = page[page.index("Results to review") :]
    assert "<td>2024/25 Q3</td>" in to_review and f'href="/en{Q3}"' in to_review
    coordinator.post(f"{Q3}approve/", {"version": 2})
    page = as_user(Client(), council["council-admin"]).get("/due/").content.decode()
    to_publish = page[page.index("待公布") if "待公布" in page else page.index("Results to publish") :]
    assert "<td>2024/25年第3季</td>" in to_publish and f'href="{Q3}"' in to_publish


def count_due(client: Client) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/due/").status_code == 200
    return len(queries)


def test_whats_due_runs_the_same_queries_for_ten_times_the_kpis_and_periods(council, client):
    from tests.helpers import multiply

    as_user(client, council["council-admin"])
    before = count_due(client)
    periods = KpiResult.objects.exclude(period="").count()
    multiply(10)
    assert KpiResult.objects.exclude(period="").count() == 10 * periods
    assert len(due_work(access=Access(council["council-admin"]), today=datetime.date(2025, 6, 1)).to_enter) > 10
    assert count_due(client) == before


def test_a_composite_maps_quarter_is_scored_with_the_years_self_assessment(people, client):
    """Taipei's composite method adds the self-assessment to the achievement; a period is not
    self-assessed, so its year to date and its page's preview read the year's scores, not none."""
    from stratmap.core.years import Period, Unit
    from stratmap.kpis.models import KpiTarget
    from stratmap.kpis.selectors import scorecard

    kpi = Kpi.objects.get(code="DP5.1", objective__map__year=2019)
    Kpi.objects.filter(pk=kpi.pk).update(frequency="quarterly", aggregation="last")
    year = KpiResult.objects.get(kpi=kpi, year=2019, period="")
    assert year.innovation is not None
    KpiTarget.objects.create(kpi=kpi, year=2019, period="Q1", value=Decimal("4"))
    KpiResult.objects.create(kpi=kpi, year=2019, period="Q1", actual=Decimal("4"), status="published")

    card = scorecard(
        organization="taipei", year=2019, access=Access(people["admin"]), period=Period(2019, Unit.QUARTER, 1)
    )
    score = next(row.score for row in card.rows if row.kpi.code == "DP5.1")
    assert (score.kpi.actual, score.kpi.innovation) == (Decimal("4"), year.innovation)
    assert score.score_computed is not None and score.light.rated

    client.force_login(people["dol"])
    preview = client.post("/taipei/108/kpis/DP5.1/results/Q1/preview/", {"actual": "4", "unknown_kind": ""})
    assert preview.status_code == 200
    assert preview.context["score"].score_computed is not None
