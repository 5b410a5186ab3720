"""Forms for entering results. Shape only; the business rules live in the services."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from stratmap.kpis.models import KpiResult

SCORE = {"required": False, "min_value": 0, "max_value": 100, "max_digits": 7, "decimal_places": 3}
TEXT = forms.Textarea(attrs={"rows": 3})


class ResultForm(forms.Form):
    """A KPI's result for one year, as an agency editor enters it."""

    actual = forms.DecimalField(label=_("actual"), required=False, max_digits=16, decimal_places=4)
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
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)

    @classmethod
    def for_result(cls, result: KpiResult | None, data=None) -> ResultForm:
        initial = {}
        if result is not None:
            initial = {name: getattr(result, name) for name in cls.base_fields if hasattr(result, name)}
            initial["version"] = result.version
        return cls(data=data, initial=initial)


class CycleForm(forms.Form):
    """A step of the review cycle: the comment of a return, the reason of a reopening."""

    text = forms.CharField(label=_("comment"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)
