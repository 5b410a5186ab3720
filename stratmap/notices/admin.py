"""The notifications sent, in the administration: read only, by superusers (they span every organization and
are people's own), to answer "was I told?"."""

from __future__ import annotations

from django.contrib import admin

from stratmap.core.admin_audit import ReadOnlyAdmin
from stratmap.notices.models import Notification


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    """Every notification made: to whom, what, when it was emailed and read."""

    superusers_only = True

    list_display = ["created", "recipient", "kind", "subject", "emailed", "read"]
    list_filter = ["kind"]
    search_fields = ["recipient__username", "subject", "key"]
    date_hierarchy = "created"
