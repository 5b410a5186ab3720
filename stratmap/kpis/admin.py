"""Admin for KPIs, their lineages and tags, targets and yearly results.

Results are written only through :mod:`stratmap.kpis.services`, here as on the pages:
the KPI page lists them read only, each opens on its own change page, whose form
carries the version it was opened on (a stale form is refused with what changed),
an approved or published result opens read only (the cycle reopens it), and every
change is audited and bumps the version.

Everything else here (KPIs, targets, action plans under a KPI, lineages, tags, scoring policies, light
sets with their levels, named rating policies)
saves through :class:`stratmap.core.admin_audit.AuditedAdmin`: audited with a reason, checked
against and bumping the map's version, scoped to the maps a person administers.
"""

from __future__ import annotations

from typing import cast

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import Case, Count, F, IntegerField, Max, Min, OuterRef, Q, Subquery, Value, When
from django.db.models.functions import Cast, Mod, Substr
from django.forms.models import BaseInlineFormSet
from django.urls import reverse
from django.utils import translation
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from stratmap.access import Access, access_for
from stratmap.core.admin import (
    PLAIN_NUMBERS,
    InlineYearFieldsMixin,
    ReadOnly,
    YearFieldsMixin,
    map_columns,
    map_filters,
    plain_number,
    year_filter,
    year_or_empty,
)
from stratmap.core.admin_audit import ADMINISTRATOR, AuditedAdmin, ScopedAdmin, ScopedInline, stale_message
from stratmap.core.forms import VERSION_MISSING
from stratmap.core.years import YearError, YearStyle, format_year
from stratmap.kpis.models import (
    PERIOD_CODES,
    Kpi,
    KpiLineage,
    KpiResult,
    KpiTarget,
    LightLevel,
    LightSet,
    RatingPolicy,
    ReviewStep,
    ScoringPolicy,
    Tag,
    period_of,
    period_order,
    problem_text,
    serving,
)
from stratmap.kpis.presenters import period_short
from stratmap.kpis.scoring import KpiScore, Level, Role, names
from stratmap.kpis.scoring import LightSet as Lights
from stratmap.kpis.selectors import policies_of, policy_of, score_result
from stratmap.kpis.services import (
    ADMIN_FIELDS,
    EDITABLE,
    NEW,
    SELF_ASSESSMENT,
    StaleEdit,
    check_period,
    kpi_result_admin_save,
    kpi_result_check,
    kpi_result_delete,
)
from stratmap.plans.models import ActionPlan


