"""The public pages. Thin: each view resolves the map through the access choke-point,
asks selectors for the data and renders a template. Every page runs a fixed number
of queries whatever the number of KPIs."""

from __future__ import annotations

import codecs
from dataclasses import dataclass

from django.db.models import Prefetch
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views.decorators.http import require_safe

from stratmap.access import access_for, get_map_for_user, visible_maps
from stratmap.core.models import AuditEvent, Membership, Organization
from stratmap.core.names import local_text, original_language
from stratmap.core.spreadsheet import SafeWriter
from stratmap.core.years import PER_YEAR, YearError, format_year, period_in_year
from stratmap.kpis.models import Kpi, period_code
from stratmap.kpis.presenters import light_style, map_spec, month_columns, number, summary_sentence
from stratmap.kpis.scoring import Rollup
from stratmap.kpis.selectors import (
    FilteredScorecard,
    Scorecard,
    cascade,
    every_period,
    map_scorecard,
    organization_summaries,
    scorecard_rows,
)
from stratmap.plans.selectors import PlanInFull, kpi_detail, kpis_with_plans, objective_outcomes
from stratmap.revisions.selectors import map_diff
from stratmap.strategy import diagram
from stratmap.strategy.models import Objective, Perspective, StrategyMap, Theme
from stratmap.strategy.selectors import MapStructure, map_structure
from stratmap.web.pagecache import kept
from stratmap.web.presenters import legend, legends
from stratmap.web.rows import PlanArticles, cascade_links, plans_lines, scorecard_lines


def map_context(smap: StrategyMap, **extra) -> dict:
    # data_language: what the map's texts are written in, for the {% tr %} tag, read once from the organization.
    organization = smap.organization
    return {
        "map": smap,
        "org": organization,
        "year": smap.year,
        "data_language": original_language(organization),
        **extra,
    }


@require_safe
def home(request: HttpRequest) -> HttpResponse:
    # A page of organizations, each with its latest year's counts: the work does not grow with the data.
    found = organization_summaries(access=access_for(request), page=request.GET.get("page", 1))
    # The legend lists the light sets of the maps counted (each map's counts show its own), each named with
    # the organizations using it.
    lights = legend(row.summary.light_set for row in found.rows) if found.rows else None
    keys = legends((row.summary.light_set, row.organization) for row in found.rows)
    context = {"rows": found.rows, "page": found.page, "legends": keys, **({"lights": lights} if lights else {})}
    # The organizations whose maps this person builds (a new bureau's first map starts here): one query, and
    # none for the public.
    administered = access_for(request).organizations(Membership.Role.ADMINISTRATOR)
    if administered:
        context["building"] = list(Organization.objects.filter(pk__in=administered).order_by("code"))
    return render(request, "web/home.html", context)


def map_drawn(request: HttpRequest, smap: StrategyMap) -> tuple[diagram.MapSpec, Scorecard, MapStructure]:
    access = access_for(request)
    card = map_scorecard(smap=smap, access=access)
    structure = map_structure(smap=smap, access=access)
    return map_spec(smap, card, access=access, structure=structure), card, structure


def map_svg(request: HttpRequest, smap: StrategyMap) -> tuple[str, Scorecard, MapStructure]:
    spec, card, structure = map_drawn(request, smap)
    return diagram.render_svg(spec), card, structure


@require_safe
@kept
def strategy_map(request: HttpRequest, org: str, year: int) -> HttpResponse:
    smap = get_map_for_user(request, org, year)
    spec, card, structure = map_drawn(request, smap)
    (summary,) = card.rollups["organization"].values()
    # The drawing is for the eye; the same map in words (web/_map_words.html) is for the ear and the keyboard.
    svg = diagram.render_svg(spec, decorative=True)
    context = map_context(smap, svg=svg, outline=diagram.outline(spec), summary=summary, themes=structure.themes)
    return render(request, "web/map.html", context)


