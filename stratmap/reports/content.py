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

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import ClassVar, TypeAlias

from django.db.models import Prefetch
from django.utils import translation

from stratmap.access import Access
from stratmap.core.models import Organization
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
from stratmap.revisions.selectors import Change, MapDiff, map_diff
from stratmap.strategy import diagram
from stratmap.strategy.models import Objective, Perspective, Revision, RevisionCount, StrategyMap, Theme

TARGET_YEARS = 3  # part 2 shows this many years of targets, from the next year on
#: What a renderer tells of its pages as it goes: ``progress(done, total)``.
Progress: TypeAlias = Callable[[int, int], None]
# The report is in Chinese whatever the language of the request that asked for it.
ACTIONS = {"add": "新增", "delete": "刪除", "rename": "更名", "change": "變更"}
LEVELS = {"objective": "策略目標", "kpi": "KPI", "action_plan": "行動計畫"}
DETAILS = {"code": "代碼", "unit": "單位", "polarity": "方向", "frequency": "頻率"}
#: What a row of objectives outside the perspectives is called (a map with one perspective, or none).
NO_PERSPECTIVE = "未分構面"


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
        return self.organization.year_style.period_label(self.period, "zh-hant")

    @property
    def span(self) -> str:
        """What the results are of, before 「施政成果」 or 「KPI成績」: 「108年度」, or 「2024/25年第3季累計」
        (accumulated from the start of the year to the end of the period)."""
        return f"{self.when}度" if self.period is None else f"{self.when}累計"

    @property
    def title(self) -> str:
        """「108年度施政成果暨109年修正內容」, as the document's cover says; 「2024/25年第3季累計施政成果」 of
        a period."""
        title = f"{self.span}施政成果"
        if self.next is not None:
            title += f"暨{self.year_text(self.next.map.year)}修正內容"
        return title

    def year_text(self, year: int) -> str:
        """A year as the report writes it in a heading: 「108年」 for Taipei, 「2019/20年」 for a council
        whose years read 2019/20 (the organization's year style)."""
        return self.organization.year_style.in_text(year, "zh-hant")

    @property
    def month_order(self) -> tuple[int, ...]:
        """The calendar months of the organization's year, in order: 1–12, or 4–12 then 1–3 for April–March."""
        return tuple(month for _year, month in self.organization.year_style.months(self.year))

    @property
    def year_label(self) -> str:
        """The report's year on its cover: 「民國108年」 for Taipei, 「2019/20」 for a council."""
        return self.organization.year_style.label(self.year, "zh-hant")


# --- values as the report writes them -----------------------------------------------------------


TITLE_MAX = 40  # characters of a page title before it is cut with "…"


def truncate(text: str, limit: int = TITLE_MAX) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def roc(year: int) -> str:
    """A year as Taipei's documents write it (「108年」); the report itself writes its organization's
    years with :meth:`ReportContent.year_text`."""
    return f"{to_roc_year(year)}年"


def rate_text(row: ScoredKpi) -> str:
    percent = row.score.rate.percent
    return "" if percent is None else f"{number(percent, 1)}%"


#: After a year's value made of its periods' (the KPI's aggregation), as the scorecard page marks it.
DERIVED = "（推算）"


def zh_target(value: Decimal, upper: Decimal | None) -> str:
    """A target as the reports write it, in Chinese whatever the request's language: a range reads
    「−1～1」, its bounds signed with a minus sign, as the pages read it."""
    with translation.override("zh-hant"):
        return target_text_of(value, upper)


def target_text(row: ScoredKpi) -> str:
    """The target scored: the year's as entered (as printed), or made of the periods' and marked so."""
    value = row.score.kpi.target
    if value is None:
        return ""
    if row.target is not None and row.target.value == value and not row.target_from:
        return row.target.printed or zh_target(value, row.score.kpi.target_upper)
    return number(value) + (DERIVED if row.target_from else "")


def actual_text(row: ScoredKpi) -> str:
    """The actual scored: the year's as entered (as printed), or made of the periods' and marked so."""
    value = row.score.kpi.actual
    if value is None:
        return "不明"
    if row.result is not None and row.result.actual == value and not row.actual_from:
        return row.result.printed or number(value)
    return number(value) + (DERIVED if row.actual_from else "")


def light_text(light: Level) -> str:
    return light.text("zh")


def score_texts(row: ScoredKpi) -> list[str]:
    """Innovation, challenge, contribution and total, as the scorecard prints them."""
    r, total = row.result, row.score.score
    parts = [number(getattr(r, name)) if r else "" for name in services.SCORES]
    return [*parts, number(total, 2) if total is not None else ""]


