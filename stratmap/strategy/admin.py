"""Admin for strategy maps and everything drawn on them.

Scoped to the maps a person administers, and every write audited and checked against the map's
version: :mod:`stratmap.core.admin_audit`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, TypedDict

from django import forms
from django.contrib import admin
from django.contrib.admin.options import BaseModelAdmin
from django.core.exceptions import ValidationError
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from stratmap.access import access_for
from stratmap.core.admin import YearFieldsMixin, map_columns, map_filters, map_year_filter, short
from stratmap.core.admin_audit import ADMINISTRATOR, AuditedAdmin, ScopedInline
from stratmap.core.years import format_year
from stratmap.kpis.models import Kpi, RatingPolicy, ScoringPolicy, serving
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


MAP_FILTERS = map_filters("map")


class PerspectiveNameFilter(admin.SimpleListFilter):
    """Filter by perspective name (顧客, 內部流程 …) across all maps."""

    title = _("perspective")
    parameter_name = "perspective_name"
    path = "perspective__name"

    def lookups(self, request, model_admin):
        names = model_admin.get_queryset(request).order_by().values_list(self.path, flat=True).distinct()
        return [(name, name) for name in sorted(set(names) - {None})]  # an objective may have no perspective

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(**{self.path: self.value()})
        return queryset


# --- Lists edited as lines ---------------------------------------------------


class ListAsLinesField(forms.Field):
    """A JSON list, edited as text in a box (optional): the text is the list as it reads, the
    cleaned value the list, and it has changed when the list has."""

    rows = 5

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault("widget", forms.Textarea(attrs={"rows": self.rows, "cols": 60}))
        super().__init__(**kwargs)

    def _text(self, value: object) -> str:
        """The box's text, as a CharField (strip=False) reads it: empty for an empty value."""
        return "" if value in self.empty_values else str(value)

    def has_changed(self, initial: Any, data: Any) -> bool:
        return self.to_python(initial or []) != self.to_python(data)


