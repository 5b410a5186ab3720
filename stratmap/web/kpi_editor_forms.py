"""The KPI editor's forms (issue 15 item 2): shape only; the rules are the services' (kpis.services).

One form holds the whole definition (its labels are the model's fields', so the page and the administration
name them alike) and a table of targets, a formset whose rows are a year and a period each. A row the page
showed carries ``shown``: when it comes back empty its target is removed; a target the page did not show is
never touched (see :func:`stratmap.kpis.services.kpi_targets_save`).
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Field
from django.utils.translation import gettext_lazy as _

from stratmap.core.forms import PlainNumberInput
from stratmap.core.years import YearError, YearStyle
from stratmap.kpis.models import AGGREGATIONS, KPI_METHODS, NUMBER, PERIODS, POLARITIES, TARGET_TYPES, Kpi
from stratmap.kpis.services import TARGET_FIELDS, TargetRow
from stratmap.web.editor_forms import CODE_INPUT, Choices, MarkedSelect, TranslatedNameForm, lines

_TEXT = forms.Textarea(attrs={"rows": 2})


def _field(name: str) -> Field:
    field = Kpi._meta.get_field(name)
    assert isinstance(field, Field)
    return field


# Lazy, as the model keeps them: a form's class is made once, its labels are read in each page's language.
def _label(name: str) -> Any:
    return _field(name).verbose_name


def _help(name: str) -> Any:
    return _field(name).help_text


def _number(name: str, **kwargs) -> forms.DecimalField:
    return forms.DecimalField(
        label=_label(name),
        required=False,
        max_digits=NUMBER["max_digits"],
        decimal_places=NUMBER["decimal_places"],
        widget=PlainNumberInput(attrs={"step": "any"}),
        **kwargs,
    )


def _text(name: str, *, long: bool = False) -> forms.CharField:
    field = Kpi._meta.get_field(name)
    return forms.CharField(
        label=_label(name),
        required=False,
        max_length=getattr(field, "max_length", None),
        help_text=_help(name),
        widget=_TEXT if long else None,
    )


class KpiForm(TranslatedNameForm):
    """A KPI's whole definition. ``objectives``, ``agencies`` and ``previous`` are the page's choices:
    (code, label) pairs of the map's objectives, the organizations it may name, last year's KPIs."""

    objective = forms.ChoiceField(label=_label("objective"), widget=MarkedSelect)
    code = forms.CharField(label=_label("code"), max_length=40, widget=CODE_INPUT)
    printed_code = _text("printed_code")
    name = forms.CharField(label=_label("name"), max_length=300)
    unit = _text("unit")
    polarity = forms.ChoiceField(label=_label("polarity"), choices=POLARITIES)
    frequency = forms.ChoiceField(label=_label("frequency"), choices=Kpi.Frequency.choices)
    aggregation = forms.ChoiceField(
        label=_label("aggregation"), required=False, choices=[("", "—"), *AGGREGATIONS], help_text=_help("aggregation")
    )
    target_type = forms.ChoiceField(label=_label("target_type"), choices=TARGET_TYPES)
    stages = forms.CharField(
        label=_label("stages"),
        required=False,
        help_text=_("For a milestone KPI: the stages' values, increasing, separated by commas (10, 30, 50)."),
    )
    baseline = _number("baseline", help_text=_help("baseline"))
    method = forms.ChoiceField(label=_label("method"), required=False, choices=KPI_METHODS)
    weight = _number("weight", min_value=0)
    data_source = _text("data_source")
    release = _text("release")
    agencies = forms.MultipleChoiceField(label=_label("agencies"), required=False, widget=forms.CheckboxSelectMultiple)
    agencies_printed = _text("agencies_printed")
    tags = forms.CharField(
        label=_("tags"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("One a line; a new name makes a new tag."),
    )
    cites = forms.CharField(
        label=_label("cites"),
        required=False,
        max_length=40,
        help_text=_("The code of a KPI of the city's map of the same year."),
        widget=forms.TextInput(attrs={"list": "city-kpis", "size": 10, "spellcheck": "false"}),
    )
    cites_printed = _text("cites_printed")
    lineage = forms.ChoiceField(
        label=_("continues last year's KPI"),
        required=False,
        widget=MarkedSelect,
        help_text=_("The organization's KPI of the year before that this one continues: their results chart together."),
    )
    numerator = _text("numerator", long=True)
    denominator = _text("denominator", long=True)
    evaluation = _text("evaluation", long=True)
    deadline = forms.DateField(label=_label("deadline"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    note = _text("note", long=True)
    data_fields = (
        "name", "unit", "data_source", "release", "agencies_printed", "cites_printed", "numerator", "denominator",
        "evaluation",
    )  # fmt: skip
    notes = ("note",)

    def __init__(
        self,
        *args,
        objectives: Choices,
        agencies: Choices,
        previous: Choices,
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        for name, choices in (
            ("objective", objectives),
            ("agencies", agencies),
            ("lineage", [("", _("— none —")), *previous]),
        ):
            field = self.fields[name]
            assert isinstance(field, forms.ChoiceField)
            field.choices = choices

    def clean_stages(self) -> list[Decimal]:
        text = self.cleaned_data["stages"].replace("，", ",")
        out = []
        for part in (p.strip() for p in text.split(",")):
            if not part:
                continue
            try:
                number = Decimal(part)
            except InvalidOperation:
                number = Decimal("NaN")
            if not number.is_finite():
                raise ValidationError(_("%(value)s is not a number; give numbers separated by commas.") % {
                    "value": part})  # fmt: skip
            out.append(number)
        return out

    def clean_tags(self) -> list[str]:
        return lines(self.cleaned_data["tags"])

    def definition(self) -> dict[str, object]:
        """The service's arguments (kpis.services.kpi_save) of a valid form, but the targets."""
        data = dict(self.cleaned_data)
        data.pop("version")
        for code, _name in self.other_languages:
            data.pop(f"name_{code}")
        return data | {"translations": self.translations()}


