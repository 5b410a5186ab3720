"""Template helpers: the data's texts in the reader's language, years, numbers, lights and language-switch URLs."""

from __future__ import annotations

from django import template
from django.conf import settings
from django.core.paginator import Page
from django.db import models
from django.forms import BoundField
from django.urls import translate_url
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import pgettext_lazy

from stratmap.core.audit_text import audit_action, audit_field, audit_value
from stratmap.core.models import Organization
from stratmap.core.names import Shown, local_name, local_text, original_language, reader_language, shown
from stratmap.core.years import TAIPEI_YEARS, YearStyle, format_year
from stratmap.kpis.models import Kpi, KpiResult
from stratmap.kpis.presenters import (
    REASONS,
    derived_text,
    forecast_method_text,
    forecast_reason,
    html_lang,
    other_lang,
    period_short,
    points_text,
    projection_text,
    reason_text,
    risk_label,
    same_language,
)
from stratmap.kpis.scoring import TAIPEI_LIGHTS, Level, LightSet
from stratmap.strategy.diagram import LightStyle
from stratmap.strategy.models import Revision, StrategyMap
from stratmap.text import FONT_STACK
from stratmap.web.accessibility import Mark, accessibility_mark
from stratmap.web.middleware import page_address
from stratmap.web.presenters import Legend, map_legend
from stratmap.web.rows import light_badge, mark_scripts, marked, num, shown_html, target

register = template.Library()
#: The site's languages' codes: a name's translation is the form's field ``name_<code>`` (name_en, name_zh-hant).
LANGUAGE_CODES = {code for code, _name in settings.LANGUAGES}


def year_style(owner: object) -> YearStyle:
    """The year style of an organization, of a map's organization, or the style itself; Taipei's for
    anything else (nothing given)."""
    if isinstance(owner, YearStyle):
        return owner
    if isinstance(owner, Organization):
        return owner.year_style
    organization = getattr(owner, "organization", None)
    return organization.year_style if isinstance(organization, Organization) else TAIPEI_YEARS


@register.filter
def year(value: int | None, owner: object = None) -> str:
    """A year as its organization names it (``{{ year|year:org }}``, ``{{ smap.year|year:smap }}``):
    民國108年 in Chinese and 2019 in English for Taipei, 2019/20 or FY2020 for a council."""
    return "" if value is None else format_year(value, style=year_style(owner))


@register.filter
def derived(periods: tuple, owner: object = None) -> str:
    """「由第1季–第3季推算」 / "derived from Q1–Q3" for a value made of these periods
    (``{{ row.actual_from|derived:org }}``); nothing for an entered one."""
    return derived_text(tuple(periods or ()), year_style(owner))


@register.filter
def period(value: object, owner: object = None) -> str:
    """A period inside its year: Q3 / 第3季, Apr / 4月."""
    from stratmap.core.years import Period

    return period_short(value, year_style(owner)) if isinstance(value, Period) else ""


register.filter("num", num)  # ``{{ value|num }}``, ``{{ value|num:2 }}``: a number as people write it
#: ``{{ kpi.target|target:kpi.target_upper }}`` → 200, or "−1 to 1" (「−1～1」) rather than "-1–1".
register.filter("target", target)


@register.filter
def reason(value: str) -> str:
    """Why a KPI is unknown, translated when the scoring engine gave the reason."""
    return reason_text(value or "")


@register.simple_tag(takes_context=True)
def reason_shown(context, value: str) -> SafeString:
    """``{% reason_shown score.unknown_reason %}``: why a KPI is unknown, the engine's reasons in the page's
    language; a reason the agency typed is the data's, marked with the data's language where it differs."""
    if not value or value in REASONS:
        return mark_safe(escape(reason_text(value or "")))
    return mark_safe(marked(Shown(value, data_language(context) or reader_language())))  # escaped there


@register.simple_tag
def page_style() -> str:
    """The style of a page's body: the font, and a colour variable per light (``--excellent``), taken from
    their one definition (:mod:`stratmap.text`, the scoring engine) rather than written again in the stylesheet."""
    return " ".join([f"font-family: {FONT_STACK};", *(f"--{light.key}: {light.colour};" for light in TAIPEI_LIGHTS)])


@register.simple_tag(takes_context=True)
def legend(context) -> list[LightStyle]:
    """The page's light legend: its map's light set on a page of a map, else the page's ``lights`` (the
    sets of the maps it lists, or the default set, web.presenters)."""
    smap = context.get("map")
    if isinstance(smap, StrategyMap):
        return map_legend(smap)
    return list(context.get("lights") or [])


