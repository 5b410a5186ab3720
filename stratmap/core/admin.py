"""Admin for organizations, and the year helpers every stratmap admin uses.

The database keeps AD years. The admin shows them with ``format_year`` (民國108年
in Chinese, 2019 in English), filters by them with the same labels, and its
year inputs accept either an ROC or an AD year.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from stratmap.core.models import Organization
from stratmap.core.years import YearError, format_year, to_ad_year

admin.site.site_header = _("Strategy map administration")
admin.site.site_title = _("Strategy map administration")


# --- Years -------------------------------------------------------------------


def year_or_empty(ad_year: int | None) -> str:
    """``format_year`` for a year that may be missing (an unsaved inline row)."""
    return "" if ad_year is None else format_year(ad_year)


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


class YearFieldsMixin:
    """For a ModelAdmin or an inline: edit the model fields named in ``year_fields`` as years."""

    year_fields: tuple[str, ...] = ("year",)

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name in self.year_fields:
            return YearFormField(
                required=not db_field.blank,
                label=capfirst(db_field.verbose_name),
                help_text=_("An ROC year (108) or an AD year (2019)."),
            )
        return super().formfield_for_dbfield(db_field, request, **kwargs)


def year_filter(field_path: str, title=None) -> type[admin.SimpleListFilter]:
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


def map_year_filter(field_path: str):
    return year_filter(field_path, _("map year"))


def map_columns(path: str) -> type:
    """A mixin with the ``map_organization`` and ``map_year`` list columns of a model
    that reaches its strategy map through ``path`` (``map``, ``kpi__objective__map`` …)."""

    def the_map(obj):
        for step in path.split("__"):
            obj = getattr(obj, step)
        return obj

    class MapColumns:
        @admin.display(description=_("organization"), ordering=f"{path}__organization__code")
        def map_organization(self, obj):
            return the_map(obj).organization

        @admin.display(description=_("map year"), ordering=f"{path}__year")
        def map_year(self, obj):
            return format_year(the_map(obj).year)

    return MapColumns


def plain_number(field: str, description=None):
    """A list column that shows a DecimalField as written (3.6), not padded to its places (3.6000)."""

    @admin.display(description=description or field, ordering=field)
    def column(obj):
        value = getattr(obj, field)
        return "-" if value is None else format(value.normalize(), "f")

    column.__name__ = f"{field}_plain"
    return column


# --- Organizations -----------------------------------------------------------


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
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
    ]
