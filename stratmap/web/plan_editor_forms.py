"""The action plan editor's forms (issue 15 item 3): the plan, its tasks (a formset, each task with its twelve
months as checkboxes in the organization's year order, or typed as ranges) and its expected outcomes (a formset).

Months are stored as calendar months (1–12) whatever the organization's year: the council's grid reads April to
March, and its April is 4."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from stratmap.core.forms import PlainNumberInput
from stratmap.core.models import Organization
from stratmap.core.years import YearStyle
from stratmap.kpis.models import Kpi
from stratmap.kpis.presenters import MonthColumn
from stratmap.plans.models import ActionPlan, Outcome
from stratmap.strategy.services import valid_code
from stratmap.web.editor_forms import CODE_INPUT, TranslatedNameForm

#: English month names and their abbreviations, as a council's planners may type them ("Apr-Jun").
_MONTH_WORDS = {
    name: number
    for number, full in enumerate(
        (
            "january",
            "february",
            "march",
            "april",
            "may",
            "june",
            "july",
            "august",
            "september",
            "october",
            "november",
            "december",
        ),
        start=1,
    )
    for name in (full, full[:3], full[:4])
}
_DASHES = "-–—~～至"
_AROUND_DASH = re.compile(rf"\s*([{_DASHES}])\s*")
_SEPARATORS = re.compile(r"[,，、;；\s]+")
_NUMBER = re.compile(r"[0-9]{1,3}")


def _month(token: str, part: str) -> int:
    word = token.strip().lower().removesuffix("月").removesuffix(".")
    if word in _MONTH_WORDS:
        return _MONTH_WORDS[word]
    if not _NUMBER.fullmatch(word):
        raise ValidationError(
            _("“%(part)s” cannot be read as a month or a range of months; write e.g. 1-3, 7, 10-12."),
            params={"part": part},
        )
    number = int(word)
    if not 1 <= number <= 12:
        raise ValidationError(_("%(value)s is not a month: use 1–12."), params={"value": number})
    return number


def parse_months(text: str, style: YearStyle) -> list[int]:
    """The calendar months (1–12) of ``text``: months and ranges separated by commas or spaces (``1-3, 7,
    10-12``; ``4月-6月``; ``Apr-Jun``). A range runs forward in the organization's year, as its grid shows the
    months: for a year from April, ``11-2`` is November to February and ``3-5`` (March is its last month) is
    refused, naming the range. A ValidationError names the first part that is not a month."""
    order = [month for _year, month in style.months(2000)]
    months: set[int] = set()
    for part in _SEPARATORS.split(_AROUND_DASH.sub(r"\1", text.strip())):
        if not part:
            continue
        ends = re.split(rf"[{_DASHES}]", part)
        if len(ends) == 1:
            months.add(_month(ends[0], part))
            continue
        if len(ends) != 2 or not ends[0] or not ends[1]:
            raise ValidationError(
                _("“%(part)s” cannot be read as a month or a range of months; write e.g. 1-3, 7, 10-12."),
                params={"part": part},
            )
        first, last = order.index(_month(ends[0], part)), order.index(_month(ends[1], part))
        if first > last:
            raise ValidationError(
                _(
                    "%(part)s runs backwards: the year runs from month %(first)s to month %(last)s; "
                    "write it as two parts."
                ),
                params={"part": part, "first": order[0], "last": order[-1]},
            )
        months.update(order[first : last + 1])
    return sorted(months)


class PlanForm(TranslatedNameForm):
    """The plan itself: its KPI, code, name and the name's translations, agencies, note; the version and reason."""

    kpi = forms.ChoiceField(label=_("KPI"))
    code = forms.CharField(
        label=_("code"), max_length=40, widget=CODE_INPUT, help_text=_("Unique in the map, e.g. DC1.1.1.")
    )
    name = forms.CharField(label=_("name"), max_length=300, widget=forms.TextInput(attrs={"size": 60}))
    agencies = forms.MultipleChoiceField(
        label=_("responsible agencies"), required=False, widget=forms.CheckboxSelectMultiple
    )
    note = forms.CharField(label=_("note"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    data_fields = ("kpi", "name", "agencies")  # the KPIs and agencies by their names as written
    notes = ("note",)

    def __init__(self, *args, kpis: list[Kpi], agencies: list[Organization], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        kpi_field, agency_field = self.fields["kpi"], self.fields["agencies"]
        assert isinstance(kpi_field, forms.ChoiceField) and isinstance(agency_field, forms.ChoiceField)
        kpi_field.choices = [("", "—")] + [(k.code, f"{k.code} {k.name}") for k in kpis]
        agency_field.choices = [(a.code, str(a)) for a in agencies]
        translated = [f"name_{code}" for code, _name in self.other_languages]
        self.order_fields(["kpi", "code", "name", *translated, "agencies", "note", "reason", "version"])

    def clean_code(self) -> str:
        """The service's rule for a code, here too, so that a bad code shows with the tasks' errors at once."""
        try:
            return valid_code(self.cleaned_data["code"], "code")
        except ValidationError as error:
            raise ValidationError(error.message_dict["code"]) from None


class TaskForm(forms.Form):
    """A task and its months: ticked on the grid, or typed as ranges (both are taken together)."""

    name = forms.CharField(label=_("task"), widget=forms.TextInput(attrs={"size": 36}))
    months = forms.TypedMultipleChoiceField(
        label=_("months"), coerce=int, required=False, widget=forms.CheckboxSelectMultiple
    )
    ranges = forms.CharField(
        label=_("or months as ranges"),
        required=False,
        max_length=100,
        help_text=_("Calendar months, e.g. 1-3, 7, 10-12; added to those ticked."),
        widget=forms.TextInput(attrs={"size": 12}),
    )
    #: "1" for a task whose schedule was not known (loaded so): left so while nothing is ticked.
    unknown = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, months: list[MonthColumn], style: YearStyle, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.style = style
        field = self.fields["months"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [(m.month, m.label) for m in months]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        ticked = data.get("months") or []
        try:
            typed = parse_months(data.get("ranges", ""), self.style)
        except ValidationError as error:
            self.add_error("ranges", error)
            return data
        chosen = sorted(set(ticked) | set(typed))
        data["schedule"] = None if not chosen and data.get("unknown") == "1" else chosen
        return data


class OutcomeForm(forms.Form):
    text = forms.CharField(label=_("expected outcome"), widget=forms.TextInput(attrs={"size": 40}))
    quantity = forms.DecimalField(
        label=_("quantity"), required=False, max_digits=16, decimal_places=4, widget=PlainNumberInput
    )
    unit = forms.CharField(label=_("unit"), required=False, max_length=40, widget=forms.TextInput(attrs={"size": 8}))


TaskFormSet = forms.formset_factory(TaskForm, extra=2, can_delete=True)
OutcomeFormSet = forms.formset_factory(OutcomeForm, extra=1, can_delete=True)


def task_initial(plan_tasks) -> list[dict]:
    return [{"name": t.name, "months": t.months or [], "unknown": "1" if t.months is None else ""} for t in plan_tasks]


def outcome_initial(outcomes: list[Outcome]) -> list[dict]:
    return [{"text": o.text, "quantity": o.quantity, "unit": o.unit} for o in outcomes]


def plan_initial(plan: ActionPlan, agencies: list[Organization], translations: dict[str, str]) -> dict:
    """The plan form's values for ``plan``; ``translations`` by language (``{"en": …}``)."""
    return {
        "kpi": plan.kpi.code,
        "code": plan.code,
        "name": plan.name,
        "agencies": [a.code for a in agencies],
        "note": plan.note,
        **{f"name_{code}": text for code, text in translations.items()},
    }
