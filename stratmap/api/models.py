"""API tokens: a person's key for the REST API, with scopes and an expiry, kept only as a hash."""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from stratmap.core.fields import TEXT


class Scope(models.TextChoices):
    #: Read what the token's owner reads (every token has it).
    READ = "read", _("read")
    #: Record results and task progress, and submit results, where the owner enters them.
    WRITE_RESULTS = "write:results", _("write results")


def digest(secret: str) -> str:
    """What is stored of a token: its SHA-256. A token is 32 random bytes, so a plain hash suffices (a slow
    password hash guards guessable secrets, which a token is not) and a lookup is one indexed query."""
    return hashlib.sha256(secret.encode()).hexdigest()


class ApiToken(models.Model):
    """A bearer token of one person: a request with it acts with its owner's access, limited to its scopes.

    The token itself is shown once, when made; only its hash (``digest``) and its first characters
    (``prefix``, to tell tokens apart on the page) are kept.
    """

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.CASCADE, related_name="api_tokens", verbose_name=_("owner")
    )
    name = models.CharField(_("name"), max_length=100, validators=TEXT)
    prefix = models.CharField(_("prefix"), max_length=16)
    digest = models.CharField(_("digest"), max_length=64, unique=True)
    scopes = models.JSONField(_("scopes"), default=list)
    expires = models.DateTimeField(_("expires"))
    created = models.DateTimeField(_("created"), auto_now_add=True)
    last_used = models.DateTimeField(_("last used"), null=True, blank=True)
    revoked = models.DateTimeField(_("revoked"), null=True, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["-created", "-pk"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    def allows(self, scope: str) -> bool:
        return scope in self.scopes

    @property
    def expired(self) -> bool:
        return self.expires <= timezone.now()

    @property
    def active(self) -> bool:
        return self.revoked is None and not self.expired
