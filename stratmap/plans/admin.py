"""Admin for action plans, their tasks and expected outcomes.

Each task's monthly progress is shown here read only: it is recorded and reviewed on the plan's progress
page, through :func:`stratmap.plans.services.task_progress_save` and the review steps, which check the
version the person read and audit every change; a write here would do neither.

Plans, their tasks and outcomes save through :class:`stratmap.core.admin_audit.AuditedAdmin`:
audited with a reason, checked against and bumping the map's version, scoped to the maps a person
administers.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.db import models
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from stratmap.core.admin import (
    PLAIN_NUMBERS,
    FieldOverrides,
    ReadOnly,
    map_columns,
    map_filters,
    map_year_filter,
    plain_number,
    short,
)
from stratmap.core.admin_audit import AuditedAdmin, ScopedAdmin, ScopedInline
from stratmap.plans.models import ActionPlan, Outcome, PlanTask, TaskProgress


def months_display(months) -> str:
    """``1, 2, 3`` for a schedule, empty when it is unknown (None)."""
    if months is None:
        return ""
    return ", ".join(str(month) for month in months)


class MonthsField(forms.JSONField):
    """A task's months on one short line, ``[1, 2, 3]``; empty (not "null") when they are not known."""

    widget = forms.TextInput(attrs={"size": 40})  # the twelve months fit

    def prepare_value(self, value):
        return "" if value is None else super().prepare_value(value)


#: The inlines' text in a modest box: the admin's own (48em wide) pushes a table row past a 1,280 px
#: screen, the tasks' months box too.
# a text and its translation side by side in a row of an inline: narrow enough for a 1280 px screen
COMPACT_TEXT: FieldOverrides = {models.TextField: {"widget": forms.Textarea(attrs={"rows": 3, "cols": 20})}}


class PlanTaskInline(ScopedInline, admin.TabularInline):
    model = PlanTask
    fields = ["order", "name", "months"]
    formfield_overrides = COMPACT_TEXT
    extra = 0

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name == "months":
            return MonthsField(
                label=db_field.verbose_name,
                required=False,
                help_text=_("The months the task runs in, e.g. [1, 2, 3]; empty when they are not known."),
            )
        return super().formfield_for_dbfield(db_field, request, **kwargs)


class OutcomeInline(ScopedInline, admin.TabularInline):
    """A plan's expected outcomes; their objective is the plan's KPI's objective (set on save)."""

    model = Outcome
    fields = ["order", "text", "quantity", "unit"]
    formfield_overrides = {
        **PLAIN_NUMBERS,
        **COMPACT_TEXT,
        models.CharField: {"widget": forms.TextInput(attrs={"size": 7})},
    }
    extra = 0


class ReadOnlyProgress(ReadOnly):
    """Progress is read here; it is written on the plan's progress page (see the module's docstring)."""


def progress_link(plan: ActionPlan) -> str:
    smap = plan.kpi.objective.map
    url = reverse("web:plan-progress", args=[smap.organization.code, smap.url_year, plan.code])
    return format_html('<a href="{}">{}</a>', url, gettext("Record the monthly progress on the plan's page"))


@admin.register(TaskProgress)
class TaskProgressAdmin(ReadOnlyProgress, ScopedAdmin, admin.ModelAdmin):
    map_path = "task__plan__kpi__objective__map"
    map_organization, map_year = map_columns(map_path)
    list_display = ["task", "month", "planned", "done", "status", "note", "map_organization", "map_year"]
    list_filter = ["planned", "done", "status", map_year_filter("task__plan__kpi__objective__map__year")]
    list_select_related = ["task__plan__kpi__objective__map__organization"]
    search_fields = ["task__plan__code", "task__name", "note"]


@admin.register(ActionPlan)
class ActionPlanAdmin(AuditedAdmin, admin.ModelAdmin):
    map_path = "kpi__objective__map"
    map_organization, map_year = map_columns(map_path)
    kpi_path = "kpi"
    list_display = ["code", "name", "map_organization", "map_year", "kpi_code", "agencies_printed", "order"]
    list_display_links = ["code", "name"]
    list_filter = [*map_filters(map_path), ("agencies", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["kpi__objective__map__organization"]
    search_fields = ["code", "printed_code", "name", "kpi__code", "kpi__name", "agencies_printed", "note"]
    ordering = [
        "kpi__objective__map__organization__code",
        "-kpi__objective__map__year",
        "kpi__objective__order",
        "kpi__order",
        "order",
    ]
    autocomplete_fields = ["kpi"]
    filter_horizontal = ["agencies"]
    inlines = [PlanTaskInline, OutcomeInline]
    fieldsets = [
        (None, {"fields": ["kpi", "order", "code", "printed_code", "also_printed_as", "name"]}),
        (_("Agencies"), {"fields": ["agencies", "agencies_printed"]}),
        (None, {"fields": ["note"]}),
        (_("monthly progress"), {"fields": ["progress_page"]}),
    ]
    readonly_fields = ["progress_page"]

    @admin.display(description=_("KPI"), ordering="kpi__code")
    def kpi_code(self, obj):
        return obj.kpi.code

    @admin.display(description=_("progress page"))
    def progress_page(self, obj):
        return progress_link(obj) if obj.pk else "-"

    def save_formset(self, request, form, formset, change):
        if formset.model is Outcome:
            objective_id = form.instance.kpi.objective_id
            for outcome_form in formset.forms:
                if outcome_form.instance.objective_id is None:
                    outcome_form.instance.objective_id = objective_id
        super().save_formset(request, form, formset, change)


@admin.register(PlanTask)
class PlanTaskAdmin(AuditedAdmin, admin.ModelAdmin):
    map_path = "plan__kpi__objective__map"
    map_organization, map_year = map_columns(map_path)
    kpi_path = "plan__kpi"
    list_display = ["name_short", "plan", "map_organization", "map_year", "months_column", "order"]
    list_display_links = ["name_short"]
    list_filter = map_filters(map_path)
    list_select_related = ["plan__kpi__objective__map__organization"]
    search_fields = ["name", "plan__code", "plan__name"]
    ordering = [
        "plan__kpi__objective__map__organization__code",
        "-plan__kpi__objective__map__year",
        "plan__kpi__objective__order",
        "plan__kpi__order",
        "plan__order",
        "order",
    ]
    autocomplete_fields = ["plan"]
    fields = ["plan", "order", "name", "months"]

    @admin.display(description=_("name"), ordering="name")
    def name_short(self, obj):
        return short(obj.name)

    @admin.display(description=_("months"))
    def months_column(self, obj):
        return months_display(obj.months)


@admin.register(Outcome)
class OutcomeAdmin(AuditedAdmin, admin.ModelAdmin):
    map_path = "objective__map"
    map_organization, map_year = map_columns(map_path)
    kpi_path = "plan__kpi"
    list_display = [
        "text_short",
        plain_number("quantity", _("quantity")),
        "unit",
        "objective",
        "plan",
        "map_organization",
        "map_year",
        "order",
    ]
    list_display_links = ["text_short"]
    list_filter = map_filters(map_path)
    list_select_related = ["objective__map__organization", "plan"]
    search_fields = ["text", "objective__code", "objective__name", "plan__code", "plan__name"]
    ordering = [
        "objective__map__organization__code",
        "-objective__map__year",
        "objective__order",
        "plan__order",
        "order",
    ]
    autocomplete_fields = ["objective", "plan"]
    fields = ["objective", "plan", "order", "text", "quantity", "unit"]
    formfield_overrides = PLAIN_NUMBERS

    @admin.display(description=_("text"), ordering="text")
    def text_short(self, obj):
        return short(obj.text)
