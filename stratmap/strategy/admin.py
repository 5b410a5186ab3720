"""Admin for strategy maps and everything drawn on them."""

from __future__ import annotations

from django.contrib import admin
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _

from stratmap.core.admin import YearFieldsMixin, map_columns, map_year_filter
from stratmap.core.years import format_year
from stratmap.kpis.models import Kpi, ScoringPolicy
from stratmap.strategy.models import (
    Objective,
    ObjectiveLink,
    Perspective,
    PolicyThrust,
    Revision,
    RevisionCount,
    StrategyMap,
    Theme,
    TowsEntry,
)

MAP_ORDERING = ["map__organization__code", "-map__year", "map__version_label"]


def short(text: str, length: int = 60) -> str:
    return Truncator(text).chars(length)


MapColumnsMixin = map_columns("map")


MAP_FILTERS = [
    map_year_filter("map__year"),
    ("map__organization", admin.RelatedOnlyFieldListFilter),
]


class PerspectiveNameFilter(admin.SimpleListFilter):
    """Filter by perspective name (顧客, 內部流程 …) across all maps."""

    title = _("perspective")
    parameter_name = "perspective_name"
    path = "perspective__name"

    def lookups(self, request, model_admin):
        names = model_admin.get_queryset(request).order_by().values_list(self.path, flat=True).distinct()
        return [(name, name) for name in sorted(set(names))]

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(**{self.path: self.value()})
        return queryset


# --- Strategy maps -----------------------------------------------------------


class ScoringPolicyInline(admin.StackedInline):
    """The map's scoring policy; none means the documented default."""

    model = ScoringPolicy
    extra = 0
    max_num = 1


class PerspectiveInline(admin.TabularInline):
    model = Perspective
    fields = ["order", "code", "name", "name_en"]
    extra = 0


class ThemeInline(admin.TabularInline):
    model = Theme
    fields = ["order", "code", "name", "name_en", "group", "takes_over", "takes_over_printed"]
    autocomplete_fields = ["group"]
    extra = 0


@admin.register(StrategyMap)
class StrategyMapAdmin(YearFieldsMixin, admin.ModelAdmin):
    year_fields = ("year", "revisions_compared_to")
    list_display = [
        "__str__",
        "organization",
        "year_display",
        "version_label",
        "in_force",
        "published",
        "results_due",
        "has_tows",
    ]
    list_display_links = ["__str__"]
    list_filter = [
        map_year_filter("year"),
        "in_force",
        "published",
        "has_tows",
        "organization__kind",
        ("organization", admin.RelatedOnlyFieldListFilter),
    ]
    list_select_related = ["organization"]
    search_fields = [
        "organization__code",
        "organization__name",
        "organization__short_name",
        "title",
        "version_label",
        "mission",
        "vision",
    ]
    ordering = ["organization__code", "-year", "version_label"]
    autocomplete_fields = ["organization"]
    inlines = [ScoringPolicyInline, PerspectiveInline, ThemeInline]
    fieldsets = [
        (None, {"fields": ["organization", "year", "version_label", "version_date", "in_force", "source", "title"]}),
        (_("Publication and deadline"), {"fields": ["published", "results_due"]}),
        (_("Mission, vision and core values"), {"fields": ["mission", "vision", "values"]}),
        (_("Construction and TOWS"), {"fields": ["construction_steps", "has_tows", "tows_title"]}),
        (
            _("Revisions"),
            {"fields": ["revisions_compared_to", "revisions_theme", "revisions_note"], "classes": ["collapse"]},
        ),
        (None, {"fields": ["note"]}),
    ]

    @admin.display(description=_("year"), ordering="year")
    def year_display(self, obj):
        return format_year(obj.year)


@admin.register(Perspective)
class PerspectiveAdmin(MapColumnsMixin, admin.ModelAdmin):
    list_display = ["code", "name", "name_en", "map_organization", "map_year", "map", "order"]
    list_display_links = ["code", "name"]
    list_filter = MAP_FILTERS
    list_select_related = ["map__organization"]
    search_fields = ["code", "name", "name_en", "map__organization__name", "map__organization__short_name"]
    ordering = [*MAP_ORDERING, "order"]
    autocomplete_fields = ["map"]


