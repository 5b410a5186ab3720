"""URLs of the Excel round trip (see stratmap/web/workbook_views.py)."""

from django.urls import path

from stratmap.web import workbook_views

urlpatterns: list = [
    path("<slug:org>/<year:year>/workbook.xlsx", workbook_views.download, name="workbook"),
    path("<slug:org>/<year:year>/workbook.ods", workbook_views.download_ods, name="workbook-ods"),
    path("<slug:org>/<year:year>/workbook/", workbook_views.page, name="workbook-upload"),
]
