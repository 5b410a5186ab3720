"""The at-risk page (issue 16 item 5, early warning): the KPIs of a person's work projected to miss their target,
and those rated red with no countermeasure entered. docs/early-warning.md says how the projection is made."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_safe

from stratmap.access import access_for
from stratmap.kpis.models import Kpi
from stratmap.kpis.selectors import KpiWarning, at_risk, cycle_maps
from stratmap.strategy.models import StrategyMap, Theme
from stratmap.web.presenters import legend, legends


@dataclass
class ThemeGroup:
    theme: Theme | None
    rows: list[KpiWarning] = field(default_factory=list)


@dataclass
class MapGroup:
    map: StrategyMap
    themes: list[ThemeGroup] = field(default_factory=list)
    red: list[KpiWarning] = field(default_factory=list)


def _grouped(maps: list[StrategyMap], rows: list[KpiWarning], red: list[KpiWarning]) -> list[MapGroup]:
    """``rows`` (high risk first, in map order within each band) by map, then by theme in the map's order;
    each theme's rows keep high before medium. Maps with nothing to show are left out."""
    groups = {m.pk: MapGroup(m) for m in maps}
    themes: dict[tuple[int, int | None], ThemeGroup] = {}
    for row in rows:
        objective = row.kpi.objective
        key = (objective.map_id, objective.theme_id)
        if key not in themes:
            themes[key] = ThemeGroup(objective.theme)
        themes[key].rows.append(row)
    for (map_id, _), group in sorted(
        themes.items(), key=lambda item: (item[1].theme is None, item[1].theme.order if item[1].theme else 0)
    ):
        groups[map_id].themes.append(group)
    for row in red:
        groups[row.kpi.objective.map_id].red.append(row)
    return [g for g in groups.values() if g.themes or g.red]


@login_required
@require_safe
def at_risk_page(request: HttpRequest) -> HttpResponse:
    """The KPIs of this person's current cycle at risk of missing their target: a coordinator's those it reviews,
    an administrator's those of its organizations' maps, an editor's its own; each organization's latest map
    that has started (:func:`~stratmap.kpis.selectors.cycle_maps`, without the year before it: that year is
    over, its values are no projection)."""
    access = access_for(request)
    maps: list[StrategyMap] = []
    seen: set[int] = set()
    for smap in cycle_maps(access=access, today=timezone.localdate()):  # newest first per organization
        if smap.organization_id not in seen:
            seen.add(smap.organization_id)
            maps.append(smap)
    mine = Kpi.objects.filter(
        Q(pk__in=access.editable_kpis().values("pk")) | Q(pk__in=access.reviewable_kpis().values("pk"))
    )
    found = at_risk(access=access, maps=maps, kpis=mine)
    return render(
        request,
        "web/at_risk.html",
        {
            "groups": _grouped(maps, found.at_risk, found.red_without_countermeasures),
            "checked": len(found.kpis),
            "projected": sum(1 for w in found.kpis if w.forecast.projected is not None),
            "at_risk": len(found.at_risk),
            "maps": maps,
            "no_organization": access.is_superuser and not access.memberships,
            # The key of the maps' light sets (a council's Red/Amber/Green), each named with its organizations.
            "legends": legends((found.lights[m.pk], m.organization) for m in maps if m.pk in found.lights),
            **({"lights": legend(found.lights.values())} if found.lights else {}),
        },
    )
