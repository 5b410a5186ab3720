"""What every response gets, whichever view answered.

**Responses to a logged-in person are theirs alone.** A page or download answered to someone logged in
may hold what only their roles let them see (unpublished maps, draft results, their name, their work
list), so no shared cache (a proxy, a CDN) may keep or serve it to anyone else: ``Cache-Control: private,
no-store``. Deciding it here, once, for every response, rather than view by view, is what makes it total.
Pages of the public stay cacheable; ``Vary: Cookie`` tells caches that the answer depends on who asks.

**One address per page.** A map's year is written in its addresses as the page's language writes it
(``StrategyMap.url_year``: /taipei/108/ in Chinese, /en/taipei/2019/ in English); every other form of the
year (ROC in English, AD in Chinese, a fiscal year's span) reads back as the same year, and a GET or HEAD
of it is answered with a permanent redirect to the page's address, the rest of the path and the query
kept. A POST is served where it was sent: a redirect would lose the form's data.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import Http404, HttpRequest, HttpResponse, HttpResponsePermanentRedirect
from django.urls import reverse
from django.utils import translation
from django.utils.cache import patch_cache_control, patch_vary_headers

from stratmap.access import visible_maps
from stratmap.core.years import YearLabel, YearStyle
from stratmap.strategy.models import StrategyMap
from stratmap.web.urls import AddressYear

#: How long a browser may keep the redirect to a page's address: long enough to save the hop, short enough
#: that an organization that changes how it names its years is not left with a loop of cached redirects.
REDIRECT_CACHE_SECONDS = 24 * 60 * 60


def address_year(request: HttpRequest) -> AddressYear | None:
    """The map year of the requested address, as the address wrote it, if the page has one."""
    match = request.resolver_match
    if match is None or "org" not in match.kwargs:
        return None
    year = match.kwargs.get("year")
    return year if isinstance(year, AddressYear) else None


def page_address(request: HttpRequest, smap: StrategyMap, language: str | None = None) -> str | None:
    """The requested page's address in ``language`` (default the active one), its year as that language
    writes ``smap``'s (the map the page is of), the rest of the path and the query kept; ``None`` for a page
    that is not of a year of ``smap``."""
    year, match = address_year(request), request.resolver_match
    if year is None or match is None or match.kwargs["org"] != smap.organization.code or int(year) != smap.year:
        return None
    with translation.override(language or translation.get_language()):
        path = reverse(match.view_name, args=match.args, kwargs={**match.kwargs, "year": smap.url_year})
    query = request.META.get("QUERY_STRING", "")
    return f"{path}?{query}" if query else path


def _same_whoever(year: AddressYear) -> bool:
    """Whether the address's year is written as the active language writes it for every organization (an AD
    year in English): then it is the page's address without asking how its organization names years."""
    return {YearStyle(labels=labels).in_address(year) for labels in YearLabel} == {year.text}


class CanonicalYear:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(self, request: HttpRequest, view: Callable, args: tuple, kwargs: dict) -> HttpResponse | None:
        year = address_year(request)
        if year is None or _same_whoever(year):
            return None
        # Only a map the person may read is redirected: anything else is the view's 404, which says
        # nothing of what exists.
        smap = (
            visible_maps(request)
            .select_related("organization")
            .filter(organization__code=kwargs["org"], year=int(year), in_force=True)
            .first()
        )
        if smap is None:
            return None
        if "-" in year.text and smap.organization.year_style.start_month == 1:
            raise Http404  # a span names no year of an organization whose years are calendar years
        if year.text == smap.url_year or request.method not in ("GET", "HEAD"):
            return None  # the page's address, or a form's data that a redirect would lose
        address = page_address(request, smap)
        if address is None:
            return None
        response = HttpResponsePermanentRedirect(address)
        patch_cache_control(response, max_age=REDIRECT_CACHE_SECONDS)
        return response


class PrivateForLoggedIn:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        user = getattr(request, "user", None)  # read after the view: a login or logout changes it
        if user is not None and user.is_authenticated:
            patch_cache_control(response, private=True, no_store=True)
        patch_vary_headers(response, ("Cookie",))
        return response