@admin.register(Tag)
class TagAdmin(AuditedAdmin, admin.ModelAdmin):
    """Tags are shared by every organization: the administrators read them, the superusers change them."""

    list_display = ["name", "kpi_count"]
    search_fields = ["name"]
    ordering = ["name"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(kpi_count=Count("kpis"))

    @admin.display(description=_("number of KPIs"), ordering="kpi_count")
    def kpi_count(self, obj):
        return obj.kpi_count


class LineageKpiInline(ScopedInline, admin.TabularInline):
    """The KPIs of a lineage, year by year (read only: a KPI joins a lineage on its own page)."""

    model = Kpi
    fields = readonly_fields = ("map_year", "code", "name", "objective")
    extra = 0
    show_change_link = True
    can_delete = False
    ordering = ["objective__map__year", "code"]
    verbose_name_plural = _("KPIs of this lineage")

    def has_add_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("objective__map__organization")

    @admin.display(description=_("map year"))
    def map_year(self, obj):
        if not obj.objective_id:
            return ""
        return year_or_empty(obj.objective.map.year, obj.objective.map.organization.year_style)


@admin.register(KpiLineage)
class KpiLineageAdmin(AuditedAdmin, admin.ModelAdmin):
    organization_path = "organization"
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
        return year_or_empty(obj.first_year, obj.organization.year_style if obj.organization else None)

    @admin.display(description=_("last year"), ordering="last_year")
    def last_year(self, obj):
        return year_or_empty(obj.last_year, obj.organization.year_style if obj.organization else None)


# --- the periods of targets and results -------------------------------------------------------------

#: From a target or a result to the organization whose years and months it is of.
KPI_ORGANIZATION = "kpi__objective__map__organization"


def kpi_style(kpi: Kpi) -> YearStyle:
    """The years of ``kpi``'s organization (Taipei's for a KPI not placed in a map yet)."""
    return kpi.objective.map.organization.year_style if kpi.objective_id else YearStyle()


def period_choices(kpi: Kpi | None) -> list[tuple[str, str]]:
    """The periods a target or result of ``kpi`` may be of, as a form offers them: the whole year, then
    those of its frequency in its fiscal year's order (Q1–Q4; Apr … Mar for a year starting in April).
    Every period, when the KPI is not chosen yet."""
    style = YearStyle() if kpi is None else kpi_style(kpi)
    if kpi is None:
        codes = sorted(PERIOD_CODES, key=lambda code: period_order(code, style))
    else:
        codes = list(kpi.periods(2000, style))  # which year: the codes are those of any year
    named = [(code, period_short(period_of(2000, code, style), style)) for code in codes]
    return [("", gettext("the whole year")), *named]


def fiscal_order(organization: str = KPI_ORGANIZATION) -> Case:
    """Sorts the rows of a year as the year runs: the year's, its halves, its quarters, then its months from
    the first month of the year of the organization ``organization`` leads to (April … March for a council)."""
    number = Cast(Substr("period", 2), IntegerField())
    return Case(
        When(period="", then=Value(0)),
        When(period__startswith="H", then=Value(10) + number),
        When(period__startswith="Q", then=Value(20) + number),
        default=Value(31) + Mod(number - F(f"{organization}__year_start_month") + 12, 12),
        output_field=IntegerField(),
    )


def period_text(row: KpiTarget | KpiResult) -> str:
    """A row's period as people read it (2024/25 Q3, 113年第3季), the whole year for a row of the year."""
    if not row.period:
        return gettext("the whole year")
    style = kpi_style(row.kpi)
    try:
        return style.period_label(period_of(row.year, row.period, style))
    except YearError:  # a code no period has (only a hand-made row can hold one): as it is
        return row.period


class PeriodField(forms.ChoiceField):
    """Offers the periods of the form's KPI and takes any period, so that a period the KPI does not have is
    refused by the form saying which it has (``check_period``), not as a choice not offered."""

    def valid_value(self, value: object) -> bool:
        return value == "" or value in PERIOD_CODES


class PeriodForm(forms.ModelForm):
    """A target's or a result's form: its period one of its KPI's, and no second row of one KPI, year and
    period (refused as one that exists, not left to the database's constraint)."""

    #: The KPI the form's rows are of, when the page says (the KPI's page, for its inline of targets).
    period_kpi: Kpi | None = None

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields.get("period")
        if field is not None:
            kpi = self.period_kpi or (self.instance.kpi if self.instance.kpi_id else None)
            self.fields["period"] = PeriodField(
                label=field.label,
                required=False,
                choices=period_choices(kpi),
                help_text=_("The whole year, or one of the periods the KPI's frequency reports in."),
            )

    def clean(self):
        data = super().clean()
        if data is None or "period" not in self.fields:  # a result's period is fixed once it exists
            return data
        kpi, year, period = data.get("kpi"), data.get("year"), data.get("period")
        if kpi is None or period is None:  # the KPI's or the period's own field says why
            return data
        try:
            check_period(kpi=kpi, period=period)
        except ValidationError as refused:
            self.add_error(None, refused)
            return data
        if year is None or kpi.pk is None:
            return data
        model = self._meta.model
        if model._default_manager.filter(kpi=kpi, year=year, period=period).exclude(pk=self.instance.pk).exists():
            style = kpi_style(kpi)
            self.add_error(
                "period",
                _("%(code)s already has a %(row)s for %(period)s; change that one instead.")
                % {
                    "code": kpi.code,
                    "row": model._meta.verbose_name,
                    "period": style.period_label(period_of(year, period, style)),
                },
            )
        return data


class PeriodKindFilter(admin.SimpleListFilter):
    """Rows of the whole year, or of its halves, quarters or months."""

    title = _("period")
    parameter_name = "period_kind"
    #: Each kind: what its rows' period codes start with ("" for the year's, whose code is empty), its name.
    KINDS = {
        "year": ("", _("the whole year")),
        "half": ("H", _("halves")),
        "quarter": ("Q", _("quarters")),
        "month": ("M", _("months")),
    }

    def lookups(self, request, model_admin):
        return [(kind, label) for kind, (_prefix, label) in self.KINDS.items()]

    def queryset(self, request, queryset):
        found = self.KINDS.get(self.value() or "")
        if found is None:
            return queryset
        prefix = found[0]
        return queryset.filter(period__startswith=prefix) if prefix else queryset.filter(period="")


# --- KPIs --------------------------------------------------------------------


class KpiTargetInline(ScopedInline, InlineYearFieldsMixin, admin.TabularInline):
    """The KPI's targets, of its years and of their periods (those of the KPI's frequency)."""

    model = KpiTarget
    form = PeriodForm
    year_organization = KPI_ORGANIZATION
    fields = ["year", "period", "value", "upper", "printed"]
    ordering = ["year", fiscal_order()]
    extra = 0
    show_change_link = True
    formfield_overrides = PLAIN_NUMBERS

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        # The page's KPI, whose periods each row offers (a new row knows its KPI only when saved).
        formset.form = type(formset.form.__name__, (formset.form,), {"period_kpi": obj})
        return formset


class KpiResultInline(ReadOnly, ScopedInline, admin.TabularInline):
    """The KPI's results at a glance, read only: each is changed on its own page (the change
    link), through the result service, so that no write here escapes the lock, the version
    check or the audit trail."""

    model = KpiResult
    fields = readonly_fields = (
        "year_shown",
        "period_shown",
        "status",
        "actual_shown",
        "printed",
        "rate_shown",
        "innovation_shown",
        "challenge_shown",
        "contribution_shown",
        "score_shown",
        "light_shown",
        "version",
    )
    ordering = ["year", fiscal_order()]
    extra = 0
    can_delete = False
    show_change_link = True

    @admin.display(description=_("light as published"))
    def light_shown(self, obj):
        # obj.kpi is the page's KPI, whose map (and so its policy) is read once for all the rows.
        return published_light(obj.light_reported, policy_of(smap=obj.kpi.objective.map).lights)

    actual_shown = staticmethod(plain_number("actual", _("actual")))
    rate_shown = staticmethod(plain_number("rate_reported", _("achievement rate as published (%)")))
    innovation_shown = staticmethod(plain_number("innovation", _("innovation")))
    challenge_shown = staticmethod(plain_number("challenge", _("challenge")))
    contribution_shown = staticmethod(plain_number("contribution", _("contribution")))
    score_shown = staticmethod(plain_number("score_reported", _("total score as published")))

    @admin.display(description=_("year"))
    def year_shown(self, obj):
        # obj.kpi is the page's KPI (the inline's parent), whose map is read once for all the rows.
        return format_year(obj.year, style=obj.kpi.objective.map.organization.year_style)

    @admin.display(description=_("period"))
    def period_shown(self, obj):
        return period_text(obj)


class ActionPlanInline(ScopedInline, admin.TabularInline):
    model = ActionPlan
    fields = ["order", "code", "printed_code", "name", "agencies_printed"]
    extra = 0
    show_change_link = True


@admin.register(Kpi)
class KpiAdmin(AuditedAdmin, admin.ModelAdmin):
    map_path = "objective__map"
    map_organization, map_year = map_columns(map_path)
    kpi_path = ""
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
    list_filter = [*map_filters(map_path), "polarity", "frequency", ("tags", admin.RelatedOnlyFieldListFilter)]
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
    ordering = ["objective__map__organization__code", "-objective__map__year", "objective__order", "order"]
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
                    "aggregation",
                    "weight",
                ]
            },
        ),
        (_("Rating"), {"fields": ["method", "target_type", "stages", "baseline"]}),
        (_("Definition"), {"fields": ["numerator", "denominator", "evaluation", "deadline"]}),
        (_("Data"), {"fields": ["data_source", "release"]}),
        (_("Agencies and tags"), {"fields": ["agencies", "agencies_printed", "tags"]}),
        (_("Links"), {"fields": ["cites", "cites_printed", "lineage"]}),
        (None, {"fields": ["note"]}),
    ]

    @admin.display(description=_("strategic objective"), ordering="objective__code")
    def objective_code(self, obj):
        return obj.objective.code