class TargetRowForm(forms.Form):
    """A row of the targets table: a year (as the organization types it) and period, and its target."""

    shown = forms.BooleanField(required=False, widget=forms.HiddenInput)
    year = forms.CharField(label=_("year"), required=False, max_length=10, widget=forms.TextInput(attrs={"size": 7}))
    period = forms.ChoiceField(label=_("period"), required=False, choices=PERIODS)
    value = forms.DecimalField(
        label=_("target"),
        required=False,
        max_digits=NUMBER["max_digits"],
        decimal_places=NUMBER["decimal_places"],
        widget=PlainNumberInput(attrs={"step": "any"}),
    )
    upper = forms.DecimalField(
        label=_("upper bound"),
        required=False,
        max_digits=NUMBER["max_digits"],
        decimal_places=NUMBER["decimal_places"],
        widget=PlainNumberInput(attrs={"step": "any"}),
    )
    printed = forms.CharField(label=_("as printed"), required=False, max_length=100)
    note = forms.CharField(label=_("note"), required=False)

    def __init__(self, *args, style: YearStyle, **kwargs):
        super().__init__(*args, **kwargs)
        self.style = style

    def clean(self):
        data = super().clean()
        if data is None:  # the stubs allow a form's clean to return None
            return data
        year = (data.get("year") or "").strip()
        if not year:
            if self.given() and not self.has_error("year"):
                self.add_error("year", _("Give the year of this target."))
            return data
        try:
            data["year"] = self.style.parse(year)
        except YearError:
            self.add_error("year", _("%(value)s is not a year; type it as on the map (e.g. %(example)s).") % {
                "value": year, "example": self.style.label(2024)})  # fmt: skip
        return data

    def given(self) -> bool:
        """Whether the row says anything: a target, a bound, a printed text or a note."""
        data = getattr(self, "cleaned_data", {})
        return any(data.get(name) not in (None, "") for name in TARGET_FIELDS)

    def row(self) -> TargetRow:
        d = self.cleaned_data
        return TargetRow(d["year"], d.get("period") or "", d.get("value"), d.get("upper"), d["printed"], d["note"])

    def key(self) -> tuple[int, str] | None:
        """The (year, period) the page showed this row for; None for a row added."""
        d = getattr(self, "cleaned_data", {})
        if not d.get("shown") or not isinstance(d.get("year"), int):
            return None
        return (d["year"], d.get("period") or "")


TargetFormSet = forms.formset_factory(TargetRowForm, extra=2)
