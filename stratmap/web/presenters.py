"""What every page shows (a context processor): the light legend and the administrator's links.

How scores read (lights, numbers, reasons, the summary sentence) is :mod:`stratmap.kpis.presenters`."""

from __future__ import annotations

from stratmap.access import access_for
from stratmap.kpis.presenters import light_styles


def lights_context(request) -> dict:
    """What every page shows: the light legend, and the extra links of the administrators of the
    page's organization (``is_administrator``)."""
    access = access_for(request)
    match = getattr(request, "resolver_match", None)
    org = match.kwargs.get("org") if match else None
    return {
        "lights": light_styles(),
        "is_administrator": bool(org) and access.is_insider and access.is_administrator(org),
    }