def zh_reason(reason: str) -> str:
    with translation.override("zh-hant"):
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
        notes.append("（負向指標）")
    if s.met is None and s.unknown_reason:
        notes.append(f"資料不明：{zh_reason(s.unknown_reason)}")
    if s.flag and s.score_computed is not None:
        notes.append(f"依計分政策計算之總分為 {number(s.score_computed, 2)}，與填報總分不同")
    return notes + derived_notes(row)


def derived_note(row: ScoredKpi, figure: str) -> str:
    """「年度實際值由第1季–第4季推算（各期加總）」: how the year's (or, on a scorecard of a period, the year to
    date's) ``figure`` ("target" or "actual") was made of its periods', as the scorecard page says it;
    empty for a value entered for the year."""
    periods = row.target_from if figure == "target" else row.actual_from
    if not periods:
        return ""
    style = row.kpi.objective.map.organization.year_style
    how = aggregation_text(row.kpi)
    label = ("年度" if row.period is None else "年初至今") + ("目標值" if figure == "target" else "實際值")
    with translation.override("zh-hant"):
        return f"{label}{derived_text(periods, style)}" + (f"（{how}）" if how else "")


def aggregation_text(kpi: Kpi) -> str:
    """「各期加總」: how the KPI's periods make its year, in Chinese whatever the request's language; empty
    for a KPI without the rule."""
    if not kpi.aggregation:
        return ""
    with translation.override("zh-hant"):
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
    targets = [t.printed or number(t.value) if (t := p.target) else "" for p in periods]
    actuals = [r.printed or number(r.actual) if (r := p.result) and r.actual is not None else "" for p in periods]
    table = [[content.year_text(content.year), *[period_short(p.period, style, "zh-hant") for p in periods]]]
    if any(targets):
        table.append(["目標值", *targets])
    table.append(["實際值", *actuals])
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
        return [("狀況分析", said.situation_analysis), ("對策說明", said.countermeasures)]
    r = row.result
    return [
        ("創新性", r.innovation_note if r else ""),
        ("挑戰性", r.challenge_note if r else ""),
        ("貢獻度", r.contribution_note if r else ""),
    ]


def missed_line(row: ScoredKpi) -> str:
    line = f"目標值 {target_text(row)}　實際值 {actual_text(row)}　達成率 {rate_text(row)}"
    return line + ("　（負向指標）" if row.kpi.polarity == Polarity.NEGATIVE else "")


def target_rows(planned: PlannedObjective, years: list[int]) -> list[list[str]]:
    """A row per KPI of the objective: code and name, its target of each year, its agencies."""
    rows = [
        [f"{k.code} {k.name}", *[planned.targets[k.pk].get(y, "") for y in years], agencies_text(k)]
        for k in planned.kpis
    ]
    return rows or [["（無KPI）", *[""] * len(years), ""]]


def objective_columns(planned: PlannedObjective) -> list[tuple[str, list[str]]]:
    """願景目標, 重點工作 and 預期成效 of an objective, as bulleted lines."""
    o = planned.objective
    return [
        ("願景目標", [o.goal] if o.goal else []),
        ("重點工作", [f"• {w}" for w in o.key_works]),
        ("預期成效", [f"• {outcome.text}" for outcome in planned.outcomes]),
    ]


def found_text(change: Change) -> str:
    """A change found by comparing the maps: 「變更KPI DP3.3（代碼：DP3.4 → DP3.3）」."""
    head = f"{ACTIONS[change.action]}{LEVELS[change.level]} {change.code}"
    if change.action in ("add", "delete"):
        return f"{head} {change.old or change.new}"
    detail = DETAILS.get(change.detail, change.detail or "名稱")
    return f"{head}（{detail}：{change.old or '—'} → {change.new or '—'}）"


def change_text(revision: Revision) -> str:
    """What a published revision says: the rename, and its reason as written (the reason names deletions)."""
    parts = []
    if revision.action == Revision.Action.RENAME:
        parts.append(f"原「{revision.code}{revision.old_name}」，修正為「{revision.code}{revision.new_name}」。")
    elif not revision.reason:
        name = revision.old_name or revision.new_name
        parts.append(f"{ACTIONS[revision.action]}「{revision.code}{name}」。")
    return "".join(parts) + revision.reason


def agencies_text(item: Kpi | ActionPlan | Revision) -> str:
    return item.agencies_printed or "、".join(a.short_name or a.name for a in item.agencies.all())


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
        perspective_names={p.code: p.name for p in after.perspectives.all()},
    )


