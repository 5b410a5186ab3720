"""How scores read wherever they are shown (the pages, the reports, the ``score`` command): lights with
symbol, label and colour in the reader's language, the engine's reasons, numbers as people write them,
the summary sentence, and the map drawn with each objective's light."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.urls import reverse
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from stratmap.access import Access
from stratmap.core.names import Shown, local_name, original_language, reader_language, shown
from stratmap.core.years import TAIPEI_YEARS, Period, Unit, YearStyle, format_year
from stratmap.kpis import scoring
from stratmap.kpis.models import TARGET_TYPE_LABELS
from stratmap.kpis.scoring import TAIPEI_LIGHTS, Level, LightSet, Rollup
from stratmap.kpis.scoring import forecast as forecast_engine
from stratmap.kpis.selectors import map_scorecard
from stratmap.strategy import diagram
from stratmap.strategy.diagram import LightStyle
from stratmap.strategy.models import StrategyMap
from stratmap.strategy.selectors import MapStructure, map_structure

# The engine's reasons, each written out for the translation catalogue (a test holds this to the
# engine's own list, scoring.REASONS).
REASONS = {
    scoring.NO_TARGET: gettext_lazy("no target"),
    scoring.NO_ACTUAL: gettext_lazy("no actual"),
    scoring.NOT_A_STAGE: gettext_lazy("the target is not one of the KPI's stages"),
    scoring.STAGES_NOT_INCREASING: gettext_lazy("the KPI's stages do not increase"),
    scoring.NO_BASELINE: gettext_lazy("no baseline"),
    scoring.BASELINE_IS_TARGET: gettext_lazy("the baseline equals the target"),
    scoring.NO_UPPER_BOUND: gettext_lazy("the range has no upper bound"),
    scoring.BOUNDS_REVERSED: gettext_lazy("the range's upper bound is below its lower bound"),
    scoring.NO_SCORE: gettext_lazy("a self-assessment score is missing"),
    scoring.MEANINGLESS_RATIO: gettext_lazy("a ratio of these values means nothing; met is decided by comparing them"),
    scoring.NO_YTD_TARGET: gettext_lazy("no year-to-date target"),
    scoring.NO_AGGREGATION: gettext_lazy("no aggregation rule for the KPI's periods"),
}


def reason_text(reason: str) -> str:
    """Why a KPI is unknown, in the current language: the engine's reasons translated, typed ones as written."""
    return str(REASONS.get(reason, reason))


_MONTHS_EN = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def period_short(period: Period, style: YearStyle = TAIPEI_YEARS, language: str | None = None) -> str:
    """A period inside its year, as a table's column or a "derived from" names it: Q3 / 第3季, H1 / 上半年,
    Apr / 4月 (the month's calendar name); a year by its label."""
    chinese = (language or get_language() or "").lower().startswith("zh")
    match period.unit:
        case Unit.QUARTER:
            return f"第{period.index}季" if chinese else f"Q{period.index}"
        case Unit.HALF:
            return ("上半年", "下半年")[period.index - 1] if chinese else f"H{period.index}"
        case Unit.MONTH:
            month = style.months_of(period)[0][1]
            return f"{month}月" if chinese else _MONTHS_EN[month - 1]
    return style.label(period.year, language)


@dataclass(frozen=True)
class MonthColumn:
    """A month of a plan's grid: its calendar ``month`` (1–12, as tasks and progress store it) and its
    ``label``."""

    month: int
    label: str


def month_columns(style: YearStyle, ad_year: int, language: str | None = None) -> list[MonthColumn]:
    """The months of a fiscal year in its order (April to March for a council): Apr / 4月, with the
    calendar year where a year that spans two says which one is meant (its first month, and January:
    Apr 2024 … Jan 2025 …, 2024年4月 … 2025年1月 …). A year from January names no year: the page's
    heading does."""
    columns = []
    for index, (_year, month) in enumerate(style.months(ad_year), start=1):
        if style.start_month != 1 and (index == 1 or month == 1):
            label = style.period_label(Period(ad_year, Unit.MONTH, index), language)
        else:
            label = period_short(Period(ad_year, Unit.MONTH, index), style, language)
        columns.append(MonthColumn(month, label))
    return columns


