"""Template helpers: years, numbers, lights and language-switch URLs."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from django import template
from django.core.exceptions import FieldDoesNotExist
from django.urls import translate_url
from django.utils.html import format_html
from django.utils.translation import gettext, gettext_lazy, pgettext_lazy

from stratmap.core.years import format_year
from stratmap.kpis.models import Kpi, KpiResult
from stratmap.kpis.scoring import Light
from stratmap.plans.models import PlanProgress
from stratmap.strategy.models import Revision
from stratmap.web.names import local_name
from stratmap.web.presenters import light_style, number, reason_text

register = template.Library()


@register.filter
def year(value: int | None) -> str:
    """民國108年 in Chinese, 2019 in English."""
    return "" if value is None else format_year(value)


@register.filter
def num(value, places=None) -> str:
    """A number as people write it; nothing for a missing one.

    A template hands a filter ``""`` rather than None for an attribute of something
    missing (``result.actual`` without a result), so both mean "no number".
    """
    if value is None or value == "":
        return ""
    if not isinstance(value, Decimal):
        try:
            value = Decimal(str(value))
        except InvalidOperation:
            return str(value)
    if not value.is_finite():
        return str(value)
    return number(value, None if places in (None, "") else int(places))


@register.filter
def reason(value: str) -> str:
    """Why a KPI is unknown, translated when the scoring engine gave the reason."""
    return reason_text(value or "")


@register.simple_tag
def light(value: Light | str | None, reason: str = ""):
    """A light badge: symbol, label and colour together, never colour alone."""
    if value is None:
        return ""
    if isinstance(value, str):
        value = Light.from_key(value)
    style = light_style(value)
    title = format_html(' title="{}"', reason_text(reason)) if reason else ""
    return format_html(
        '<span class="light light-{}"{}><span aria-hidden="true">{}</span> {}</span>',
        style.key,
        title,
        style.symbol,
        style.label,
    )


@register.simple_tag(takes_context=True)
def translated_url(context, language: str) -> str:
    """The current page in another language, so that the language switch keeps the page."""
    request = context["request"]
    return translate_url(request.get_full_path(), language)


@register.filter
def get(mapping, key):
    return mapping.get(key) if mapping else None


@register.filter
def change_action(value: str) -> str:
    return Revision.Action(value).label


@register.filter
def change_level(value: str) -> str:
    return Revision.Level(value).label


@register.filter
def change_detail(value: str) -> str:
    """The attribute a change is about, in the page's language (its model field's name)."""
    return str(Kpi._meta.get_field(value).verbose_name)


@register.filter
def result_status(value: str) -> str:
    return KpiResult.Status(value).label


AUDIT_ACTIONS = {
    "create": gettext_lazy("entered"),
    "update": gettext_lazy("changed"),
    "status": gettext_lazy("review step"),
    "delete": gettext_lazy("deleted"),
    "revise": gettext_lazy("revised"),
    "progress": gettext_lazy("saved the progress"),
    "load": gettext_lazy("loaded"),
}
#: How the services name what they change besides a result's fields: a month of a plan's progress
#: (plans.services: 「3月 done」) and an item of a map's revision (strategy.services: 「kpi DC1.1」).
PROGRESS_FIELD = re.compile(r"(\d{1,2})月 (planned|done|note)")
REVISED_ITEM = re.compile(r"(objective|kpi|action_plan) (\S.*)")


@register.filter
def audit_action(value: str) -> str:
    return str(AUDIT_ACTIONS.get(value, value))


@register.filter
def audit_field(value: str) -> str:
    """A recorded field's name in the page's language: a result's field, a month of a plan's
    progress, the item a revision changed; anything else as recorded."""
    if found := PROGRESS_FIELD.fullmatch(value):
        month, name = found.groups()
        label = PlanProgress._meta.get_field(name).verbose_name
        return f"{gettext('month %(month)s') % {'month': month}} {label}"
    if found := REVISED_ITEM.fullmatch(value):
        level, code = found.groups()
        return f"{Revision.Level(level).label} {code}"
    try:
        return str(KpiResult._meta.get_field(value).verbose_name)
    except FieldDoesNotExist:
        return value


@register.filter
def audit_value(value: str, field: str) -> str:
    if field == "status" and value in KpiResult.Status.values:
        return KpiResult.Status(value).label
    if value in ("True", "False") and (found := PROGRESS_FIELD.fullmatch(field)) and found.group(2) != "note":
        return gettext("yes") if value == "True" else gettext("no")
    return value


@register.filter
def local(obj, full: str = "") -> str:
    """An organization's, theme's or perspective's name in the reader's language (see ``web.names``);
    ``|local:"full"`` for an organization's full name rather than its short one."""
    return local_name(obj, full=bool(full))


#: What follows a label: 「狀態：草稿」 in Chinese (full-width, no space), "status: draft" in English.
LABEL_COLON = pgettext_lazy("after a label", ": ")


@register.simple_tag
def colon() -> str:
    """``{% translate "status" %}{% colon %}…``: a label's colon in the page's language."""
    return str(LABEL_COLON)
