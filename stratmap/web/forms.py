"""Forms for entering results. Shape only; the business rules live in the services."""

from __future__ import annotations

from typing import TypedDict, TypeVar

from django import forms
from django.db import models
from django.utils.translation import gettext_lazy as _

from stratmap.core.forms import VERSION_MISSING, PlainNumberInput, map_version_field
from stratmap.core.years import YearError, to_ad_year
from stratmap.kpis import models as kpi_models
from stratmap.kpis.models import KpiResult
from stratmap.kpis.services import ENTRY_FIELDS, NEW, NUMBERS, SCORES, SELF_ASSESSMENT
from stratmap.strategy.models import Revision


class NumberShape(TypedDict, total=False):
    """The arguments of an entry's DecimalField (typed, so that the field's other arguments stay checked)."""

    required: bool
    widget: type[forms.Widget]
    min_value: int
    max_value: int
    max_digits: int
    decimal_places: int


# Digits and places are the columns' own (the form refuses what the database could not hold).
NUMBER: NumberShape = {"required": False, "widget": PlainNumberInput, **kpi_models.NUMBER}
SCORE: NumberShape = {
    "required": False,
    "min_value": 0,
    "max_value": 100,
    "widget": PlainNumberInput,
    **kpi_models.SCORE,
}
TEXT = forms.Textarea(attrs={"rows": 3})


def entry_field(name: str) -> forms.Field:
    """The form field of an entry field (:data:`stratmap.kpis.services.ENTRY_FIELDS`), labelled as the model
    labels it: a score, another number, the one choice (why the actual is unknown) or a text."""
    model_field = KpiResult._meta.get_field(name)
    assert isinstance(model_field, models.Field)  # a result's own column, never a reverse relation
    label = model_field.verbose_name
    if name in SCORES:
        return forms.DecimalField(label=label, **SCORE)
    if name in NUMBERS:
        return forms.DecimalField(label=label, **NUMBER)
    if model_field.choices:
        return forms.ChoiceField(
            label=label, required=False, choices=[("", _("— the actual is known —")), *model_field.choices]
        )
    return forms.CharField(label=label, required=False, widget=TEXT)


F = TypeVar("F", bound=forms.Form)


def with_entry_fields(form: type[F]) -> type[F]:
    """``form`` with the entry fields first, in their order, then the fields it declares itself."""
    entry = {name: entry_field(name) for name in ENTRY_FIELDS}
    form.base_fields = {**entry, **form.base_fields}
    form.declared_fields = {**entry, **form.declared_fields}
    return form


@with_entry_fields
class ResultForm(forms.Form):
    """A KPI's result for one year, as an agency editor enters it."""

    #: The entry's numbers, which the preview scores as they are typed.
    NUMBERS = tuple(name for name in ENTRY_FIELDS if name in NUMBERS)

    reason = forms.CharField(
        label=_("reason for this change"),
        required=False,
        help_text=_("Kept in the audit trail."),
        widget=forms.TextInput(attrs={"size": 60}),
    )
    #: The version of the result the form was opened on; NEW (0) when there was none yet.
    version = forms.IntegerField(min_value=NEW, widget=forms.HiddenInput, error_messages={"required": VERSION_MISSING})

    @classmethod
    def for_result(cls, result: KpiResult | None, data=None) -> ResultForm:
        initial = {"version": NEW}
        if result is not None:
            initial = {name: getattr(result, name) for name in cls.base_fields if hasattr(result, name)}
            initial["version"] = result.version
        return cls(data=data, initial=initial)


class PeriodResultForm(ResultForm):
    """A KPI's result for one period of its year (a quarter, a month). The self-assessment (innovation,
    challenge, contribution and their narratives) is the year's: a period's form does not ask for it."""

    NUMBERS = tuple(name for name in ResultForm.NUMBERS if name not in SELF_ASSESSMENT)


PeriodResultForm.base_fields = {n: f for n, f in ResultForm.base_fields.items() if n not in SELF_ASSESSMENT}
PeriodResultForm.declared_fields = dict(PeriodResultForm.base_fields)


class CycleForm(forms.Form):
    """A step of the review cycle: the comment of a return, the reason of a reopening."""

    text = forms.CharField(label=_("comment"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    version = forms.IntegerField(min_value=NEW, widget=forms.HiddenInput, error_messages={"required": VERSION_MISSING})


class RollOverForm(forms.Form):
    year = forms.CharField(label=_("new year"), help_text=_("ROC (110) or AD (2021)"))
    version = map_version_field()

    def clean_year(self) -> int:
        try:
            return to_ad_year(self.cleaned_data["year"])
        except YearError:
            # YearError speaks English (commands print it); the page speaks the reader's language.
            raise forms.ValidationError(_("Enter a year, e.g. 108 (ROC) or 2019 (AD).")) from None


class ReviseForm(forms.Form):
    """One revision of the map: what, how, and why (the reason is required)."""

    level = forms.ChoiceField(label=_("level"), choices=Revision.Level.choices)
    action = forms.ChoiceField(label=_("change"), choices=Revision.Action.choices)
    code = forms.CharField(label=_("code"), max_length=40)
    name = forms.CharField(label=_("name (new or renamed)"), required=False, max_length=300)
    new_code = forms.CharField(label=_("new code (to change a code)"), required=False, max_length=40)
    parent = forms.CharField(
        label=_("belongs to"),
        required=False,
        max_length=40,
        help_text=_("For an addition: the theme of an objective, the objective of a KPI, the KPI of a plan."),
    )
    perspective = forms.CharField(label=_("perspective (new objective)"), required=False, max_length=10)
    reason = forms.CharField(label=_("reason"), widget=forms.Textarea(attrs={"rows": 2}))
    version = map_version_field()