def periods_text(periods: tuple[Period, ...], style: YearStyle = TAIPEI_YEARS) -> str:
    """Periods in order as one phrase: Q1–Q3 for a run, Q1, Q3 otherwise."""
    if not periods:
        return ""
    names = [period_short(p, style) for p in periods]
    if len(periods) > 2 and [p.index for p in periods] == list(range(periods[0].index, periods[-1].index + 1)):
        return f"{names[0]}–{names[-1]}"
    return "、".join(names) if (get_language() or "").lower().startswith("zh") else ", ".join(names)


def derived_text(periods: tuple[Period, ...], style: YearStyle = TAIPEI_YEARS) -> str:
    """「由第1季–第3季推算」 / "derived from Q1–Q3": a year's value made of its periods'; empty for an entered one."""
    return _("derived from %(periods)s") % {"periods": periods_text(periods, style)} if periods else ""


#: The HTML ``lang`` of a language of the site where it says more than the language's code: the interface's
#: Chinese is Taiwan's (``<html lang="zh-Hant-TW">``), and so is the only Chinese data (Taipei's); a screen
#: reader picks its voice by it (``zh-Hant`` alone is read by some as Cantonese).
HTML_LANGUAGES = {"zh-hant": "zh-Hant-TW"}


def html_lang(language: str) -> str:
    """A language code as HTML's ``lang`` writes it (BCP 47): zh-hant → zh-Hant-TW, en → en, pt-br → pt-BR."""
    code = language.lower()
    if code in HTML_LANGUAGES:
        return HTML_LANGUAGES[code]
    first, *rest = code.split("-")
    return "-".join([first, *(t.title() if len(t) == 4 else t.upper() if len(t) == 2 else t for t in rest)])


def same_language(one: str, other: str) -> bool:
    """Whether two language codes name one language as a reader hears it (zh and zh-hant do; en and zh not)."""
    return one.lower().split("-")[0] == other.lower().split("-")[0]


def other_lang(text: Shown, language: str | None = None) -> str:
    """The HTML ``lang`` to mark ``text`` with on a page in ``language`` (the reader's): empty when it is in it."""
    return "" if not text.text or same_language(text.language, reader_language(language)) else html_lang(text.language)


def light_label(light: Level, language: str | None = None) -> Shown:
    """A level's name in the reader's language where its set names it so, else in the language the set has
    (English first: :func:`stratmap.kpis.scoring.lights.pick`), with that language."""
    want = reader_language(language)
    label = light.label(want)
    named = [lang for lang, text in light.names if text == label]
    in_want = [lang for lang in named if same_language(lang, want)]
    return Shown(label, (in_want or named or [want])[0])


def light_style(light: Level, language: str | None = None) -> LightStyle:
    """The light as the reader's language shows it: 「★優」 in Chinese, "★ excellent" in English; a level
    named only in another language (a council's Green on a Chinese page) is marked with that one."""
    label = light_label(light, language)
    return LightStyle(
        key=light.key, symbol=light.symbol, label=label.text, colour=light.colour, lang=other_lang(label, language)
    )


def light_styles(lights: LightSet = TAIPEI_LIGHTS, language: str | None = None) -> list[LightStyle]:
    """Every level of ``lights`` a KPI can get, best first, as the reader's language shows them."""
    return [light_style(level, language) for level in lights]


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


def _signed(value: Decimal) -> str:
    """A number with a true minus sign (−1, not -1), which no one reads as a dash between two numbers."""
    text = number(value)
    return "\u2212" + text[1:] if text.startswith("-") else text


def target_text(target: Decimal | None, upper: Decimal | None = None) -> str:
    """A target as people read it: 200; a range "−1 to 1" (「−1～1」), bounds signed with a minus sign."""
    if target is None:
        return ""
    if upper is None:
        return number(target)
    return _("%(lower)s to %(upper)s") % {"lower": _signed(target), "upper": _signed(upper)}


def points_text(rollup: Rollup) -> str:
    """A group's weighted points against what it could earn, as agencies read them: "21 of 30" (「21／30」);
    empty when nothing in it has a weight."""
    if rollup.points is None or rollup.possible is None:
        return ""
    points = number(rollup.points.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))
    return _("%(points)s of %(possible)s") % {"points": points, "possible": number(rollup.possible)}


