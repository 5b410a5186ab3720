"""The public's pages kept by each process under the data's version (issue 13: a page far above the SQL of
its rows).

Most readers of a published scorecard are the public, and they all see the same page: the published maps
and results, in their language. A page of a map asked for by a visitor with no session (so no login, no
messages waiting) is rendered once per version of the data (:func:`stratmap.core.audit.data_version` over
every data table: any recorded change, any load) and given again while that version holds; everyone else
(a logged-in person, whose page depends on their rights) gets it rendered for them. The page's CSP nonce
is the only part of it that must differ per response: it is kept as a placeholder and replaced by the
request's own.

Memory is bounded: the cache is a process's own (``settings.CACHES["pages"]``, a number of entries), and a
page larger than :data:`LARGEST` is not kept.
"""

from __future__ import annotations

import functools
import hashlib
import secrets
from collections.abc import Callable
from typing import Any

from django.apps import apps
from django.conf import settings
from django.core.cache import caches
from django.db import models
from django.http import HttpRequest, HttpResponse
from django.utils.translation import get_language

from stratmap.core.audit import data_version

#: The apps whose rows a page of a map may show; memberships and people are not on the public's pages.
DATA_APPS = ("core", "strategy", "kpis", "plans")
NOT_SHOWN = {"core.membership", "core.auditevent"}
#: A page kept is at most this many bytes (a whole city's scorecard is a few hundred kilobytes).
LARGEST = 2 * 2**20
#: What the page's nonce is while it is kept; random per process, so no page can carry it by chance.
PLACEHOLDER = f"nonce-{secrets.token_hex(16)}"


@functools.cache
def _tables() -> tuple[type[models.Model], ...]:
    return tuple(
        model
        for label in DATA_APPS
        for model in apps.get_app_config(label).get_models(include_auto_created=True)
        if model._meta.managed and model._meta.label_lower not in NOT_SHOWN
    )


def _anonymous(request: HttpRequest) -> bool:
    """A visitor without a session or waiting messages: nobody's page but the public's."""
    cookies = request.COOKIES
    return settings.SESSION_COOKIE_NAME not in cookies and "messages" not in cookies


def kept_for_the_public(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """``view``'s pages kept for the public (see the module): a GET of a visitor without a session is
    answered from the process's cache when the data has not changed since the page was rendered."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.method != "GET" or not _anonymous(request):
            return view(request, *args, **kwargs)
        address = hashlib.sha1(request.get_full_path().encode(), usedforsecurity=False).hexdigest()
        key = f"page:{get_language()}:{address}:{data_version(_tables())}"
        kept = caches["pages"]
        found = kept.get(key)
        if found is not None:
            content_type, body = found
            if PLACEHOLDER in body:
                body = body.replace(PLACEHOLDER, str(request.csp_nonce))  # type: ignore[attr-defined]
            return HttpResponse(body, content_type=content_type)
        response = view(request, *args, **kwargs)
        # A page that holds a CSRF token (it asked for one: a form that posts) is this visitor's alone.
        keep = not request.META.get("CSRF_COOKIE_NEEDS_UPDATE", False) and response.status_code == 200
        if keep and not response.streaming and len(response.content) <= LARGEST:
            body = response.content.decode(response.charset)
            nonce = getattr(request, "_csp_nonce", None)  # only if the page used one
            if nonce:
                body = body.replace(nonce, PLACEHOLDER)
            kept.set(key, (response["Content-Type"], body))
        return response

    return wrapper
