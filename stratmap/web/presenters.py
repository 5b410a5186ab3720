"""How scores look on a page: lights with symbol, label and colour; numbers as people write them."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from django.utils.translation import get_language, gettext_lazy

from stratmap.core.years import to_roc_year
from stratmap.kpis.scoring import Light, Rollup
from stratmap.strategy.diagram import LightStyle

LABELS_EN = {
    Light.EXCELLENT: gettext_lazy("excellent"),
    Light.GOOD: gettext_lazy("good"),
    Light.FAIR: gettext_lazy("fair"),
    Light.POOR: gettext_lazy("poor"),
    Light.UNKNOWN: gettext_lazy("unknown"),
}


def light_style(light: Light) -> LightStyle:
    """The light as the current language shows it: 「★優」 in Chinese, "★ excellent" in English."""
    label = light.label_zh if (get_language() or "").startswith("zh") else str(LABELS_EN[light])
    return LightStyle(key=light.key, symbol=light.symbol, label=label, colour=light.colour)


def light_styles() -> list[LightStyle]:
    return [light_style(light) for light in Light]


def lights_context(request) -> dict:
    """What every page shows: the light legend, and the administrator's extra links."""
    from stratmap.core.access import access_for

    return {"lights": light_styles(), "is_administrator": access_for(request).is_administrator}


def number(value: Decimal | None, places: int | None = None, grouping: bool = True) -> str:
    """3.6, not 3.6000; 4,700 with ``grouping`` (off for CSV); with ``places``, rounded half up."""
    if value is None:
        return ""
    if places is not None:
        value = value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    else:
        value = value.normalize()
        if value == value.to_integral():
            value = value.quantize(Decimal(1))
    return format(value, ",f" if grouping else "f")


def summary_sentence(rollup: Rollup, year: int, theme: str | None = None, language: str | None = None) -> str:
    """The report's sentence: 「108年D組KPI除DP5.1外，其餘KPI已達成年度目標值」, or its English."""
    language = language or get_language() or "zh-hant"
    if language.startswith("zh"):
        subject = f"{to_roc_year(year)}年" + (f"{theme}組" if theme else "")
        return rollup.summary("zh", subject)
    return rollup.summary("en", f"{year}" + (f" theme {theme}" if theme else ""))