def summary_sentence(
    rollup: Rollup,
    year: int,
    theme: str | None = None,
    language: str | None = None,
    *,
    style: YearStyle = TAIPEI_YEARS,
    period: Period | None = None,
) -> str:
    """The report's sentence: 「108年D組KPI除DP5.1外，其餘KPI已達成年度目標值」, or its English; the year
    as the organization names it (``style``: 2019/20 for a council). Of a ``period`` (a scorecard of the
    year to date): 「2024/25年第3季累計KPI除H2.1外，其餘KPI已達成年初至今目標值」, "2024/25 Q3 to date: …"."""
    language = language or get_language() or "zh-hant"
    if language.startswith("zh"):
        when = f"{style.period_label(period, language)}累計" if period else style.in_text(year, language)
        return rollup.summary("zh", when + (f"{theme}組" if theme else ""), to_date=period is not None)
    when = f"{style.period_label(period, language)} to date" if period else style.label(year, language)
    return rollup.summary("en", when + (f" theme {theme}" if theme else ""), to_date=period is not None)


def map_spec(
    smap: StrategyMap,
    card=None,
    *,
    access: Access,
    structure: MapStructure | None = None,
    language: str | None = None,
) -> diagram.MapSpec:
    """What the diagram module needs to draw a map, with each objective's rollup light from the
    results ``access`` may see (``card``: that scorecard, ``structure``: the map's, when the caller already
    has them), its texts in the reader's ``language`` (the active one by default) where the data has them and
    in the original otherwise, each marked with its language where that is not the reader's."""
    structure = structure or map_structure(smap=smap, access=access)
    card = card or map_scorecard(smap=smap, access=access)
    objective_rollups = card.rollups["objective"]
    want = reader_language(language)
    original = original_language(smap.organization)
    langs: dict[str, str] = {}

    def text(obj, field: str, key: str = "") -> Shown:
        found = shown(obj, field, language=want, original=original)
        if key and (lang := other_lang(found, want)):
            langs[key] = lang
        return found

    if smap.title:
        title = text(smap, "title", "title").text
    else:
        year = format_year(smap.year, language=want, style=smap.organization.year_style)
        title = f"{local_name(smap.organization, language=want)} {year}"
    values = text(smap, "values", "values").text
    names = {o.code: text(o, "name") for o in structure.objectives}
    return diagram.MapSpec(
        title=title,
        mission=text(smap, "mission", "mission").text,
        vision=text(smap, "vision", "vision").text,
        values=list(values) if isinstance(values, list | tuple) else list(smap.values),
        labels={
            "mission": _("Mission"),
            "vision": _("Vision"),
            "values": _("Core values"),
            "themes": _("Strategic themes"),
            "perspectives": _("Perspectives"),
        },
        perspectives=[(p.code, text(p, "name", f"perspective:{p.code}").text) for p in structure.perspectives],
        themes=[(t.code, text(t, "name", f"theme:{t.code}").text) for t in structure.themes],
        objectives=[
            diagram.ObjectiveBox(
                code=o.code,
                name=names[o.code].text,
                perspective=next((p.code for p in structure.perspectives if p.pk == o.perspective_id), None),
                theme=next((t.code for t in structure.themes if t.pk == o.theme_id), None),
                light=_objective_light(objective_rollups.get(o.code), want),
                href=_objective_href(smap, o, structure),
                lang=other_lang(names[o.code], want),
            )
            for o in structure.objectives
        ],
        links=structure.links,
        langs=langs,
        language=html_lang(want),
    )


def _objective_light(rollup: Rollup | None, language: str | None = None) -> diagram.LightStyle | None:
    """An objective's light, by its map's rule (its worst KPI, or its weighted score)."""
    if rollup is None or rollup.count == 0:
        return None
    return light_style(rollup.light, language)


def _objective_href(smap: StrategyMap, objective, structure) -> str | None:
    theme = next((t for t in structure.themes if t.pk == objective.theme_id), None)
    if theme is None:
        return None
    url = reverse("web:theme", args=[smap.organization.code, smap.url_year, theme.code])
    return f"{url}#objective-{objective.code}"


# --- early warning (docs/early-warning.md) ----------------------------------------------------------------------

