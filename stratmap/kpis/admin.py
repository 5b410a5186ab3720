"""Admin for KPIs, their lineages and tags, targets and yearly results."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import Count, Max, Min, OuterRef, Subquery
from django.utils import translation
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from stratmap.core.admin import (
    YearFieldsMixin,
    map_columns,
    map_year_filter,
    plain_number,
    year_filter,
    year_or_empty,
)
from stratmap.core.audit import record
from stratmap.core.years import format_year
from stratmap.kpis.models import Kpi, KpiLineage, KpiResult, KpiTarget, ScoringPolicy, Tag
from stratmap.kpis.scoring import KpiScore
from stratmap.kpis.selectors import score_result
from stratmap.plans.models import ActionPlan

KPI_MAP_ORDERING = ["objective__map__organization__code", "-objective__map__year", "objective__order", "order"]


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    list_display = ["name", "kpi_count"]
    search_fields = ["name"]
    ordering = ["name"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(kpi_count=Count("kpis"))

    @admin.display(description=_("number of KPIs"), ordering="kpi_count")
    def kpi_count(self, obj):
        return obj.kpi_count


class LineageKpiInline(admin.TabularInline):
    """The KPIs of a lineage, year by year (read only: a KPI joins a lineage on its own page)."""

    model = Kpi
    fields = ["map_year", "code", "name", "objective"]
    readonly_fields = fields
    extra = 0
    show_change_link = True
    can_delete = False
    ordering = ["objective__map__year", "code"]
    verbose_name_plural = _("KPIs of this lineage")

    def has_add_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("objective__map")

    @admin.display(description=_("map year"))
    def map_year(self, obj):
        return year_or_empty(obj.objective.map.year if obj.objective_id else None)


@admin.register(KpiLineage)
class KpiLineageAdmin(admin.ModelAdmin):
    list_display = ["key", "organization", "kpi_count", "first_year", "last_year"]
    list_filter = [("organization", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["organization"]
    search_fields = ["key", "kpis__code", "kpis__name"]
    ordering = ["organization__code", "key"]
    autocomplete_fields = ["organization"]
    inlines = [LineageKpiInline]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                kpi_count=Count("kpis", distinct=True),
                first_year=Min("kpis__objective__map__year"),
                last_year=Max("kpis__objective__map__year"),
            )
        )

    @admin.display(description=_("number of KPIs"), ordering="kpi_count")
    def kpi_count(self, obj):
        return obj.kpi_count

    @admin.display(description=_("first year"), ordering="first_year")
    def first_year(self, obj):
        return year_or_empty(obj.first_year)

    @admin.display(description=_("last year"), ordering="last_year")
    def last_year(self, obj):
        return year_or_empty(obj.last_year)


# --- KPIs --------------------------------------------------------------------


class KpiTargetInline(YearFieldsMixin, admin.TabularInline):
    model = KpiTarget
    fields = ["year", "value", "printed"]
    extra = 0
    show_change_link = True


class KpiResultInline(YearFieldsMixin, admin.TabularInline):
    model = KpiResult
    fields = [
        "year",
        "actual",
        "printed",
        "rate_reported",
        "innovation",
        "challenge",
        "contribution",
        "score_reported",
        "light_reported",
    ]
    extra = 0
    show_change_link = True


class ActionPlanInline(admin.TabularInline):
    model = ActionPlan
    fields = ["order", "code", "printed_code", "name", "agencies_printed"]
    extra = 0
    show_change_link = True


@admin.register(Kpi)
class KpiAdmin(map_columns("objective__map"), admin.ModelAdmin):
    list_display = [
        "code",
        "name",
        "map_organization",
        "map_year",
        "objective_code",
        "unit",
        "polarity",
        "frequency",
        "lineage",
    ]
    list_display_links = ["code", "name"]
    list_filter = [
        map_year_filter("objective__map__year"),
        ("objective__map__organization", admin.RelatedOnlyFieldListFilter),
        "polarity",
        "frequency",
        ("tags", admin.RelatedOnlyFieldListFilter),
    ]
    list_select_related = ["objective__map__organization", "lineage"]
    search_fields = [
        "code",
        "printed_code",
        "name",
        "objective__code",
        "objective__name",
        "lineage__key",
        "agencies_printed",
        "cites",
    ]
    ordering = KPI_MAP_ORDERING
    autocomplete_fields = ["objective", "lineage"]
    filter_horizontal = ["agencies", "tags"]
    inlines = [KpiTargetInline, KpiResultInline, ActionPlanInline]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "objective",
                    "order",
                    "code",
                    "printed_code",
                    "name",
                    "unit",
                    "polarity",
                    "frequency",
                    "weight",
                ]
            },
        ),
        (_("Data"), {"fields": ["data_source", "release"]}),
        (_("Agencies and tags"), {"fields": ["agencies", "agencies_printed", "tags"]}),
        (_("Links"), {"fields": ["cites", "cites_printed", "lineage"]}),
        (None, {"fields": ["note"]}),
    ]

    @admin.display(description=_("strategic objective"), ordering="objective__code")
    def objective_code(self, obj):
        return obj.objective.code


class KpiYearAdmin(map_columns("kpi__objective__map"), YearFieldsMixin, admin.ModelAdmin):
    """Shared by targets and results: rows of a KPI for one year."""

    list_select_related = ["kpi__objective__map__organization"]
    list_filter = [
        year_filter("year"),
        map_year_filter("kpi__objective__map__year"),
        ("kpi__objective__map__organization", admin.RelatedOnlyFieldListFilter),
    ]
    search_fields = ["kpi__code", "kpi__printed_code", "kpi__name", "printed", "note"]
    ordering = [
        "kpi__objective__map__organization__code",
        "-kpi__objective__map__year",
        "kpi__objective__order",
        "kpi__order",
        "year",
    ]
    autocomplete_fields = ["kpi"]

    @admin.display(description=_("KPI code"), ordering="kpi__code")
    def kpi_code(self, obj):
        return obj.kpi.code

    @admin.display(description=_("KPI"), ordering="kpi__name")
    def kpi_name(self, obj):
        return obj.kpi.name

    @admin.display(description=_("year"), ordering="year")
    def year_display(self, obj):
        return format_year(obj.year)


@admin.register(KpiTarget)
class KpiTargetAdmin(KpiYearAdmin):
    list_display = [
        "kpi_code",
        "kpi_name",
        "map_organization",
        "map_year",
        "year_display",
        plain_number("value", _("target")),
        "printed",
    ]
    list_display_links = ["kpi_code", "year_display"]
    fields = ["kpi", "year", "value", "printed", "note"]


@admin.register(KpiResult)
class KpiResultAdmin(KpiYearAdmin):
    list_display = [
        "kpi_code",
        "kpi_name",
        "map_organization",
        "map_year",
        "year_display",
        plain_number("actual", _("actual")),
        plain_number("rate_reported", _("achievement rate as published (%)")),
        plain_number("innovation", _("innovation")),
        plain_number("challenge", _("challenge")),
        plain_number("contribution", _("contribution")),
        plain_number("score_reported", _("total score as published")),
        "light_reported",
        "computed_rate",
        "computed_score",
        "computed_light",
        "computed_flag",
    ]
    list_display_links = ["kpi_code", "year_display"]
    list_filter = ["light_reported", *KpiYearAdmin.list_filter]
    readonly_fields = ["computed_rate", "computed_score", "computed_light", "computed_flag", "version"]

    def save_model(self, request, obj, form, change):
        """Admin edits are audited like any other, and bump the version so open entry forms see them."""
        changes = {name: (form.initial.get(name), form.cleaned_data.get(name)) for name in form.changed_data}
        if change:
            obj.version += 1
        super().save_model(request, obj, form, change)
        record(
            user=request.user,
            obj=obj,
            action="update" if change else "create",
            changes=changes,
            reason=_("edited in the administration"),
            kpi=obj.kpi,
        )

    def get_queryset(self, request):
        # The year's target and the map's policy come with each row, so the
        # computed columns cost no query per row.
        target = KpiTarget.objects.filter(kpi=OuterRef("kpi"), year=OuterRef("year")).values("value")[:1]
        return (
            super()
            .get_queryset(request)
            # The change list applies list_select_related only to a query without any.
            .select_related(
                *self.list_select_related,
                "kpi__objective__theme",
                "kpi__objective__perspective",
                "kpi__objective__map__scoring_policy",
            )
            .annotate(target_value=Subquery(target))
        )

    def _score(self, obj: KpiResult) -> KpiScore | None:
        if obj.pk is None:
            return None
        if not hasattr(obj, "_score"):
            target = getattr(obj, "target_value", None)
            if not hasattr(obj, "target_value"):  # the change form's object comes without the annotation
                target = KpiTarget.objects.filter(kpi=obj.kpi, year=obj.year).values_list("value", flat=True).first()
            obj._score = score_result(obj, target)
        return obj._score

    @admin.display(description=_("achievement rate computed (%)"))
    def computed_rate(self, obj):
        score = self._score(obj)
        if score is None or score.rate.percent is None:
            return "-"
        return f"{score.rate.percent:.1f}"

    @admin.display(description=_("total score computed"))
    def computed_score(self, obj):
        score = self._score(obj)
        return "-" if score is None or score.score_computed is None else f"{score.score_computed:.2f}"

    @admin.display(description=_("light"))
    def computed_light(self, obj):
        score = self._score(obj)
        if score is None:
            return "-"
        light = score.light
        label = light.label_zh if translation.get_language().startswith("zh") else light.label_en
        reason = f" ({score.unknown_reason})" if score.unknown_reason else ""
        return format_html('<span style="color:{}">{} {}</span>{}', light.colour, light.symbol, label, reason)

    @admin.display(description=_("flag"), boolean=True)
    def computed_flag(self, obj):
        score = self._score(obj)
        return None if score is None else score.flag

    search_fields = [*KpiYearAdmin.search_fields, "unknown_reason", "situation_analysis", "countermeasures"]
    fieldsets = [
        (None, {"fields": ["kpi", "year", "actual", "printed", "unknown_kind", "unknown_reason"]}),
        (_("Review"), {"fields": ["status", "review_comment", "version"]}),
        (
            _("Self-assessment as published"),
            {
                "fields": [
                    "rate_reported",
                    "innovation",
                    "innovation_note",
                    "challenge",
                    "challenge_note",
                    "contribution",
                    "contribution_note",
                    "score_reported",
                    "light_reported",
                ]
            },
        ),
        (_("Analysis"), {"fields": ["situation_analysis", "countermeasures"]}),
        (
            _("Computed with the year's scoring policy"),
            {"fields": ["computed_rate", "computed_score", "computed_light", "computed_flag"]},
        ),
        (None, {"fields": ["note"]}),
    ]


@admin.register(ScoringPolicy)
class ScoringPolicyAdmin(map_columns("map"), admin.ModelAdmin):
    list_display = ["map", "map_organization", "map_year", *ScoringPolicy.FIELDS]
    list_select_related = ["map__organization"]
    autocomplete_fields = ["map"]
