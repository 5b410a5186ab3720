"""The editors' addresses (issue 15), under a map's /<org>/<year>/edit/: the map editor's own, then the KPI
editor's and the action plan editor's modules; and a new map of an organization."""

from __future__ import annotations

from django.urls import include, path

from stratmap.web import editor

urlpatterns = [
    path("<slug:org>/maps/new/", editor.new_map, name="map-new"),
    path("<slug:org>/<year:year>/edit/", editor.edit, name="edit"),
    path("<slug:org>/<year:year>/edit/tows/", editor.tows, name="edit-tows"),
    path("<slug:org>/<year:year>/edit/steps/", editor.steps, name="edit-steps"),
    path("<slug:org>/<year:year>/edit/objectives/new/", editor.objective, name="edit-objective-new"),
    path("<slug:org>/<year:year>/edit/objectives/<str:code>/", editor.objective, name="edit-objective"),
    path("", include("stratmap.web.kpi_editor_urls")),
    path("", include("stratmap.web.plan_editor_urls")),
]
