"""Forms for entering results. Shape only; the business rules live in the services."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from stratmap.core.years import YearError, to_ad_year
from stratmap.kpis import models as kpi_models
from stratmap.kpis.models import KpiResult
from stratmap.kpis.services import NEW
from stratmap.strategy.models import Revision


class PlainNumberInput(forms.NumberInput):
    """A stored number as it was entered: 5.2 and 88, not the column's 5.2000 and 88.000."""

    def format_value(self, value):
        if isinstance(value, Decimal) and value.is_finite():
            value = format(value.normalize(), "f")
        return super().format_value(value)


# Digits and places are the columns' own (the form refuses what the database could not hold).
NUMBER = {"required": False, "widget": PlainNumberInput, **kpi_models.NUMBER}
SCORE = {"required": False, "min_value": 0, "max_value": 100, "widget": PlainNumberInput, **kpi_models.SCORE}
TEXT = forms.Textarea(attrs={"rows": 3})
VERSION_MISSING = _("This form does not say which version of the result it was opened on; reload the page.")
MAP_VERSION_MISSING = _("This form does not say which version of the map it was opened on; reload the page.")


def map_version_field() -> forms.IntegerField:
    """The version of the map a revise or roll-over form was opened on (StrategyMap.version)."""
    return forms.IntegerField(min_value=1, widget=forms.HiddenInput, error_messages={"required": MAP_VERSION_MISSING})


class ResultForm(forms.Form):
    """A KPI's result for one year, as an agency editor enters it."""

    NUMBERS = ("actual", "innovation", "challenge", "contribution")

    actual = forms.DecimalField(label=_("actual"), **NUMBER)
    unknown_kind = forms.ChoiceField(
        label=_("why the actual is unknown"),
        required=False,
        choices=[("", _("— the actual is known —")), *KpiResult.UnknownKind.choices],
    )
    unknown_reason = forms.CharField(label=_("reason the actual is unknown"), required=False, widget=TEXT)
    innovation = forms.DecimalField(label=_("innovation"), **SCORE)
    innovation_note = forms.CharField(label=_("innovation narrative"), required=False, widget=TEXT)
    challenge = forms.DecimalField(label=_("challenge"), **SCORE)
    challenge_note = forms.CharField(label=_("challenge narrative"), required=False, widget=TEXT)
    contribution = forms.DecimalField(label=_("contribution"), **SCORE)
    contribution_note = forms.CharField(label=_("contribution narrative"), required=False, widget=TEXT)
    situation_analysis = forms.CharField(label=_("situation analysis"), required=False, widget=TEXT)
    countermeasures = forms.CharField(label=_("countermeasures"), required=False, widget=TEXT)
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
        except YearError as exc:
            raise forms.ValidationError(str(exc)) from None


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
