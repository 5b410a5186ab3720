"""The rows of the pages' long tables (the scorecard, the action plans, the cascade's links), made in Python.

A city's scorecard has hundreds of rows and its plans page thousands of tasks: a filter, a tag or an included
template a cell was most of their time (issue 13). Their rows are made here once, every value escaped here
(``html.escape``, which Django's ``escape`` calls), and the templates show them as they are. What a number, a
target or a light reads as is still :mod:`stratmap.kpis.presenters`' (the template filters ``num`` and
``target`` and the ``light`` tag are the functions below), so that a cell reads the same everywhere."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from decimal import Decimal, InvalidOperation
from html import escape
from typing import TypedDict
from urllib.parse import quote

from django.urls import reverse
from django.utils.html import format_html
from django.utils.http import RFC3986_SUBDELIMS
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext, pgettext

from stratmap.core.names import Shown, local_name, original_language, reader_language, shown
from stratmap.core.years import YearStyle
from stratmap.kpis.models import Kpi
from stratmap.kpis.presenters import (
    REASONS,
    MonthColumn,
    derived_text,
    html_lang,
    light_style,
    number,
    other_lang,
    reason_text,
    target_text,
)
from stratmap.kpis.scoring import TAIPEI_LIGHTS, Level, LightSet
from stratmap.kpis.selectors import Cascade, ScoredKpi
from stratmap.plans.models import TaskProgress
from stratmap.plans.selectors import KpiPlans, PlanInFull, months_to_date, task_to_date
from stratmap.strategy.models import Objective, StrategyMap


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


def target(value, upper=None) -> str:
    """A target, or a range target with its upper bound: 200, or "−1 to 1" (「−1～1」) rather than "-1–1"."""
    if upper is None or upper == "":
        return num(value)
    if value is None or value == "":
        return ""
    return target_text(Decimal(str(value)), Decimal(str(upper)))


def marked(text: Shown, language: str | None = None) -> str:
    """``text`` as HTML, escaped, in a ``<span lang>`` when it is not in the page's ``language`` (the reader's,
    the active one by default): an untranslated name is then read in its own language by a screen reader.
    A text in the page's language quoting the other (「(一)」 in an English theme's name) has the quote marked."""
    lang = other_lang(text, language)
    return f'<span lang="{escape(lang)}">{escape(text.text)}</span>' if lang else mark_scripts(text.text, language)


#: Chinese in a text (its characters and full-width punctuation, with what runs between them), and English in
#: one (two words or more: a code such as DP5.1, a number or a single name reads alike in either language).
CHINESE_RUN = re.compile(
    r"[\u3000-\u303f\u3400-\u9fff\uf900-\ufaff\uff00-\uffef]+"
    r"(?:[\s\d.,:;%/()\-]*[\u3000-\u303f\u3400-\u9fff\uf900-\ufaff\uff00-\uffef]+)*"
)
#: A stretch of text with no Chinese in it, and an English word in one (letters only: DP5 is a code).
NOT_CHINESE = re.compile(r"[^\u3000-\u303f\u3400-\u9fff\uf900-\ufaff\uff00-\uffef]+")
ENGLISH_WORD = re.compile(r"(?<![A-Za-z0-9_.])[A-Za-z][A-Za-z'’&-]*(?![A-Za-z0-9_])")
#: What opens and closes an English run along with its words: brackets, quotes, the full stop.
OPENING, CLOSING = '([<`"“‘', ')]>`"”’.,;:'


def english_runs(text: str) -> Iterator[tuple[int, int]]:
    """Where English runs in ``text``: each stretch without Chinese holding two English words or more, from its
    first word to its last with the brackets and quotes around them (`links`, "(months: null)."), so that a
    sentence is one run, whatever codes and numbers it holds."""
    for stretch in NOT_CHINESE.finditer(text):
        words = list(ENGLISH_WORD.finditer(text, stretch.start(), stretch.end()))
        if len(words) < 2:
            continue
        start, end = words[0].start(), words[-1].end()
        while start > stretch.start() and text[start - 1] in OPENING:
            start -= 1
        while end < stretch.end() and text[end] in CLOSING:
            end += 1
        yield start, end


def mark_scripts(text: str, language: str | None = None) -> str:
    """``text`` as HTML, escaped, with what is written in the other language than the page's in a
    ``<span lang>``: Chinese on a page in another language, English words on a Chinese page. For the texts
    whose language the data does not say (notes on the source, typed reasons) and mixed ones (WCAG 3.1.2)."""
    chinese_page = reader_language(language).lower().startswith("zh")
    if chinese_page:
        runs, lang = english_runs(text), "en"
    else:
        runs, lang = ((found.start(), found.end()) for found in CHINESE_RUN.finditer(text)), html_lang("zh-hant")
    parts, last = [], 0
    for start, end in runs:
        parts += [escape(text[last:start]), f'<span lang="{lang}">{escape(text[start:end])}</span>']
        last = end
    return "".join(parts) + escape(text[last:])


def shown_html(obj: object, field: str = "name", *, original: str | None = None, language: str | None = None) -> str:
    """``obj.<field>`` in the reader's language where the data has it, else the original (in the data's
    ``original`` language, its organization's), as HTML marked with its language (:func:`marked`)."""
    if obj is None or obj == "":
        return ""
    language = reader_language(language)  # once for both: every name of a page passes here
    return marked(shown(obj, field, language=language, original=original), language)


