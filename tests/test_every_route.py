"""Every URL pattern is fetched by everyone, published and unpublished (issue 11, item 8).

The URLs come from tests/routes.py (one per URL pattern of the site: a new route without a row
there fails here, so no page goes untested for access). Each is requested with GET by the public,
a logged-in outsider and each role of the ``people`` fixture, first on the demo as it is, then with
the maps it reads unpublished. Each cell is what they were answered: ``200``, ``404`` (refused,
saying nothing), ``login`` (sent to log in) or ``405`` (the route takes POST only).
"""

from __future__ import annotations

from stratmap.strategy.models import StrategyMap
from tests.helpers import answer
from tests.routes import COUNCIL_ROUTE_MAPS, COUNCIL_ROUTES, EDITORS, ROUTE_MAPS, ROUTES, url_names

WHO = ["anonymous", "outsider", "admin", "dol", "doed", "coord", "viewer"]
#: The open-data files and page and the embeddable views of a map (issue 17 items 2 and 6).
OPEN = ["open-data", "open-data-csv", "open-data-json", "open-data-metadata", "embed-map", "embed-scorecard"]

#: route → what each of WHO is answered, on the demo as it is (the 109 and 110 maps published).
PUBLISHED = {
    "home": "200 200 200 200 200 200 200",
    "accessibility": "200 200 200 200 200 200 200",
    "due": "login 200 200 200 200 200 200",
    "at-risk": "login 200 200 200 200 200 200",
    "notifications": "login 200 200 200 200 200 200",
    "notifications-read": "login 405 405 405 405 405 405",
    "notification-preferences": "login 405 405 405 405 405 405",
    # API tokens: everyone logged in has a page of their own; revoking is a POST
    "api-tokens": "login 200 200 200 200 200 200",
    "api-token-revoke": "login 405 405 405 405 405 405",
    "map": "200 200 200 200 200 200 200",
    "map-svg": "200 200 200 200 200 200 200",
    "theme": "200 200 200 200 200 200 200",
    "scorecard": "200 200 200 200 200 200 200",
    "scorecard-csv": "200 200 200 200 200 200 200",
    "scorecard-xlsx": "200 200 200 200 200 200 200",
    "kpi": "200 200 200 200 200 200 200",
    "plans": "200 200 200 200 200 200 200",
    "tows": "200 200 200 200 200 200 200",
    "cascade": "200 200 200 200 200 200 200",
    "revisions": "200 200 200 200 200 200 200",
    "calendar": "200 200 200 200 200 200 200",
    "calendar-ics": "200 200 200 200 200 200 200",
    "report-pptx": "200 200 200 200 200 200 200",
    "report-pdf": "200 200 200 200 200 200 200",
    "report-odp": "200 200 200 200 200 200 200",
    "scorecard-ods": "200 200 200 200 200 200 200",
    # 勞動局's KPI: its editor enters it, theme D's coordinator reviews it, the administrator both.
    "result": "login 404 200 200 404 200 404",
    "result-preview": "login 405 405 405 405 405 405",
    "result-action": "login 405 405 405 405 405 405",
    # DP5.1 is reported yearly: no quarter of it is a page, not even for its editor.
    "result-period": "login 404 404 404 404 404 404",
    "result-period-preview": "login 405 405 405 405 405 405",
    "result-period-action": "login 405 405 405 405 405 405",
    # 勞動局's editor enters it, group D's coordinator reviews it (issue 16: progress is reviewed), the admin publishes.
    "plan-progress": "login 404 200 200 404 200 404",
    "plan-progress-step": "login 405 405 405 405 405 405",
    "revise": "login 404 200 404 404 404 404",
    "workbook": "login 404 200 200 404 404 404",
    "workbook-ods": "login 404 200 200 404 404 404",
    # The upload page lists the agencies one enters for: 產業局's editor has KPIs on the map too.
    "workbook-upload": "login 404 200 200 200 404 404",
    # The editors: the map's organization's administrators alone, as revise.
    **dict.fromkeys(EDITORS, "login 404 200 404 404 404 404"),
    # The review page: the map's reviewers (theme D's coordinator, the administrators); bulk moves are POSTs.
    "review": "login 404 200 404 404 200 404",
    "review-bulk": "login 405 405 405 405 405 405",
    # The completion board: whoever reads the map's unpublished data (its editors too), as its exports.
    **dict.fromkeys(["completion", "completion-csv", "completion-xlsx"], "login 404 200 200 200 200 200"),
    # Open data, its dictionary, the embeddable views and the dataset's schema: anyone's, as the scorecard.
    **dict.fromkeys(OPEN, "200 200 200 200 200 200 200"),
    "kpi-dashboard": "200 200 200 200 200 200 200",
    "dataset-schema": "200 200 200 200 200 200 200",
}

#: The same with the maps unpublished: the public and the outsider get 404 on every page of them;
#: insiders read them as before (the TOWS are 產業局's, whose map the city's viewer and administrator
#: read, and 勞動局 and group D do not).
MAP_PAGES = ["map", "map-svg", "theme", "scorecard", "scorecard-csv", "scorecard-xlsx", "kpi", "plans", "cascade"]
MAP_PAGES += ["revisions", "report-pptx", "report-pdf", "calendar", "calendar-ics", "report-odp", "scorecard-ods"]
MAP_PAGES += OPEN
UNPUBLISHED = {
    **PUBLISHED,
    **dict.fromkeys(MAP_PAGES, "404 404 200 200 200 200 200"),
    "tows": "404 404 200 404 200 404 200",
}