@require_safe
def strategy_map_svg(request: HttpRequest, org: str, year: int) -> HttpResponse:
    smap = get_map_for_user(request, org, year)
    svg, _card, _structure = map_svg(request, smap)
    response = HttpResponse(svg, content_type="image/svg+xml; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{org}-{smap.year}-map.svg"'
    return response


@require_safe
@kept
def theme(request: HttpRequest, org: str, year: int, code: str) -> HttpResponse:
    smap = get_map_for_user(request, org, year)
    structure = map_structure(smap=smap, access=access_for(request))
    the_theme = next((t for t in structure.themes if t.code == code), None)
    if the_theme is None:
        raise Http404
    card = map_scorecard(smap=smap, theme=code, access=access_for(request), structure=structure)
    rows_by_objective: dict[int, list] = {}
    for row in card.rows:
        rows_by_objective.setdefault(row.kpi.objective_id, []).append(row)
    perspectives = [
        (p, [(o, rows_by_objective.get(o.pk, [])) for o in structure.objectives_of(the_theme, p)])
        for p in [*structure.perspectives, None]  # None: the objectives outside the perspectives, last
    ]
    rollup = card.rollups["theme"].get(code)
    sentence = summary_sentence(rollup, smap.year, code, style=smap.organization.year_style) if rollup else ""
    # The 關聯圖: the theme's part of the strategy map, drawn by the same engine, with its cause-and-effect links.
    spec = diagram.sub_map(map_spec(smap, card, access=access_for(request), structure=structure), code, title="")
    # Decorative: the theme's objectives are the page's own cards below, its links are listed in words beside it.
    outline = diagram.outline(spec)
    return render(
        request,
        "web/theme.html",
        map_context(
            smap,
            theme=the_theme,
            perspectives=perspectives,
            rollup=rollup,
            sentence=sentence,
            card=card,
            svg=diagram.render_svg(spec, decorative=True) if spec.links else "",
            outline=outline,
        ),
    )


FILTERS = ("theme", "perspective", "agency", "light")


def _filtered_scorecard(request: HttpRequest, smap: StrategyMap) -> tuple[FilteredScorecard, dict[str, str], str]:
    filters = {key: request.GET.get(key, "") for key in FILTERS}
    sort = request.GET.get("sort", "")
    period = None
    if request.GET.get("period"):
        try:
            period = period_in_year(request.GET["period"], smap.year, smap.organization.year_style)
        except YearError:
            pass  # a period that is none of this year's: the whole year, as an unknown filter value is ignored
    found = scorecard_rows(
        access=access_for(request),
        smap=smap,
        sort=sort,
        period=period,
        theme=filters["theme"],
        perspective=filters["perspective"],
        agency=filters["agency"],
        light=filters["light"],
    )
    filters["period"] = period_code(period, smap.organization.year_style) if period is not None else ""
    return found, filters, sort


@dataclass
class WeightedSection:
    """A table of the scorecard page: objectives (or themes) with their weights, scores and points, and the
    organization's weighted average and points from them."""

    caption: str
    rows: list[tuple[Objective | Theme, Rollup]]
    total: Rollup


def _weighted_sections(card: Scorecard) -> list[WeightedSection]:
    """The objectives' and the themes' points, where they have weights (none where nothing has)."""
    objectives = {row.kpi.objective.code: row.kpi.objective for row in card.rows}
    themes = {row.kpi.objective.theme.code: row.kpi.objective.theme for row in card.rows if row.kpi.objective.theme}
    sections = []
    levels: list[tuple[str, str, str, dict[str, Objective] | dict[str, Theme]]] = [
        (_("Objectives by weight"), "objective_points", "organization_by_objective", objectives),
        (_("Themes by weight"), "theme_points", "organization_by_theme", themes),
    ]
    for caption, points, whole, groups in levels:
        total = next(iter(card.rollups[whole].values()), None)
        if total is not None:
            rows = [(groups[code], rollup) for code, rollup in card.rollups[points].items()]
            sections.append(WeightedSection(caption, rows, total))
    return sections


@require_safe
@kept
def scorecard(request: HttpRequest, org: str, year: int) -> HttpResponse:
    smap = get_map_for_user(request, org, year)
    found, filters, sort = _filtered_scorecard(request, smap)
    agencies = Organization.objects.filter(kpis__objective__map=smap).distinct().order_by("code")
    perspectives = list(smap.perspectives.order_by("order"))
    composite = found.card.policy.self_assessed
    return render(
        request,
        "web/scorecard.html",
        map_context(
            smap,
            card=found.card,
            rows=found.rows,
            lines=scorecard_lines(found.rows, smap, perspectives=bool(perspectives), composite=composite),
            filters=filters,
            sort=sort,
            themes=list(smap.themes.order_by("order")),
            perspectives=perspectives,
            agencies=list(agencies),
            query=request.GET.urlencode(),
            weighted=_weighted_sections(found.card),
            composite=composite,
            periods=_period_choices(found.card),
        ),
    )


def _period_choices(card: Scorecard) -> list[tuple[str, str]]:
    """The periods a scorecard may be of (year to date), as (address value, label): those of the units
    the map's KPIs report in; none when no KPI has values per period (Taipei's)."""
    style = card.map.organization.year_style
    units = {row.periods[0].period.unit for row in card.rows if row.periods}
    return [
        (period_code(p, style), style.period_label(p))
        for unit in sorted(units, key=lambda u: PER_YEAR[u])
        for p in style.periods(card.year, unit)
    ]


@require_safe
def scorecard_csv(request: HttpRequest, org: str, year: int) -> HttpResponse:
    smap = get_map_for_user(request, org, year)
    rows = _filtered_scorecard(request, smap)[0].rows
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{org}-{smap.year}-scorecard.csv"'
    response.write(codecs.BOM_UTF8.decode("utf-8"))  # so that Excel opens it as UTF-8
    writer = SafeWriter(response)  # names are people's text: never formulas in Excel
    writer.writerow(
        [_("perspective"), _("strategic objective"), _("code"), _("name"), _("target"), _("actual"),
         _("achievement rate (%)"), _("innovation"), _("challenge"), _("contribution"), _("total score"),
         _("light"), _("met")]
    )  # fmt: skip
    original = original_language(smap.organization)
    for row in rows:
        s = row.score
        writer.writerow(
            [
                s.kpi.perspective,
                s.kpi.objective,
                row.kpi.code,
                local_text(row.kpi, original=original),
                number(s.kpi.target, grouping=False),
                number(s.kpi.actual, grouping=False),
                number(s.rate.percent, 1, grouping=False),
                number(s.kpi.innovation, grouping=False),
                number(s.kpi.challenge, grouping=False),
                number(s.kpi.contribution, grouping=False),
                number(s.score, 2, grouping=False),
                f"{light_style(s.light).symbol}{light_style(s.light).label}",
                {True: _("yes"), False: _("no"), None: ""}[s.met],
            ]
        )
    return response


@require_safe
@kept
def kpi(request: HttpRequest, org: str, year: int, code: str) -> HttpResponse:
    smap = get_map_for_user(request, org, year)
    try:
        detail = kpi_detail(smap=smap, code=code, access=access_for(request))
    except (Kpi.DoesNotExist, Kpi.MultipleObjectsReturned):  # a code names one KPI of a map, or none
        raise Http404 from None
    chart = {
        "years": [format_year(p.year, style=smap.organization.year_style) for p in detail.history],
        "target": [None if p.target is None else float(p.target) for p in detail.history],
        "actual": [None if p.actual is None else float(p.actual) for p in detail.history],
        "labels": {"target": _("target"), "actual": _("actual")},
        "unit": local_text(detail.kpi, "unit", original=original_language(smap.organization)),
    }
    # The unit in brackets after the chart's title as the page's language writes them: 「（人）」 full-width in
    # Chinese, " (people)" in English.
    chart["unit_shown"] = pgettext("a chart's unit", " (%(unit)s)") % {"unit": chart["unit"]} if chart["unit"] else ""
    may_work = _may_work(request, detail.kpi)
    periods = detail.scored.periods
    if periods:
        # A KPI with values per period is charted by the periods of the map's year.
        style = smap.organization.year_style
        chart |= {
            "years": [style.period_label(row.period) for row in periods],
            "target": [
                float(row.target.value) if row.target and row.target.value is not None else None for row in periods
            ],
            "actual": [
                float(row.result.actual) if row.result and row.result.actual is not None else None for row in periods
            ],
        }
    return render(
        request,
        "web/kpi.html",
        map_context(
            smap,
            detail=detail,
            kpi=detail.kpi,
            score=detail.scored.score,
            result=detail.scored.result,
            light=light_style(detail.scored.score.light),
            may_work=may_work,
            # Each period's result page, for those who enter, review or publish it.
            work_periods=every_period(detail.scored) if may_work else [],
            history=(
                AuditEvent.objects.filter(kpi=detail.kpi).order_by("-at", "-pk")[:100]
                if access_for(request).reads_unpublished(smap)
                else None
            ),
            chart=chart,
            plans=PlanArticles(
                smap=smap,
                months=month_columns(smap.organization.year_style, smap.year),
                editable=set(),  # the plans page links to the progress of the plans one may update
            )([PlanInFull.of(plan, with_progress=True) for plan in detail.kpi.action_plans.all()]),
        ),
    )


def _may_work(request: HttpRequest, kpi: Kpi) -> bool:
    access = access_for(request)
    return access.edits(kpi) or access.reviews(kpi) or access.publishes(kpi)


@require_safe
@kept
def plans(request: HttpRequest, org: str, year: int) -> HttpResponse:
    smap = get_map_for_user(request, org, year)
    access = access_for(request)
    # The plans whose progress page one may open: to enter it, or to review or publish it.
    editable = set(access.editable_kpis().filter(objective__map=smap).values_list("pk", flat=True))
    editable |= set(access.reviewable_kpis().filter(objective__map=smap).values_list("pk", flat=True))
    months = month_columns(smap.organization.year_style, smap.year)
    found = kpis_with_plans(smap=smap, access=access_for(request))
    return render(
        request,
        "web/plans.html",
        map_context(
            smap,
            kpis=plans_lines(found, smap=smap, months=months, editable=editable),
            objective_outcomes=objective_outcomes(smap=smap, access=access_for(request)),
        ),
    )


@require_safe
def tows(request: HttpRequest, org: str, year: int) -> HttpResponse:
    smap = get_map_for_user(request, org, year)
    entries: dict[str, list] = {kind: [] for kind in ("s", "w", "o", "t", "so", "wo", "st", "wt")}
    # each strategy with the objectives it becomes, in one query more
    becomes = Prefetch("objectives", Objective.objects.select_related("theme").order_by("order"))
    for entry in smap.tows_entries.order_by("order").prefetch_related(becomes):
        entries[entry.kind].append(entry)
    headings = {kind: (items[0] if items else None) for kind, items in entries.items()}  # each its first's heading
    thrusts = list(smap.thrusts.order_by("order"))
    if not smap.has_tows and not thrusts:
        raise Http404
    return render(request, "web/tows.html", map_context(smap, entries=entries, headings=headings, thrusts=thrusts))


@require_safe
@kept
def cascade_view(request: HttpRequest, org: str, year: int) -> HttpResponse:
    smap = get_map_for_user(request, org, year)
    organization = smap.organization
    parent = organization.parent
    if parent is not None:
        city = get_map_for_user(request, parent.code, year)
        bureaus = [smap]
    else:
        city = smap
        bureaus = list(
            visible_maps(request)
            .filter(organization__parent=organization, year=year, in_force=True)
            .exclude(organization__kind=Organization.Kind.THEME_GROUP)
            .select_related("organization")
        )
    result = cascade(city=city, bureaus=bureaus, access=access_for(request))
    kpi_links, theme_links = cascade_links(result)
    return render(
        request, "web/cascade.html", map_context(smap, cascade=result, kpi_links=kpi_links, theme_links=theme_links)
    )


@require_safe
def revisions(request: HttpRequest, org: str, year: int) -> HttpResponse:
    smap = get_map_for_user(request, org, year)
    compared_to = smap.compared_year
    before = (
        visible_maps(request)
        .filter(organization=smap.organization, year=compared_to, in_force=True)
        .select_related("organization")
        .first()
    )
    theme = request.GET.get("theme", smap.revisions_theme)
    diff = map_diff(after=smap, before=before, theme=theme, access=access_for(request))
    published = list(smap.revisions.prefetch_related(Prefetch("agencies")).order_by("order"))
    counts = list(smap.revision_counts.order_by("order"))
    perspectives = list(smap.perspectives.order_by("order"))
    computed: list[tuple[Perspective | None, dict]] = [(p, diff.counts.get(p.code, {})) for p in perspectives]
    if "" in diff.counts:  # objectives outside the perspectives
        computed.append((None, diff.counts[""]))
    return render(
        request,
        "web/revisions.html",
        map_context(
            smap,
            diff=diff,
            before=before,
            published=published,
            counts=counts,
            computed=computed,
            theme=theme,
            compared_to=compared_to,
            themes=list(smap.themes.order_by("order")),
            levels=["objective", "kpi", "action_plan"],
        ),
    )
