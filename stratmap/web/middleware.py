"""Responses to a logged-in person are theirs alone.

A page or download answered to someone logged in may hold what only their roles let them see
(unpublished maps, draft results, their name, their work list), so no shared cache (a proxy, a
CDN) may keep or serve it to anyone else: ``Cache-Control: private, no-store``. Deciding it here,
once, for every response, rather than view by view, is what makes it total. Pages of the public
stay cacheable; ``Vary: Cookie`` tells caches that the answer depends on who asks.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils.cache import patch_cache_control, patch_vary_headers


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
