"""Links to the completion board (issue 16 item 3) for those who may see it: from a map's navigation and from
/due/. The board is for whoever reads the map's unpublished data (``Access.reads_unpublished``)."""

from __future__ import annotations

from django import template
from django.utils import timezone

from stratmap.access import access_for
from stratmap.kpis.selectors import cycle_maps
from stratmap.strategy.models import StrategyMap

register = template.Library()


@register.simple_tag(takes_context=True)
def reads_board(context, smap: StrategyMap) -> bool:
    """Whether the page's reader may open ``smap``'s completion board: ``{% reads_board map as board %}``.
    No query for the public; at most one for an insider (whether they work on the map), once a request."""
    request = context.get("request")
    if request is None or not request.user.is_authenticated:
        return False
    return access_for(request).reads_unpublished(smap)


@register.simple_tag(takes_context=True)
def board_maps(context) -> list[StrategyMap]:
    """The maps of the reader's current cycle (those of /due/, ``kpis.selectors.cycle_maps``) whose completion
    board they may open: ``{% board_maps as boards %}``. Two queries at most; none for the public."""
    request = context.get("request")
    if request is None or not request.user.is_authenticated:
        return []
    access = access_for(request)
    if not access.memberships:
        return []
    maps = cycle_maps(access=access, today=timezone.localdate())
    readable = access.reads_unpublished_of(maps)
    return [smap for smap in maps if smap.pk in readable]
