"""Making, revoking and checking API tokens: the owner's own writes, audited like every other write.

A token reads ``smt_`` and 43 random URL-safe characters (32 bytes from :mod:`secrets`); only its SHA-256 is
stored (:func:`stratmap.api.models.digest`), so a copy of the database holds no usable token. It is shown
once, when made."""

from __future__ import annotations

import datetime
import secrets
from dataclasses import dataclass

from django.contrib.auth.models import AnonymousUser, User
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from stratmap.access import Access
from stratmap.api.models import ApiToken, Scope, digest
from stratmap.core.audit import record

PREFIX = "smt_"
#: The longest a token may live: a year (then its owner makes another).
LONGEST = datetime.timedelta(days=366)
#: How often a token's ``last_used`` is written: a request a minute is enough to say it is in use, and a
#: write on every request would make every read a write.
USE_NOTED_EVERY = datetime.timedelta(minutes=1)


@dataclass(frozen=True)
class Made:
    """A new token: its row and the token itself, which is shown this once."""

    token: ApiToken
    secret: str


@transaction.atomic
def token_create(*, owner: User, name: str, scopes: list[str], days: int) -> Made:
    """A new token of ``owner`` named ``name``, with ``scopes`` (read is always one), for ``days`` days."""
    if not owner.is_authenticated:
        raise PermissionDenied
    unknown = [scope for scope in scopes if scope not in Scope.values]
    if unknown:
        raise ValidationError({"scopes": _("%(value)s is not a scope; expected read or write:results") % {
            "value": unknown[0]}})  # fmt: skip
    if not 1 <= days <= LONGEST.days:
        raise ValidationError({"days": _("A token lives 1 to %(max)s days, not %(value)s.") % {
            "max": LONGEST.days, "value": days}})  # fmt: skip
    secret = PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        owner=owner,
        name=name.strip(),
        prefix=secret[: len(PREFIX) + 4],
        digest=digest(secret),
        scopes=[scope for scope in Scope.values if scope == Scope.READ or scope in scopes],
        expires=timezone.now() + datetime.timedelta(days=days),
    )
    token.full_clean()
    token.save()
    changes = {"name": (None, token.name), "scopes": (None, " ".join(token.scopes)), "expires": (None, token.expires)}
    record(user=owner, obj=token, action="create", changes=changes)
    return Made(token=token, secret=secret)


@transaction.atomic
def token_revoke(*, owner: User, pk: int) -> ApiToken:
    """Revoke ``owner``'s token ``pk`` (someone else's, or none, is a 404 to the caller: PermissionDenied
    here); revoking a revoked token changes nothing."""
    token = ApiToken.objects.select_for_update().filter(pk=pk, owner_id=owner.pk).first()
    if token is None or not owner.is_authenticated:
        raise PermissionDenied
    return _revoked(token, by=owner)


@transaction.atomic
def token_revoke_by_superuser(*, access: Access, pk: int, reason: str) -> ApiToken:
    """Revoke anyone's token ``pk`` as a superuser (the administration's "revoke selected tokens": a lost
    laptop, a person who left), audited with the superuser and ``reason``. The row is locked and read again
    here, so a token revoked meanwhile by its owner is left as it is (nothing recorded twice); PermissionDenied
    for anyone but an active superuser, or a token that is not there."""
    if not (access.is_superuser and getattr(access.user, "is_active", False)):
        raise PermissionDenied
    if not reason.strip():
        raise ValidationError({"reason": _("Say why: every change is kept in the audit trail with its reason.")})
    token = ApiToken.objects.select_for_update().filter(pk=pk).first()
    if token is None:
        raise PermissionDenied
    return _revoked(token, by=access.user, reason=reason.strip())


def _revoked(token: ApiToken, *, by: object, reason: str = "") -> ApiToken:
    """``token`` (locked by the caller) revoked now and audited with ``by``; already revoked, unchanged."""
    if token.revoked is None:
        token.revoked = timezone.now()
        token.save(update_fields=["revoked"])
        record(user=by, obj=token, action="revoke", changes={"revoked": (None, token.revoked)}, reason=reason)
    return token


class TokenRefused(Exception):
    """A request's token is unknown, expired or revoked: the message says which (a 401)."""


def token_access(secret: str) -> tuple[Access, ApiToken]:
    """The access of the token ``secret`` (its owner's) and its row; :class:`TokenRefused` saying why not."""
    token = ApiToken.objects.select_related("owner").filter(digest=digest(secret)).first()
    if token is None:
        raise TokenRefused(_("The token is not known; check it, or make one on the API tokens page."))
    if token.revoked is not None:
        raise TokenRefused(
            _("The token was revoked on %(when)s.") % {"when": f"{timezone.localtime(token.revoked):%Y-%m-%d %H:%M}"}
        )
    now = timezone.now()
    if token.expires <= now:
        raise TokenRefused(
            _("The token expired on %(when)s.") % {"when": f"{timezone.localtime(token.expires):%Y-%m-%d %H:%M}"}
        )
    if not token.owner.is_active:
        raise TokenRefused(_("The token's owner can no longer log in."))
    if token.last_used is None or now - token.last_used >= USE_NOTED_EVERY:
        ApiToken.objects.filter(pk=token.pk).update(last_used=now)
        token.last_used = now
    return Access(token.owner), token


def public_access() -> Access:
    """The access of a request without a token: the public's."""
    return Access(AnonymousUser())