class KpiYearAdmin(ScopedAdmin, YearFieldsMixin, admin.ModelAdmin):
    """Shared by targets and results: rows of a KPI for one year, or one period of it."""

    map_path = "kpi__objective__map"
    kpi_path = "kpi"
    year_organization = KPI_ORGANIZATION
    map_organization, map_year = map_columns(map_path)

    #: The columns that say which KPI, map, year and period a row is of; each admin adds its values.
    list_display = ["kpi_code", "kpi_name", "map_organization", "map_year", "year_display", "period_shown"]
    list_display_links = ["kpi_code", "year_display"]
    list_select_related = ["kpi__objective__map__organization"]
    list_filter = [year_filter("year", organization_path=KPI_ORGANIZATION), PeriodKindFilter, *map_filters(map_path)]
    search_fields = ["kpi__code", "kpi__printed_code", "kpi__name", "printed", "note"]
    ordering = [
        "kpi__objective__map__organization__code",
        "-kpi__objective__map__year",
        "kpi__objective__order",
        "kpi__order",
        "year",
        fiscal_order(),
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
        return format_year(obj.year, style=obj.kpi.objective.map.organization.year_style)

    @admin.display(description=_("period"), ordering="period")
    def period_shown(self, obj):
        return period_text(obj)


@admin.register(KpiTarget)
class KpiTargetAdmin(AuditedAdmin, KpiYearAdmin):
    list_display = [*KpiYearAdmin.list_display, plain_number("value", _("target")), "printed"]
    form = PeriodForm
    fields = ["kpi", "year", "period", "value", "upper", "printed", "note"]
    formfield_overrides = PLAIN_NUMBERS


class KpiResultAdminForm(PeriodForm):
    """Carries the version the form was opened on, and refuses a stale or locked result in ``clean``
    (a new result, one of a period its KPI does not have or one that exists: :class:`PeriodForm`).

    The admin validates and saves in one transaction, and the check locks the result
    (or its KPI, before a first entry), so the save that follows cannot be overtaken.
    """

    seen_version = forms.IntegerField(
        min_value=NEW, widget=forms.HiddenInput, error_messages={"required": VERSION_MISSING}
    )
    access: Access | None = None  # set by KpiResultAdmin.get_form for the request

    class Meta:
        model = KpiResult
        fields = ["kpi", "year", "period", *ADMIN_FIELDS]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["seen_version"].initial = self.instance.version if self.instance.pk else NEW
        field = self.fields.get("light_reported")
        if self.instance.pk and field is not None:
            # The light as published is a level of the map's light set: offered as a choice of them.
            lights = policy_of(smap=self.instance.kpi.objective.map).lights
            language = translation.get_language()
            self.fields["light_reported"] = forms.ChoiceField(
                label=field.label,
                required=False,
                choices=[("", "---------"), *((level.key, level.text(language)) for level in lights)],
            )

    def clean(self):
        data = super().clean()
        if data is None:  # a ModelForm's clean returns its cleaned data; the stubs allow any form's None
            return data
        if self.has_error("period"):  # of another KPI's periods, or one that exists: nothing to check against
            return data
        kpi = self.instance.kpi if self.instance.pk else data.get("kpi")
        year = self.instance.year if self.instance.pk else data.get("year")
        period = self.instance.period if self.instance.pk else data.get("period")
        if kpi is None or year is None or period is None or data.get("seen_version") is None:
            return data
        if self.access is not None and not self.access.edits(kpi):
            raise ValidationError(_("You may not change the results of this KPI."))
        reported = data.get("light_reported")
        if reported:
            lights = policy_of(smap=kpi.objective.map).lights
            if reported not in {level.key for level in lights}:
                self.add_error(
                    "light_reported",
                    _("%(value)s is not a level of the map's light set %(set)s: give one of %(keys)s.")
                    % {"value": reported, "set": lights.key, "keys": ", ".join(level.key for level in lights)},
                )
        try:
            kpi_result_check(kpi=kpi, year=year, version=data["seen_version"], period=period)
        except StaleEdit as stale:
            raise ValidationError(stale_message(stale)) from None
        return data


@admin.register(KpiResult)
class KpiResultAdmin(KpiYearAdmin):
    list_display = [
        *KpiYearAdmin.list_display,
        plain_number("actual", _("actual")),
        plain_number("rate_reported", _("achievement rate as published (%)")),
        plain_number("innovation", _("innovation")),
        plain_number("challenge", _("challenge")),
        plain_number("contribution", _("contribution")),
        plain_number("score_reported", _("total score as published")),
        "light_shown",
        "computed_rate",
        "computed_score",
        "computed_light",
        "computed_flag",
    ]
    list_filter = ["light_reported", *KpiYearAdmin.list_filter]
    form = KpiResultAdminForm
    formfield_overrides = PLAIN_NUMBERS
    #: The cycle moves the status and writes the review comment, on the result page.
    readonly_fields = [
        "computed_rate",
        "computed_score",
        "computed_light",
        "computed_flag",
        "status",
        "review_comment",
        "version",
        "result_page",
        "period_shown",
    ]

    def get_readonly_fields(self, request, obj=None):
        # A result stays the KPI's result of its year and period: moving it would bypass both their checks.
        return [*self.readonly_fields, *(["kpi", "year"] if obj is not None else [])]

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if obj is not None:  # the period as people read it, not to be changed
            fieldsets = [
                (name, {**options, "fields": ["period_shown" if f == "period" else f for f in options["fields"]]})
                for name, options in fieldsets
            ]
        if obj is not None and not self.has_change_permission(request, obj):
            # Read only: no form, so no version to carry.
            fieldsets = [
                (name, {**options, "fields": [f for f in options["fields"] if f != "seen_version"]})
                for name, options in fieldsets
            ]
        return fieldsets

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        # Known by construction: Django's get_form subclasses this admin's form, KpiResultAdminForm.
        cast(type[KpiResultAdminForm], form).access = access_for(request)
        return form

    def has_change_permission(self, request, obj=None):
        """An approved or published result is locked: it opens read only until the cycle reopens it."""
        locked = obj is not None and obj.status not in EDITABLE
        return not locked and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        locked = obj is not None and obj.status not in EDITABLE
        return not locked and super().has_delete_permission(request, obj)

    def save_model(self, request, obj, form, change):
        """Through the service: audited, version-checked (again, under the lock ``clean`` took), locked stays locked."""
        saved = kpi_result_admin_save(
            access=access_for(request),
            kpi=obj.kpi,
            year=obj.year,
            period=obj.period,
            data={name: form.cleaned_data[name] for name in ADMIN_FIELDS if name in form.cleaned_data},
            version=form.cleaned_data["seen_version"],
            reason=gettext("edited in the administration"),
        )
        obj.pk = saved.pk
        obj.refresh_from_db()

    def delete_model(self, request, obj):
        kpi_result_delete(
            access=access_for(request),
            result=obj,
            version=obj.version,
            reason=gettext("deleted in the administration"),
        )

    def delete_queryset(self, request, queryset):
        for result in queryset.select_related("kpi"):
            try:
                self.delete_model(request, result)
            except (ValidationError, StaleEdit) as refused:
                messages.error(request, f"{result}: {' '.join(getattr(refused, 'messages', [str(refused)]))}")

    def get_changelist_instance(self, request):
        changelist = super().get_changelist_instance(request)
        # The rating policies of the page's maps, found at once (their light sets stay on the rows).
        policies_of(maps=[result.kpi.objective.map for result in changelist.result_list])
        return changelist

    @admin.display(description=_("light as published"), ordering="light_reported")
    def light_shown(self, obj):
        return published_light(obj.light_reported, policy_of(smap=obj.kpi.objective.map).lights)

    @admin.display(description=_("result page"))
    def result_page(self, obj):
        """Where the review cycle happens: submit, return, approve, publish, reopen."""
        if obj.pk is None:
            return "-"
        smap = obj.kpi.objective.map
        url = reverse("web:result", args=[smap.organization.code, smap.url_year, obj.kpi.code])
        return format_html('<a href="{}">{}</a>', url, gettext("Open the result page (review cycle)"))

    def get_queryset(self, request):
        # The year's target and the map's policy come with each row, so the
        # computed columns cost no query per row.
        target = KpiTarget.objects.filter(kpi=OuterRef("kpi"), year=OuterRef("year"), period=OuterRef("period"))[:1]
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
            .annotate(target_value=Subquery(target.values("value")), target_upper=Subquery(target.values("upper")))
        )

    def _score(self, obj: KpiResult) -> KpiScore | None:
        if obj.pk is None:
            return None
        row = vars(obj)  # the row carries its score, worked out once for the four columns that show it
        if "_score" not in row:
            target, upper = getattr(obj, "target_value", None), getattr(obj, "target_upper", None)
            if not hasattr(obj, "target_value"):  # the change form's object comes without the annotation
                row_target = KpiTarget.objects.filter(kpi=obj.kpi, year=obj.year, period=obj.period).first()
                target, upper = (row_target.value, row_target.upper) if row_target else (None, None)
            row["_score"] = score_result(result=obj, target=target, upper=upper)
        score: KpiScore = row["_score"]
        return score

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
        reason = f" ({score.unknown_reason})" if score.unknown_reason else ""
        label = light.label(translation.get_language())
        return format_html('<span style="color:{}">{} {}</span>{}', light.colour, light.symbol, label, reason)

    @admin.display(description=_("flag"), boolean=True)
    def computed_flag(self, obj):
        score = self._score(obj)
        return None if score is None else score.flag

    search_fields = [*KpiYearAdmin.search_fields, "unknown_reason", "situation_analysis", "countermeasures"]
    fieldsets = [
        (None, {"fields": ["kpi", "year", "period", "actual", "printed", "unknown_kind", "unknown_reason"]}),
        (_("Review"), {"fields": ["status", "review_comment", "version", "result_page", "seen_version"]}),
        (
            _("Self-assessment as published"),
            {"fields": ["rate_reported", *SELF_ASSESSMENT, "score_reported", "light_reported"]},
        ),
        (_("Analysis"), {"fields": ["situation_analysis", "countermeasures"]}),
        (
            _("Computed with the year's scoring policy"),
            {"fields": ["computed_rate", "computed_score", "computed_light", "computed_flag"]},
        ),
        (None, {"fields": ["note"]}),
    ]


