"""The URL patterns of the site, and demo URLs of each, shared by the access and leak tests."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver

from stratmap.kpis.models import FREQUENCY_UNIT, Kpi, period_code
from stratmap.plans.models import ActionPlan
from stratmap.strategy.models import StrategyMap
from stratmap.web import urls as web_urls


def url_names(patterns=web_urls.urlpatterns) -> set[str]:
    """The name of every URL pattern of the site's pages (the workbook's and the reports' included)."""
    names = set()
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            names |= url_names(pattern.url_patterns)
        elif isinstance(pattern, URLPattern):
            names.add(pattern.name)
    return names


#: URL name → a URL of it on the city's 109 map of the demo, whose KPI DP5.1 and plan DC1.2.1 are
#: 勞動局's (theme D is group D's); the TOWS, which the city's maps have none of, of 產業局's 110 map.
#: A new route without a row here fails tests/test_every_route.py.
MAP = "/taipei/109"
#: (organization, AD year) of the maps ROUTES reads.
ROUTE_MAPS = [("taipei", 2020), ("taipei-doed", 2021)]
ROUTES: dict[str, str] = {
    "home": "/",
    # the accessibility statement (issue 17 item 5): everyone's, about no map
    "accessibility": "/accessibility/",
    "due": "/due/",
    "at-risk": "/at-risk/",
    "notifications": "/notifications/",
    "notifications-read": "/notifications/read/",
    "notification-preferences": "/notifications/preferences/",
    # a person's API tokens (issue 17 item 1): their own, logged in; revoking is a POST
    "api-tokens": "/api-tokens/",
    "api-token-revoke": "/api-tokens/1/revoke/",
    "map": f"{MAP}/",
    "map-svg": f"{MAP}/map.svg",
    "theme": f"{MAP}/themes/D/",
    "scorecard": f"{MAP}/scorecard/",
    "scorecard-csv": f"{MAP}/scorecard.csv",
    "scorecard-xlsx": f"{MAP}/scorecard.xlsx",
    "kpi": f"{MAP}/kpis/DP5.1/",
    "plans": f"{MAP}/plans/",
    "tows": "/taipei-doed/110/tows/",
    "cascade": f"{MAP}/cascade/",
    "revisions": f"{MAP}/revisions/",
    "calendar": f"{MAP}/calendar/",
    "calendar-ics": f"{MAP}/calendar.ics",
    "report-pptx": f"{MAP}/report.pptx",
    "report-pdf": f"{MAP}/report.pdf",
    # The OpenDocument copies (issue 17 item 3): made by the worker, so GET is the page that prepares them.
    "report-odp": f"{MAP}/report.odp",
    "scorecard-ods": f"{MAP}/scorecard.ods",
    "result": f"{MAP}/kpis/DP5.1/result/",
    "result-preview": f"{MAP}/kpis/DP5.1/result/preview/",
    "result-action": f"{MAP}/kpis/DP5.1/result/approve/",
    # DP5.1 is reported yearly: a quarter of it is no page, for anyone.
    "result-period": f"{MAP}/kpis/DP5.1/results/Q2/",
    "result-period-preview": f"{MAP}/kpis/DP5.1/results/Q2/preview/",
    "result-period-action": f"{MAP}/kpis/DP5.1/results/Q2/approve/",
    "plan-progress": f"{MAP}/plans/DC1.2.1/progress/",
    "plan-progress-step": f"{MAP}/plans/DC1.2.1/progress/step/",
    "revise": f"{MAP}/revise/",
    "workbook": f"{MAP}/workbook.xlsx?agency=taipei-dol",
    "workbook-ods": f"{MAP}/workbook.ods?agency=taipei-dol",
    "workbook-upload": f"{MAP}/workbook/",
    # the editors (issue 15): the map's administrators only
    "map-new": "/taipei/maps/new/",
    "edit": f"{MAP}/edit/",
    "edit-tows": f"{MAP}/edit/tows/",
    "edit-steps": f"{MAP}/edit/steps/",
    "edit-objective": f"{MAP}/edit/objectives/DP5/",
    "edit-objective-new": f"{MAP}/edit/objectives/new/?theme=D&perspective=P",
    "edit-kpi": f"{MAP}/edit/kpis/DP5.1/",
    "edit-kpi-new": f"{MAP}/edit/kpis/new/?objective=DP5",
    "edit-plan": f"{MAP}/edit/plans/DC1.2.1/",
    "edit-plan-new": f"{MAP}/edit/plans/new/?kpi=DP5.1",
    # the review chain (issue 16 item 4): a map's reviewers' page, and the bulk moves (POST only)
    "review": f"{MAP}/review/",
    "review-bulk": "/due/bulk/",
    # the completion board (issue 16 item 3): those who read the map's unpublished data
    "completion": f"{MAP}/completion/",
    "completion-csv": f"{MAP}/completion.csv",
    "completion-xlsx": f"{MAP}/completion.xlsx",
    # open data and embedding (issue 17 items 2, 6, 7): what the scorecard page shows, to whoever reads it
    "open-data": f"{MAP}/open-data/",
    "open-data-csv": f"{MAP}/open-data/scorecard.csv",
    "open-data-json": f"{MAP}/open-data/scorecard.json",
    "open-data-metadata": f"{MAP}/open-data/metadata.json",
    "kpi-dashboard": "/taipei/kpis/DP5.1/dashboard.json",
    "dataset-schema": "/schema/dataset/v1.json",
    "embed-map": f"{MAP}/embed/map/",
    "embed-scorecard": f"{MAP}/embed/scorecard/",
}

