"""How the audit trail reads to a person: actions, fields and values recorded by the services, in the
reader's language. Used by the pages (web/_history.html, web/_conflict.html) and the administration's
conflict messages alike.

The trail is core's, its fields are the other apps' (a result's actual, a month of a plan's progress,
a revised KPI): their models are looked up by name, as core's foreign keys name them, so core imports
no higher app.
"""

from __future__ import annotations

import re
from typing import Any

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.utils.translation import gettext, gettext_lazy


def _results() -> type[models.Model]:
    return apps.get_model("kpis", "KpiResult")


def _field(model: type[models.Model], name: str) -> models.Field[Any, Any]:
    field = model._meta.get_field(name)
    # the trail records a model's own columns, never the reverse side of a relation
    assert isinstance(field, models.Field)
    return field


AUDIT_ACTIONS = {
    "create": gettext_lazy("entered"),
    "update": gettext_lazy("changed"),
    "status": gettext_lazy("review step"),
    "delete": gettext_lazy("deleted"),
    "revise": gettext_lazy("revised"),
    "progress": gettext_lazy("saved the progress"),
    "load": gettext_lazy("loaded"),
}
#: How the services name what they change besides a result's fields: a month of a task's progress
#: (plans.services: 「3月 done」; a plan's, before issue 16, the same) and an item of a map's revision
#: (revisions.services: 「kpi DC1.1」).
PROGRESS_FIELD = re.compile(r"(\d{1,2})月 (planned|done|note)")
REVISED_ITEM = re.compile(r"(objective|kpi|action_plan) (\S.*)")


def audit_action(value: str) -> str:
    return str(AUDIT_ACTIONS.get(value, value))


def audit_field(value: str) -> str:
    """A recorded field's name in the page's language: a result's field, a month of a plan's
    progress, the item a revision changed; anything else as recorded."""
    if found := PROGRESS_FIELD.fullmatch(value):
        month, name = found.groups()
        label = _field(apps.get_model("plans", "TaskProgress"), name).verbose_name
        return f"{gettext('month %(month)s') % {'month': month}} {label}"
    if found := REVISED_ITEM.fullmatch(value):
        level, code = found.groups()
        revision = apps.get_model("strategy", "Revision")
        return f"{revision.Level(level).label} {code}"
    try:
        return str(_field(_results(), value).verbose_name)
    except FieldDoesNotExist:
        return value


def audit_value(value: str, field: str) -> str:
    statuses = dict(_field(_results(), "status").flatchoices) if field == "status" else {}
    if value in statuses:
        return statuses[value]
    if value in ("True", "False") and (found := PROGRESS_FIELD.fullmatch(field)) and found.group(2) != "note":
        return gettext("yes") if value == "True" else gettext("no")
    if (found := PROGRESS_FIELD.fullmatch(field)) and found.group(2) == "done":  # a task's state of its month
        states = dict(_field(apps.get_model("plans", "TaskProgress"), "done").flatchoices)
        return str(states.get(value, value))
    return value