@admin.register(ScoringPolicy)
class ScoringPolicyAdmin(AuditedAdmin, admin.ModelAdmin):
    map_path = "map"
    map_organization, map_year = map_columns(map_path)
    list_display = ["map", "map_organization", "map_year", "rating_policy", *ScoringPolicy.FIELDS]
    list_select_related = ["map__organization", "rating_policy"]
    autocomplete_fields = ["map"]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "rating_policy":
            kwargs["queryset"] = rating_policy_choices(request)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


def rating_policy_choices(request):
    """The rating policies a person may give a map: for an administrator, those of the organizations it
    administers and above them, and the shared ones (the map's own organization is checked on save)."""
    if request.user.is_superuser:
        return RatingPolicy.objects.select_related("organization")
    return serving(access_for(request).organizations(ADMINISTRATOR)).select_related("organization")


def published_light(key: str, lights: Lights) -> str:
    """A light as published, as the map's light set shows it (symbol, name and colour); a key that is no
    level of the set, as it is."""
    if not key:
        return "-"
    level = next((level for level in lights if level.key == key), None)
    if level is None:
        return key
    return format_html('<span style="color:{}">{}</span>', level.colour, level.text(translation.get_language()))


# --- light sets and rating policies ----------------------------------------------------------------


class SharedRowsAdmin(AuditedAdmin):
    """Rows of an organization, changed by its administrators, or shared by every organization (no
    organization): the administrators read those, the superusers change them."""

    organization_path = "organization"

    def get_queryset(self, request):
        if request.user.is_superuser:
            return super().get_queryset(request)
        rows = admin.ModelAdmin.get_queryset(self, request)  # not the scope's filter: it leaves out the shared
        path = self.scope_path
        mine = self.access(request).organizations(ADMINISTRATOR)
        return rows.filter(Q(**{f"{path}__in": mine}) | Q(**{f"{path}__isnull": True}))

    def _in_scope(self, request, obj):
        return self.owner(obj) is None or super()._in_scope(request, obj)

    def _writes(self, request, obj):
        if obj is not None and self.owner(obj) is None and not request.user.is_superuser:
            return False
        return super()._writes(request, obj)

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        if not request.user.is_superuser and "organization" in form.base_fields:
            # Only a superuser makes a row every organization shares.
            form.base_fields["organization"].required = True
        return form


