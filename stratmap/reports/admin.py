"""The administration of the reports' own settings: each organization's wording of its deck."""

from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from stratmap.core.admin_audit import AuditedAdmin
from stratmap.reports.models import ReportSettings


@admin.register(ReportSettings)
class ReportSettingsAdmin(AuditedAdmin, admin.ModelAdmin):
    """An organization's administrators edit its report wording; each save is validated and audited with
    its reason (core.admin_audit → core.services.AdminWrite), as every other save of the administration."""

    organization_path = "organization"
    list_display = ["organization", "cover_title", "closing"]
    list_select_related = ["organization"]
    search_fields = ["organization__code", "organization__name"]
    autocomplete_fields = ["organization"]
    fieldsets = [
        (None, {"fields": ["organization"]}),
        (
            _("Cover"),
            {
                "fields": [
                    "cover_title",
                    "cover_title_en",
                    "cover_title_zh_hant",
                    "cover_revisions",
                    "cover_revisions_en",
                    "cover_revisions_zh_hant",
                ]
            },
        ),
        (_("Closing"), {"fields": ["closing", "closing_en", "closing_zh_hant"]}),
    ]
