"""The report's own filters: a name of the data in the report's language (the active one while it renders)."""

from __future__ import annotations

from django import template

from stratmap.reports.content import gap, name_of

register = template.Library()


@register.filter
def named(obj: object) -> str:
    """``obj``'s name in the report's language where the data has it, else as written."""
    return name_of(obj)


@register.filter
def gapped(items: list[str]) -> str:
    """Items on one line, a gap between (a full-width space in Chinese, two spaces in English)."""
    return gap().join(items)