@register.simple_tag(takes_context=True)
def legends(context) -> list[Legend]:
    """The footer's keys: one per light set of the maps a page lists, each titled with whose it is (the
    home page's ``legends``), else the page's one key (``legend``), untitled."""
    return list(context.get("legends") or [Legend(legend(context))])


@register.simple_tag
def light(value: Level | str | None, reason: str = "", lights: LightSet = TAIPEI_LIGHTS) -> str:
    """A light badge: symbol, label and colour together, never colour alone (a key is read in ``lights``)."""
    return light_badge(value, reason, lights)


@register.simple_tag(takes_context=True)
def translated_url(context, language: str) -> str:
    """The current page in another language, so that the language switch keeps the page: a map's page
    at its address in that language (/taipei/108/ ↔ /en/taipei/2019/), not one that redirects there."""
    request = context["request"]
    smap = context.get("map")
    address = page_address(request, smap, language) if isinstance(smap, StrategyMap) else None
    return address or translate_url(request.get_full_path(), language)


@register.simple_tag(takes_context=True)
def canonical_url(context) -> str:
    """The absolute address of a map's page in this language (``<link rel="canonical">``); empty for any
    other page."""
    request = context["request"]
    smap = context.get("map")
    address = page_address(request, smap) if isinstance(smap, StrategyMap) else None
    return request.build_absolute_uri(address) if address else ""


@register.filter
def get(mapping, key):
    return mapping.get(key) if mapping else None


@register.filter
def change_action(value: str) -> str:
    return str(Revision.Action(value).label)


@register.filter
def change_level(value: str) -> str:
    return str(Revision.Level(value).label)


@register.filter
def change_detail(value: str) -> str:
    """The attribute a change is about, in the page's language (its model field's name)."""
    field = Kpi._meta.get_field(value)
    assert isinstance(field, models.Field)  # a KPI's own column, never a reverse relation
    return str(field.verbose_name)


@register.filter
def result_status(value: str) -> str:
    return str(KpiResult.Status(value).label)


register.filter("audit_action", audit_action)
register.filter("audit_field", audit_field)
register.filter("audit_value", audit_value)


def data_language(context, organization: object = None) -> str | None:
    """The language the page's data is written in: ``organization``'s where a row of another organization is
    shown (the cascade's bureaus), else the page's (``data_language``, set once by the view from its map's
    organization, or its ``org``); None where the page has neither (each row's own then, see core.names)."""
    if organization is not None and organization != "":
        return original_language(organization)
    language = context.get("data_language")
    if language:
        return str(language)
    org = context.get("org")
    return original_language(org) if isinstance(org, Organization) else None


@register.simple_tag(takes_context=True)
def tr(context, obj: object, field: str = "name", organization: object = None) -> SafeString:
    """``{% tr kpi "unit" %}``: a text of the data in the reader's language where the data has it, else the
    original, in a ``<span lang>`` when that is not the page's language (``organization``: whose data it
    is, where not the page's organization's)."""
    return mark_safe(shown_html(obj, field, original=data_language(context, organization)))  # escaped there


@register.simple_tag(takes_context=True)
def tr_each(context, obj: object, field: str, organization: object = None) -> list[SafeString]:
    """``{% tr_each thrust "strategies" as items %}``: a list of the data (a thrust's strategies) in the reader's
    language where the data has it, else the original, each item marked as :func:`tr` marks a text."""
    found = shown(obj, field, original=data_language(context, organization))
    items = found.text if isinstance(found.text, list | tuple) else [found.text] if found.text else []
    return [mark_safe(marked(Shown(str(item), found.language))) for item in items]  # escaped there


@register.simple_tag(takes_context=True)
def tr_text(context, obj: object, field: str = "name", organization: object = None) -> str:
    """``{% tr_text kpi "name" %}``: the text alone, for where no element may go (a ``<title>``, an attribute),
    and for the notes on the source, whose language the data does not say (Taipei's are its transcribers'
    English, not the city's Chinese): marking them with the organization's would be wrong."""
    return local_text(obj, field, original=data_language(context, organization))


@register.simple_tag(takes_context=True)
def data_lang(context) -> str:
    """``{% data_lang as lang %}``: the page's data's language as HTML's ``lang`` writes it where it is not the page's
    (a council's English map on a Chinese page: "en"), else empty: for a block of the data, such as a drawing."""
    language = data_language(context)
    return other_lang(Shown("-", language)) if language else ""