def answers(client, people, routes=ROUTES, who=WHO) -> dict[str, str]:
    found: dict[str, list[str]] = {name: [] for name in routes}
    for person in who:
        client.logout()
        if person != "anonymous":
            client.force_login(people[person])
        for name, url in routes.items():
            found[name].append(answer(client.get(url)))
    return {name: " ".join(cells) for name, cells in found.items()}


def test_every_url_pattern_has_a_route_to_test():
    assert sorted(url_names() - set(ROUTES)) == [], "add the new routes to ROUTES in tests/routes.py"
    assert sorted(set(ROUTES) - url_names()) == [], "ROUTES names routes that no longer exist"
    assert set(PUBLISHED) == set(UNPUBLISHED) == set(ROUTES)
    assert set(COUNCIL_PUBLISHED) == set(COUNCIL_UNPUBLISHED) == set(COUNCIL_ROUTES) == set(ROUTES)


def test_everyone_is_answered_as_the_table_says_on_published_maps(people, client):
    assert answers(client, people) == PUBLISHED


def test_the_public_and_outsiders_get_404_on_every_page_of_an_unpublished_map(people, client):
    for org, year in ROUTE_MAPS:
        assert StrategyMap.objects.filter(organization__code=org, year=year, in_force=True).update(published=False)
    assert answers(client, people) == UNPUBLISHED


def test_every_page_answered_to_a_logged_in_outsider_is_private_and_not_stored(people, client):
    """Their pages name them; tests/test_cache_control.py checks every route for an administrator."""
    client.force_login(people["outsider"])
    for name, url in ROUTES.items():
        response = client.get(url)
        if response.status_code == 200:
            control = {part.strip() for part in response.get("Cache-Control", "").split(",")}
            assert {"private", "no-store"} <= control, (name, response.get("Cache-Control"))


# --- the same on the invented council's map (tests/routes.py COUNCIL_ROUTES) ---------------------

#: The public, an outsider, Taipei's administrator (an outsider to the council too) and the council's roles.
COUNCIL_WHO = ["anonymous", "outsider", "admin", "council-admin", "council-place", "council-resources"]
COUNCIL_WHO += ["council-viewer"]

#: KPI H1.1 and plan H1.1.1 are the Place Directorate's: its editor enters them, the council's
#: administrator too; the council has no theme group, so no coordinator reviews them.
COUNCIL_PUBLISHED = {
    **dict.fromkeys(ROUTES, "200 200 200 200 200 200 200"),
    "due": "login 200 200 200 200 200 200",
    "at-risk": "login 200 200 200 200 200 200",
    "notifications": "login 200 200 200 200 200 200",
    "notifications-read": "login 405 405 405 405 405 405",
    "notification-preferences": "login 405 405 405 405 405 405",
    # API tokens: everyone logged in has a page of their own; revoking is a POST
    "api-tokens": "login 200 200 200 200 200 200",
    "api-token-revoke": "login 405 405 405 405 405 405",
    "result": "login 404 404 200 200 404 404",
    "result-preview": "login 405 405 405 405 405 405",
    "result-action": "login 405 405 405 405 405 405",
    # H1.1's quarter as its year: its editor and the council's administrator work on it.
    "result-period": "login 404 404 200 200 404 404",
    "result-period-preview": "login 405 405 405 405 405 405",
    "result-period-action": "login 405 405 405 405 405 405",
    "plan-progress": "login 404 404 200 200 404 404",
    "plan-progress-step": "login 405 405 405 405 405 405",
    "revise": "login 404 404 200 404 404 404",
    "workbook": "login 404 404 200 200 404 404",
    "workbook-ods": "login 404 404 200 200 404 404",
    # The upload page lists the agencies one enters for.
    "workbook-upload": "login 404 404 200 200 200 404",
    **dict.fromkeys(EDITORS, "login 404 404 200 404 404 404"),
    # No theme groups: the council's administrators review its results.
    "review": "login 404 404 200 404 404 404",
    "review-bulk": "login 405 405 405 405 405 405",
    # The completion board: the council's insiders alone.
    **dict.fromkeys(["completion", "completion-csv", "completion-xlsx"], "login 404 404 200 200 200 200"),
}
#: Unpublished, the council's pages are its insiders' alone: Taipei's administrator is told nothing.
COUNCIL_UNPUBLISHED = {
    **COUNCIL_PUBLISHED,
    **dict.fromkeys([*MAP_PAGES, "tows"], "404 404 404 200 200 200 200"),
}


def test_everyone_is_answered_as_the_table_says_on_the_councils_published_map(council_people, client):
    assert answers(client, council_people, COUNCIL_ROUTES, COUNCIL_WHO) == COUNCIL_PUBLISHED


def test_only_the_councils_insiders_read_its_unpublished_map(council_people, client):
    for org, year in COUNCIL_ROUTE_MAPS:
        assert StrategyMap.objects.filter(organization__code=org, year=year, in_force=True).update(published=False)
    assert answers(client, council_people, COUNCIL_ROUTES, COUNCIL_WHO) == COUNCIL_UNPUBLISHED
