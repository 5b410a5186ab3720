"""The report's own filters: a name of the data in the report's language (the active one while it renders)."""

from __future__ import annotations

import base64
from xml.sax.saxutils import escape

from django import template

from stratmap.reports.content import gap, name_of, t

register = template.Library()


@register.filter
def named(obj: object) -> str:
    """``obj``'s name in the report's language where the data has it, else as written."""
    return name_of(obj)


@register.filter
def gapped(items: list[str]) -> str:
    """Items on one line, a gap between (a full-width space in Chinese, two spaces in English)."""
    return gap().join(items)


#: The words the PDF's history chart (``pdf.history_svg``) is drawn with, and their messages. The chart is made
#: in pdf.py, which is being optimized apart; until it draws them through ``content.t`` itself, its picture is
#: put in the report's language here. A chart drawn otherwise is left as it is (the language tests catch it).
CHART_WORDS = (
    ("歷年目標值與實際值", "Targets and actuals over the years"),
    ("目標值", "Target"),
    ("實際值", "Actual"),
)
_SVG_URL = "data:image/svg+xml;base64,"


@register.filter
def in_language(url: str) -> str:
    """A chart's ``data:`` URL with its words in the report's language."""
    if not url.startswith(_SVG_URL):
        return url
    svg = base64.b64decode(url[len(_SVG_URL) :]).decode()
    for chinese, message in CHART_WORDS:
        svg = svg.replace(f">{chinese}<", f">{escape(t(message))}<")
    return _SVG_URL + base64.b64encode(svg.encode()).decode()