@register.simple_tag(takes_context=True)
def field_lang(context, field: BoundField) -> str | None:
    """``{% field_lang field as lang %}``: the ``lang`` of what a form's field holds where it is not the page's
    language: a name's translation (``name_en``) its own, the organization's texts (the form's ``data_fields``)
    the data's, a free note of no stated language (its ``notes``) "" (HTML: unknown); None to mark nothing."""
    form, name = field.form, field.name
    if name in getattr(form, "notes", ()):
        return ""
    prefix, _sep, code = name.partition("_")
    if prefix == "name" and code in LANGUAGE_CODES:
        language: str | None = code
    elif name in getattr(form, "data_fields", ()):
        language = data_language(context)
    else:
        return None
    return (other_lang(Shown("-", language)) or None) if language else None


@register.simple_tag(name="accessibility_mark")
def accessibility_mark_tag() -> Mark | None:
    """``{% accessibility_mark as mark %}``: the site's accessibility mark (``STRATMAP_ACCESSIBILITY_MARK_*``), its
    image, certificate and alternative text in the page's language; None where the agency has none."""
    return accessibility_mark()


@register.simple_tag
def lang_of(language: str | None = None) -> str:
    """The page's language as HTML's ``lang`` writes it (``<html lang="{% lang_of LANGUAGE_CODE %}">``)."""
    return html_lang(reader_language(language))


@register.simple_tag(takes_context=True)
def translation_note(context) -> str:
    """On a page of a map read in a language its organization does not write in, who translated its data
    into that language, as the data says it (``StrategyMap.translation_notes``, the dataset's ``translations``:
    "English names translated by the stratmap project, not by Taipei City Government"); empty otherwise."""
    smap = context.get("map")
    if not isinstance(smap, StrategyMap):
        return ""
    want = reader_language()
    if same_language(original_language(smap.organization), want):
        return ""
    notes = getattr(smap, "translation_notes", None) or {}
    return next((str(text) for lang, text in notes.items() if same_language(lang, want) and text), "")


@register.simple_tag
def tr_org(organization: Organization | None, full: str = "") -> SafeString:
    """``{% tr_org org "full" %}``: an organization's name as :func:`local` gives it, in a ``<span lang>`` when
    it is not in the page's language (a council's English name on a Chinese page)."""
    if organization is None or organization == "":
        return mark_safe("")
    text = local_name(organization, full=bool(full))
    translated = shown(organization, "name")
    language = translated.language if translated.text == text else original_language(organization)
    return mark_safe(marked(Shown(text, language)))  # escaped there


@register.filter
def local(obj, full: str = "") -> str:
    """An organization's, theme's or perspective's name in the reader's language (see ``core.names``);
    ``|local:"full"`` for an organization's full name rather than its short one."""
    return local_name(obj, full=bool(full))


@register.filter(name="marked")
def marked_filter(text: object) -> SafeString:
    """``{{ label|marked }}``: a text with the language it is in (a :class:`Shown`, as ``editor.code_choices``
    labels a choice) in a ``<span lang>`` where that is not the page's; any other text escaped."""
    return mark_safe(marked(text)) if isinstance(text, Shown) else escape(text)  # escaped there


@register.filter
def scripts(text: object) -> SafeString:
    """``{{ note|scripts|linebreaksbr }}``: a text whose language the data does not say (notes on the source,
    printed words), with what is in the other language than the page's marked (``rows.mark_scripts``)."""
    return mark_safe(mark_scripts(str(text or "")))  # escaped there


#: What follows a label: 「狀態：草稿」 in Chinese (full-width, no space), "status: draft" in English.
LABEL_COLON = pgettext_lazy("after a label", ": ")


@register.simple_tag
def colon() -> str:
    """``{% translate "status" %}{% colon %}…``: a label's colon in the page's language."""
    return str(LABEL_COLON)


#: A group's weighted points against what it could earn: ``{{ rollup|points }}`` → "21 of 30".
register.filter("points", points_text)
# Early warning (docs/early-warning.md): ``{{ forecast.risk|risk }}`` → "▼▼ high risk", the method, the reason,
# a projected value.
register.filter("risk", risk_label)
register.filter("forecast_method", forecast_method_text)
register.filter("forecast_reason", forecast_reason)
register.filter("projection", projection_text)


@register.simple_tag(takes_context=True)
def page_query(context, param: str, number: int) -> str:
    """The page's query string with ``param`` set to page ``number``, the rest kept (another list's page,
    a filter): ``href="{% page_query "enter" 2 %}"``, for the pager (web/_pager.html)."""
    query = context["request"].GET.copy()
    query[param] = str(number)
    return "?" + query.urlencode()


@register.filter
def page_numbers(page: Page) -> list[int | str]:
    """The numbers the pager links for ``page`` (``{% for n in page|page_numbers %}``): the first and last,
    two on each side of the current one, and an ellipsis for the others."""
    return list(page.paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1))
