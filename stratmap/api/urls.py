"""The API's one instance (``/api/v1/``): its routers, its ways of answering an error, its documentation
(``/api/v1/docs``, Swagger UI from django-ninja's own static files) and schema (``/api/v1/openapi.json``).

Every error is a JSON ``{"detail": …}``: 400 names the parameter or field and the value sent, 401 says why
the token was refused, 403 what the caller may not do, 404 says nothing of what exists, 409 lists what
changed since the version sent (as the pages' ``web/_conflict.html``)."""

from __future__ import annotations

import json
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import path
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import ValidationError as RequestInvalid

from stratmap.api import reads, writes
from stratmap.api.auth import Bearer, ScopeMissing
from stratmap.api.out import BadParameter
from stratmap.api.tokens import TokenRefused
from stratmap.core.audit import Stale
from stratmap.core.audit_text import audit_field

DESCRIPTION = """Strategy maps, KPIs, results and action plans, as the site's pages show them to the caller.

Without a token a request reads as the public: published maps, their published results and published task
progress. With `Authorization: Bearer <token>` (made on the site's *API tokens* page) it acts with the token's
owner's access, limited to the token's scopes (`read`; `write:results` to record results and progress).

Years are taken as AD (2020) or ROC (109) and given as both (`Year`), with how the organization names them.
Lists are pages: `?limit=&offset=`, answered `{"items": [...], "count": N}`. See docs/api.md."""


class Api(NinjaAPI):
    """Answers that depend on the token are the token owner's: ``Vary: Authorization`` on every answer, and
    ``private, no-store`` on those given to a token, so that no shared cache hands an insider's data on."""

    def create_response(
        self,
        request: HttpRequest,
        data: Any,
        *,
        status: int | None = None,
        temporal_response: HttpResponse | None = None,
    ) -> HttpResponse:
        response = super().create_response(request, data, status=status, temporal_response=temporal_response)
        patch_vary_headers(response, ["Authorization"])
        if request.headers.get("Authorization"):
            patch_cache_control(response, private=True, no_store=True)
        return response


api = Api(
    title="stratmap API",
    version="1",
    description=DESCRIPTION,
    urls_namespace="api",
    docs_url="/docs",
    openapi_url="/openapi.json",
    auth=Bearer(),
)
api.add_router("", reads.router)
api.add_router("", writes.router)


def _error(request: HttpRequest, status: int, detail: str, **more: Any) -> HttpResponse:
    response = api.create_response(request, {"detail": detail, **more}, status=status)
    if status == 401:
        response["WWW-Authenticate"] = 'Bearer realm="stratmap", error="invalid_token"'
    return response


@api.exception_handler(TokenRefused)
def refused(request: HttpRequest, exc: TokenRefused) -> HttpResponse:
    return _error(request, 401, str(exc))


@api.exception_handler(ScopeMissing)
def scope_missing(request: HttpRequest, exc: ScopeMissing) -> HttpResponse:
    return _error(request, exc.status, str(exc))


@api.exception_handler(Http404)
def not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return _error(request, 404, _("Not found (or not yours to read)."))


@api.exception_handler(PermissionDenied)
def denied(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
    return _error(request, 403, str(exc) or _("You may not do this."))


@api.exception_handler(BadParameter)
def bad_parameter(request: HttpRequest, exc: BadParameter) -> HttpResponse:
    errors = [{"field": exc.field, "value": str(exc.value), "messages": [str(exc)]}]
    return _error(request, exc.status, f"{exc.field}: {exc}", errors=errors)


def _sent(request: HttpRequest, loc: tuple[str, ...]) -> object:
    """The value the client sent at ``loc`` (query, path or JSON body), as it sent it."""
    sent: Any
    if loc[0] == "query":
        sent = request.GET
    elif loc[0] == "path":
        sent = request.resolver_match.kwargs if request.resolver_match else {}
    else:
        try:
            sent = json.loads(request.body or b"{}")
        except ValueError:
            return None
    for part in loc[1:]:
        if not hasattr(sent, "get"):
            return None
        sent = sent.get(part)
    return sent


@api.exception_handler(RequestInvalid)
def invalid_request(request: HttpRequest, exc: RequestInvalid) -> HttpResponse:
    """Ninja's check of the parameters and the body against their schemas: each field, its value, why."""
    errors: list[dict[str, Any]] = []
    for error in exc.errors:
        loc = tuple(str(part) for part in error.get("loc", ("",)))
        if loc[0] == "body" and len(loc) > 2:
            loc = (loc[0], *loc[2:])  # body.actual, not body.<the operation's parameter>.actual
        given = _sent(request, loc)
        where = ".".join(loc)
        value = None if given is None or isinstance(given, (dict, list)) else str(given)
        errors.append({"field": where, "value": value, "messages": [str(error.get("msg", ""))]})
    first: dict[str, Any] = errors[0] if errors else {"field": "", "value": None, "messages": [""]}
    return _error(request, 400, f"{first['field']} = {first['value']!r}: {first['messages'][0]}", errors=errors)


@api.exception_handler(ValidationError)
def invalid(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    """A service's refusal (the rules of a result, a locked result): by field, with the value sent."""
    errors: list[dict[str, Any]] = []
    for field, messages in exc.message_dict.items() if hasattr(exc, "error_dict") else [("", exc.messages)]:
        name = "" if field == "__all__" else field
        value = _sent(request, ("body", name)) if name else None
        errors.append({"field": f"body.{name}" if name else "", "value": None if value is None else str(value),
                       "messages": [str(m) for m in messages]})  # fmt: skip
    first = errors[0]
    return _error(request, 400, f"{first['field'] or _('the request')}: {first['messages'][0]}", errors=errors)


@api.exception_handler(Stale)
def stale(request: HttpRequest, exc: Stale) -> HttpResponse:
    """Nothing was written: what others changed since the version sent, from the audit trail."""
    changes = [
        {
            "at": event.at,
            "user": event.username,
            "action": event.action,
            "field": event.field,
            "label": audit_field(event.field) if event.field else "",
            "old": event.old,
            "new": event.new,
            "reason": event.reason,
        }
        for event in exc.meanwhile
    ]
    return _error(request, 409, exc.message, changes=changes)


urlpatterns = [path("", api.urls)]