def report_content(
    organization: str, year: int, theme: str | None = None, *, access: Access, period: Period | None = None
) -> ReportContent:
    """The report of ``organization``'s ``year`` (AD), of one theme or of the whole map, as ``access``
    may read it: maps and results it may not see are left out (commands pass ``Access.everything()``).
    With ``period`` (a period of that year), the year to date at its end, without part 2.

    Raises :class:`DeckError` for an unknown organization, year or theme, a period of another year, or a
    map ``access`` may not read.
    """
    if period is not None and period.unit is Unit.YEAR:
        period = None  # the whole year, asked as a period
    with translation.override("zh-hant"):  # the report is in Chinese whatever the request's language
        return _report_content(organization, year, theme, access, period)


def _report_content(
    organization: str, year: int, theme: str | None, access: Access, period: Period | None
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
        heading, subject = f"{found.name}（{found.code}）組", f"{found.code}組"
    card = map_scorecard(smap=smap, theme=theme, access=access, period=period)
    whole = map_scorecard(smap=smap, access=access, period=period) if theme else card
    (rollup,) = card.rollups["organization"].values()
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
        sentence=_sentence(card, rollup) if card.rows else "本組無KPI",
        # A data-only KPI is not rated, which is not unknown: the summary counts it apart.
        unknown=[row for row in card.rows if row.score.met is None and row.score.method != Method.DATA_ONLY],
        # Part 2 is the next year's map as revised at the year's end, the same whatever the period; a
        # report of a period reviews the year so far, before there is anything to revise.
        next=_next_year(smap, theme, access) if period is None else None,
    )


def _sentence(card: Scorecard, rollup: Rollup) -> str:
    """The summary sentence: 「108年D組KPI除DP5.1外，其餘KPI已達成年度目標值」, or of a period
    「2024/25年第3季累計KPI除H2.1外，其餘KPI已達成年初至今目標值」 (the targets are the year to date's)."""
    style = card.map.organization.year_style
    return summary_sentence(rollup, card.year, card.theme, "zh-hant", style=style, period=card.period)


def _known_at(points: list[YearPoint], year: int) -> list[YearPoint]:
    """A KPI's history as known during ``year``: the targets, but no actual of that year or later (the
    year to date is the KPI page's figures, and a year's actual is known once the year is over)."""
    return [replace(p, actual=None) if p.year >= year else p for p in points]


# --- the pages, in order ------------------------------------------------------------------------

TABLE_ROWS = 10  # scorecard rows per page
GRID_ROWS = 14  # rows of a 12-month grid per page
PLAN_TABLE_LINES = 16  # text lines of the objectives/KSF/KPI/plans table per page
CHANGES_PER_PAGE = 3
CHANGES_LISTED = 8  # changes found by comparing the maps, listed under the count table
UNKNOWN_ON_SUMMARY = 6  # more unknown KPIs than this get pages of their own after the summary
UNKNOWN_PER_PAGE = 16
SUMMARY_CODES = 10  # codes a summary cell lists before it counts them instead
NO_MONTHS = "原始文件未載明月份進度"
COUNT_NOTE = "註：( )內表示策略目標、KPI及行動方案之數字調整"
SCORES = ["目標值", "實際值", "達成率", "創新性", "挑戰性", "貢獻度", "總分", "燈號"]
#: A KPI's figures on a map rated by its achievement alone (bands: the score is the capped achievement).
ACHIEVEMENT_SCORES = ["目標值", "實際值", "達成率", "分數", "燈號"]
HEADERS = {
    "summary": ["構面", "KPI數", "達成", "未達成", "不明", "燈號"],
    "scorecard": ["編號", "KPI名稱", *SCORES],
    "kpi": SCORES,
    "plans-table": ["構面", "策略目標", "關鍵成功因素", "關鍵績效指標", "行動計畫", "相關局處"],
    "revision-counts": ["構面", "策略目標 修訂前", "策略目標 修訂後", "KPI 修訂前", "KPI 修訂後", "行動計畫 修訂前",
                        "行動計畫 修訂後"],
    "changes": ["策略目標", "修正內容", "修正方向", "局處"],
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
}
#: The scorecard table's widths of a map rated by its achievement (no self-assessment columns).
ACHIEVEMENT_WIDTHS = [1.1, 4, 1.1, 1.1, 1.1, 1, 1]


def widths(content: ReportContent, kind: str) -> list[float]:
    """The relative column widths of the table on a page of ``kind``, the same in the deck and the PDF."""
    if kind == "scorecard" and not content.assessed:
        return ACHIEVEMENT_WIDTHS
    return WIDTHS.get(kind, [])