def light_badge(value: Level | str | None, reason: str = "", lights: LightSet = TAIPEI_LIGHTS) -> SafeString:
    """A light badge: symbol, label and colour together, never colour alone (a key is read in ``lights``)."""
    if not value:
        return mark_safe("")
    style = light_style(lights.get(value) if isinstance(value, str) else value)
    # Why a light is unknown, in words beside it (not in a tooltip only, which neither a keyboard nor a
    # touch screen opens).
    # A reason typed in the data is in its organization's language: marked where it is not the page's.
    why = ""
    if reason:
        text = reason_text(reason) if reason in REASONS else mark_safe(mark_scripts(reason))
        why = format_html(' <small class="reason">({})</small>', text)
    # A name the light set has only in another language (a council's Green on a Chinese page) says which.
    label = format_html('<span lang="{}">{}</span>', style.lang, style.label) if style.lang else style.label
    return format_html(
        '<span class="light light-{}" style="color: {}"><span aria-hidden="true">{}</span> {}</span>{}',
        style.key,
        style.colour,
        style.symbol,
        label,
        why,
    )


#: A row of the scorecard page's table (web/scorecard.html, whose head names its columns): its cells' values
#: escaped or made here. One format a row rather than a template: the template's nodes, a dozen a row, were
#: most of the page's rendering.
SCORECARD_ROW = (
    '\n    <tr class="{row_class}">\n'
    "      {perspective}\n"
    '      <td><span class="code">{objective_code}</span> {objective_name}</td>\n'
    '      <td class="code"><a href="{href}">{code}</a></td>\n'
    "      <td>{name}</td>\n"
    '      <td class="n">{target}</td>\n'
    '      <td class="n">{actual}</td>\n'
    '      <td class="n">{rate}</td>\n'
    "      {scores}\n"
    '      <td class="n">{score}</td>\n'
    "      <td>{light}</td>\n"
    "      <td>{met}</td>\n"
    "    </tr>\n"
    "  "
)
#: The self-assessment scores, a composite scorecard's only (they make its total).
SCORECARD_SCORES = (
    '\n      <td class="n">{innovation}</td>\n'
    '      <td class="n">{challenge}</td>\n'
    '      <td class="n">{contribution}</td>\n'
    "      "
)


def _measured(value: str, given: Decimal | None, unit: Shown, periods: tuple, style: YearStyle) -> str:
    """A target or an actual, its unit after it (in the reader's language where the data has it), and the
    periods it was made of (small, after a space): HTML, every text in it escaped (a cell of a row marked
    safe as a whole)."""
    lang = other_lang(unit)
    attribute = f' lang="{escape(lang)}"' if lang else ""
    unit_html = f'<span class="unit"{attribute}>{escape(unit.text)}</span>' if given is not None and unit.text else ""
    derived = f' <small class="derived">{escape(derived_text(tuple(periods), style))}</small>' if periods else ""
    return f"{escape(value)}{unit_html}{derived}"