class LightLevelsFormSet(BaseInlineFormSet):
    """The levels of a light set, checked as one set by the scoring engine, and against the rating
    policies that rate with it (their bands and thresholds name its levels)."""

    def clean(self) -> None:
        super().clean()
        if any(self.errors):
            return
        kept = [
            form.cleaned_data
            for form in self.forms
            if form.cleaned_data and not form.cleaned_data.get("DELETE") and form.cleaned_data.get("key")
        ]
        kept.sort(key=lambda data: data.get("order") or 0)
        levels = tuple(
            Level(d["key"], d.get("symbol") or "", names(d.get("names") or {}), d.get("colour") or "", Role(d["role"]))
            for d in kept
        )
        lights = Lights(self.instance.key, levels, names(self.instance.names or {}))
        problems = [problem_text(where, why) for where, why in lights.problems()]
        if self.instance.pk is not None:
            for policy in self.instance.rating_policies():
                problems += [f"{policy}: {problem_text(w, why)}" for w, why in policy.policy(lights).problems()]
        if problems:
            raise ValidationError(problems)


class LightLevelInline(ScopedInline, admin.TabularInline):
    model = LightLevel
    formset = LightLevelsFormSet
    fields = ["order", "key", "symbol", "names", "colour", "role"]
    extra = 0
    ordering = ["order", "pk"]