def headers(content: ReportContent, kind: str) -> list[str]:
    """The header row of the table on a page of ``kind``, the same in the deck and the PDF."""
    if kind in ("objective", "grid"):
        assert content.next is not None  # objective and grid pages are part 2's, which exists only with a next year
        if kind == "objective":
            return ["關鍵績效指標(KPI)", *[f"{content.year_text(y)}目標值" for y in content.next.years], "相關局處"]
        return [f"{content.year_text(content.next.map.year)}主要任務", *[f"{m}月" for m in content.month_order]]
    if kind in ("scorecard", "kpi") and not content.assessed:
        return [*HEADERS[kind][: -len(SCORES)], *ACHIEVEMENT_SCORES]
    return HEADERS.get(kind, [])  # pages without a table have none


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
    | ClosingPage
)


def chunks(items: list, size: int) -> list[list]:
    return [items[i : i + size] for i in range(0, len(items), size)] or [[]]


def numbered(heading: str, n: int, total: int) -> str:
    return f"{heading}（{n}/{total}）" if total > 1 else heading


def _codes(codes: list[str]) -> str:
    """KPI codes for a summary cell: listed when a few, counted when many (they are listed elsewhere)."""
    if not codes:
        return "—"
    return "、".join(codes) if len(codes) <= SUMMARY_CODES else f"共{len(codes)}項"


def _summary_rows(card: Scorecard) -> list[list[str]]:
    names = {p.code: p.name for p in card.map.perspectives.all()}
    names[""] = NO_PERSPECTIVE
    rows = []
    for code, r in card.rollups["perspective"].items():
        lights = " ".join(f"{light_text(light)}{r.lights[light]}" for light in r.light_set if r.lights[light])
        label = f"{names.get(code, code)}（{code}）" if code else names[code]
        rows.append([label, str(r.count), str(r.met), _codes(r.not_met),
                     _codes(r.unknown), lights])  # fmt: skip
    (whole,) = card.rollups["organization"].values()
    rows.append(["合計", str(whole.count), str(whole.met), _codes(whole.not_met), _codes(whole.unknown), ""])
    return rows


def _plans_table(content: ReportContent, nxt: NextYear) -> list[ReportPage]:
    """策略目標、關鍵成功因素、關鍵績效指標、行動計畫、相關局處: a row per objective, cut into pages by lines."""
    rows: list[tuple[int, list[str]]] = []
    for planned in nxt.objectives:
        o = planned.objective
        if not (o.ksf or planned.kpis):
            continue  # the dataset says nothing more of it than the map does
        kpis = "\n".join(f"{k.code} {k.name}" for k in planned.kpis)
        plans = "\n".join(f"{p.code} {p.name}" for p in planned.plans)
        agencies = "、".join(dict.fromkeys(a for p in planned.plans if (a := agencies_text(p))))
        lines = max(2, len(planned.kpis), len(planned.plans))
        perspective = planned.perspective.name if planned.perspective else NO_PERSPECTIVE
        rows.append((lines, [perspective, f"{o.code} {o.name}", o.ksf, kpis, plans, agencies]))
    pages: list[list[tuple[int, list[str]]]] = [[]]
    for row in rows:
        if pages[-1] and sum(n for n, _r in pages[-1]) + row[0] > PLAN_TABLE_LINES:
            pages.append([])
        pages[-1].append(row)
    heading = f"{content.year_text(nxt.map.year)}度{content.subject}策略目標、關鍵成功因素與關鍵績效指標"
    return [
        PlansTablePage(name=f"plans-table:{n}", heading=numbered(heading, n, len(pages)), rows=page)
        for n, page in enumerate(pages, start=1)
    ]


def _count_rows(nxt: NextYear) -> list[list[str]]:
    def cells(before, after, printed: str) -> list[str]:
        return ["" if before is None else str(before), printed or ("" if after is None else str(after))]

    rows = []
    for c in nxt.counts:
        name = "合計" if c.perspective == "total" else f"{nxt.perspective_names.get(c.perspective, c.perspective)}構面"
        rows.append([name,
                     *cells(c.objectives_before, c.objectives_after, c.objectives_printed),
                     *cells(c.kpis_before, c.kpis_after, c.kpis_printed),
                     *cells(c.action_plans_before, c.action_plans_after, c.action_plans_printed)])  # fmt: skip
    return rows


