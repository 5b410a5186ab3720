"""Admin for organizations, people and the audit trail, and the year helpers every stratmap admin uses.

Who may use the administration and how its forms write: :mod:`stratmap.core.admin_audit`.

The database keeps AD years (a fiscal year: the year it starts in). The admin's columns show them
as their organization names them (``format_year``: 民國108年 in Chinese and 2019 in English for
Taipei, 2019/20 for a council), its filters with Taipei's labels, and its year inputs accept
either an ROC or an AD year.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Protocol, TypeAlias

from django import forms
from django.contrib import admin
from django.contrib.admin.options import BaseModelAdmin
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.http import HttpResponse
from django.urls import path
from django.utils.text import Truncator, capfirst
from django.utils.translation import gettext_lazy as _

from stratmap.core.admin_audit import AuditedAdmin, ScopedAdmin, ScopedInline
from stratmap.core.forms import PlainNumberInput
from stratmap.core.models import AuditEvent, Membership, Organization
from stratmap.core.spreadsheet import SafeWriter
from stratmap.core.years import YearError, YearStyle, format_year, to_ad_year

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

admin.site.site_header = _("Strategy map administration")
admin.site.site_title = _("Strategy map administration")


# --- Years -------------------------------------------------------------------


def year_or_empty(ad_year: int | None, style: YearStyle | None = None) -> str:
    """``format_year`` for a year that may be missing (an unsaved inline row), in its organization's
    ``style`` (Taipei's when none is given)."""
    return "" if ad_year is None else format_year(ad_year, style=style)


class YearFormField(forms.Field):
    """A year input that shows 民國108年 (or 2019 in English) and accepts 108, 民國108年 or 2019."""

    widget = forms.TextInput
    default_error_messages = {
        "invalid": _("Enter a year, e.g. 108 (ROC) or 2019 (AD)."),
    }

    def widget_attrs(self, widget):
        return {**super().widget_attrs(widget), "size": 10, "maxlength": 12}

    def prepare_value(self, value):
        if isinstance(value, int):
            return format_year(value)
        return value

    def to_python(self, value):
        if isinstance(value, str):
            value = value.strip()
        if value in self.empty_values:
            return None
        try:
            return to_ad_year(value)
        except YearError:
            raise ValidationError(self.error_messages["invalid"], code="invalid") from None


class YearFieldsMixin(BaseModelAdmin):
    """For a ModelAdmin or an inline: edit the model fields named in ``year_fields`` as years.
    (Named before ``admin.ModelAdmin`` or the inline's class in the bases, so that it comes first.)"""

    year_fields: tuple[str, ...] = ("year",)

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name in self.year_fields:
            return YearFormField(
                required=not db_field.blank,
                label=capfirst(db_field.verbose_name),
                help_text=_("An ROC year (108) or an AD year (2019)."),
            )
        return super().formfield_for_dbfield(db_field, request, **kwargs)


def year_filter(field_path: str, title: StrOrPromise | None = None) -> type[admin.SimpleListFilter]:
    """A list filter on an AD year field (``year``, ``objective__map__year`` …) labelled with ``format_year``."""

    class YearListFilter(admin.SimpleListFilter):
        parameter_name = field_path

        def lookups(self, request, model_admin):
            years = (
                model_admin.get_queryset(request)
                .order_by()
                .exclude(**{f"{field_path}__isnull": True})
                .values_list(field_path, flat=True)
                .distinct()
            )
            return [(str(year), format_year(year)) for year in sorted(set(years), reverse=True)]

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
    return year_filter(field_path, _("map year"))


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
    def map_organization(model_admin: admin.ModelAdmin, obj: models.Model) -> Organization:
        return _map_of(obj, path).organization

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
        (None, {"fields": ["code", "name", "short_name", "name_en", "kind"]}),
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
class AuditEventAdmin(ScopedAdmin, admin.ModelAdmin):
    """The audit trail: read only, by superusers (it spans every organization); exported as CSV."""

    superusers_only = True

    list_display = ["at", "username", "action", "object_repr", "field", "old", "new", "reason"]
    list_filter = ["action", "object_type"]
    search_fields = ["username", "object_repr", "field", "old", "new", "reason"]
    date_hierarchy = "at"
    actions = ["export_csv"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

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