#: The same routes on the invented council's 2024/25 map (stratmap/data/ashcombe): no theme groups, one
#: perspective, a Red/Amber/Green key rated by bands, a year from April. KPI H1.1 and plan H1.1.1 are
#: its Place Directorate's; the TOWS are on this map. A council's addresses write its year as the AD year
#: it starts in, in both languages (/ashcombe/2024/ is 2024/25; /ashcombe/113/ redirects there).
COUNCIL_MAP = "/ashcombe/2024"
COUNCIL_ROUTE_MAPS = [("ashcombe", 2024)]
COUNCIL_ROUTES: dict[str, str] = {
    **{name: url.replace(MAP, COUNCIL_MAP, 1) for name, url in ROUTES.items()},
    "theme": f"{COUNCIL_MAP}/themes/H/",
    "kpi": f"{COUNCIL_MAP}/kpis/H1.1/",
    "tows": f"{COUNCIL_MAP}/tows/",
    "result": f"{COUNCIL_MAP}/kpis/H1.1/result/",
    "result-preview": f"{COUNCIL_MAP}/kpis/H1.1/result/preview/",
    "result-action": f"{COUNCIL_MAP}/kpis/H1.1/result/approve/",
    # H1.1 is reported by quarter (the Place Directorate's), H2.1 by month (the People Directorate's).
    "result-period": f"{COUNCIL_MAP}/kpis/H1.1/results/Q2/",
    "result-period-preview": f"{COUNCIL_MAP}/kpis/H2.1/results/M05/preview/",
    "result-period-action": f"{COUNCIL_MAP}/kpis/H2.1/results/M05/approve/",
    "plan-progress": f"{COUNCIL_MAP}/plans/H1.1.1/progress/",
    "plan-progress-step": f"{COUNCIL_MAP}/plans/H1.1.1/progress/step/",
    "workbook": f"{COUNCIL_MAP}/workbook.xlsx?agency=ashcombe-place",
    "workbook-ods": f"{COUNCIL_MAP}/workbook.ods?agency=ashcombe-place",
    "map-new": "/ashcombe/maps/new/",
    "edit-objective": f"{COUNCIL_MAP}/edit/objectives/H1/",
    "edit-objective-new": f"{COUNCIL_MAP}/edit/objectives/new/?theme=H",
    "edit-kpi": f"{COUNCIL_MAP}/edit/kpis/H1.1/",
    "edit-kpi-new": f"{COUNCIL_MAP}/edit/kpis/new/?objective=H1",
    "edit-plan": f"{COUNCIL_MAP}/edit/plans/H1.1.1/",
    "edit-plan-new": f"{COUNCIL_MAP}/edit/plans/new/?kpi=H1.1",
    "kpi-dashboard": "/ashcombe/kpis/H1.1/dashboard.json",
}

#: The editors' routes (issue 15): a page of them for the map's organization's administrators, nobody else.
EDITORS = [name for name in ROUTES if name == "map-new" or name.startswith("edit")]

#: Routes that take POST only (a GET is answered 405).
POST_ONLY = {"result-preview", "result-action", "result-period-preview", "result-period-action", "review-bulk"}
POST_ONLY |= {"notifications-read", "notification-preferences", "plan-progress-step"}
POST_ONLY |= {"api-token-revoke"}
#: Routes of which Taipei's demo has no page (its KPIs are reported yearly): ROUTES names one that is a
#: 404 for everyone; COUNCIL_ROUTES names a page of them.
NONE_IN_TAIPEI = {"result-period"}


