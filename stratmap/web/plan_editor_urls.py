"""The action plan editor's addresses (issue 15 item 3), under a map's editor: /<org>/<year>/edit/plans/…"""

from __future__ import annotations

from django.urls import path

from stratmap.web import plan_editor

urlpatterns = [
    path("<slug:org>/<year:year>/edit/plans/new/", plan_editor.plan, name="edit-plan-new"),
    path("<slug:org>/<year:year>/edit/plans/<str:code>/", plan_editor.plan, name="edit-plan"),
]