def addresses(name: str) -> Callable[[StrategyMap, str], str]:
    """The address of ``name`` (``web:kpi``, ``web:theme``, ``web:plan-progress``: a page of a code of a map)
    for a map and a code: reversed once a map, the code put in as ``reverse`` quotes it. A ``{% url %}`` a
    link was most of the cascade's rendering."""
    around: dict[int, tuple[str, str]] = {}

    def address(smap: StrategyMap, code: str) -> str:
        if smap.pk not in around:
            # An organization's code and a year hold no "~": the last one is where the code goes.
            head, _, tail = reverse(name, args=[smap.organization.code, smap.url_year, "~"]).rpartition("~")
            around[smap.pk] = (head, tail)
        head, tail = around[smap.pk]
        return f"{head}{quote(code, safe=RFC3986_SUBDELIMS + '/~:@')}{tail}"

    return address


def cascade_links(found: Cascade) -> tuple[dict[int, str], dict[int, str]]:
    """The cascade page's links: each KPI's page and each bureau theme's, by id."""
    kpi, theme = addresses("web:kpi"), addresses("web:theme")
    city = [k for row in found.rows for k in row.city_kpis] + found.unsupported
    bureau = [k for row in found.rows for ks in row.bureau_kpis.values() for k in ks] + found.unknown_citations
    kpis = {k.pk: kpi(found.city, k.code) for k in city} | {k.pk: kpi(k.objective.map, k.code) for k in bureau}
    return kpis, {t.pk: theme(t.map, t.code) for row in found.rows for t in row.bureau_themes}


def scorecard_lines(
    rows: list[ScoredKpi], smap: StrategyMap, *, perspectives: bool, composite: bool
) -> list[SafeString]:
    """The scorecard page's rows, as it shows them (``perspectives``: with the perspective's column;
    ``composite``: with the self-assessment scores'). Formats and ``escape``, not ``format_html``: that, a
    cell, cost more than the cell's template node had."""
    style = smap.organization.year_style
    original, language = original_language(smap.organization), reader_language()
    kpi_address = addresses("web:kpi")
    yes = escape(gettext("yes"))
    missed = f'<strong class="missed">{escape(gettext("not met"))}</strong>'
    differs = escape(gettext("the published total differs from the computed one"))
    computed, colon = escape(gettext("computed")), escape(pgettext("after a label", ": "))
    # A page holds a few perspectives and lights: each named once (the language is looked up at each).
    named: dict[int | None, str] = {}
    badges: dict[tuple[Level, str], str] = {}
    lines = []
    for row in rows:
        s, kpi = row.score, row.kpi
        given, objective = s.kpi, kpi.objective
        unit = shown(kpi, "unit", original=original, language=language)
        if perspectives and objective.perspective_id not in named:
            perspective = shown_html(objective.perspective, original=original, language=language)
            named[objective.perspective_id] = f"<td>{perspective}</td>"
        badge = (s.light, s.unknown_reason or "")
        if badge not in badges:
            badges[badge] = light_badge(*badge)
        # In words, not in a tooltip only: "⚑ computed 84.57", the sentence for screen readers.
        flag = (
            f' <span class="flag"><span aria-hidden="true">⚑</span>'
            f'<span class="visually-hidden">{differs}{colon}</span>'
            f" <small>{computed} {num(s.score_computed, 2)}</small></span>"
            if s.flag
            else ""
        )
        scores = (
            SCORECARD_SCORES.format(
                innovation=num(given.innovation), challenge=num(given.challenge), contribution=num(given.contribution)
            )
            if composite
            else ""
        )
        line = SCORECARD_ROW.format(
            row_class=f"light-row-{escape(s.light.key) if s.light else ''}{' missed-row' if s.met is False else ''}",
            perspective=named[objective.perspective_id] if perspectives else "",
            objective_code=escape(objective.code),
            objective_name=shown_html(objective, original=original, language=language),
            href=escape(kpi_address(smap, kpi.code)),
            code=escape(kpi.code),
            name=shown_html(kpi, original=original, language=language),
            target=_measured(target(given.target, given.target_upper), given.target, unit, row.target_from, style),
            actual=_measured(num(given.actual), given.actual, unit, row.actual_from, style),
            rate=f"{num(s.rate.percent, 1)}%" if s.rate.percent is not None else "",
            scores=scores,
            score=f"{num(s.score, 2)}{flag}",
            light=badges[badge],
            met=yes if s.met is True else (missed if s.met is False else "–"),
        )
        lines.append(mark_safe(line))  # every text in it escaped above (the numbers are digits)
    return lines