class LinesField(ListAsLinesField):
    """A JSON list of texts (core values, key works, strategies), edited one item per line."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("help_text", _("One per line."))
        super().__init__(**kwargs)

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, list | tuple):
            return "\n".join(str(item) for item in value)
        return value

    def to_python(self, value: Any) -> list[str]:
        if isinstance(value, list | tuple):
            return [str(item) for item in value]
        return [line.strip() for line in self._text(value).splitlines() if line.strip()]


STEP_LINE = re.compile(r"(\d+)\s+(\S.*)")


class Step(TypedDict):
    """A construction step as the map stores it."""

    step: int
    title: str
    items: list[str]


class StepsField(ListAsLinesField):
    """The construction steps ``[{"step": 1, "title": …, "items": […]}, …]``, edited as lines: a step
    per line starting with its number (「1 研訂產業局產業政策主軸」), its items below it, indented."""

    rows = 12

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault(
            "help_text",
            _("One step per line, starting with its number (“1 …”); the step's items below it, indented."),
        )
        super().__init__(**kwargs)

    def prepare_value(self, value: Any) -> Any:
        if not isinstance(value, list | tuple):
            return value
        lines = []
        for step in value:
            lines.append(f"{step.get('step', '')} {step.get('title', '')}".strip())
            lines += [f"    {item}" for item in step.get("items", [])]
        return "\n".join(lines)

    def to_python(self, value: Any) -> list[Step]:
        if isinstance(value, list | tuple):
            return list(value)
        steps: list[Step] = []
        for number, line in enumerate((value or "").splitlines(), start=1):
            if not line.strip():
                continue
            if line[0].isspace():
                if not steps:
                    raise ValidationError(
                        _("Line %(line)d: an indented item comes before any step."), params={"line": number}
                    )
                steps[-1]["items"].append(line.strip())
                continue
            match = STEP_LINE.fullmatch(line.strip())
            if match is None:
                raise ValidationError(
                    _("Line %(line)d: a step starts with its number and then its title, e.g. “1 Analyse”."),
                    params={"line": number},
                )
            steps.append({"step": int(match[1]), "title": match[2].strip(), "items": []})
        return steps


class LinesFieldsMixin(BaseModelAdmin):
    """For a ModelAdmin: edit each JSON list named in ``lines_fields`` as lines, with the field
    given there (named before ``admin.ModelAdmin`` in the bases)."""

    lines_fields: Mapping[str, type[ListAsLinesField]] = {}

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        # a list's translations (values_en) are lists too, edited the same way
        name = getattr(db_field, "original_name", db_field.name)
        if name in self.lines_fields:
            return self.lines_fields[name](label=capfirst(db_field.verbose_name))
        return super().formfield_for_dbfield(db_field, request, **kwargs)


#: Text inputs sized to their content, so that a tabular inline fits the page (the admin's
#: default text input is 610 px wide).
def sized(**sizes: int) -> dict[str, forms.TextInput]:
    return {name: forms.TextInput(attrs={"size": size}) for name, size in sizes.items()}


# --- Strategy maps -----------------------------------------------------------


class ScoringPolicyInline(ScopedInline, admin.StackedInline):
    """The map's scoring policy: a named rating policy, or its own composite values; none means the
    documented default."""

    model = ScoringPolicy
    extra = 0
    max_num = 1
    fields = ["rating_policy", *ScoringPolicy.FIELDS]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "rating_policy":
            # Those of the organizations the person administers and above them, and the shared ones;
            # the map's own organization is checked when it is saved (ScoringPolicy.clean).
            policies = RatingPolicy.objects.select_related("organization")
            if not request.user.is_superuser:
                policies = serving(access_for(request).organizations(ADMINISTRATOR)).select_related("organization")
            kwargs["queryset"] = policies
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class PerspectiveInline(ScopedInline, admin.TabularInline):
    model = Perspective
    fields = ["order", "code", "name"]  # and its translations, beside it (TranslationsBeside)
    extra = 0

    def get_formset(self, request, obj=None, **kwargs):
        kwargs["widgets"] = sized(code=6, name=16, name_zh_hant=16, name_en=20)
        return super().get_formset(request, obj, **kwargs)


class ThemeInline(ScopedInline, admin.TabularInline):
    """The themes in a row each; what is rarely edited (the citation as printed, the note) is on the
    theme's own page, so that the map's form stays within a screen's width."""

    model = Theme
    fields = ["order", "code", "name", "group", "takes_over"]
    autocomplete_fields = ["group"]
    show_change_link = True
    extra = 0

    def get_formset(self, request, obj=None, **kwargs):
        kwargs["widgets"] = sized(code=4, name=14, name_zh_hant=14, name_en=16, takes_over=6)
        return super().get_formset(request, obj, **kwargs)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if db_field.name == "group" and field is not None:
            widget = field.widget  # the select, or a wrapper holding it as its widget
            (widget.widget if hasattr(widget, "widget") else widget).attrs["style"] = "width: 12em"
        return field


#: The model field's label, "published", reads 公布值 ("the published value") in Chinese, where the
#: result tables use it; a map is not a value, so the admin says whether the public sees it.
PUBLISHED = pgettext_lazy("map", "Published")


class PublishedFilter(admin.BooleanFieldListFilter):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.title = PUBLISHED


class StrategyMapForm(forms.ModelForm):
    class Meta:
        model = StrategyMap
        fields = ["published"]  # the admin's fieldsets give the rest
        labels = {"published": PUBLISHED}
        help_texts = {"published": _("The public sees published maps only.")}


@admin.register(StrategyMap)
class StrategyMapAdmin(AuditedAdmin, YearFieldsMixin, LinesFieldsMixin, admin.ModelAdmin):
    map_path = ""
    year_fields = ("year", "revisions_compared_to")
    lines_fields = {"values": LinesField, "construction_steps": StepsField}
    list_display = [
        "__str__",
        "organization",
        "year_display",
        "version_label",
        "in_force",
        "published_column",
        "results_due",
        "has_tows",
    ]
    list_display_links = ["__str__"]
    list_filter = [
        map_year_filter("year"),
        "in_force",
        ("published", PublishedFilter),
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
    form = StrategyMapForm
    inlines = [ScoringPolicyInline, PerspectiveInline, ThemeInline]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "organization",
                    "year",
                    "version_label",
                    "version_date",
                    "in_force",
                    "source",
                    "title",
                    "occasion",
                ]
            },
        ),
        (_("Weights"), {"fields": ["weights_declared"]}),
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
        return format_year(obj.year, style=obj.organization.year_style)

    @admin.display(description=PUBLISHED, boolean=True, ordering="published")
    def published_column(self, obj):
        return obj.published


