"""Template helpers: years, numbers, lights and language-switch URLs."""

from __future__ import annotations

from django import template
from django.core.exceptions import FieldDoesNotExist
from django.urls import translate_url
from django.utils.html import format_html
from django.utils.translation import gettext_lazy

from stratmap.core.years import format_year
from stratmap.kpis.models import Kpi, KpiResult
from stratmap.kpis.scoring import Light
from stratmap.strategy.models import Revision
from stratmap.web.presenters import light_style, number, reason_text

register = template.Library()


@register.filter
def year(value: int | None) -> str:
    """民國108年 in Chinese, 2019 in English."""
    return "" if value is None else format_year(value)


@register.filter
def num(value, places=None) -> str:
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
}


@register.filter
def audit_action(value: str) -> str:
    return str(AUDIT_ACTIONS.get(value, value))


@register.filter
def audit_field(value: str) -> str:
    """A result field's name in the page's language; a status shows as the status's name."""
    try:
        return str(KpiResult._meta.get_field(value).verbose_name)
    except FieldDoesNotExist:  # a name from elsewhere is shown as recorded
        return value


@register.filter
def audit_value(value: str, field: str) -> str:
    if field == "status" and value in KpiResult.Status.values:
        return KpiResult.Status(value).label
    return value