def _part_two(content: ReportContent, nxt: NextYear) -> list[ReportPage]:
    year = content.year_text(nxt.map.year)
    subject = content.subject
    pages: list[ReportPage] = [
        DividerPage(name="divider", lines=("第二部份", f"{year}度{subject}主要任務")),
        MapPage(name="next-map", heading=nxt.spec.title, spec=nxt.spec),
        *_plans_table(content, nxt),
    ]
    found = [found_text(change) for change in nxt.diff.changes]
    if len(found) > CHANGES_LISTED:
        found = [*found[:CHANGES_LISTED], f"…另有{len(found) - CHANGES_LISTED}項"]
    pages.append(
        RevisionCountsPage(
            name="revision-counts",
            heading=f"{year}度{subject}修正內容：依據策略目標滾動修正與優化",
            rows=_count_rows(nxt),
            found=found,
        )
    )
    changes = [
        [r.objective_code, r.printed_action or f"{ACTIONS[r.action]}{LEVELS[r.level]}", change_text(r),
         agencies_text(r)]
        for r in nxt.revisions
    ]  # fmt: skip
    parts = chunks(changes, CHANGES_PER_PAGE)
    pages += [
        ChangesPage(name=f"changes:{n}", heading=numbered(f"{year}度{subject}修正內容", n, len(parts)), rows=part)
        for n, part in enumerate(parts, start=1)
    ]
    for planned in nxt.objectives:
        o = planned.objective
        if not (planned.kpis or o.goal or o.key_works or planned.outcomes):
            continue
        heading = f"{o.code}{o.name}" + (f"　{planned.perspective.name}構面" if planned.perspective else "")
        pages.append(ObjectivePage(name=f"objective:{o.code}", heading=heading, planned=planned))
        lines = []
        for plan in planned.plans:
            lines.append(GridLine(f"{plan.code} {plan.name}", True, order=content.month_order))
            lines.extend(GridLine(task.name, False, task.months, content.month_order) for task in plan.tasks.all())
        if lines:
            parts = chunks(lines, GRID_ROWS)
            heading = f"{o.code}{o.name} {year}主要任務"
            pages += [
                GridPage(name=f"grid:{o.code}:{n}", heading=numbered(heading, n, len(parts)), lines=part)
                for n, part in enumerate(parts, start=1)
            ]
    return pages


def pages(content: ReportContent) -> list[ReportPage]:
    """The report's pages in the order of the Taipei deck; both renderers lay out exactly these."""
    # 「108年度」 of the year, 「2024/25年第3季累計」 of a period (see ReportContent.span).
    card, span, subject = content.card, content.span, content.subject
    result: list[ReportPage] = [
        CoverPage(name="cover", heading=content.title),
        DividerPage(name="divider", lines=("第一部份", f"{span}{subject}策略地圖執行成果")),
        MapPage(name="map", heading=content.spec.title, spec=content.spec),
        *[
            LinkagePage(name=f"linkage:{x.theme.code}", heading=f"{x.theme.name}{content.when}關聯圖", linkage=x)
            for x in content.linkages
        ],
    ]
    unknown = [f"{row.kpi.code} {row.kpi.name}：{zh_reason(row.score.unknown_reason)}" for row in content.unknown]
    if len(unknown) <= UNKNOWN_ON_SUMMARY:
        said = ["資料不明：", *unknown] if unknown else []
    else:
        said = [f"資料不明之KPI共{len(unknown)}項，其原因詳後頁"]
    result.append(
        SummaryPage(name="summary", heading=f"{span}{subject}KPI達成情形", rows=_summary_rows(card), said=said)
    )
    if len(unknown) > UNKNOWN_ON_SUMMARY:
        parts = chunks(unknown, UNKNOWN_PER_PAGE)
        result += [
            UnknownPage(
                name=f"unknown:{n}", heading=numbered(f"{span}{subject}資料不明之KPI", n, len(parts)), lines=part
            )
            for n, part in enumerate(parts, start=1)
        ]
    parts = chunks(card.rows, TABLE_ROWS)
    result += [
        ScorecardPage(name=f"scorecard:{n}", heading=numbered(f"{span}{subject}KPI成績", n, len(parts)), rows=part)
        for n, part in enumerate(parts, start=1)
    ]
    result += [
        KpiPage(name=f"kpi:{row.kpi.code}", heading=truncate(f"{row.kpi.code} {row.kpi.name}"), row=row)
        for row in card.rows
    ]
    result += [
        MissedPage(name=f"missed:{row.kpi.code}", heading=truncate(f"{row.kpi.code} {row.kpi.name}"), row=row)
        for row in content.missed
    ]
    if content.next is not None:
        result += _part_two(content, content.next)
    result.append(ClosingPage(name="closing", heading="簡報結束，敬請指教！"))
    return result
