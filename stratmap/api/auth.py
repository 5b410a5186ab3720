"""Who a request of the API is: the public without a token, the token's owner (limited to its scopes) with one.

``Authorization: Bearer <token>``. Without the header a request reads as the public; with a token that is
unknown, expired or revoked it is refused (401) with the reason, never read as the public (a client whose
token lapsed must not take the public's answers for its own). The API reads no session: a browser's login
does not act through it."""

from __future__ import annotations

from dataclasses import dataclass

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja.security import HttpBearer

from stratmap.access import Access
from stratmap.api.models import ApiToken, Scope
from stratmap.api.tokens import TokenRefused, public_access, token_access


@dataclass(frozen=True)
class Caller:
    """The access a request acts with, and its token (None: the public)."""

    access: Access
    token: ApiToken | None

    def allows(self, scope: str) -> bool:
        return (self.token is None and scope == Scope.READ) or (self.token is not None and self.token.allows(scope))


class ScopeMissing(Exception):
    """The request needs a token (with a scope) it does not have: a 401 without a token, else a 403."""

    def __init__(self, message: str, *, status: int):
        self.status = status
        super().__init__(message)


class Bearer(HttpBearer):
    """The API's one way in: a bearer token, or none (the public) where ``scope`` is read."""

    def __init__(self, scope: str = Scope.READ) -> None:
        self.scope = scope
        super().__init__()

    def __call__(self, request: HttpRequest) -> Caller:
        header = request.headers.get("Authorization", "")
        if not header:
            if self.scope != Scope.READ:
                raise ScopeMissing(
                    _("This needs a token with the scope %(scope)s.") % {"scope": self.scope}, status=401
                )
            return Caller(public_access(), None)
        kind, _space, secret = header.partition(" ")
        if kind.lower() != "bearer" or not secret.strip():
            raise TokenRefused(_("The Authorization header must read: Bearer <token>."))
        return self.authenticate(request, secret.strip())

    def authenticate(self, request: HttpRequest, token: str) -> Caller:
        access, row = token_access(token)
        caller = Caller(access, row)
        if not caller.allows(self.scope):
            raise ScopeMissing(_("The token lacks the scope %(scope)s.") % {"scope": self.scope}, status=403)
        return caller


def caller_of(request: HttpRequest) -> Caller:
    found = getattr(request, "auth", None)
    assert isinstance(found, Caller), "every operation of the API is behind Bearer"
    return found
