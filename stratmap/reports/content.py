"""What the leadership-camp report says, gathered once for both of its renderers.

:func:`report_content` reads everything the deck (:mod:`stratmap.reports.deck`) and its
PDF twin (:mod:`stratmap.reports.pdf`) show, in a fixed number of queries whatever the
number of KPIs: part 1 is the year's results, part 2 the next year's map (its
objectives, KSFs, KPIs with their multi-year targets, action plans with agencies and
months, and the revisions with their reasons). The renderers only lay it out.

A report of a period (``period=``: 2024/25 Q3) is the year to date at its end, as the scorecard page of
that period: part 1 only, its headings naming the period (「2024/25年第3季累計施政成果」).
"""

from __future__ import annotations

import gc
import re
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import ClassVar, TypeAlias

from django.conf import settings
from django.db.models import Prefetch
from django.utils import translation
from django.utils.translation import get_language, pgettext

from stratmap.access import Access
from stratmap.core.models import Organization
from stratmap.core.names import local_name, local_text, shown
from stratmap.core.years import MONTHS_IN, Period, Unit, to_roc_year
from stratmap.kpis import services
from stratmap.kpis.models import AGGREGATION_LABELS, Kpi, KpiResult
from stratmap.kpis.presenters import (
    derived_text,
    map_spec,
    number,
    period_short,
    reason_text,
    summary_sentence,
)
from stratmap.kpis.presenters import target_text as target_text_of
from stratmap.kpis.scoring import Aggregation, Level, Method, Polarity, Rollup
from stratmap.kpis.selectors import PeriodRow, Scorecard, ScoredKpi, YearPoint, histories, map_scorecard
from stratmap.plans.models import ActionPlan, Outcome
from stratmap.plans.selectors import objective_outcomes, plans_in_full
from stratmap.reports.models import ReportSettings
from stratmap.revisions.selectors import Change, MapDiff, map_diff
from stratmap.strategy import diagram
from stratmap.strategy.models import Objective, Perspective, Revision, RevisionCount, StrategyMap, Theme
from stratmap.text import LINE_HEIGHT, display_width, wrap
from stratmap.text import truncate as truncate_columns

TARGET_YEARS = 3  # part 2 shows this many years of targets, from the next year on
#: What a renderer tells of its pages as it goes: ``progress(done, total)``.
Progress: TypeAlias = Callable[[int, int], None]
#: The context of every message of a report in django.po: a report's words (目標值, 達成值, 達成度 …, the
#: document's terms) are its own, apart from the pages' messages of the same English.
CONTEXT = "report"


def t(message: str) -> str:
    """``message`` in the report's language. Every function of a report runs inside
    :func:`speaking` (``translation.override(content.language)``), so the active language is the report's,
    never the request's."""
    return pgettext(CONTEXT, message)


def tf(message: str, **values: object) -> str:
    """:func:`t` with ``%(name)s`` values; runs of spaces an empty value leaves (an English heading
    without a subject) become one."""
    return re.sub(r" {2,}", " ", t(message) % values).strip()


def report_language(language: str | None, organization: Organization | None = None) -> str:
    """The language a report is made in: the one asked for, else the organization's own, else the site's.
    A language the site does not offer is a :class:`DeckError` naming the ones it does."""
    offered = [code for code, _name in settings.LANGUAGES]
    if language is None or language == "":
        language = getattr(organization, "language", "") or settings.LANGUAGE_CODE
    found = language.strip().lower().replace("_", "-")
    if found not in offered:
        raise DeckError(f"no report language {language!r}; expected one of {', '.join(offered)}")
    return found


def speaking(language: str):
    """The report's language made the active one while a report is gathered or rendered."""
    return translation.override(language)


def gap() -> str:
    """The space between two things on a line: a full-width space in Chinese, two spaces in English."""
    return pgettext("report gap", "  ")


def list_join(items) -> str:
    """Items of a list as the report writes them: 「、」 between in Chinese, ", " in English."""
    return pgettext("report list separator", ", ").join(items)


ACTIONS = {"add": "Added", "delete": "Deleted", "rename": "Renamed", "change": "Changed"}
LEVELS = {"objective": "objective", "kpi": "KPI", "action_plan": "action plan"}
DETAILS = {"code": "code", "unit": "unit", "polarity": "polarity", "frequency": "frequency"}
#: What a row of objectives outside the perspectives is called (a map with one perspective, or none).
NO_PERSPECTIVE = "No perspective"


def no_perspective() -> str:
    return t(NO_PERSPECTIVE)


def action_text(action: str, level: str) -> str:
    """「新增KPI」, "Added KPI"."""
    return tf("%(action)s %(level)s", action=t(ACTIONS[action]), level=t(LEVELS[level]))


class DeckError(ValueError):
    """An organization, year or theme the report cannot be built for; the message says which."""


@dataclass
class LinkedObjective:
    """An objective of the linkage map (關聯圖) with its scored KPIs."""

    objective: Objective
    rows: list[ScoredKpi]


@dataclass
class Linkage:
    """A theme's linkage map: its objectives by perspective, with their KPIs and lights, and its links."""

    theme: Theme
    #: None: the objectives outside the perspectives (a map with one perspective, or none), last.
    perspectives: list[tuple[Perspective | None, list[LinkedObjective]]]
    links: list[tuple[str, str]]


@dataclass
class PlannedObjective:
    """One objective of the next year's map: KPIs with targets by year, action plans, outcomes."""

    objective: Objective
    perspective: Perspective | None  # None: outside the perspectives
    kpis: list[Kpi]  # targets and action plans (in full) prefetched
    targets: dict[int, dict[int, str]]  # KPI id → year → target as printed
    outcomes: list[Outcome]  # the objective's expected outcomes (預期成效)

    @property
    def plans(self) -> list[ActionPlan]:
        return [plan for kpi in self.kpis for plan in kpi.action_plans.all()]


@dataclass
class NextYear:
    """Part 2: the next year's map, what it plans and how it was revised."""

    map: StrategyMap
    spec: diagram.MapSpec
    years: list[int]  # the target years shown (109, 110, 111)
    objectives: list[PlannedObjective]
    revisions: list[Revision]  # the published changes with reasons
    counts: list[RevisionCount]  # the published count table, as printed
    diff: MapDiff  # the changes found by comparing the two maps
    perspective_names: dict[str, str]


@dataclass
class ReportContent:
    """Everything the deck shows, in order."""

    card: Scorecard
    heading: str  # 「優化產業勞動（D）組」, empty for the whole organization
    subject: str  # 「D組」 or empty
    spec: diagram.MapSpec  # the year's strategy map
    linkages: list[Linkage]
    missed: list[ScoredKpi]
    histories: dict[int, list[YearPoint]]  # KPI id → targets and actuals by year
    sentence: str
    unknown: list[ScoredKpi] = field(default_factory=list)
    next: NextYear | None = None
    #: The language the report is in (``zh-hant``, ``en``): its labels, years and, where translated, its data.
    language: str = "zh-hant"
    #: What the deck is made for, after the organization's name on the cover (the map's ``occasion``).
    occasion: str = ""
    #: The organization's cover title ({year}), what it adds of a next year's map ({next_year}) and its closing
    #: line, in ``language``; "" for neutral wording.
    cover_title: str = ""
    cover_revisions: str = ""
    closing: str = ""

    @property
    def organization(self) -> Organization:
        return self.card.map.organization

    @property
    def assessed(self) -> bool:
        """Whether the map's KPIs are rated by a total with the self-assessment (the composite method,
        Taipei's); a map rated by its achievement alone (bands, data only) shows no self-assessment."""
        return self.card.policy.self_assessed

    @property
    def year(self) -> int:
        return self.card.year

    @property
    def period(self) -> Period | None:
        """The period the report is of (the year to date at its end), None for the whole year."""
        return self.card.period

    @property
    def when(self) -> str:
        """What the results are of, inside a heading: the year (「108年」, 「2024/25年」) or the period
        (「2024/25年第3季」, 「2024年12月」)."""
        if self.period is None:
            return self.year_text(self.year)
        return self.organization.year_style.period_label(self.period, self.language)

    @property
    def span(self) -> str:
        """What the results are of, before 「施政成果」 or 「KPI成績」: 「108年度」, or 「2024/25年第3季累計」
        (accumulated from the start of the year to the end of the period)."""
        with speaking(self.language):
            if self.period is None:
                return pgettext("report span of a year", "%(year)s") % {"year": self.when}
            return tf("%(period)s to date", period=self.when)

    @property
    def title(self) -> str:
        """The cover's title: the organization's (Taipei's 「108年度施政成果暨109年修正內容」, its report settings'
        「{year}施政成果」 and 「暨{next_year}修正內容」), or a neutral one ("Performance report 2024/25")."""
        following = self.year_text(self.next.map.year) if self.next is not None else ""
        if self.cover_title:
            title = self.cover_title.replace("{year}", self.span)
            if not (following and self.cover_revisions):
                return title
            with speaking(self.language):
                revisions = self.cover_revisions.replace("{next_year}", following)
                return tf("%(title)s %(revisions)s", title=title, revisions=revisions)
        with speaking(self.language):
            if following:
                return tf("Performance report %(year)s and revisions for %(next)s", year=self.span, next=following)
            return tf("Performance report %(year)s", year=self.span)

    @property
    def cover_line(self) -> str:
        """The cover's first line: the organization and what the deck is made for (its map's ``occasion``,
        Taipei's 「臺北市政府首長領航共識營」)."""
        with speaking(self.language):
            name = local_name(self.organization, full=True, language=self.language)
            return tf("%(organization)s %(occasion)s", organization=name, occasion=self.occasion)

    @property
    def closing_line(self) -> str:
        """The closing slide's line: the organization's (Taipei's 「簡報結束，敬請指教！」), else a thank-you."""
        with speaking(self.language):
            return self.closing or t("Thank you")

    def year_text(self, year: int) -> str:
        """A year as the report writes it in a heading: 「108年」 for Taipei, 「2019/20年」 for a council
        whose years read 2019/20 (the organization's year style)."""
        return self.organization.year_style.in_text(year, self.language)

    @property
    def month_order(self) -> tuple[int, ...]:
        """The calendar months of the organization's year, in order: 1–12, or 4–12 then 1–3 for April–March."""
        return tuple(month for _year, month in self.organization.year_style.months(self.year))

    @property
    def year_label(self) -> str:
        """The report's year on its cover: 「民國108年」 for Taipei, 「2019/20」 for a council."""
        return self.organization.year_style.label(self.year, self.language)


