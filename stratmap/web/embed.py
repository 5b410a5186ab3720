"""Embeddable views (issue 17 item 6): a map and its scorecard, read-only, without the site's navigation,
for other government sites to show in a frame.

These two views alone may be framed, by this site and by the origins of ``settings.STRATMAP_FRAME_ANCESTORS``
(docs/deploy.md): they send ``Content-Security-Policy: frame-ancestors 'self' <origins>`` and no
X-Frame-Options; every other page keeps ``frame-ancestors 'none'`` and ``X-Frame-Options: DENY``. They read
what the full pages read, through the same access check (``get_map_for_user``, ``map_scorecard``): the public
sees the published maps and results only. Nothing in them writes, and no form is in them.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from csp.constants import SELF
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.http import require_safe

from stratmap.access import access_for, get_map_for_user
from stratmap.kpis.selectors import scorecard_rows
from stratmap.strategy import diagram
from stratmap.web.rows import scorecard_lines
from stratmap.web.views import map_context, map_drawn


def frameable(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """``view``'s answers may be framed by this site and the configured origins (read at each answer, so that
    the setting is the one in force)."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = view(request, *args, **kwargs)
        # django-csp's middleware reads this attribute (what its csp_replace decorator sets).
        response._csp_replace = {"frame-ancestors": [SELF, *settings.STRATMAP_FRAME_ANCESTORS]}  # type: ignore[attr-defined]
        return response

    return xframe_options_exempt(wrapper)


@require_safe
@frameable
def embed_map(request: HttpRequest, org: str, year: int) -> HttpResponse:
    smap = get_map_for_user(request, org, year)
    spec, card, _structure = map_drawn(request, smap)
    (summary,) = card.rollups["organization"].values()
    # As on the map page: the drawing for the eye, the same map in words for the ear and the keyboard.
    svg = diagram.render_svg(spec, decorative=True)
    context = map_context(smap, svg=svg, outline=diagram.outline(spec), summary=summary)
    return render(request, "web/embed_map.html", context)


@require_safe
@frameable
def embed_scorecard(request: HttpRequest, org: str, year: int) -> HttpResponse:
    """The scorecard's table, of one theme with ``?theme=`` (an unknown theme: no row, as on the page)."""
    smap = get_map_for_user(request, org, year)
    theme = request.GET.get("theme", "")
    found = scorecard_rows(access=access_for(request), smap=smap, theme=theme)
    perspectives = smap.perspectives.exists()
    composite = found.card.policy.self_assessed
    lines = scorecard_lines(found.rows, smap, perspectives=perspectives, composite=composite)
    return render(
        request,
        "web/embed_scorecard.html",
        map_context(smap, card=found.card, lines=lines, perspectives=perspectives, composite=composite, theme=theme),
    )