def every_url() -> dict[str, list[str]]:
    """URL name → the URLs of it, for every map in force (unpublished included), KPI, plan and theme."""
    urls: dict[str, list[str]] = {name: [] for name in url_names()}
    urls["home"].append("/")
    urls["due"].append("/due/")
    urls["review-bulk"].append("/due/bulk/")
    urls["at-risk"].append("/at-risk/")
    urls["accessibility"].append("/accessibility/")
    urls["notifications"].append("/notifications/")
    urls["notifications-read"].append("/notifications/read/")
    urls["api-tokens"].append("/api-tokens/")
    urls["api-token-revoke"].append("/api-tokens/1/revoke/")
    urls["notification-preferences"].append("/notifications/preferences/")
    urls["dataset-schema"].append("/schema/dataset/v1.json")
    maps = StrategyMap.objects.filter(in_force=True).select_related("organization").order_by("organization", "year")
    for smap in maps:
        # The page's own address (a Chinese one), not a redirect to it: its content is what is checked.
        base = f"/{smap.organization.code}/{smap.organization.year_style.in_address(smap.year, 'zh-hant')}"
        themes = list(smap.themes.order_by("order").values_list("code", flat=True))
        for name, tail in [
            ("map", "/"), ("map-svg", "/map.svg"), ("scorecard", "/scorecard/"), ("scorecard-csv", "/scorecard.csv"),
            ("plans", "/plans/"), ("tows", "/tows/"), ("cascade", "/cascade/"), ("revisions", "/revisions/"),
            ("scorecard-xlsx", "/scorecard.xlsx"), ("revise", "/revise/"), ("workbook", "/workbook.xlsx"),
            ("workbook-upload", "/workbook/"), ("report-pptx", "/report.pptx"), ("report-pdf", "/report.pdf"),
            ("edit", "/edit/"), ("edit-tows", "/edit/tows/"), ("edit-steps", "/edit/steps/"),
            ("edit-objective-new", "/edit/objectives/new/"), ("edit-kpi-new", "/edit/kpis/new/"),
            ("edit-plan-new", "/edit/plans/new/"), ("calendar", "/calendar/"), ("calendar-ics", "/calendar.ics"),
            ("review", "/review/"), ("completion", "/completion/"), ("completion-csv", "/completion.csv"),
            ("completion-xlsx", "/completion.xlsx"), ("report-odp", "/report.odp"), ("scorecard-ods", "/scorecard.ods"),
            ("workbook-ods", "/workbook.ods"),
        ]:  # fmt: skip
            urls[name].append(base + tail)
        urls["map-new"].append(f"/{smap.organization.code}/maps/new/")
        for name, tail in [
            ("open-data", "/open-data/"), ("open-data-csv", "/open-data/scorecard.csv"),
            ("open-data-json", "/open-data/scorecard.json"), ("open-data-metadata", "/open-data/metadata.json"),
            ("embed-map", "/embed/map/"), ("embed-scorecard", "/embed/scorecard/"),
        ]:  # fmt: skip
            urls[name].append(base + tail)
        for code in smap.objectives.values_list("code", flat=True):
            urls["edit-objective"].append(f"{base}/edit/objectives/{code}/")
        for name, tail in [
            ("report-pptx", "/report.pptx"),
            ("report-pdf", "/report.pdf"),
            ("report-odp", "/report.odp"),
        ]:
            urls[name].append(f"{base}{tail}?period=Q3")  # the year to date at a period: the same access
        for theme in themes:
            urls["theme"].append(f"{base}/themes/{theme}/")
            urls["scorecard"].append(f"{base}/scorecard/?theme={theme}")
            urls["scorecard-csv"].append(f"{base}/scorecard.csv?theme={theme}")
            urls["revisions"].append(f"{base}/revisions/?theme={theme}")
            urls["report-pptx"].append(f"{base}/report.pptx?theme={theme}")
            urls["report-pdf"].append(f"{base}/report.pdf?theme={theme}")
            urls["report-odp"].append(f"{base}/report.odp?theme={theme}")
        style = smap.organization.year_style
        kpis = Kpi.objects.filter(objective__map=smap).order_by("code").values_list("code", "frequency")
        for code, frequency in kpis:
            urls["kpi"].append(f"{base}/kpis/{code}/")
            urls["kpi-dashboard"].append(f"/{smap.organization.code}/kpis/{code}/dashboard.json")
            urls["edit-kpi"].append(f"{base}/edit/kpis/{code}/")
            urls["result"].append(f"{base}/kpis/{code}/result/")
            urls["result-preview"].append(f"{base}/kpis/{code}/result/preview/")
            urls["result-action"].append(f"{base}/kpis/{code}/result/approve/")
            unit = FREQUENCY_UNIT.get(frequency)
            periods = [period_code(p, style) for p in style.periods(smap.year, unit)] if unit else []
            for period in periods:
                urls["result-period"].append(f"{base}/kpis/{code}/results/{period}/")
            for period in periods[:1]:
                urls["result-period-preview"].append(f"{base}/kpis/{code}/results/{period}/preview/")
                urls["result-period-action"].append(f"{base}/kpis/{code}/results/{period}/approve/")
        for code in ActionPlan.objects.filter(kpi__objective__map=smap).values_list("code", flat=True):
            urls["plan-progress"].append(f"{base}/plans/{code}/progress/")
            urls["plan-progress-step"].append(f"{base}/plans/{code}/progress/step/")
            urls["edit-plan"].append(f"{base}/edit/plans/{code}/")
    return urls