# --- values as the report writes them -----------------------------------------------------------


#: How long a page title may be before it is cut with "…", in columns of display width (a Chinese character
#: takes two, a Latin letter one): 40 Chinese characters or 80 letters, which a slide's title bar holds at 20 pt
#: or more. Counted in characters, an English title was cut at half the length of a Chinese one that is as wide.
TITLE_MAX = 80


def truncate(text: str, limit: int = TITLE_MAX) -> str:
    """``text`` on one line, cut with "…" to ``limit`` columns; a word of letters is not cut in the middle."""
    text = " ".join(text.split())
    cut = truncate_columns(text, limit)
    if cut == text:
        return text
    kept = cut[:-1]
    if text[len(kept)].isascii() and text[len(kept)].isalnum() and " " in kept[limit // 4 :]:
        kept = kept[: kept.rindex(" ")]  # back to the word's start, if that leaves most of the title
    return kept.rstrip(" ,;:/-") + "…"


def roc(year: int) -> str:
    """A year as Taipei's documents write it (「108年」); the report itself writes its organization's
    years with :meth:`ReportContent.year_text`."""
    return f"{to_roc_year(year)}年"


def rate_text(row: ScoredKpi) -> str:
    percent = row.score.rate.percent
    return "" if percent is None else f"{number(percent, 1)}%"


#: After a year's value made of its periods' (the KPI's aggregation), as the scorecard page marks it.
DERIVED = " (derived)"


def zh_target(value: Decimal, upper: Decimal | None) -> str:
    """A target as the report writes it, in its language: a range reads 「−1～1」, its bounds signed with a
    minus sign, as the pages read it."""
    return target_text_of(value, upper)


def target_text(row: ScoredKpi) -> str:
    """The target scored: the year's as entered (as printed), or made of the periods' and marked so."""
    value = row.score.kpi.target
    if value is None:
        return ""
    if row.target is not None and row.target.value == value and not row.target_from:
        return row.target.printed or zh_target(value, row.score.kpi.target_upper)
    return number(value) + (t(DERIVED) if row.target_from else "")


def actual_text(row: ScoredKpi) -> str:
    """The actual scored: the year's as entered (as printed), or made of the periods' and marked so."""
    value = row.score.kpi.actual
    if value is None:
        return t("unknown")
    if row.result is not None and row.result.actual == value and not row.actual_from:
        return row.result.printed or number(value)
    return number(value) + (t(DERIVED) if row.actual_from else "")


def light_text(light: Level) -> str:
    """A light as the report's language names it (the active one, see :func:`t`): 「★優」, "★ excellent"."""
    return light.text(get_language())


def score_texts(row: ScoredKpi) -> list[str]:
    """Innovation, challenge, contribution and total, as the scorecard prints them."""
    r, total = row.result, row.score.score
    parts = [number(getattr(r, name)) if r else "" for name in services.SCORES]
    return [*parts, number(total, 2) if total is not None else ""]


def zh_reason(reason: str) -> str:
    """Why a KPI is unknown, in the report's language."""
    return reason_text(reason)


def figures(row: ScoredKpi, assessed: bool = True) -> list[str]:
    """Target, actual, rate, the three scores, the total and the light: a scorecard row's figures; of a map
    not ``assessed`` (rated by its achievement), target, actual, rate, the score and the light."""
    scores = score_texts(row) if assessed else score_texts(row)[-1:]
    return [target_text(row), actual_text(row), rate_text(row), *scores, light_text(row.score.light)]


def kpi_notes(row: ScoredKpi) -> list[str]:
    """The small print under a KPI's figures: polarity, why it is unknown, a total that disagrees."""
    s, notes = row.score, []
    if row.kpi.polarity == Polarity.NEGATIVE:
        notes.append(t("(lower is better)"))
    if s.met is None and s.unknown_reason:
        notes.append(tf("Unknown: %(reason)s", reason=zh_reason(s.unknown_reason)))
    if s.flag and s.score_computed is not None:
        notes.append(
            tf("The scoring policy's total is %(score)s, not the total reported", score=number(s.score_computed, 2))
        )
    return notes + derived_notes(row)


def derived_note(row: ScoredKpi, figure: str) -> str:
    """「年度達成值由第1季–第4季推算（各期加總）」: how the year's (or, on a scorecard of a period, the year to
    date's) ``figure`` ("target" or "actual") was made of its periods', as the scorecard page says it;
    empty for a value entered for the year."""
    periods = row.target_from if figure == "target" else row.actual_from
    if not periods:
        return ""
    style = row.kpi.objective.map.organization.year_style
    how = aggregation_text(row.kpi)
    if row.period is None:
        label = t("The year's target") if figure == "target" else t("The year's actual")
    else:
        label = t("The year-to-date target") if figure == "target" else t("The year-to-date actual")
    note = tf("%(label)s %(how)s", label=label, how=derived_text(periods, style))
    return tf("%(note)s (%(how)s)", note=note, how=how) if how else note


def aggregation_text(kpi: Kpi) -> str:
    """「各期加總」: how the KPI's periods make its year, in the report's language; empty for a KPI without
    the rule."""
    if not kpi.aggregation:
        return ""
    return str(AGGREGATION_LABELS[Aggregation(kpi.aggregation)])


def derived_notes(row: ScoredKpi) -> list[str]:
    return [note for figure in ("target", "actual") if (note := derived_note(row, figure))]


def ended_by(row: ScoredKpi, period: Period | None) -> list[PeriodRow]:
    """The KPI's period rows, those ended by the end of ``period`` (all of them for the year)."""
    if period is None:
        return row.periods
    end = period.index * MONTHS_IN[period.unit]
    return [p for p in row.periods if p.period.index * MONTHS_IN[p.period.unit] <= end]


def period_table(content: ReportContent, row: ScoredKpi) -> list[list[str]]:
    """A KPI's figures by period, as a table: the header (the year, then 第1季 … or 4月 … in the fiscal
    year's order), the targets when any period has one, the actuals; empty for a KPI of yearly values.
    A report of a period shows the periods ended by its end: what was known then."""
    periods = ended_by(row, content.period)
    if not periods:
        return []
    style = content.organization.year_style
    targets = [target.printed or number(target.value) if (target := p.target) else "" for p in periods]
    actuals = [r.printed or number(r.actual) if (r := p.result) and r.actual is not None else "" for p in periods]
    table = [[content.year_text(content.year), *[period_short(p.period, style, content.language) for p in periods]]]
    if any(targets):
        table.append([t("Target"), *targets])
    table.append([t("Actual"), *actuals])
    return table


def explanation(row: ScoredKpi) -> KpiResult | None:
    """The result whose situation analysis and countermeasures a missed KPI's page shows: the year's, else
    the latest period's that says something (a year made of its periods has no result of its own). Of a
    report of a period, the latest period ended by then that says something comes first: the year's
    explanation is written when the year is over."""
    said = [
        p.result
        for p in ended_by(row, row.period)
        if p.result and (p.result.situation_analysis or p.result.countermeasures)
    ]
    if row.period is not None and said:
        return said[-1]
    if row.result is not None and (row.result.situation_analysis or row.result.countermeasures):
        return row.result
    return said[-1] if said else row.result


def narratives(row: ScoredKpi, assessed: bool = True) -> list[tuple[str, str]]:
    """The self-assessment's narratives, of a map ``assessed`` by them; otherwise what the agency said of
    its figures (the situation analysis and countermeasures), when it said anything."""
    if not assessed:
        said = explanation(row)
        if said is None or not (said.situation_analysis or said.countermeasures):
            return []
        return [(t("Situation analysis"), text_of(said, "situation_analysis")),
                (t("Countermeasures"), text_of(said, "countermeasures"))]  # fmt: skip
    r = row.result
    return [
        (t("Innovation"), text_of(r, "innovation_note")),
        (t("Challenge"), text_of(r, "challenge_note")),
        (t("Contribution"), text_of(r, "contribution_note")),
    ]


def text_of(obj: object, field: str) -> str:
    """A text of the data in the report's language where it is translated, else as written."""
    return local_text(obj, field, language=get_language()) if obj is not None else ""


def name_of(obj: object) -> str:
    return text_of(obj, "name")


def missed_line(row: ScoredKpi) -> str:
    line = tf("Target %(target)s   Actual %(actual)s   Achievement %(rate)s",
              target=target_text(row), actual=actual_text(row), rate=rate_text(row))  # fmt: skip
    if row.kpi.polarity == Polarity.NEGATIVE:
        line = tf("%(line)s   %(note)s", line=line, note=t("(lower is better)"))
    return line


def target_rows(planned: PlannedObjective, years: list[int]) -> list[list[str]]:
    """A row per KPI of the objective: code and name, its target of each year, its agencies."""
    rows = [
        [f"{k.code} {name_of(k)}", *[planned.targets[k.pk].get(y, "") for y in years], agencies_text(k)]
        for k in planned.kpis
    ]
    return rows or [[t("(no KPIs)"), *[""] * len(years), ""]]


def objective_columns(planned: PlannedObjective) -> list[tuple[str, list[str]]]:
    """願景目標, 重點工作 and 預期成效 of an objective, as bulleted lines."""
    o = planned.objective
    return [
        (t("Goal"), [text_of(o, "goal")] if o.goal else []),
        (t("Key works"), [f"• {w}" for w in o.key_works]),
        (t("Expected outcomes"), [f"• {text_of(outcome, 'text')}" for outcome in planned.outcomes]),
    ]


def found_text(change: Change) -> str:
    """A change found by comparing the maps: 「變更KPI DP3.3（代碼：DP3.4 → DP3.3）」."""
    head = f"{action_text(change.action, change.level)} {change.code}"
    if change.action in ("add", "delete"):
        return f"{head} {change.old or change.new}"
    detail = t(DETAILS[change.detail]) if change.detail in DETAILS else (change.detail or t("name"))
    return tf("%(head)s (%(detail)s: %(old)s → %(new)s)", head=head, detail=detail, old=change.old or "—",
              new=change.new or "—")  # fmt: skip


def change_text(revision: Revision) -> str:
    """What a published revision says: the rename, and its reason as written (the reason names deletions)."""
    parts = []
    if revision.action == Revision.Action.RENAME:
        parts.append(tf("“%(code)s %(old)s” renamed “%(code)s %(new)s”. ", code=revision.code,
                        old=revision.old_name, new=revision.new_name) + " ")  # fmt: skip
    elif not revision.reason:
        name = revision.old_name or revision.new_name
        parts.append(tf("%(action)s “%(code)s %(name)s”.", action=t(ACTIONS[revision.action]), code=revision.code,
                        name=name) + " ")  # fmt: skip
    return ("".join(parts) + text_of(revision, "reason")).strip()


def agencies_text(item: Kpi | ActionPlan | Revision) -> str:
    return item.agencies_printed or list_join(agency_name(a) for a in item.agencies.all())


def agency_name(agency: Organization) -> str:
    """An agency as a report's table names it: its short name (產業局), or where its name is translated into
    the report's language and its short name is not, the translated name (Department of Economic Development)."""
    language = get_language()
    short = shown(agency, "short_name", language=language)
    if short.text and short.language == language:
        return short.text
    return local_name(agency, language=language)


# --- gathering ----------------------------------------------------------------------------------


def _map_of(organization: str, year: int, access: Access) -> StrategyMap:
    if not Organization.objects.filter(code=organization).exists():
        raise DeckError(f"no organization with code {organization!r}")
    maps = access.maps()
    found = (
        maps.select_related("organization", "scoring_policy")
        .filter(organization__code=organization, year=year, in_force=True)
        .first()
    )
    if found is None:
        raise DeckError(f"{organization} has no map in force for {to_roc_year(year)} ({year})")
    return found


def _linkages(smap: StrategyMap, card: Scorecard, themes: list[Theme]) -> list[Linkage]:
    perspectives: list[Perspective | None] = [*smap.perspectives.order_by("order"), None]
    objectives = list(smap.objectives.filter(theme__in=themes).order_by("order"))
    links = list(smap.links.order_by("pk").values_list("source__code", "target__code"))
    rows: dict[int, list[ScoredKpi]] = {}
    for row in card.rows:
        rows.setdefault(row.kpi.objective_id, []).append(row)
    result = []
    for theme in themes:
        mine = [o for o in objectives if o.theme_id == theme.pk]
        codes = {o.code for o in mine}
        by_perspective = [
            (p, [LinkedObjective(o, rows.get(o.pk, [])) for o in mine if o.perspective_id == (p.pk if p else None)])
            for p in perspectives
        ]
        result.append(
            Linkage(
                theme,
                [(p, objs) for p, objs in by_perspective if objs],
                [(s, t) for s, t in links if s in codes and t in codes],
            )
        )
    return result


def _next_year(smap: StrategyMap, theme: str | None, access: Access) -> NextYear | None:
    maps = access.maps()
    after = (
        maps.select_related("organization", "scoring_policy")
        .filter(organization=smap.organization, year=smap.year + 1, in_force=True)
        .first()
    )
    if after is None:
        return None
    objectives = after.objectives.select_related("perspective", "theme").order_by(
        "theme__order", "perspective__order", "order"
    )  # theme by theme, as each theme group presents its own
    kpis = (
        Kpi.objects.filter(objective__map=after)
        .prefetch_related("targets", "agencies", Prefetch("action_plans", queryset=plans_in_full()))
        .order_by("objective__order", "order")
    )
    revisions = after.revisions.prefetch_related("agencies").order_by("order")
    if theme:
        objectives = objectives.filter(theme__code=theme)
        kpis = kpis.filter(objective__theme__code=theme)
    # The published revisions and count table speak of one theme (revisions_theme) or of the whole map.
    published = not theme or after.revisions_theme in ("", theme)
    years = [after.year + i for i in range(TARGET_YEARS)]
    by_objective: dict[int, list[Kpi]] = {}
    for kpi in kpis:
        by_objective.setdefault(kpi.objective_id, []).append(kpi)
    outcomes_of = objective_outcomes(smap=after, access=access)  # the theme's are those of its objectives
    planned = []
    for objective in objectives:
        mine = by_objective.get(objective.pk, [])
        if objective.theme_id is None and not mine:
            continue  # the city-wide TC row has no plans of its own
        targets = {k.pk: {t.year: t.printed or number(t.value) for t in k.targets.all() if not t.period} for k in mine}
        planned.append(
            PlannedObjective(objective, objective.perspective, mine, targets, outcomes_of.get(objective.pk, []))
        )
    compared_to = after.compared_year
    before = (
        smap
        if compared_to == smap.year
        else maps.filter(organization=smap.organization, year=compared_to, in_force=True).first()
    )
    return NextYear(
        map=after,
        spec=map_spec(after, access=access),
        years=years,
        objectives=planned,
        revisions=list(revisions) if published else [],
        counts=list(after.revision_counts.order_by("order")) if published else [],
        diff=map_diff(after=after, before=before, theme=theme or "", access=access),
        perspective_names={p.code: name_of(p) for p in after.perspectives.all()},
    )


@contextmanager
def rare_collections() -> Iterator[None]:
    """Python's cycle collector run less often while a report's data is read and it is laid out and written.

    WeasyPrint makes millions of small objects for a city's report (a computed style for every element and
    pseudo-element, boxes, their copies), and the collector, run after every 700 new objects, walks the
    ones still alive again and again: without this, a third of the whole rendering's time. The objects of a
    batch are freed as they go out of use; only cycles wait for the rarer collections.
    """
    threshold = gc.get_threshold()
    gc.set_threshold(1_000_000, 10, 10)  # the young objects collected after a million more, not 700
    try:
        yield
    finally:
        gc.set_threshold(*threshold)


def report_content(
    organization: str,
    year: int,
    theme: str | None = None,
    *,
    access: Access,
    period: Period | None = None,
    language: str | None = None,
) -> ReportContent:
    """The report of ``organization``'s ``year`` (AD), of one theme or of the whole map, as ``access``
    may read it: maps and results it may not see are left out (commands pass ``Access.everything()``).
    With ``period`` (a period of that year), the year to date at its end, without part 2. In ``language``
    (``zh-hant``, ``en``): None is the organization's own (the renderers' entry points ask for it).

    Raises :class:`DeckError` for an unknown organization, year, theme or language, a period of another
    year, or a map ``access`` may not read.
    """
    if period is not None and period.unit is Unit.YEAR:
        period = None  # the whole year, asked as a period
    found = Organization.objects.filter(code=organization).first()
    language = report_language(language, found)
    with speaking(language), rare_collections():  # the report's language, whatever the request's
        return _report_content(organization, year, theme, access, period, language)


def _wording(smap: StrategyMap, language: str) -> dict[str, str]:
    """The organization's cover title, its revisions part and closing line in ``language`` (as written where
    not translated); "" for those it has not set."""
    settings_row = ReportSettings.objects.filter(organization_id=smap.organization_id).first()
    fields = ("cover_title", "cover_revisions", "closing")
    if settings_row is None:
        return dict.fromkeys(fields, "")
    original = str(smap.organization.language)
    return {name: local_text(settings_row, name, language=language, original=original) for name in fields}


def _report_content(
    organization: str, year: int, theme: str | None, access: Access, period: Period | None, language: str
) -> ReportContent:
    smap = _map_of(organization, year, access)
    style = smap.organization.year_style
    if period is not None and period.year != smap.year:
        raise DeckError(
            f"{style.period_label(period, 'en')} is not a period of {organization}'s {style.label(smap.year, 'en')}"
        )
    heading, subject = "", ""
    themes = list(smap.themes.order_by("order"))
    if theme:
        found = next((t for t in themes if t.code == theme), None)
        if found is None:
            raise DeckError(f"the {to_roc_year(year)} map of {organization} has no theme {theme!r}")
        themes = [found]
        heading = tf("%(name)s (group %(code)s)", name=name_of(found), code=found.code)
        subject = tf("group %(code)s", code=found.code)
    card = map_scorecard(smap=smap, theme=theme, access=access, period=period)
    whole = map_scorecard(smap=smap, access=access, period=period) if theme else card
    (rollup,) = card.rollups["organization"].values()
    wording = _wording(smap, language)
    kpi_histories = histories(kpis=[row.kpi for row in card.rows], access=access)
    if period is not None:
        kpi_histories = {pk: _known_at(points, smap.year) for pk, points in kpi_histories.items()}
    return ReportContent(
        card=card,
        heading=heading,
        subject=subject,
        spec=map_spec(smap, whole, access=access),
        linkages=_linkages(smap, card, themes),
        # A year made of its periods' is missed without a result of its own for the year.
        missed=[row for row in card.rows if row.score.met is False],
        histories=kpi_histories,
        sentence=_sentence(card, rollup, language) if card.rows else t("No KPIs in this group"),
        # A data-only KPI is not rated, which is not unknown: the summary counts it apart.
        unknown=[row for row in card.rows if row.score.met is None and row.score.method != Method.DATA_ONLY],
        # Part 2 is the next year's map as revised at the year's end, the same whatever the period; a
        # report of a period reviews the year so far, before there is anything to revise.
        next=_next_year(smap, theme, access) if period is None else None,
        language=language,
        occasion=local_text(smap, "occasion", language=language, original=str(smap.organization.language)),
        **wording,
    )


def _sentence(card: Scorecard, rollup: Rollup, language: str) -> str:
    """The summary sentence: 「108年D組KPI除DP5.1外，其餘KPI已達成年度目標值」, or of a period
    「2024/25年第3季累計KPI除H2.1外，其餘KPI已達成年初至今目標值」 (the targets are the year to date's)."""
    style = card.map.organization.year_style
    return summary_sentence(rollup, card.year, card.theme, language, style=style, period=card.period)


def _known_at(points: list[YearPoint], year: int) -> list[YearPoint]:
    """A KPI's history as known during ``year``: the targets, but no actual of that year or later (the
    year to date is the KPI page's figures, and a year's actual is known once the year is over)."""
    return [replace(p, actual=None) if p.year >= year else p for p in points]


# --- the pages, in order ------------------------------------------------------------------------

# Most rows a page of a table has; fewer when they do not fit at MIN_SIZE (see fitted_parts).
TABLE_ROWS = 10  # scorecard rows per page
GRID_ROWS = 16  # rows of a 12-month grid per page
CHANGES_PER_PAGE = 3
CHANGES_LISTED = 8  # changes found by comparing the maps, listed under the count table
UNKNOWN_ON_SUMMARY = 6  # more unknown KPIs than this get pages of their own after the summary
UNKNOWN_PER_PAGE = 16
SUMMARY_CODES = 10  # codes a summary cell lists before it counts them instead
# Messages (English, translated by t() into the report's language when a page is made).
NO_MONTHS = "The source document gives no months"
COUNT_NOTE = "Note: the numbers in ( ) are the adjustments of objectives, KPIs and action plans"
SCORES = ["Target", "Actual", "Achievement", "Innovation", "Challenge", "Contribution", "Total score", "Light"]
#: A KPI's figures on a map rated by its achievement alone (bands: the score is the capped achievement).
ACHIEVEMENT_SCORES = ["Target", "Actual", "Achievement", "Score", "Light"]
HEADERS = {
    "summary": ["Perspective", "KPIs", "Achieved", "Not achieved", "Unknown", "Lights"],
    "scorecard": ["No.", "KPI name", *SCORES],
    "kpi": SCORES,
    "plans-table": ["Perspective", "Objective", "Key success factors", "Key performance indicators", "Action plans",
                    "Agencies"],
    "revision-counts": ["Perspective", "Objectives before", "Objectives after", "KPIs before", "KPIs after",
                        "Action plans before", "Action plans after"],
    "changes": ["Objective", "Change", "What and why", "Agency"],
    "no-results": ["No.", "KPI name", "Why"],
    "no-targets": ["Objective", "Key performance indicators", "Agencies"],
}  # fmt: skip
# Relative column widths of each kind of table, the same in the deck and the PDF.
WIDTHS: dict[str, list[float]] = {
    "summary": [2.2, 1, 1, 2.4, 3, 2.7],
    "scorecard": [1.1, 4, 1.1, 1.1, 1.1, 0.9, 0.9, 0.9, 1, 1],
    "plans-table": [0.9, 1.7, 2.4, 3.0, 3.4, 1.3],
    "revision-counts": [2, 1, 1, 1, 1, 1, 1],
    "changes": [1.8, 1.3, 8, 1.6],
    "objective": [4.5, 1.4, 1.4, 1.4, 2],
    "grid": [4.9] + [0.65] * 12,
    "no-results": [1.1, 5, 6.2],
    "no-targets": [3.5, 6.3, 2.5],
}
#: The widths in a language of words, where they differ (inches of the deck's 12.7): a column as wide as its
#: heading's longest word at 12 pt bold ("Achievement", "Contribution", "Perspective"), which would otherwise be
#: broken in the middle in a column sized for two Chinese characters; the names' columns take the rest.
LATIN_WIDTHS: dict[str, list[float]] = {
    "scorecard": [0.75, 3.47, 0.9, 0.9, 1.35, 1.17, 1.08, 1.33, 0.85, 0.9],
    "plans-table": [1.2, 1.6, 2.3, 2.9, 3.3, 1.4],
    "summary": [2.1, 1, 1.2, 2.3, 3, 2.7],
}
#: The scorecard table's widths of a map rated by its achievement (no self-assessment columns).
ACHIEVEMENT_WIDTHS = [1.1, 4, 1.1, 1.1, 1.1, 1, 1]


def widths(content: ReportContent, kind: str) -> list[float]:
    """The relative column widths of the table on a page of ``kind``, the same in the deck and the PDF."""
    if kind == "scorecard" and not content.assessed:
        return ACHIEVEMENT_WIDTHS
    if kind in LATIN_WIDTHS and not content.language.startswith("zh"):
        return LATIN_WIDTHS[kind]
    return WIDTHS.get(kind, [])


def headers(content: ReportContent, kind: str) -> list[str]:
    """The header row of the table on a page of ``kind``, the same in the deck and the PDF."""
    if kind in ("objective", "grid"):
        assert content.next is not None  # objective and grid pages are part 2's, which exists only with a next year
        if kind == "objective":
            targets = [tf("%(year)s target", year=content.year_text(y)) for y in content.next.years]
            return [t("Key performance indicators (KPI)"), *targets, t("Agencies")]
        style, year = content.organization.year_style, content.next.map.year
        months = [period_short(p, style, content.language) for p in style.periods(year, Unit.MONTH)]
        return [tf("%(year)s main tasks", year=content.year_text(year)), *months]
    if kind in ("scorecard", "kpi") and not content.assessed:
        return [t(h) for h in [*HEADERS[kind][: -len(SCORES)], *ACHIEVEMENT_SCORES]]
    return [t(h) for h in HEADERS.get(kind, [])]  # pages without a table have none


@dataclass
class GridLine:
    """A row of a 12-month grid: a plan's heading, or one of its tasks with its months (None: not given).

    The months are calendar months (1: January); ``order`` is the grid's columns, the months of the
    organization's year in order (April to March for a council's year)."""

    text: str
    is_plan: bool
    months: list[int] | None = None
    order: tuple[int, ...] = tuple(range(1, 13))

    def marks(self) -> list[bool]:
        return [self.months is not None and m in self.months for m in self.order]


@dataclass(frozen=True, kw_only=True)
class Page:
    """One slide of the deck and one page of the PDF; a subclass per kind says what it shows.

    ``name`` identifies it (``kpi:DP5.1``) for tests and tools; ``kind`` names the class for the
    template's CSS and for :data:`WIDTHS` and :func:`headers`; ``titled`` pages carry ``heading``
    as their title bar.
    """

    kind: ClassVar[str]
    titled: ClassVar[bool] = True
    name: str
    heading: str = ""


@dataclass(frozen=True, kw_only=True)
class CoverPage(Page):
    kind: ClassVar[str] = "cover"
    titled: ClassVar[bool] = False


@dataclass(frozen=True, kw_only=True)
class DividerPage(Page):
    """The band opening a part: 「第一部份」 and what the part is about."""

    kind: ClassVar[str] = "divider"
    titled: ClassVar[bool] = False
    lines: tuple[str, str]


@dataclass(frozen=True, kw_only=True)
class MapPage(Page):
    kind: ClassVar[str] = "map"
    spec: diagram.MapSpec


@dataclass(frozen=True, kw_only=True)
class LinkagePage(Page):
    kind: ClassVar[str] = "linkage"
    linkage: Linkage


@dataclass(frozen=True, kw_only=True)
class SummaryPage(Page):
    """The KPIs met by perspective (rows of :data:`HEADERS` ``summary``) and what is said of the unknown."""

    kind: ClassVar[str] = "summary"
    rows: list[list[str]]
    said: list[str]


@dataclass(frozen=True, kw_only=True)
class UnknownPage(Page):
    """Unknown KPIs with their reasons, when too many for the summary page."""

    kind: ClassVar[str] = "unknown"
    lines: list[str]


@dataclass(frozen=True, kw_only=True)
class ScorecardPage(Page):
    kind: ClassVar[str] = "scorecard"
    rows: list[ScoredKpi]


@dataclass(frozen=True, kw_only=True)
class KpiPage(Page):
    kind: ClassVar[str] = "kpi"
    row: ScoredKpi
    #: The narratives are too long to sit beside the chart at the smallest size: a page of their own follows.
    said_apart: bool = False


@dataclass(frozen=True, kw_only=True)
class KpiPairPage(Page):
    """Two KPIs of little text on one page, one above the other, each as its own page would show it."""

    kind: ClassVar[str] = "kpi-pair"
    kpis: tuple[KpiPage, KpiPage]


@dataclass(frozen=True, kw_only=True)
class NarrativesPage(Page):
    """A KPI's narratives (創新度, 挑戰度, 貢獻度 or its explanation) across a page, after its figures' page."""

    kind: ClassVar[str] = "narratives"
    said: list[tuple[str, str]]


@dataclass(frozen=True, kw_only=True)
class MissedPage(Page):
    kind: ClassVar[str] = "missed"
    row: ScoredKpi


@dataclass(frozen=True, kw_only=True)
class PlansTablePage(Page):
    """Rows of the objectives/KSF/KPI/plans table, each with the text lines it takes."""

    kind: ClassVar[str] = "plans-table"
    rows: list[tuple[int, list[str]]]


@dataclass(frozen=True, kw_only=True)
class RevisionCountsPage(Page):
    """The published count table and the changes found by comparing the maps."""

    kind: ClassVar[str] = "revision-counts"
    rows: list[list[str]]
    found: list[str]


@dataclass(frozen=True, kw_only=True)
class ChangesPage(Page):
    """Published revisions: objective, action, what changed and why, agencies."""

    kind: ClassVar[str] = "changes"
    rows: list[list[str]]


@dataclass(frozen=True, kw_only=True)
class ObjectivePage(Page):
    kind: ClassVar[str] = "objective"
    planned: PlannedObjective


@dataclass(frozen=True, kw_only=True)
class GridPage(Page):
    kind: ClassVar[str] = "grid"
    lines: list[GridLine]


@dataclass(frozen=True, kw_only=True)
class NoResultsPage(Page):
    """The KPIs with nothing to show this year (no target, no actual, nothing said), a line each in a table
    rather than a slide of dashes each: code, name and why."""

    kind: ClassVar[str] = "no-results"
    rows: list[list[str]]


@dataclass(frozen=True, kw_only=True)
class NoTargetsPage(Page):
    """The next year's objectives with nothing to show (no target of any KPI, no goal, key works or outcomes),
    a line each: the objective, its KPIs and agencies."""

    kind: ClassVar[str] = "no-targets"
    rows: list[list[str]]


@dataclass(frozen=True, kw_only=True)
class ClosingPage(Page):
    kind: ClassVar[str] = "closing"
    titled: ClassVar[bool] = False


# Every kind of page; a renderer's ``match`` over it ends in ``assert_never`` so a new kind is not forgotten.
ReportPage: TypeAlias = (
    CoverPage
    | DividerPage
    | MapPage
    | LinkagePage
    | SummaryPage
    | UnknownPage
    | ScorecardPage
    | KpiPage
    | MissedPage
    | PlansTablePage
    | RevisionCountsPage
    | ChangesPage
    | ObjectivePage
    | GridPage
    | NoResultsPage
    | NoTargetsPage
    | NarrativesPage
    | KpiPairPage
    | ClosingPage
)


#: The room of a map on its slide (inches, under the title bar), as the deck draws it.
MAP_AREA = (12.7, 6.3)


def map_text_size(spec: diagram.MapSpec, area: tuple[float, float] = MAP_AREA) -> float:
    """The size (pt) of an objective's name when ``spec``'s map is drawn to fit ``area``."""
    body = diagram.layout(spec).body
    if not body.w or not body.h:
        return diagram.NAME_SIZE
    scale = min(area[0] / body.w, area[1] / body.h)  # inches a pixel of the layout
    return diagram.NAME_SIZE * scale * 72


def themes_map(
    spec: diagram.MapSpec,
    themes: list[str | None],
    title: str,
    perspectives: list | None = None,
    only: set | None = None,
) -> diagram.MapSpec:
    """The part of ``spec`` that the ``themes`` draw (in the ``perspectives``' bands, all when None; ``only`` these
    objectives' codes when given): their columns and objectives, the links among them, the perspectives they
    have objectives in (as :func:`diagram.sub_map` of one theme)."""
    objectives = [
        o
        for o in spec.objectives
        if o.theme in themes
        and (perspectives is None or o.perspective in perspectives)
        and (only is None or o.code in only)
    ]
    codes = {o.code for o in objectives}
    used = {o.perspective for o in objectives}
    return replace(
        spec,
        title=title,
        mission="",
        vision="",
        values=[],
        perspectives=[p for p in spec.perspectives if p[0] in used],
        themes=[t for t in spec.themes if t[0] in themes],
        objectives=objectives,
        links=[(a, b) for a, b in spec.links if a in codes and b in codes],
    )


def map_parts(spec: diagram.MapSpec, name: str) -> list[ReportPage]:
    """The whole map again in parts readable when projected, every name at :data:`MIN_SIZE` or more (as near as
    one theme's one band allows): its perspective bands in groups that every theme alone can show readably, and
    each group's themes side by side, as many a page as stay readable; none when the whole map is readable."""
    if map_text_size(spec) >= MIN_SIZE or not spec.themes:
        return []

    def readable(themes: list[str | None], bands: list, only: list[str] | None = None) -> bool:
        return map_text_size(themes_map(spec, themes, "", bands, None if only is None else set(only))) >= MIN_SIZE

    codes = [code for code, _name in spec.themes]
    used = {o.perspective for o in spec.objectives if o.theme in codes}
    rows = [r for r in [*(code for code, _name in spec.perspectives), None] if r in used]  # None: no perspective
    bands: list[list] = []
    for row in rows:
        if bands and all(readable([theme], [*bands[-1], row]) for theme in codes):
            bands[-1].append(row)
        else:
            bands.append([row])
    # (themes, perspective bands, objectives or None for all) of each page
    groups: list[tuple[list[str | None], list, set | None]] = []
    for band in bands:
        shown = [theme for theme in codes if any(o.theme == theme and o.perspective in band for o in spec.objectives)]
        for theme in shown:
            if groups and groups[-1][1] is band and groups[-1][2] is None and readable([*groups[-1][0], theme], band):
                groups[-1][0].append(theme)
            elif readable([theme], band):
                groups.append(([theme], band, None))
            else:  # one theme's band too tall alone: its objectives over as many pages as keep them readable
                mine = [o.code for o in spec.objectives if o.theme == theme and o.perspective in band]
                greedy: list[list[str]] = [[]]
                for code in mine:
                    if greedy[-1] and not readable([theme], band, [*greedy[-1], code]):
                        greedy.append([])
                    greedy[-1].append(code)
                # as many pages as the greedy cut, shared out evenly when they stay readable so
                k = len(greedy)
                even = [mine[i * len(mine) // k : (i + 1) * len(mine) // k] for i in range(k)]
                if all(readable([theme], band, part) for part in even):
                    greedy = even
                groups += [([theme], band, set(part)) for part in greedy]
    # the objectives of no theme (Taipei's city-wide row, TC1–TC4) on a page of their own, first as on the map
    common = {o.code for o in spec.objectives if o.theme not in codes}
    if common:
        groups.insert(0, ([None], [r for r in rows if any(o.perspective == r for o in spec.objectives
                                                           if o.code in common)], common))  # fmt: skip
    result: list[ReportPage] = []
    for n, (themes, shown_bands, only) in enumerate(groups, start=1):
        names = list_join(dict(spec.perspectives).get(b) or no_perspective() for b in shown_bands)
        # short enough for a title bar: the slide before it, the whole map's, names the year
        said = "%(perspectives)s: themes %(themes)s" if len(themes) > 1 else "%(perspectives)s: theme %(themes)s"
        if themes == [None]:
            said = "%(perspectives)s: the whole organization"
        heading = numbered(tf(said, perspectives=names, themes=list_join(c for c in themes if c)), n, len(groups))
        part = themes_map(spec, themes, heading, shown_bands, only)
        result.append(MapPage(name=f"{name}:{n}", heading=heading, spec=part))
    return result


#: The width of a linkage map's perspective column (inches) and the height its bands share, under the title.
LINKAGE_HEAD, LINKAGE_ROOM = 1.15, 6.15


def linkage_width(objectives: list[LinkedObjective]) -> float:
    """The width (inches) of each objective's box in a linkage map's band of ``objectives``."""
    return (12.7 - LINKAGE_HEAD - 0.1 - 0.15 * len(objectives)) / len(objectives)


def linkage_kpis(linked: LinkedObjective) -> list[str]:
    return [f"{row.kpi.code} {name_of(row.kpi)} {light_text(row.score.light)}" for row in linked.rows]


def linkage_band(objectives: list[LinkedObjective]) -> tuple[float, float]:
    """The height (inches) of a band's objective headers and of the whole band at :data:`MIN_SIZE`: its
    wordiest objective's header and KPIs."""
    w = linkage_width(objectives)
    line = MIN_SIZE * LINE_HEIGHT / 72
    head_lines = max(text_lines(f"{o.objective.code} {name_of(o.objective)}", w - 0.2, 13) for o in objectives)
    head = head_lines * 13 * LINE_HEIGHT / 72 + 0.12
    body = max((text_lines(linkage_kpis(o), w - 0.2, MIN_SIZE) * line + 0.15 for o in objectives if o.rows),
               default=0.0)  # fmt: skip
    return head, head + 0.1 + body


def linkage_parts(linkage: Linkage) -> list[Linkage]:
    """A theme's linkage map in as few pages as hold its perspective bands at :data:`MIN_SIZE`, bands whole."""
    bands = linkage.perspectives
    heights = [linkage_band(objectives)[1] + 0.1 for _p, objectives in bands]
    count = 1  # as few pages as the greedy cut takes
    used = 0.0
    for height in heights:
        if used and used + height > LINKAGE_ROOM:
            count, used = count + 1, 0.0
        used += height
    if count == 1:
        return [linkage]

    def cuts(start: int, k: int) -> list[list[int]]:
        """Every way to cut bands[start:] into ``k`` runs, as the runs' ends."""
        if k == 1:
            return [[len(bands)]]
        return [[end, *rest] for end in range(start + 1, len(bands) - k + 2) for rest in cuts(end, k - 1)]

    def tallest(ends: list[int]) -> float:
        starts = [0, *ends[:-1]]
        return max(sum(heights[a:b]) for a, b in zip(starts, ends, strict=True))

    # of the cuts into that many pages, the one with the shortest tallest page: the bands shared out evenly
    best = min(cuts(0, count), key=tallest)
    return [Linkage(linkage.theme, bands[a:b], linkage.links) for a, b in zip([0, *best[:-1]], best, strict=True)]


def has_nothing(content: ReportContent, row: ScoredKpi) -> bool:
    """Whether a KPI's page would be an empty shell: no target, no actual, nothing said (its narratives or
    explanation), no period's figure and fewer than two years of history to draw."""
    if row.score.kpi.target is not None or row.score.kpi.actual is not None:
        return False
    if any(text for _label, text in narratives(row, content.assessed)):
        return False
    if any(cell for line in period_table(content, row)[1:] for cell in line[1:]):
        return False
    history = content.histories.get(row.kpi.pk, [])
    return sum(1 for p in history if p.target is not None or p.actual is not None) < 2


#: Where a KPI slide's narratives stand beside its chart (inches): their columns' width together, the height
#: under the figures (less a table of periods), and the header of each column.
SAID_AREA, SAID_HEIGHT, SAID_HEAD = 8.2, 4.4, 0.45


def said_fits(content: ReportContent, row: ScoredKpi) -> bool:
    """Whether the KPI's narratives fit beside its chart at :data:`MIN_SIZE`."""
    said = narratives(row, content.assessed)
    if not said:
        return True
    periods = len(period_table(content, row))
    height = SAID_HEIGHT - SAID_HEAD - (0.35 * periods + 0.15 if periods else 0) - 0.1
    width = (SAID_AREA - 0.2 * (len(said) - 1)) / len(said) - 0.2
    line = MIN_SIZE * LINE_HEIGHT / 72
    return all(text_lines(text or "—", width, MIN_SIZE) * line <= height for _label, text in said)


#: A KPI is brief, and shares a page with the next brief one, when it has no table of periods and each of its
#: narratives takes at most BRIEF_LINES lines at MIN_SIZE in a column BRIEF_COLUMN inches wide (measured with
#: stratmap.text): the columns of half a slide, under the KPI's figures, beside its chart.
BRIEF_LINES, BRIEF_COLUMN = 5, 2.4


def brief(content: ReportContent, row: ScoredKpi) -> bool:
    if period_table(content, row):
        return False
    return all(text_lines(text or "—", BRIEF_COLUMN, MIN_SIZE) <= BRIEF_LINES
               for _label, text in narratives(row, content.assessed))  # fmt: skip


def _kpi_pages(content: ReportContent, rows: list[ScoredKpi]) -> list[ReportPage]:
    """A page per KPI, its narratives on a page of their own when too long beside its chart, two brief KPIs
    (:func:`brief`) following each other on one page."""
    result: list[ReportPage] = []
    waiting: KpiPage | None = None  # a brief KPI's page, waiting for a second
    for row in rows:
        page = KpiPage(name=f"kpi:{row.kpi.code}", heading=truncate(f"{row.kpi.code} {name_of(row.kpi)}"), row=row)
        if brief(content, row):
            if waiting is None:
                waiting = page
                continue
            first, waiting = waiting, None
            codes = tf("%(first)s and %(second)s", first=first.row.kpi.code, second=row.kpi.code)
            full = tf("%(first)s / %(second)s", first=first.heading, second=page.heading)
            heading = full if display_width(full) <= TITLE_MAX else codes
            result.append(KpiPairPage(name=f"{first.name}+{row.kpi.code}", heading=heading, kpis=(first, page)))
            continue
        if waiting is not None:
            result.append(waiting)
            waiting = None
        apart = not said_fits(content, row)
        result.append(replace(page, said_apart=apart))
        if apart:
            said = narratives(row, content.assessed)
            result.append(NarrativesPage(name=f"narratives:{row.kpi.code}", heading=page.heading, said=said))
    if waiting is not None:
        result.append(waiting)
    return result


def shows_something(content: ReportContent, planned: PlannedObjective) -> bool:
    """Whether a next year's objective has something for a page of its own: a target of one of its KPIs, its
    goal, key works or expected outcomes."""
    o = planned.objective
    targets = any(value for by_year in planned.targets.values() for value in by_year.values())
    return bool(targets or o.goal or o.key_works or planned.outcomes)


def without_results_reason(row: ScoredKpi) -> str:
    """Why a KPI has nothing to show, in the report's language: the engine's reason, else "no result"."""
    return zh_reason(row.score.unknown_reason) if row.score.unknown_reason else t("No result entered")


# --- cutting tables into pages that fit at the deck's smallest size -------------------------------

#: The deck's smallest text (pt): no run is smaller but inside the whole-city map.
MIN_SIZE = 12
#: Where each kind of table stands on its slide: its width and the height it may take (inches). The pages
#: are cut so that every row fits there at :data:`MIN_SIZE`; the deck lays the table out in that room.
TABLE_ROOM: dict[str, tuple[float, float]] = {
    "scorecard": (12.7, 6.1),
    "plans-table": (12.7, 6.15),
    "grid": (12.7, 6.15),
    "changes": (12.7, 6.1),
    "no-results": (12.3, 5.9),
    "no-targets": (12.3, 5.9),
}


def paragraphs(lines: str | Iterable[str]) -> list[str]:
    lines = [lines] if isinstance(lines, str) else list(lines)
    return [part for line in lines for part in (line.splitlines() or [""])] or [""]


def text_lines(lines: str | Iterable[str], width: float, size: float) -> int:
    """How many lines ``lines`` take at ``size`` pt in ``width`` inches (a little to spare for the viewer's
    hinting and kerning)."""
    inner = max(width, 0.1) * 72 * 0.95
    return sum(max(1, len(wrap(p, size, inner))) for p in paragraphs(lines))


def row_height(cells: list[str], inches: list[float], size: float) -> float:
    """The height (inches) a table row takes at ``size`` pt: its tallest cell's lines and the cell margins."""
    lines = max(text_lines(v, w - 0.1, size) for v, w in zip(cells, inches, strict=False))
    return lines * size * LINE_HEIGHT / 72 + 0.1


def column_inches(content: ReportContent, kind: str, width: float) -> list[float]:
    relative = widths(content, kind)
    return [width * w / sum(relative) for w in relative]


def fitted_parts(content: ReportContent, kind: str, rows: list[list[str]], most: int = 1000) -> list[list[int]]:
    """The rows of a table of ``kind`` cut into pages (lists of row indexes), each as many rows as fit the
    table's room at :data:`MIN_SIZE` under the header, at most ``most``; a row too tall alone has a page."""
    width, room = TABLE_ROOM[kind]
    inches = column_inches(content, kind, width)
    free = room - row_height(headers(content, kind), inches, MIN_SIZE)
    parts: list[list[int]] = [[]]
    used = 0.0
    for i, row in enumerate(rows):
        height = row_height(row, inches, MIN_SIZE)
        if parts[-1] and (used + height > free or len(parts[-1]) >= most):
            parts.append([])
            used = 0.0
        parts[-1].append(i)
        used += height
    return parts


def chunks(items: list, size: int) -> list[list]:
    return [items[i : i + size] for i in range(0, len(items), size)] or [[]]


def table_pages(
    content: ReportContent, page: type[NoResultsPage] | type[NoTargetsPage], heading: str, rows: list[list[str]]
) -> list[NoResultsPage | NoTargetsPage]:
    """``rows`` as a table of ``page``'s kind over as many pages as they need, numbered (none without rows)."""
    parts = [[rows[i] for i in part] for part in fitted_parts(content, page.kind, rows)] if rows else []
    return [
        page(name=f"{page.kind}:{n}", heading=numbered(heading, n, len(parts)), rows=part)
        for n, part in enumerate(parts, start=1)
    ]


def numbered(heading: str, n: int, total: int) -> str:
    return tf("%(heading)s (%(n)d/%(total)d)", heading=heading, n=n, total=total) if total > 1 else heading


def _codes(codes: list[str]) -> str:
    """KPI codes for a summary cell: listed when a few, counted when many (they are listed elsewhere)."""
    if not codes:
        return "—"
    return list_join(codes) if len(codes) <= SUMMARY_CODES else tf("%(n)d in all", n=len(codes))


def _summary_rows(card: Scorecard) -> list[list[str]]:
    names = {p.code: name_of(p) for p in card.map.perspectives.all()}
    names[""] = no_perspective()
    rows = []
    for code, r in card.rollups["perspective"].items():
        lights = " ".join(
            tf("%(light)s %(n)d", light=light_text(light), n=r.lights[light])
            for light in r.light_set
            if r.lights[light]
        )
        label = tf("%(name)s (%(code)s)", name=names.get(code, code), code=code) if code else names[code]
        rows.append([label, str(r.count), str(r.met), _codes(r.not_met),
                     _codes(r.unknown), lights])  # fmt: skip
    (whole,) = card.rollups["organization"].values()
    rows.append([t("Total"), str(whole.count), str(whole.met), _codes(whole.not_met), _codes(whole.unknown), ""])
    return rows


def _plans_table(content: ReportContent, nxt: NextYear) -> list[ReportPage]:
    """策略目標、關鍵成功因素、關鍵績效指標、行動計畫、相關局處: a row per objective, cut into pages by lines."""
    rows: list[tuple[int, list[str]]] = []
    for planned in nxt.objectives:
        o = planned.objective
        if not (o.ksf or planned.kpis):
            continue  # the dataset says nothing more of it than the map does
        kpis = "\n".join(f"{k.code} {name_of(k)}" for k in planned.kpis)
        plans = "\n".join(f"{p.code} {name_of(p)}" for p in planned.plans)
        agencies = list_join(dict.fromkeys(a for p in planned.plans if (a := agencies_text(p))))
        lines = max(2, len(planned.kpis), len(planned.plans))
        perspective = name_of(planned.perspective) if planned.perspective else no_perspective()
        rows.append((lines, [perspective, f"{o.code} {name_of(o)}", text_of(o, "ksf"), kpis, plans, agencies]))
    pages = [[rows[i] for i in part] for part in fitted_parts(content, "plans-table", [r for _n, r in rows])]
    heading = tf("%(year)s %(subject)s objectives, key success factors and KPIs",
                 year=content.year_text(nxt.map.year), subject=content.subject)  # fmt: skip
    return [
        PlansTablePage(name=f"plans-table:{n}", heading=numbered(heading, n, len(pages)), rows=page)
        for n, page in enumerate(pages, start=1)
    ]


def _count_rows(nxt: NextYear) -> list[list[str]]:
    def cells(before, after, printed: str) -> list[str]:
        return ["" if before is None else str(before), printed or ("" if after is None else str(after))]

    rows = []
    for c in nxt.counts:
        name = (
            t("Total")
            if c.perspective == "total"
            else tf("%(name)s perspective", name=nxt.perspective_names.get(c.perspective, c.perspective))
        )
        rows.append([name,
                     *cells(c.objectives_before, c.objectives_after, c.objectives_printed),
                     *cells(c.kpis_before, c.kpis_after, c.kpis_printed),
                     *cells(c.action_plans_before, c.action_plans_after, c.action_plans_printed)])  # fmt: skip
    return rows


def _part_two(content: ReportContent, nxt: NextYear) -> list[ReportPage]:
    year = content.year_text(nxt.map.year)
    subject = content.subject
    pages: list[ReportPage] = [
        DividerPage(
            name="divider", lines=(t("Part 2"), tf("%(year)s %(subject)s main tasks", year=year, subject=subject))
        ),
        MapPage(name="next-map", heading=nxt.spec.title, spec=nxt.spec),
        *(map_parts(nxt.spec, "next-map") if not subject else []),
        *_plans_table(content, nxt),
    ]
    found = [found_text(change) for change in nxt.diff.changes]
    if len(found) > CHANGES_LISTED:
        found = [*found[:CHANGES_LISTED], tf("… and %(n)d more", n=len(found) - CHANGES_LISTED)]
    pages.append(
        RevisionCountsPage(
            name="revision-counts",
            heading=tf(
                "%(year)s %(subject)s revisions: the objectives revised and improved", year=year, subject=subject
            ),
            rows=_count_rows(nxt),
            found=found,
        )
    )
    changes = [
        [r.objective_code, text_of(r, "printed_action") or action_text(r.action, r.level), change_text(r),
         agencies_text(r)]
        for r in nxt.revisions
    ]  # fmt: skip
    parts = [[changes[i] for i in part] for part in fitted_parts(content, "changes", changes, CHANGES_PER_PAGE)]
    pages += [
        ChangesPage(
            name=f"changes:{n}",
            heading=numbered(tf("%(year)s %(subject)s revisions", year=year, subject=subject), n, len(parts)),
            rows=part,
        )
        for n, part in enumerate(parts, start=1)
    ]
    empty: list[list[str]] = []
    # The objectives of the last grid page when it is theirs alone and has room to spare (shown by nothing but
    # their plans): the next such objective's plans join it rather than leave two slides a few rows each.
    sharing: list[tuple[Objective, list[GridLine]]] = []
    for planned in nxt.objectives:
        o = planned.objective
        if not (planned.kpis or o.goal or o.key_works or planned.outcomes):
            continue
        lines = []
        for plan in planned.plans:
            lines.append(GridLine(f"{plan.code} {name_of(plan)}", True, order=content.month_order))
            lines.extend(GridLine(name_of(task), False, task.months, content.month_order) for task in plan.tasks.all())
        if not shows_something(content, planned) and not lines:
            # nothing but its KPIs' names: a line in a table, not a page of dashes
            kpis = "\n".join(f"{k.code} {name_of(k)}" for k in planned.kpis)
            agencies = list_join(dict.fromkeys(a for k in planned.kpis if (a := agencies_text(k))))
            empty.append([f"{o.code} {name_of(o)}", kpis, agencies])
            continue
        heading = tf("%(code)s %(name)s", code=o.code, name=name_of(o))
        if planned.perspective:
            perspective = tf("%(name)s perspective", name=name_of(planned.perspective))
            heading = tf("%(heading)s (%(perspective)s)", heading=heading, perspective=perspective)
        if shows_something(content, planned):
            pages.append(ObjectivePage(name=f"objective:{o.code}", heading=heading, planned=planned))
        if lines:
            grids = [[lines[i] for i in part] for part in fitted_parts(content, "grid", grid_cells(lines), GRID_ROWS)]
            alone = len(grids) == 1 and not shows_something(content, planned)
            if alone and sharing:
                joined = [*(line for _o, shared in sharing for line in shared), *lines]
                if len(fitted_parts(content, "grid", grid_cells(joined), GRID_ROWS)) == 1:
                    sharing.append((o, lines))
                    pages[-1] = shared_grid(content, sharing, year)
                    continue
            sharing = [(o, lines)] if alone else []
            heading = tf("%(code)s %(name)s: %(year)s main tasks", code=o.code, name=name_of(o), year=year)
            pages += [
                GridPage(name=f"grid:{o.code}:{n}", heading=numbered(heading, n, len(grids)), lines=part)
                for n, part in enumerate(grids, start=1)
            ]
        else:
            sharing = []
    heading = tf("%(year)s %(subject)s objectives without targets or plans", year=year, subject=subject)
    return pages + table_pages(content, NoTargetsPage, heading, empty)


def grid_cells(lines: list[GridLine]) -> list[list[str]]:
    """The cells of a 12-month grid's rows as its page measures them: the text (a task's indented), 12 months."""
    return [[line.text if line.is_plan else f"{gap()}{line.text}", *[""] * 12] for line in lines]


def shared_grid(content: ReportContent, sharing: list[tuple[Objective, list[GridLine]]], year: str) -> GridPage:
    """One grid page of several objectives' plans, each plan's heading naming its objective by its code: its
    title lists them with their names when that fits the title bar, by their codes when not."""
    named = list_join(tf("%(code)s %(name)s", code=o.code, name=name_of(o)) for o, _lines in sharing)
    if display_width(named) > TITLE_MAX:
        named = list_join(o.code for o, _lines in sharing)
    return GridPage(
        name="grid:" + "+".join(o.code for o, _lines in sharing) + ":1",
        heading=tf("%(objectives)s: %(year)s main tasks", objectives=named, year=year),
        lines=[line for _o, lines in sharing for line in lines],
    )


def pages(content: ReportContent) -> list[ReportPage]:
    """The report's pages in the order of the Taipei deck; both renderers lay out exactly these, in the
    report's language."""
    with speaking(content.language):
        return _pages(content)


def _pages(content: ReportContent) -> list[ReportPage]:
    # 「108年度」 of the year, 「2024/25年第3季累計」 of a period (see ReportContent.span).
    card, span, subject = content.card, content.span, content.subject
    result: list[ReportPage] = [
        CoverPage(name="cover", heading=content.title),
        DividerPage(
            name="divider",
            lines=(t("Part 1"), tf("%(span)s %(subject)s strategy map results", span=span, subject=subject)),
        ),
        MapPage(name="map", heading=content.spec.title, spec=content.spec),
        # in parts, readable when projected: a theme's deck has its theme's linkage map instead
        *(map_parts(content.spec, "map") if not content.subject else []),
    ]
    for x in content.linkages:
        heading = tf("%(theme)s: linkage map %(when)s", theme=name_of(x.theme), when=content.when)
        shown_parts = linkage_parts(x)
        result += [
            LinkagePage(
                name=f"linkage:{x.theme.code}" + (f":{n}" if n > 1 else ""),
                heading=numbered(heading, n, len(shown_parts)),
                linkage=part,
            )
            for n, part in enumerate(shown_parts, start=1)
        ]
    unknown = [
        tf("%(code)s %(name)s: %(reason)s", code=row.kpi.code, name=name_of(row.kpi),
           reason=zh_reason(row.score.unknown_reason))
        for row in content.unknown
    ]  # fmt: skip
    if len(unknown) <= UNKNOWN_ON_SUMMARY:
        said = [t("Unknown:"), *unknown] if unknown else []
    else:
        said = [tf("%(n)d KPIs are unknown; the reasons follow", n=len(unknown))]
    heading = tf("%(span)s %(subject)s KPIs met", span=span, subject=subject)
    result.append(SummaryPage(name="summary", heading=heading, rows=_summary_rows(card), said=said))
    if len(unknown) > UNKNOWN_ON_SUMMARY:
        parts = chunks(unknown, UNKNOWN_PER_PAGE)
        result += [
            UnknownPage(
                name=f"unknown:{n}",
                heading=numbered(tf("%(span)s %(subject)s unknown KPIs", span=span, subject=subject), n, len(parts)),
                lines=part,
            )
            for n, part in enumerate(parts, start=1)
        ]
    cells = [[row.kpi.code, name_of(row.kpi), *figures(row, content.assessed)] for row in card.rows]
    parts = [[card.rows[i] for i in part] for part in fitted_parts(content, "scorecard", cells, TABLE_ROWS)]
    result += [
        ScorecardPage(
            name=f"scorecard:{n}",
            heading=numbered(tf("%(span)s %(subject)s KPI scores", span=span, subject=subject), n, len(parts)),
            rows=part,
        )
        for n, part in enumerate(parts, start=1)
    ]
    nothing = {row.kpi.pk for row in card.rows if has_nothing(content, row)}
    result += _kpi_pages(content, [row for row in card.rows if row.kpi.pk not in nothing])
    empty = [[row.kpi.code, name_of(row.kpi), without_results_reason(row)]
             for row in card.rows if row.kpi.pk in nothing]  # fmt: skip
    heading = tf("%(span)s %(subject)s KPIs without results", span=span, subject=subject)
    result += table_pages(content, NoResultsPage, heading, empty)
    result += [
        MissedPage(name=f"missed:{row.kpi.code}", heading=truncate(f"{row.kpi.code} {name_of(row.kpi)}"), row=row)
        for row in content.missed
    ]
    if content.next is not None:
        result += _part_two(content, content.next)
    result.append(ClosingPage(name="closing", heading=content.closing_line))
    return result
