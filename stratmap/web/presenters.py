"""What every page shows (a context processor): the light legend and the administrator's links.

How scores read (lights, numbers, reasons, the summary sentence) is :mod:`stratmap.kpis.presenters`."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.utils.functional import SimpleLazyObject
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from stratmap.access import access_for
from stratmap.core.models import Organization
from stratmap.core.names import local_name
from stratmap.kpis.presenters import light_style, light_styles
from stratmap.kpis.scoring import LightSet
from stratmap.kpis.selectors import policy_of
from stratmap.notices.selectors import unread_count
from stratmap.strategy.diagram import LightStyle
from stratmap.strategy.models import StrategyMap


def legend(sets: Iterable[LightSet]) -> list[LightStyle]:
    """The levels of ``sets``, each once, in order: the legend of a page showing maps of several sets."""
    seen: dict[object, LightStyle] = {}
    for lights in sets:
        for level in lights:
            seen.setdefault(level, light_style(level))
    return list(seen.values())


@dataclass(frozen=True)
class Legend:
    """One light set's key as the footer shows it: its levels and, on a page listing maps of several sets,
    whose key it is (empty on a page of one map or of none: there is one key)."""

    lights: list[LightStyle]
    title: str = ""


def legends(used: Iterable[tuple[LightSet, Organization]]) -> list[Legend]:
    """A key per light set of the maps listed, in the order first met, each titled with the set's name and
    the organizations whose maps use it ("Taipei lights, used by Taipei City Government"): listed one after
    the other, two keys of the same symbols would otherwise be read as one."""
    users: dict[LightSet, list[Organization]] = {}
    for lights, organization in used:
        listed = users.setdefault(lights, [])
        if organization not in listed:
            listed.append(organization)
    comma = "、" if (get_language() or "").lower().startswith("zh") else ", "
    out = []
    for lights, organizations in users.items():
        # Top organizations first (the city before its bureaus), each by the full name its heading shows.
        names = [local_name(o, full=True) for o in sorted(organizations, key=lambda o: o.parent_id is not None)]
        title = _("%(set)s, used by %(organizations)s") % {
            "set": lights.label(get_language()),
            "organizations": comma.join(names),
        }
        out.append(Legend(light_styles(lights), title))
    return out


def map_legend(smap: StrategyMap) -> list[LightStyle]:
    """The legend of a page of a map: its own light set (its rating policy's)."""
    return light_styles(policy_of(smap=smap).lights)


def notices_context(request) -> dict:
    """The bell's count of unread notifications, asked only when a page shows it (a logged-in person's), once:
    a page kept for its person (web.pagecache) counted them already."""
    counted = getattr(request, "_stratmap_unread", None)
    if counted is not None:
        return {"unread_notifications": counted}
    return {"unread_notifications": SimpleLazyObject(lambda: unread_count(user=request.user))}


def lights_context(request) -> dict:
    """What every page shows: the light legend (the default light set; a page of a map shows its map's,
    the ``legend`` tag), and the extra links of the administrators of the page's organization
    (``is_administrator``)."""
    access = access_for(request)
    match = getattr(request, "resolver_match", None)
    org = match.kwargs.get("org") if match else None
    return {
        "lights": light_styles(),
        "is_administrator": bool(org) and access.is_insider and access.is_administrator(org),
    }