#: A risk as the reader reads it, with a symbol, so that it never rests on colour alone.
RISK_LABELS = {
    forecast_engine.Risk.HIGH: gettext_lazy("high risk"),
    forecast_engine.Risk.MEDIUM: gettext_lazy("medium risk"),
    forecast_engine.Risk.LOW: gettext_lazy("low risk"),
}
RISK_SYMBOLS = {forecast_engine.Risk.HIGH: "▼▼", forecast_engine.Risk.MEDIUM: "▼", forecast_engine.Risk.LOW: "●"}
#: How a projection was made.
FORECAST_METHODS = {
    forecast_engine.ForecastMethod.COMPLETE: gettext_lazy("every period is in: the year's value"),
    forecast_engine.ForecastMethod.PLAN: gettext_lazy("on the profile of this year's period targets"),
    forecast_engine.ForecastMethod.SEASONAL: gettext_lazy("on last year's profile"),
    forecast_engine.ForecastMethod.LINEAR: gettext_lazy("linear on the year to date"),
}
# The engine's reasons, each written out for the translation catalogue (a test holds this to the engine's
# own list, forecast.FORECAST_REASONS); the values are the engine's, numbers already written.
FORECAST_REASONS = {
    forecast_engine.WHOLE_YEARS: gettext_lazy("a KPI of whole years has no periods to project from"),
    forecast_engine.NOT_PROJECTED: gettext_lazy(
        "not projected for a target of type %(type)s: it is a stage reached or a window, not a trend"
    ),
    forecast_engine.NO_RULE: gettext_lazy("no aggregation rule for the KPI's periods"),
    forecast_engine.NOTHING_IN: gettext_lazy("no period of the year is in yet"),
    forecast_engine.NO_TARGET_TO_MEET: gettext_lazy(
        "projected at %(projected)s; there is no target to measure it against"
    ),
    forecast_engine.NOT_RATED: gettext_lazy("projected at %(projected)s; a data-only KPI is not rated"),
    forecast_engine.SECURED: gettext_lazy(
        "the year to date, %(actual)s, already meets the year's target of %(target)s"
    ),
    forecast_engine.RULED_OUT: gettext_lazy(
        "the year to date, %(actual)s, already misses the year's target of %(target)s: the periods to come cannot "
        "undo it"
    ),
    forecast_engine.ON_TRACK: gettext_lazy("projected at %(projected)s, meeting the target of %(target)s"),
    forecast_engine.WITHIN_MARGIN: gettext_lazy(
        "projected at %(projected)s, %(percent)s %% of the target of %(target)s: short, but not below the "
        "%(limit)s %% tolerated"
    ),
    forecast_engine.SHORT: gettext_lazy(
        "projected at %(projected)s, %(percent)s %% of the target of %(target)s: short, above the high-risk limit "
        "of %(limit)s %%"
    ),
    forecast_engine.FAR_SHORT: gettext_lazy(
        "projected at %(projected)s, %(percent)s %% of the target of %(target)s: below the high-risk limit of "
        "%(limit)s %%"
    ),
    forecast_engine.MISSING: gettext_lazy("projected at %(projected)s, missing the target of %(target)s"),
}


def risk_label(risk: str) -> str:
    """「▼▼ 高風險」/ "▼▼ high risk"; "" for no risk told."""
    if not risk:
        return ""
    return f"{RISK_SYMBOLS[forecast_engine.Risk(risk)]} {RISK_LABELS[forecast_engine.Risk(risk)]}"


def forecast_method_text(method: str) -> str:
    """How the projection was made, in the reader's language; "" for none."""
    return str(FORECAST_METHODS[forecast_engine.ForecastMethod(method)]) if method else ""


def forecast_reason(made: forecast_engine.Forecast) -> str:
    """Why the KPI is (or is not) at risk, or why it has no projection, in the reader's language."""
    reason = made.reason
    values = dict(reason.values)
    if "type" in values:
        kind = next((label for kind, label in TARGET_TYPE_LABELS.items() if kind == values["type"]), values["type"])
        values["type"] = str(kind)
    template = FORECAST_REASONS.get(reason.template)
    return str(template) % values if template is not None else str(reason)


def projection_text(value: Decimal | None) -> str:
    """A projected value as people write it: at most two decimals, none when whole (206, 104.33, 1,234.5)."""
    if value is None:
        return ""
    return number(value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP).normalize())
