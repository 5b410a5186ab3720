"""Admin for organizations, people and the audit trail, and the year helpers every stratmap admin uses.

Who may use the administration and how its forms write: :mod:`stratmap.core.admin_audit`.

The database keeps AD years (a fiscal year: the year it starts in). The admin's columns, filters and
year inputs show them as their organization names them (``format_year``: 民國108年 in Chinese and 2019
in English for Taipei, 2019/20 for a council), and its year inputs accept what the organization's
``YearStyle.parse`` reads (108, 2019; 2019/20, FY2020); on a form opened before its organization is
chosen, any organization's forms, read once the map or KPI is chosen.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Protocol, TypeAlias, TypeVar, cast

from django import forms
from django.contrib import admin
from django.contrib.admin.options import BaseModelAdmin, InlineModelAdmin
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.http import HttpResponse
from django.urls import path
from django.utils.text import Truncator, capfirst
from django.utils.translation import gettext_lazy as _

from stratmap.core.admin_audit import ADMINISTRATOR, AuditedAdmin, ReadOnlyAdmin, ScopedInline
from stratmap.core.forms import PlainNumberInput
from stratmap.core.models import (
    AuditEvent,
    CalendarDay,
    HolidayCalendar,
    Membership,
    Organization,
    ReportingCalendar,
)
from stratmap.core.names import local_name
from stratmap.core.spreadsheet import SafeWriter
from stratmap.core.years import TAIPEI_YEARS, YearError, YearLabel, YearStyle, format_year

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

admin.site.site_header = _("Strategy map administration")
admin.site.site_title = _("Strategy map administration")


# --- Years -------------------------------------------------------------------


def year_or_empty(ad_year: int | None, style: YearStyle | None = None) -> str:
    """``format_year`` for a year that may be missing (an unsaved inline row), in its organization's
    ``style`` (Taipei's when none is given)."""
    return "" if ad_year is None else format_year(ad_year, style=style)


class TypedYear(str):
    """A year as typed on a form whose organization is not chosen yet (a new map, target or result):
    read by :class:`YearFieldsForm` once the form's choice says whose year it is."""


#: The year a help text or an error takes as its example for an organization that names years otherwise than
#: Taipei (2024/25, FY2025).
EXAMPLE_YEAR = 2024


class YearFormField(forms.Field):
    """A year input in its organization's ``style``: it shows the year as the organization names it
    (Taipei: 民國108年, or 2019 in English; a council: 2024/25) and accepts what the style reads
    (``YearStyle.parse``: 108, 民國108年, 2019; 2024/25, FY2025). With no style (a form opened before its
    organization is chosen) it gives the text as a :class:`TypedYear`, which its form reads."""

    widget = forms.TextInput

    def __init__(self, *, style: YearStyle | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.set_style(style)

    def set_style(self, style: YearStyle | None) -> None:
        """Whose years the field shows and reads; its help text says what to type."""
        self.style = style
        if style is None:
            self.help_text = _(
                "A year as its organization names it: 108 or 民國108年 (ROC), 2019 (AD), 2019/20 or FY2020 "
                "(a year starting in another month than January); read in the organization chosen."
            )
        elif style.labels is YearLabel.ROC:
            self.help_text = _("An ROC year (108) or an AD year (2019).")
        else:
            self.help_text = _(
                "A year as the organization names it (%(label)s) or the AD year it starts in (%(year)s)."
            ) % {"label": style.label(EXAMPLE_YEAR), "year": style.typed(EXAMPLE_YEAR)}

    def invalid(self, style: YearStyle | None) -> ValidationError:
        """The refusal of a text that is no year of ``style`` (of any organization for None)."""
        message: StrOrPromise
        if style is None:
            message = _("Enter a year, e.g. 108 (ROC), 2019 (AD), 2019/20 or FY2020.")
        elif style.labels is YearLabel.ROC:
            message = _("Enter a year, e.g. 108 (ROC) or 2019 (AD).")
        else:
            message = _("Enter a year as the organization names it, e.g. %(label)s or %(year)s.") % {
                "label": style.label(EXAMPLE_YEAR),
                "year": style.typed(EXAMPLE_YEAR),
            }
        return ValidationError(message, code="invalid")

    def widget_attrs(self, widget):
        return {**super().widget_attrs(widget), "size": 10, "maxlength": 12}

    def prepare_value(self, value):
        if isinstance(value, int):
            return str(value) if self.style is None else self.style.label(value)
        return value

    def to_python(self, value):
        if isinstance(value, str):
            value = value.strip()
        if value in self.empty_values:
            return None
        if self.style is not None:
            try:
                return self.style.parse(value)
            except YearError:
                raise self.invalid(self.style) from None
        return TypedYear(value)  # read by the form, in the organization it chooses


#: Between them, these read every form of a year an organization's style reads: numbers (ROC, AD),
#: FY2020, and 2019/20 (a year starting in another month than January).
ANY_STYLE = (YearStyle(1), YearStyle(4))


def _parses(style: YearStyle, value: object) -> bool:
    try:
        style.parse(str(value))
    except YearError:
        return False
    return True


def _reach(obj: object, path: str) -> Any:
    """What ``path`` (``kpi__objective__map__organization``) leads to from ``obj``; None where it stops."""
    for step in filter(None, path.split("__")):
        obj = getattr(obj, step, None)
        if obj is None:
            return None
    return obj


def _style(organization: object) -> YearStyle | None:
    return organization.year_style if isinstance(organization, Organization) else None


class YearFieldsForm(forms.BaseForm):
    """A form whose ``year_fields`` are years of the organization ``year_organization`` leads to, from the
    form's own choice (its first step: the row's map, KPI, organization). ``year_style`` is that
    organization's, when the form is opened on a row of it; else each year typed is read here, in the
    organization the form chose."""

    year_fields: tuple[str, ...] = ()
    year_organization = ""
    year_style: YearStyle | None = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in self.year_fields:
            field = self.fields.get(name)
            if isinstance(field, YearFormField):
                field.set_style(self.year_style)

    def clean(self) -> dict[str, Any] | None:
        # Before the form's own checks, which take the years as numbers.
        for name in self.year_fields:
            value = self.cleaned_data.get(name)
            if not isinstance(value, TypedYear):
                continue
            first, _sep, rest = self.year_organization.partition("__")
            chosen = self.cleaned_data.get(first)
            style = _style(_reach(chosen, rest)) if chosen is not None else self.year_style
            field = self.fields[name]
            assert isinstance(field, YearFormField)
            if style is not None and _parses(style, value):
                self.cleaned_data[name] = style.parse(value)
            elif style is not None or not any(_parses(any_style, value) for any_style in ANY_STYLE):
                self.add_error(name, field.invalid(style))
            else:
                del self.cleaned_data[name]  # a year, of no organization yet: the choice's own field says why
        return super().clean()


AnyForm = TypeVar("AnyForm", bound=forms.BaseForm)


class YearFields(BaseModelAdmin):
    """Edits the model fields named in ``year_fields`` as years of the organization the row belongs to:
    ``year_organization`` leads from the row to it, its first step being the field that chooses it
    (the map, the KPI; for an inline, the foreign key to the page's object)."""

    year_fields: tuple[str, ...] = ("year",)
    year_organization = "organization"

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name in self.year_fields:
            return YearFormField(required=not db_field.blank, label=capfirst(db_field.verbose_name))
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    def with_years(self, form: type[AnyForm], style: YearStyle | None) -> type[AnyForm]:
        """``form`` with its year fields in ``style`` (None: the organization the form chooses)."""
        attrs = {"year_fields": self.year_fields, "year_organization": self.year_organization, "year_style": style}
        return cast(type[AnyForm], type(form.__name__, (YearFieldsForm, form), attrs))


class YearFieldsMixin(YearFields, admin.ModelAdmin):
    """For a ModelAdmin (named before ``admin.ModelAdmin`` in the bases): its year fields in the row's
    organization's years, or, on an add form, in those of the organization chosen."""

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        return self.with_years(form, _style(_reach(obj, self.year_organization)) if obj is not None else None)


class InlineYearFieldsMixin(YearFields, InlineModelAdmin):
    """For an inline (named before the inline's class in the bases): its year fields in the years of the
    organization of the page's object (``year_organization`` less its first step, the foreign key)."""

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        parent = self.year_organization.partition("__")[2]
        formset.form = self.with_years(formset.form, _style(_reach(obj, parent)) if obj is not None else None)
        return formset


def year_filter(
    field_path: str, title: StrOrPromise | None = None, organization_path: str | None = None
) -> type[admin.SimpleListFilter]:
    """A list filter on an AD year field (``year``, ``objective__map__year`` …), each year labelled as the
    organizations of the rows name it (``organization_path`` leads to them; Taipei's labels without one):
    「民國113年 / 2024/25」 when Taipei's and a council's rows share the year."""

    class YearListFilter(admin.SimpleListFilter):
        parameter_name = field_path

        def lookups(self, request, model_admin):
            rows = model_admin.get_queryset(request).order_by().exclude(**{f"{field_path}__isnull": True})
            if organization_path is None:
                found = {(year, TAIPEI_YEARS) for year in rows.values_list(field_path, flat=True).distinct()}
            else:
                named = rows.values_list(
                    field_path, f"{organization_path}__year_start_month", f"{organization_path}__year_label"
                ).distinct()
                found = {(year, YearStyle(month, label)) for year, month, label in named}
            labels: dict[int, list[str]] = {}
            for year, style in sorted(found, key=lambda pair: (pair[0], pair[1] != TAIPEI_YEARS)):
                label = format_year(year, style=style)
                if label not in labels.setdefault(year, []):
                    labels[year].append(label)
            return [(str(year), " / ".join(labels[year])) for year in sorted(labels, reverse=True)]

        def queryset(self, request, queryset):
            value = self.value()
            if not value:
                return queryset
            try:
                year = int(value)
            except ValueError:
                return queryset.none()
            return queryset.filter(**{field_path: year})

    YearListFilter.title = title or _("year")
    YearListFilter.__name__ = YearListFilter.__qualname__ = f"YearListFilter_{field_path}"
    return YearListFilter


def map_year_filter(field_path: str) -> type[admin.SimpleListFilter]:
    """The filter on a map's year (``year`` of a map, ``map__year`` …), labelled as the map's organization names it."""
    organization = field_path.removesuffix("year") + "organization"
    return year_filter(field_path, _("map year"), organization_path=organization)


def map_filters(path: str) -> tuple[type[admin.SimpleListFilter], tuple[str, type[admin.FieldListFilter]]]:
    """The list filters on the year and the organization of the strategy map a model reaches through
    ``path`` (``map``, ``kpi__objective__map`` …)."""
    return map_year_filter(f"{path}__year"), (f"{path}__organization", admin.RelatedOnlyFieldListFilter)


class _Map(Protocol):
    """What the map columns read of a strategy map (this app knows no strategy model)."""

    organization: Organization
    year: int


def _map_of(obj: models.Model, path: str) -> _Map:
    reached: Any = obj  # the path is text: what each step reaches is known at run time only
    for step in path.split("__"):
        reached = getattr(reached, step)
    return reached


#: A list column defined in a ModelAdmin's class body: a method of the admin, given the row.
AdminColumn: TypeAlias = Callable[[admin.ModelAdmin, models.Model], object]


def map_columns(path: str) -> tuple[AdminColumn, AdminColumn]:
    """The ``map_organization`` and ``map_year`` list columns of a model that reaches its strategy
    map through ``path`` (``map``, ``kpi__objective__map`` …), sorted through it; a ScopedAdmin names
    them in its class body, after its ``map_path``: ``map_organization, map_year = map_columns(map_path)``."""

    @admin.display(description=_("organization"), ordering=f"{path}__organization__code")
    def map_organization(model_admin: admin.ModelAdmin, obj: models.Model) -> str:
        # In the reader's language, as the pages name it (Ashcombe on the English administration).
        return local_name(_map_of(obj, path).organization)

    @admin.display(description=_("map year"), ordering=f"{path}__year")
    def map_year(model_admin: admin.ModelAdmin, obj: models.Model) -> str:
        smap = _map_of(obj, path)
        return format_year(smap.year, style=smap.organization.year_style)

    return map_organization, map_year


#: A ModelAdmin's ``formfield_overrides``: the form field's arguments for each kind of model field.
FieldOverrides: TypeAlias = Mapping[type[models.Field[Any, Any]], Mapping[str, Any]]

#: Numbers in forms as they were entered (5.2), not padded to the column's places (5.2000).
PLAIN_NUMBERS: FieldOverrides = {models.DecimalField: {"widget": PlainNumberInput}}


def plain_number(field: str, description=None):
    """A list column that shows a DecimalField as written (3.6), not padded to its places (3.6000)."""

    @admin.display(description=description or field, ordering=field)
    def column(obj):
        value = getattr(obj, field)
        return "-" if value is None else format(value.normalize(), "f")

    column.__name__ = f"{field}_plain"
    return column


class ReadOnly:
    """An admin page or inline that shows rows and writes none: they are written elsewhere, through
    their service (a result on its entry page, a plan's progress on its progress page)."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


def short(text: str, length: int = 60) -> str:
    """A long text cut for a list column."""
    return Truncator(text).chars(length)


# --- Organizations -----------------------------------------------------------


@admin.register(Organization)
class OrganizationAdmin(AuditedAdmin, admin.ModelAdmin):
    """Every organization's administrators read theirs; the tree of organizations is the superusers'."""

    organization_path = ""
    superusers_write = True
    list_display = ["code", "name", "short_name", "name_en", "kind", "parent", "lead"]
    list_display_links = ["code", "name"]
    list_filter = ["kind", ("parent", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["parent", "lead"]
    search_fields = ["code", "name", "short_name", "name_en"]
    ordering = ["code"]
    autocomplete_fields = ["parent", "lead"]
    filter_horizontal = ["members"]
    fieldsets = [
        (None, {"fields": ["code", "name", "short_name", "language", "kind"]}),
        (_("Structure"), {"fields": ["parent", "lead", "members"]}),
        (_("Years"), {"fields": ["year_start_month", "year_label"]}),
    ]


# --- People and the audit trail ------------------------------------------------


@admin.register(Membership)
class MembershipAdmin(AuditedAdmin, admin.ModelAdmin):
    """Who holds which role: the superusers' (a role given is a right given)."""

    organization_path = "organization"
    superusers_only = True
    list_display = ["user", "organization", "role"]
    list_filter = ["role", ("organization", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["user", "organization"]
    search_fields = [
        "user__username",
        "user__first_name",
        "user__last_name",
        "organization__code",
        "organization__name",
    ]
    autocomplete_fields = ["user", "organization"]


class MembershipInline(ScopedInline, admin.TabularInline):
    model = Membership
    extra = 1
    autocomplete_fields = ["organization"]


admin.site.unregister(User)


@admin.register(User)
class StratmapUserAdmin(AuditedAdmin, UserAdmin):
    """Django's user admin with the person's roles in organizations: the superusers', audited
    (a role or a superuser's flag given is recorded with who gave it and why)."""

    superusers_only = True

    inlines = [*UserAdmin.inlines, MembershipInline]


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    """The audit trail: read only, by superusers (it spans every organization); exported as CSV."""

    superusers_only = True

    list_display = ["at", "username", "action", "object_repr", "field", "old", "new", "reason"]
    list_filter = ["action", "object_type"]
    search_fields = ["username", "object_repr", "field", "old", "new", "reason"]
    date_hierarchy = "at"
    actions = ["export_csv"]

    def get_urls(self):
        export = path("export.csv", self.admin_site.admin_view(self.export_view), name="core_auditevent_export")
        return [export, *super().get_urls()]

    def export_view(self, request):
        """The whole trail, or what the list's filters select, as CSV."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        return audit_csv(self.get_changelist_instance(request).get_queryset(request))

    @admin.action(description=_("Export the selected events as CSV"))
    def export_csv(self, request, queryset):
        return audit_csv(queryset)


def audit_csv(events) -> HttpResponse:
    """The audit trail as CSV (UTF-8 with BOM, so that Excel reads the Chinese)."""
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="stratmap-audit.csv"'
    response.write("\ufeff")
    writer = SafeWriter(response)  # an editor's reason must not become a formula in the administrator's Excel
    writer.writerow(["at", "user", "action", "object_type", "object_id", "object", "field", "old", "new", "reason"])
    for e in events.order_by("at", "pk").iterator():
        writer.writerow(
            [e.at.isoformat(), e.username, e.action, e.object_type, e.object_id, e.object_repr, e.field, e.old, e.new,
             e.reason]
        )  # fmt: skip
    return response


# --- The reporting calendar (issue 16 item 1) -------------------------------------------------------------


class CalendarDayInline(ScopedInline, admin.TabularInline):
    model = CalendarDay
    extra = 1
    fields = ["date", "kind", "name"]


@admin.register(HolidayCalendar)
class HolidayCalendarAdmin(AuditedAdmin, admin.ModelAdmin):
    """Holiday calendars and their days: a national one (no organization) is the superusers' (loaded with
    ``stratmap calendar load``); an organization's own, its administrators'."""

    organization_path = "organization"
    list_display = ["code", "name", "language", "organization"]
    list_select_related = ["organization"]
    search_fields = ["code", "name"]
    fieldsets = [(None, {"fields": ["code", "name", "language", "organization", "source"]})]
    inlines = [CalendarDayInline]


@admin.register(ReportingCalendar)
class ReportingCalendarAdmin(AuditedAdmin, admin.ModelAdmin):
    """When an organization's results are due and when reminders and escalations go out: its administrators'."""

    organization_path = "organization"
    list_display = ["organization", "holidays", "period_days", "period_day_kind", "year_days", "year_day_kind"]
    list_select_related = ["organization", "holidays"]
    fieldsets = [
        (None, {"fields": ["organization", "holidays"]}),
        (_("Due dates"), {"fields": [("period_days", "period_day_kind"), ("year_days", "year_day_kind")]}),
        (
            _("Reminders and escalation"),
            {"fields": ["remind_before", "escalate_coordinator_after", "escalate_office_after"]},
        ),
    ]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        """The holiday calendars offered: the national ones and those of the person's organizations."""
        if db_field.name == "holidays" and not request.user.is_superuser:
            mine = self.access(request).organizations(ADMINISTRATOR)
            kwargs["queryset"] = HolidayCalendar.objects.filter(
                models.Q(organization__isnull=True) | models.Q(organization__in=mine)
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(CalendarDay)
class CalendarDayAdmin(AuditedAdmin, admin.ModelAdmin):
    """The days of the holiday calendars, listed and filtered (edited on their calendar's page too): those of
    a national calendar are the superusers', those of an organization's own calendar its administrators'."""

    organization_path = "calendar__organization"
    list_display = ["date", "kind", "name", "calendar"]
    list_filter = ["kind", ("calendar", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["calendar"]
    search_fields = ["name"]
    date_hierarchy = "date"
    fieldsets = [(None, {"fields": ["calendar", "date", "kind", "name"]})]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        """A day is added to the person's own organizations' calendars (a national one: superusers)."""
        if db_field.name == "calendar" and not request.user.is_superuser:
            mine = self.access(request).organizations(ADMINISTRATOR)
            kwargs["queryset"] = HolidayCalendar.objects.filter(organization__in=mine)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)