@admin.register(Theme)
class ThemeAdmin(MapColumnsMixin, admin.ModelAdmin):
    list_display = ["code", "name", "map_organization", "map_year", "map", "group", "takes_over", "order"]
    list_display_links = ["code", "name"]
    list_filter = [*MAP_FILTERS, ("group", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["map__organization", "group"]
    search_fields = [
        "code",
        "name",
        "name_en",
        "takes_over",
        "map__organization__name",
        "map__organization__short_name",
    ]
    ordering = [*MAP_ORDERING, "order"]
    autocomplete_fields = ["map", "group"]
    fields = ["map", "order", "code", "name", "name_en", "group", "takes_over", "takes_over_printed", "note"]


# --- Objectives and links ----------------------------------------------------


class KpiInline(admin.TabularInline):
    model = Kpi
    fields = ["order", "code", "printed_code", "name", "unit", "polarity", "frequency"]
    extra = 0
    show_change_link = True


@admin.register(Objective)
class ObjectiveAdmin(MapColumnsMixin, admin.ModelAdmin):
    list_display = ["code", "name", "map_organization", "map_year", "perspective", "theme", "order"]
    list_display_links = ["code", "name"]
    list_filter = [*MAP_FILTERS, PerspectiveNameFilter]
    list_select_related = ["map__organization", "perspective", "theme"]
    search_fields = [
        "code",
        "printed_code",
        "name",
        "ksf",
        "goal",
        "map__organization__name",
        "map__organization__short_name",
    ]
    ordering = [*MAP_ORDERING, "order"]
    autocomplete_fields = ["map", "theme", "perspective"]
    inlines = [KpiInline]
    fieldsets = [
        (None, {"fields": ["map", "perspective", "theme", "order", "code", "printed_code", "name"]}),
        (_("Key success factor and goal"), {"fields": ["ksf", "goal", "key_works"]}),
        (None, {"fields": ["note"]}),
    ]


@admin.register(ObjectiveLink)
class ObjectiveLinkAdmin(MapColumnsMixin, admin.ModelAdmin):
    list_display = ["__str__", "source", "target", "map_organization", "map_year"]
    list_filter = MAP_FILTERS
    list_select_related = ["map__organization", "source", "target"]
    search_fields = ["source__code", "source__name", "target__code", "target__name", "note"]
    ordering = [*MAP_ORDERING, "source__order", "target__order"]
    autocomplete_fields = ["map", "source", "target"]


# --- TOWS, policy thrusts, revisions -----------------------------------------


@admin.register(TowsEntry)
class TowsEntryAdmin(MapColumnsMixin, admin.ModelAdmin):
    list_display = ["map", "kind", "code", "text_short", "order"]
    list_display_links = ["code", "text_short"]
    list_filter = ["kind", *MAP_FILTERS]
    list_select_related = ["map__organization"]
    search_fields = ["code", "text", "heading"]
    ordering = [*MAP_ORDERING, "kind", "order"]
    autocomplete_fields = ["map"]
    fields = ["map", "kind", "heading", "order", "code", "text"]

    @admin.display(description=_("text"), ordering="text")
    def text_short(self, obj):
        return short(obj.text)


@admin.register(PolicyThrust)
class PolicyThrustAdmin(MapColumnsMixin, admin.ModelAdmin):
    list_display = ["code", "name", "name_en", "map_organization", "map_year", "map", "order"]
    list_display_links = ["code", "name"]
    list_filter = MAP_FILTERS
    list_select_related = ["map__organization"]
    search_fields = ["code", "name", "name_en"]
    ordering = [*MAP_ORDERING, "order"]
    autocomplete_fields = ["map"]
    fields = ["map", "order", "code", "name", "name_en", "strategies"]


@admin.register(RevisionCount)
class RevisionCountAdmin(MapColumnsMixin, admin.ModelAdmin):
    list_display = [
        "map",
        "perspective",
        "objectives_before",
        "objectives_after",
        "kpis_before",
        "kpis_after",
        "action_plans_before",
        "action_plans_after",
        "order",
    ]
    list_display_links = ["perspective"]
    list_filter = MAP_FILTERS
    list_select_related = ["map__organization"]
    search_fields = ["perspective", "map__organization__name", "map__organization__short_name"]
    ordering = [*MAP_ORDERING, "order"]
    autocomplete_fields = ["map"]
    fieldsets = [
        (None, {"fields": ["map", "perspective", "order"]}),
        (_("Strategic objectives"), {"fields": ["objectives_before", "objectives_after", "objectives_printed"]}),
        (_("KPIs"), {"fields": ["kpis_before", "kpis_after", "kpis_printed"]}),
        (_("Action plans"), {"fields": ["action_plans_before", "action_plans_after", "action_plans_printed"]}),
    ]


@admin.register(Revision)
class RevisionAdmin(MapColumnsMixin, admin.ModelAdmin):
    list_display = ["map", "order", "level", "action", "objective_code", "code", "old_name", "new_name"]
    list_display_links = ["order", "code"]
    list_filter = ["level", "action", *MAP_FILTERS]
    list_select_related = ["map__organization"]
    search_fields = ["objective_code", "code", "old_name", "new_name", "reason", "agencies_printed"]
    ordering = [*MAP_ORDERING, "order"]
    autocomplete_fields = ["map"]
    filter_horizontal = ["agencies"]
    fieldsets = [
        (None, {"fields": ["map", "order", "level", "action", "printed_action"]}),
        (None, {"fields": ["objective_code", "code", "old_name", "new_name", "reason"]}),
        (_("Agencies"), {"fields": ["agencies", "agencies_printed"]}),
    ]
