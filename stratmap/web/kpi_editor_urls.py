"""The KPI editor's addresses (issue 15 item 2), under a map's editor: /<org>/<year>/edit/kpis/…"""

from __future__ import annotations

from django.urls import URLPattern, path

from stratmap.web import kpi_editor

urlpatterns: list[URLPattern] = [
    # "new" first: a KPI whose code is "new" is edited from the map editor's list, not by this address.
    path("<slug:org>/<year:year>/edit/kpis/new/", kpi_editor.edit_kpi, name="edit-kpi-new"),
    path("<slug:org>/<year:year>/edit/kpis/<str:code>/", kpi_editor.edit_kpi, name="edit-kpi"),
]
