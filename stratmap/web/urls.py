"""Page URLs. Years in URLs are ROC years (/taipei/108/); AD years (/taipei/2019/) work too."""

from django.urls import include, path, register_converter

from stratmap.core.years import YearError, to_ad_year, to_roc_year
from stratmap.web import entry, report_views, views


class YearConverter:
    regex = r"[0-9]{1,4}"

    def to_python(self, value: str) -> int:
        try:
            return to_ad_year(value)
        except YearError as exc:
            raise ValueError(str(exc)) from None  # a 404, not a 500

    def to_url(self, value: int) -> str:
        return str(to_roc_year(int(value)))


register_converter(YearConverter, "year")

app_name = "web"
urlpatterns = [
    path("", views.home, name="home"),
    path("<slug:org>/<year:year>/", views.strategy_map, name="map"),
    path("<slug:org>/<year:year>/map.svg", views.strategy_map_svg, name="map-svg"),
    path("<slug:org>/<year:year>/themes/<str:code>/", views.theme, name="theme"),
    path("<slug:org>/<year:year>/scorecard/", views.scorecard, name="scorecard"),
    path("<slug:org>/<year:year>/scorecard.csv", views.scorecard_csv, name="scorecard-csv"),
    path("<slug:org>/<year:year>/kpis/<str:code>/", views.kpi, name="kpi"),
    path("<slug:org>/<year:year>/plans/", views.plans, name="plans"),
    path("<slug:org>/<year:year>/tows/", views.tows, name="tows"),
    path("<slug:org>/<year:year>/cascade/", views.cascade_view, name="cascade"),
    path("<slug:org>/<year:year>/revisions/", views.revisions, name="revisions"),
    path("<slug:org>/<year:year>/report.pptx", report_views.deck, {"kind": "pptx"}, name="report-pptx"),
    path("<slug:org>/<year:year>/report.pdf", report_views.deck, {"kind": "pdf"}, name="report-pdf"),
    path("<slug:org>/<year:year>/scorecard.xlsx", report_views.scorecard_xlsx, name="scorecard-xlsx"),
    path("<slug:org>/<year:year>/kpis/<str:code>/result/", entry.result, name="result"),
    path("<slug:org>/<year:year>/kpis/<str:code>/result/preview/", entry.result_preview, name="result-preview"),
    path("<slug:org>/<year:year>/kpis/<str:code>/result/<slug:action>/", entry.result_action, name="result-action"),
    path("<slug:org>/<year:year>/plans/<str:code>/progress/", entry.plan_progress, name="plan-progress"),
    path("<slug:org>/<year:year>/revise/", entry.revise, name="revise"),
    path("due/", entry.due, name="due"),
    path("", include("stratmap.web.workbook_urls")),
]
