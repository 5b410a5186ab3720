"""The completion board's addresses (issue 16 item 3): the page and its CSV and Excel exports."""

from __future__ import annotations

from django.urls import path

from stratmap.web import board

urlpatterns = [
    path("<slug:org>/<year:year>/completion/", board.completion, name="completion"),
    path("<slug:org>/<year:year>/completion.csv", board.completion_csv, name="completion-csv"),
    path("<slug:org>/<year:year>/completion.xlsx", board.completion_xlsx, name="completion-xlsx"),
]