@admin.register(LightSet)
class LightSetAdmin(SharedRowsAdmin, admin.ModelAdmin):
    """An organization's light sets; shared ones (no organization) are the superusers'."""

    list_display = ["key", "organization", "levels_shown"]
    list_select_related = ["organization"]
    list_filter = [("organization", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["key"]
    fields = ["organization", "key", "names"]
    inlines = [LightLevelInline]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("levels")

    @admin.display(description=_("light levels"))
    def levels_shown(self, obj):
        language = translation.get_language()
        return format_html_join(
            " ", '<span style="color:{}">{}</span>', ((x.colour, x.level().text(language)) for x in obj.levels.all())
        )

    def has_delete_permission(self, request, obj=None):
        # A light set that a rating policy names cannot go: the maps rated by that policy would have no lights.
        return super().has_delete_permission(request, obj) and (obj is None or not obj.rating_policies())


@admin.register(LightLevel)
class LightLevelAdmin(ReadOnly, SharedRowsAdmin, admin.ModelAdmin):
    """Changed on its light set's page; registered so that its saves are scoped and audited like the set's."""

    organization_path = "light_set__organization"
    fields = ["light_set", "order", "key", "symbol", "names", "colour", "role"]

    def get_model_perms(self, request):
        return {}  # not listed on the index: a level is changed with its set

    # A level alone is never changed here (ReadOnly): the set's page checks its levels as one set
    # (LightLevelsFormSet).


@admin.register(RatingPolicy)
class RatingPolicyAdmin(SharedRowsAdmin, admin.ModelAdmin):
    """Named rating policies: an organization's serve its maps and those of the organizations below it;
    shared ones (no organization) serve everyone and are the superusers'."""

    list_display = ["key", "organization", "method", "lights", "map_count"]
    list_select_related = ["organization"]
    list_filter = ["method", ("organization", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["key", "lights"]
    formfield_overrides = PLAIN_NUMBERS
    fieldsets = [
        (None, {"fields": ["organization", "key", "names", "method", "lights", "objective_rule"]}),
        (
            _("Composite"),
            {
                "fields": [
                    "achievement_weight",
                    "innovation_weight",
                    "challenge_weight",
                    "contribution_weight",
                    "achievement_cap",
                    "thresholds",
                    "flag_tolerance",
                ]
            },
        ),
        (_("Achievement bands"), {"fields": ["bands", "tolerance"]}),
        (_("Early warning"), {"fields": ["risk_high_below", "risk_medium_below"]}),
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(map_count=Count("maps"))

    @admin.display(description=_("maps rated with it"), ordering="map_count")
    def map_count(self, obj):
        return obj.map_count


# --- the review chain (issue 16 item 4) --------------------------------------------------------------------


@admin.register(ReviewStep)
class ReviewStepAdmin(AuditedAdmin, admin.ModelAdmin):
    """An organization's review chain, step by step, changed by its administrators (the evaluation office):
    each change audited with its reason. An organization without steps reviews as before (one step, the
    theme coordinator's); a bureau without its own follows the city's."""

    organization_path = "organization"
    list_display = ["organization", "order", "name", "role"]
    list_select_related = ["organization"]
    list_filter = [("organization", admin.RelatedOnlyFieldListFilter), "role"]
    ordering = ["organization__code", "order"]
    fields = ["organization", "order", "name", "role"]
