"""The API tokens in the administration: listed for the superusers (tokens are people's own and span every
organization), never changed there. A token is only ever revoked, through :func:`stratmap.api.tokens.
token_revoke_by_superuser` (the "revoke selected tokens" action, asking why), so that it is audited with the
superuser as the owner's own revocation is with the owner. Its hash is never shown; its prefix (``smt_`` and
four characters) only where the token is named (``str``), as on its owner's page and in the audit trail."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from stratmap.api.models import ApiToken, Scope
from stratmap.api.tokens import token_revoke_by_superuser
from stratmap.core.admin_audit import REASON, ReadOnlyAdmin


class ScopeFilter(admin.SimpleListFilter):
    """The tokens with a scope. ``scopes`` is a JSON list of at most every scope, so "has the scope" is "one of
    its places holds it": a lookup SQLite and PostgreSQL both answer (``contains`` on JSON is not SQLite's)."""

    title = _("scopes")
    parameter_name = "scope"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return list(Scope.choices)

    def queryset(self, request: HttpRequest, queryset: QuerySet[ApiToken]) -> QuerySet[ApiToken]:
        value = self.value()
        if value not in Scope.values:
            return queryset
        held = Q()
        for place in range(len(Scope.values)):
            held |= Q(**{f"scopes__{place}": value})
        return queryset.filter(held)


class RevokedFilter(admin.SimpleListFilter):
    title = _("revoked")
    parameter_name = "revoked"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [("yes", _("revoked")), ("no", _("not revoked"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[ApiToken]) -> QuerySet[ApiToken]:
        if self.value() in ("yes", "no"):
            return queryset.filter(revoked__isnull=self.value() == "no")
        return queryset


@admin.register(ApiToken)
class ApiTokenAdmin(ReadOnlyAdmin):
    """Every person's API tokens: who, what for, with which scopes, until when, last used when."""

    superusers_only = True

    list_display = ["owner", "name", "scope_list", "created", "expires", "last_used", "revoked"]
    list_filter = [ScopeFilter, RevokedFilter]
    search_fields = ["owner__username", "name"]
    list_select_related = ["owner"]
    date_hierarchy = "created"
    # Only what the list shows: a read-only detail page would otherwise list the digest and the prefix.
    fields = ["owner", "name", "scopes", "created", "expires", "last_used", "revoked"]
    actions = ["revoke_selected"]
    revoke_template = "admin/api/apitoken/revoke_selected_confirmation.html"

    @admin.display(description=_("scopes"))
    def scope_list(self, obj: ApiToken) -> str:
        return " ".join(obj.scopes)

    def has_revoke_permission(self, request: HttpRequest) -> bool:
        return bool(request.user.is_active and request.user.is_superuser)

    @admin.action(description=_("Revoke the selected tokens"), permissions=["revoke"])
    def revoke_selected(self, request: HttpRequest, queryset: QuerySet[ApiToken]) -> HttpResponse | None:
        """First the confirmation page, asking why; then each token revoked through the service."""
        tokens = list(queryset.select_related("owner").order_by("pk"))
        problem = None
        if request.POST.get("confirm") == "yes":
            reason = request.POST.get(REASON, "").strip()
            try:
                with transaction.atomic():  # all of them or, refused, none
                    done = [
                        token_revoke_by_superuser(access=self.access(request), pk=token.pk, reason=reason)
                        for token in tokens
                        if token.revoked is None
                    ]
            except ValidationError as error:
                problem = " ".join(error.messages)
            else:
                self.message_user(
                    request,
                    gettext("%(count)s token(s) revoked.") % {"count": len(done)},
                    messages.SUCCESS,
                )
                return None
        context = {
            **self.admin_site.each_context(request),
            "title": gettext("Revoke the selected tokens"),
            "opts": self.model._meta,
            "tokens": tokens,
            "action": "revoke_selected",
            "action_checkbox_name": ACTION_CHECKBOX_NAME,
            "reason_field": REASON,
            "reason": request.POST.get(REASON, ""),
            "problem": problem,
        }
        return TemplateResponse(request, self.revoke_template, context, status=400 if problem else 200)
