"""Pages of maps kept by each process under the data's version (issue 13: a page far above the SQL of its
rows).

A page of a map (its drawing, a theme, the scorecard, a KPI, the plans, the cascade) costs far more to render
than its rows cost to fetch, and it is asked for again and again while nothing changes: by the public, who
all see the same page, and by a person going back and forth between the scorecard and its KPIs. A GET of
such a page is rendered once and given again while all of this holds, which is the key it is kept under:

- the address and the page's language;
- the data's version (:func:`stratmap.core.audit.data_version` over every table of core, strategy, kpis,
  plans and the memberships: any recorded change, any load) and the day (what is late or due soon);
- whose page it is: the public's (a visitor with no session and no messages waiting: everyone's) or one
  person's, with everything their page depends on beyond the data: their rights (the organizations and roles
  :class:`stratmap.access.Access` found for them, their flags), their name and their count of unread
  notifications (the header's bell). Each person's pages are theirs alone; a person with messages waiting
  gets their page rendered.

Two parts of a page must differ per response and are kept as placeholders, replaced by the request's own:
the CSP nonce, and the CSRF token of the page's forms (any token made from the visitor's secret is good,
and the visitor's secret is the one :func:`django.middleware.csrf.get_token` uses for this request).

Memory is bounded: the cache is a process's own (``settings.CACHES["pages"]``, a number of entries), and a
page larger than :data:`LARGEST` is not kept.
"""

from __future__ import annotations

import functools
import hashlib
import re
import secrets
from collections.abc import Callable
from typing import Any

from django.apps import apps
from django.conf import settings
from django.core.cache import caches
from django.db import models
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.utils import timezone
from django.utils.translation import get_language

from stratmap.access import access_for
from stratmap.core.audit import data_version
from stratmap.notices.selectors import unread_count

#: The apps whose rows a page of a map may show.
DATA_APPS = ("core", "strategy", "kpis", "plans")
NOT_SHOWN = {"core.auditevent"}
#: A page kept is at most this many bytes (a whole city's scorecard is a few hundred kilobytes).
LARGEST = 2 * 2**20
#: What the page's nonce and its forms' CSRF token are while it is kept; random per process, so that no page
#: can carry them by chance.
PLACEHOLDER = f"nonce-{secrets.token_hex(16)}"
TOKEN = f"token-{secrets.token_hex(16)}"
#: A form's token as ``{% csrf_token %}`` writes it (the only way the templates give one).
FORM_TOKEN = re.compile(r'(name="csrfmiddlewaretoken" value=")[^"]*(")')


@functools.cache
def _tables() -> tuple[type[models.Model], ...]:
    return tuple(
        model
        for label in DATA_APPS
        for model in apps.get_app_config(label).get_models(include_auto_created=True)
        if model._meta.managed and model._meta.label_lower not in NOT_SHOWN
    )


def _whose(request: HttpRequest) -> str | None:
    """Whose page this request is given: "public", a person's signature, or None to render it (messages are
    waiting, or a session without a login)."""
    if "messages" in request.COOKIES:
        return None
    if settings.SESSION_COOKIE_NAME not in request.COOKIES:
        return "public"
    user = request.user
    if not user.is_authenticated or request.session.get("_messages"):
        return None
    unread = request._stratmap_unread = unread_count(user=user)  # type: ignore[attr-defined]  # the bell's
    scope = access_for(request).scope  # the person's organizations and roles (one query, the page's own)
    person = (user.pk, user.get_username(), user.is_active, user.is_staff, user.is_superuser, scope, unread)
    return hashlib.sha1(repr(person).encode(), usedforsecurity=False).hexdigest()


def kept(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """``view``'s pages kept (see the module): a GET is answered from the process's cache when neither the
    data nor anything else the page shows has changed since it was rendered for the same reader."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        whose = _whose(request) if request.method == "GET" else None
        if whose is None:
            return view(request, *args, **kwargs)
        address = hashlib.sha1(request.get_full_path().encode(), usedforsecurity=False).hexdigest()
        version = data_version(_tables())
        key = f"page:{get_language()}:{address}:{version}:{timezone.localdate()}:{whose}"
        store = caches["pages"]
        found = store.get(key)
        if found is not None:
            content_type, body = found
            if PLACEHOLDER in body:
                body = body.replace(PLACEHOLDER, str(request.csp_nonce))  # type: ignore[attr-defined]
            if TOKEN in body:
                body = body.replace(TOKEN, get_token(request))
            return HttpResponse(body, content_type=content_type)
        response = view(request, *args, **kwargs)
        if response.status_code == 200 and not response.streaming and len(response.content) <= LARGEST:
            body = response.content.decode(response.charset)
            nonce = getattr(request, "_csp_nonce", None)  # only if the page used one
            if nonce:
                body = body.replace(nonce, PLACEHOLDER)
            store.set(key, (response["Content-Type"], FORM_TOKEN.sub(rf"\g<1>{TOKEN}\g<2>", body)))
        return response

    return wrapper