# --- action plans ------------------------------------------------------------------------------------
# A city's plans page holds hundreds of plans and thousands of tasks, each with a grid of twelve months: a few
# template nodes a cell, and an included template a plan, were most of the page's time. A plan is one format
# here, shown on the plans page and the KPI page alike.

PLAN = (
    '<article class="plan" id="plan-{code}">\n'
    '  <h3><span class="code">{code}</span> {name}</h3>\n'
    '  <p class="meta">{meta}</p>\n'
    "  {grid}\n"
    "  {progress_link}\n"
    "  {outcomes}\n"
    "</article>\n"
)
#: The plan's grid of months: its tasks, then its progress (when it has either).
PLAN_GRID = (
    '\n  <div class="table-wrap"><table class="months">\n'
    '    <thead><tr><th scope="col">{task}</th>{months}</tr></thead>\n'
    "    <tbody>{rows}\n    {progress}\n    </tbody>\n"
    "  </table></div>\n"
    "  "
)
TASK_ROW = '<tr><th scope="row">{name}</th>\n      {cells}\n    </tr>'


class PlanArticles:
    """Action plans as their pages show them: each its agencies, its tasks against the months of the map's
    year (``■`` and, for screen readers, "runs", in the months a task runs), each task's progress the reader
    sees (``✓`` done, ``◐`` under way, ``○`` planned, their notes numbered under the grid) and its months done
    of those planned to date, the link to update it for those who may (a plan of a KPI in
    ``editable``) and its expected outcomes. Made once a page (its words, its months), then called with
    each KPI's plans."""

    def __init__(self, *, smap: StrategyMap, months: list[MonthColumn], editable: set[int]) -> None:
        self.smap, self.months, self.editable = smap, months, editable
        self.original, self.language = original_language(smap.organization), reader_language()
        self.progress_address = addresses("web:plan-progress")
        self.headers = "".join(f'<th scope="col" class="month">{escape(m.label)}</th>' for m in months) + (
            f'<th scope="col" class="to-date">{escape(gettext("done / planned to date"))}</th>'
        )
        self.begun = months_to_date(smap=smap)
        self.states = {value: escape(str(label)) for value, label in TaskProgress.Done.choices}
        self.task, self.progress_label = escape(gettext("task")), escape(gettext("progress"))
        self.runs = f'<td class="month on"><span class="visually-hidden">{escape(gettext("runs"))}</span>■</td>'
        self.unscheduled = (
            f'<td colspan="{len(months)}" class="unscheduled">'
            f"{escape(gettext('schedule not given in the source'))}</td>\n      "
        )
        self.done, self.planned = escape(gettext("done")), escape(gettext("planned"))
        self.also, self.update = escape(gettext("also printed as")), escape(gettext("Update the monthly progress"))
        self.outcomes_title = escape(gettext("Expected outcomes"))
        self.month_labels = {m.month: escape(m.label) for m in months}
        self.note_word, self.notes_title = escape(gettext("note")), escape(gettext("Progress notes"))
        self.colon = escape(pgettext("after a label", ": "))
        self.comma = escape(pgettext("a progress note: between its task and its month", ", "))

    def _mark(self, p: TaskProgress, notes: list[str], plan_code: str, task_name: str) -> str:
        """A month's progress as a mark (✓ done, ◐ under way, ○ planned), its state in words for screen readers
        (the symbols' key is on the page); a note is a numbered link to it under the grid, appended to ``notes``.
        Not a tooltip (``title``): neither a keyboard, a touch screen nor most screen readers open one, and a
        footnote keeps a month's cell narrow where a disclosure inside it would widen the whole grid when open."""
        if p.done == TaskProgress.Done.DONE:
            symbol = "✓"
        elif p.done == TaskProgress.Done.UNDER_WAY:
            symbol = "◐"
        elif p.planned:
            symbol = "○"
        else:
            return ""
        state, reference = self.states[p.done], ""
        if p.note:
            number, anchor = len(notes) + 1, f"note-{escape(plan_code)}-{len(notes) + 1}"
            month = self.month_labels.get(p.month, str(p.month))
            text = marked(Shown(p.note, self.original), self.language)  # the agency's words, in its language
            # Focusable from its link (tabindex -1), so that the keyboard's next Tab goes on from the note.
            said = f"{task_name}{self.comma}{month}{self.colon}{state}{self.colon}{text}"
            notes.append(f'<li id="{anchor}" tabindex="-1">{said}</li>')
            reference = (
                f'<a class="note-ref" href="#{anchor}"><span class="visually-hidden">{self.note_word} </span>'
                f"{number}</a>"
            )
        return (
            f'<span class="progress-mark"><span aria-hidden="true">{symbol}</span>'
            f'<span class="visually-hidden">{state}</span></span>{reference}'
        )

    def __call__(self, plans: list[PlanInFull]) -> SafeString:
        return mark_safe("".join(self.article(item) for item in plans))  # every value in it escaped

    def article(self, item: PlanInFull) -> str:
        plan, months = item.plan, self.months
        meta = "、".join(escape(local_name(a)) for a in item.agencies)
        if plan.agencies_printed:
            meta += f" ({mark_scripts(plan.agencies_printed)})"
        if plan.also_printed_as:
            meta += f" · {self.also} {', '.join(escape(str(code)) for code in plan.also_printed_as)}"
        grid = ""
        if item.tasks:
            rows: list[str] = []
            notes: list[str] = []
            for t in item.tasks:
                on = t.months
                task_name = shown_html(t, original=self.original, language=self.language)
                marks = {p.month: self._mark(p, notes, plan.code, task_name) for p in item.progress.get(t.pk, ())}
                cells = (
                    self.unscheduled
                    if on is None and not marks
                    else "".join(
                        (self.runs if on and m.month in on else '<td class="month">').replace("</td>", "")
                        + marks.get(m.month, "")
                        + "</td>"
                        for m in months
                    )
                )
                to_date = task_to_date(t, item.progress.get(t.pk, []), self.begun)
                cells += f'<td class="to-date">{to_date.done}/{to_date.planned}</td>'
                rows.append(TASK_ROW.format(name=task_name, cells=cells))
            grid = PLAN_GRID.format(task=self.task, months=self.headers, rows="".join(rows), progress="")
            if notes:
                grid += (
                    f'<p class="outcomes-title">{self.notes_title}</p><ol class="progress-notes">{"".join(notes)}</ol>'
                )
        link = ""
        if plan.kpi_id in self.editable:
            link = f'<p><a href="{escape(self.progress_address(self.smap, plan.code))}">{self.update}</a></p>'
        outcomes = ""
        if item.outcomes:
            listed = "".join(
                f"<li>{shown_html(o, 'text', original=self.original, language=self.language)}</li>"
                for o in item.outcomes
            )
            outcomes = f'<p class="outcomes-title">{self.outcomes_title}</p><ul class="outcomes">{listed}</ul>'
        return PLAN.format(
            code=escape(plan.code),
            name=shown_html(plan, original=self.original, language=self.language),
            meta=meta,
            grid=grid,
            progress_link=link,
            outcomes=outcomes,
        )


class PlansLine(TypedDict):
    """A KPI of the plans page (web/plans.html): its objective (the page groups by it), its address and its
    plans shown. A dict: the template engine tries a key before an attribute."""

    objective: Objective
    kpi: Kpi
    href: str
    plans: SafeString


def plans_lines(
    kpis: list[KpiPlans], *, smap: StrategyMap, months: list[MonthColumn], editable: set[int]
) -> list[PlansLine]:
    """The plans page's KPIs that have plans, in the map's order."""
    kpi_address, articles = addresses("web:kpi"), PlanArticles(smap=smap, months=months, editable=editable)
    return [
        PlansLine(
            objective=item.kpi.objective,
            kpi=item.kpi,
            href=kpi_address(smap, item.kpi.code),
            plans=articles(item.plans),
        )
        for item in kpis
        if item.plans
    ]
