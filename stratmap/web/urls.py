"""Page URLs. A map's year in its addresses follows the page's language (`StrategyMap.url_year`): in
Chinese as its organization types years, ROC for Taipei (/taipei/108/), the AD year a fiscal year starts in
for a council (/ashcombe/2024/); in English the AD year (/en/taipei/2019/, /en/ashcombe/2024/).
Every other form reads back as the same year: ROC or AD whatever the language, and a fiscal year's span
as its label writes it (/en/ashcombe/2024-25/); ``web.middleware.CanonicalYear`` redirects a GET of one
to the page's one address."""

from __future__ import annotations

from django.urls import include, path, register_converter

from stratmap.core.years import YearError, to_ad_year
from stratmap.web import (
    accessibility,
    calendar,
    embed,
    entry,
    notices,
    opendata,
    progress,
    report_views,
    views,
    warning,
)


class AddressYear(int):
    """A year read from an address (the stored AD year), remembering how the address wrote it, so that an
    address made again from it (the language switch re-reverses the current one) writes it the same way."""

    text: str

    def __new__(cls, ad_year: int, text: str) -> AddressYear:
        year = super().__new__(cls, ad_year)
        year.text = text
        return year


class YearConverter:
    #: A year (ROC or AD), or a fiscal year's span (2024-25, the URL-safe form of the label 2024/25).
    regex = r"[0-9]{1,4}(?:-[0-9]{2})?"

    def to_python(self, value: str) -> int:
        try:
            start, _, end = value.partition("-")
            ad_year = to_ad_year(start)
            if end and (len(start) != 4 or int(end) != (ad_year + 1) % 100):
                raise YearError(f"{value!r} is not a fiscal year; expected e.g. 2024-25")
            return AddressYear(ad_year, value)
        except YearError as exc:
            raise ValueError(str(exc)) from None  # a 404, not a 500

    def to_url(self, value: int | str) -> str:
        # A map's ``url_year`` (text) is written as its organization types it; a bare number is the stored
        # AD year, which every organization's addresses read back.
        return value.text if isinstance(value, AddressYear) else str(value)


register_converter(YearConverter, "year")


class PeriodConverter:
    """A period of a year as its rows name it: H1, H2, Q1–Q4, M01–M12 (the calendar month). Anything else
    does not match (a 404); whether it is a period of the KPI is the view's question."""

    regex = r"H[12]|Q[1-4]|M(?:0[1-9]|1[0-2])"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(PeriodConverter, "period")

app_name = "web"
urlpatterns = [
    path("", views.home, name="home"),
    path("accessibility/", accessibility.statement, name="accessibility"),
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
    path("<slug:org>/<year:year>/calendar/", calendar.calendar, name="calendar"),
    path("<slug:org>/<year:year>/calendar.ics", calendar.calendar_ics, name="calendar-ics"),
    path("<slug:org>/<year:year>/report.pptx", report_views.deck, {"kind": "pptx"}, name="report-pptx"),
    path("<slug:org>/<year:year>/report.pdf", report_views.deck, {"kind": "pdf"}, name="report-pdf"),
    path("<slug:org>/<year:year>/scorecard.xlsx", report_views.scorecard_xlsx, name="scorecard-xlsx"),
    # The OpenDocument copies (Taiwan's rule for editable downloads), made by the worker like the decks.
    path("<slug:org>/<year:year>/report.odp", report_views.deck, {"kind": "odp"}, name="report-odp"),
    path("<slug:org>/<year:year>/scorecard.ods", report_views.deck, {"kind": "scorecard.ods"}, name="scorecard-ods"),
    path("<slug:org>/<year:year>/kpis/<str:code>/result/", entry.result, name="result"),
    path("<slug:org>/<year:year>/kpis/<str:code>/result/preview/", entry.result_preview, name="result-preview"),
    path("<slug:org>/<year:year>/kpis/<str:code>/result/<slug:action>/", entry.result_action, name="result-action"),
    path("<slug:org>/<year:year>/kpis/<str:code>/results/<period:period>/", entry.result, name="result-period"),
    path(
        "<slug:org>/<year:year>/kpis/<str:code>/results/<period:period>/preview/",
        entry.result_preview,
        name="result-period-preview",
    ),
    path(
        "<slug:org>/<year:year>/kpis/<str:code>/results/<period:period>/<slug:action>/",
        entry.result_action,
        name="result-period-action",
    ),
    path("<slug:org>/<year:year>/plans/<str:code>/progress/", progress.plan_progress, name="plan-progress"),
    path(
        "<slug:org>/<year:year>/plans/<str:code>/progress/step/", progress.plan_progress_step, name="plan-progress-step"
    ),
    path("<slug:org>/<year:year>/revise/", entry.revise, name="revise"),
    # Open data (docs/open-data.md): columns that never change with the page's language.
    path("<slug:org>/<year:year>/open-data/", opendata.open_data, name="open-data"),
    path("<slug:org>/<year:year>/open-data/scorecard.csv", opendata.scorecard_csv, name="open-data-csv"),
    path("<slug:org>/<year:year>/open-data/scorecard.json", opendata.scorecard_json, name="open-data-json"),
    path("<slug:org>/<year:year>/open-data/metadata.json", opendata.metadata_json, name="open-data-metadata"),
    path("<slug:org>/kpis/<str:code>/dashboard.json", opendata.kpi_dashboard, name="kpi-dashboard"),
    path("schema/dataset/v1.json", opendata.dataset_schema, name="dataset-schema"),
    # Embeddable, read-only views that other sites may frame (settings.STRATMAP_FRAME_ANCESTORS).
    path("<slug:org>/<year:year>/embed/map/", embed.embed_map, name="embed-map"),
    path("<slug:org>/<year:year>/embed/scorecard/", embed.embed_scorecard, name="embed-scorecard"),
    path("due/", entry.due, name="due"),
    path("at-risk/", warning.at_risk_page, name="at-risk"),
    path("notifications/", notices.notifications, name="notifications"),
    path("notifications/read/", notices.notifications_mark_read, name="notifications-read"),
    path("notifications/preferences/", notices.notification_preferences, name="notification-preferences"),
    # A person's API tokens (stratmap.api: the page lives with the API it opens).
    path("api-tokens/", include("stratmap.api.pages")),
    path("", include("stratmap.web.workbook_urls")),
    path("", include("stratmap.web.editor_urls")),
    path("", include("stratmap.web.review_urls")),
    path("", include("stratmap.web.board_urls")),
]