@admin.register(Perspective)
class PerspectiveAdmin(AuditedAdmin, admin.ModelAdmin):
    map_path = "map"
    map_organization, map_year = map_columns(map_path)
    list_display = ["code", "name", "name_en", "map_organization", "map_year", "map", "order"]
    list_display_links = ["code", "name"]
    list_filter = MAP_FILTERS
    list_select_related = ["map__organization"]
    search_fields = ["code", "name", "name_en", "map__organization__name", "map__organization__short_name"]
    ordering = [*MAP_ORDERING, "order"]
    autocomplete_fields = ["map"]


@admin.register(Theme)
class ThemeAdmin(AuditedAdmin, admin.ModelAdmin):
    map_path = "map"
    map_organization, map_year = map_columns(map_path)
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
    fields = ["map", "order", "code", "name", "group", "takes_over", "takes_over_printed", "weight", "note"]


# --- Objectives and links ----------------------------------------------------


class KpiInline(ScopedInline, admin.TabularInline):
    model = Kpi
    fields = ["order", "code", "printed_code", "name", "unit", "polarity", "frequency"]
    extra = 0
    show_change_link = True


@admin.register(Objective)
class ObjectiveAdmin(AuditedAdmin, LinesFieldsMixin, admin.ModelAdmin):
    map_path = "map"
    map_organization, map_year = map_columns(map_path)
    lines_fields = {"key_works": LinesField}
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

    def get_queryset(self, request):
        # The objective's name carries its map's organization and year (in pickers too).
        return super().get_queryset(request).select_related("map__organization")

    fieldsets = [
        (None, {"fields": ["map", "perspective", "theme", "order", "code", "printed_code", "name", "weight"]}),
        (_("Key success factor and goal"), {"fields": ["ksf", "goal", "key_works"]}),
        (None, {"fields": ["note"]}),
    ]


@admin.register(ObjectiveLink)
class ObjectiveLinkAdmin(AuditedAdmin, admin.ModelAdmin):
    map_path = "map"
    map_organization, map_year = map_columns(map_path)
    list_display = ["__str__", "source", "target", "map_organization", "map_year"]
    list_filter = MAP_FILTERS
    list_select_related = ["map__organization", "source__map__organization", "target__map__organization"]
    search_fields = ["source__code", "source__name", "target__code", "target__name", "note"]
    ordering = [*MAP_ORDERING, "source__order", "target__order"]
    autocomplete_fields = ["map", "source", "target"]


# --- TOWS, policy thrusts, revisions -----------------------------------------


@admin.register(TowsEntry)
class TowsEntryAdmin(AuditedAdmin, admin.ModelAdmin):
    map_path = "map"
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
class PolicyThrustAdmin(AuditedAdmin, LinesFieldsMixin, admin.ModelAdmin):
    map_path = "map"
    map_organization, map_year = map_columns(map_path)
    lines_fields = {"strategies": LinesField}
    list_display = ["code", "name", "name_en", "map_organization", "map_year", "map", "order"]
    list_display_links = ["code", "name"]
    list_filter = MAP_FILTERS
    list_select_related = ["map__organization"]
    search_fields = ["code", "name", "name_en"]
    ordering = [*MAP_ORDERING, "order"]
    autocomplete_fields = ["map"]
    fields = ["map", "order", "code", "name", "strategies"]


@admin.register(RevisionCount)
class RevisionCountAdmin(AuditedAdmin, admin.ModelAdmin):
    map_path = "map"
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
class RevisionAdmin(AuditedAdmin, admin.ModelAdmin):
    map_path = "map"
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
