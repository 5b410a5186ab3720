"""The map editor's forms (issue 15 item 1): shape only; the rules are the services' (strategy.services).

Every form carries the map's version (hidden) and an optional reason, which the audit trail keeps. A list
(core values, key works) is typed a line each. The name's translation is asked into the site's other
languages than the organization's own ("name (English)" on Taipei's map, "name (中文)" on the council's).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

from django import forms
from django.conf import settings
from django.utils.functional import Promise
from django.utils.translation import get_language_info
from django.utils.translation import gettext_lazy as _

from stratmap.core.forms import map_version_field
from stratmap.core.names import Shown
from stratmap.kpis.presenters import other_lang
from stratmap.strategy.models import StrategyMap, TowsEntry

CODE_INPUT = forms.TextInput(attrs={"size": 10, "autocapitalize": "characters", "spellcheck": "false"})
LINES = forms.Textarea(attrs={"rows": 4})

#: A list's choices: the value, and its label: the interface's words (a str, or lazily translated), or the data's
#: with the language it is in (a :class:`Shown`, as :func:`stratmap.web.editor.code_choices` labels them).
Choices = Sequence[tuple[str, str | Promise | Shown]]


class MarkedSelect(forms.Select):
    """A list whose options each say their language where it is not the page's (WCAG 3.1.2): a council's objective
    named in English on a Chinese page is read in English, one translated into Chinese in Chinese. An option holds
    text only (no ``<span lang>``), so its own ``lang`` is the one way; the value posted is the same."""

    def create_option(
        self, name: str, value: Any, label: Any, selected: Any, index: int, subindex: Any = None, attrs: Any = None
    ) -> dict[str, Any]:
        option = super().create_option(name, value, label, selected, index, subindex=subindex, attrs=attrs)
        lang = other_lang(label) if isinstance(label, Shown) else ""
        if lang:
            option["attrs"] = {**option["attrs"], "lang": lang}
        return option


def _reason() -> forms.CharField:
    return forms.CharField(
        label=_("reason for this change"),
        required=False,
        help_text=_("Kept in the audit trail."),
        widget=forms.TextInput(attrs={"size": 50}),
    )


def other_languages(own_language: str) -> list[tuple[str, str]]:
    """The site's languages but ``own_language``, each named in the page's language ("Traditional Chinese" on an
    English page, in Chinese on a Chinese one), not in itself: a label's words are then all in the page's language."""
    return [
        (code, str(get_language_info(code)["name_translated"]))
        for code, _name in settings.LANGUAGES
        if code != own_language
    ]


def lines(text: str) -> list[str]:
    """The non-empty lines of a textarea: a list typed a line each."""
    return [line.strip() for line in text.splitlines() if line.strip()]


class EditorForm(forms.Form):
    """The version the page showed and the reason; the subclasses add what they edit.

    ``data_fields`` hold the organization's texts, in its language (the page marks them with it where it is not
    the page's: ``{% field_lang %}``, web/_field.html); ``notes`` are free notes whose language the data does not
    say (``lang=""``); a name's translations (``name_en``) are in their own language."""

    data_fields: ClassVar[tuple[str, ...]] = ()
    notes: ClassVar[tuple[str, ...]] = ()
    version = map_version_field()
    reason = _reason()


class TranslatedNameForm(EditorForm):
    """A form with a name, and its translation into each other language of the site."""

    def __init__(self, *args, own_language: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.other_languages = other_languages(own_language)
        for code, name in self.other_languages:
            self.fields[f"name_{code}"] = forms.CharField(
                label=_("name (%(language)s)") % {"language": name}, required=False, max_length=300
            )
        # each translation right after the name; the reason and the version last, after what is edited
        order = [name for name in self.fields if name not in ("reason", "version") and not name.startswith("name_")]
        at = order.index("name") + 1
        order[at:at] = [f"name_{code}" for code, _name in self.other_languages]
        self.order_fields(order)

    def translations(self) -> dict[str, str]:
        return {code: self.cleaned_data.get(f"name_{code}", "") for code, _name in self.other_languages}


class MapTextsForm(EditorForm):
    title = forms.CharField(label=_("title"), required=False, max_length=200)
    mission = forms.CharField(label=_("mission"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    vision = forms.CharField(label=_("vision"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    values = forms.CharField(label=_("core values"), required=False, widget=LINES, help_text=_("One a line."))
    field_order = ["title", "mission", "vision", "values", "reason", "version"]
    data_fields = ("title", "mission", "vision", "values")

    @classmethod
    def of(cls, smap: StrategyMap) -> MapTextsForm:
        return cls(
            initial={
                "title": smap.title,
                "mission": smap.mission,
                "vision": smap.vision,
                "values": "\n".join(smap.values or []),
                "version": smap.version,
            }
        )


#: What the editor's forms of perspectives and themes edit, by the ``kind`` they post.
BAND_KINDS = ("perspective", "theme")


class BandForm(TranslatedNameForm):
    """Add a perspective or a theme, or change one's code and name (``band``: its code before); a bureau's theme
    also says which theme or objective of the city's map it takes over (``city``: their codes and names)."""

    kind = forms.ChoiceField(choices=[(k, k) for k in BAND_KINDS], widget=forms.HiddenInput)
    band = forms.CharField(required=False, widget=forms.HiddenInput)
    code = forms.CharField(label=_("code"), max_length=40, widget=CODE_INPUT)
    name = forms.CharField(label=_("name"), max_length=200)
    data_fields = ("name",)

    def __init__(self, *args, city: list[tuple[str, str]] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        if city:
            self.fields["takes_over"] = forms.ChoiceField(
                label=_("takes over (city)"), required=False, choices=[("", "—"), *city]
            )
            self.order_fields([*[n for n in self.fields if n not in ("takes_over", "reason", "version")],
                               "takes_over", "reason", "version"])  # fmt: skip


class BandActionForm(EditorForm):
    """Move a perspective or theme up or down, or delete it."""

    kind = forms.ChoiceField(choices=[(k, k) for k in BAND_KINDS], widget=forms.HiddenInput)
    band = forms.CharField(widget=forms.HiddenInput)
    action = forms.ChoiceField(choices=[("up", "up"), ("down", "down"), ("delete", "delete")])


class ObjectiveForm(TranslatedNameForm):
    """An objective: where it sits on the map (theme × perspective) and what it says."""

    code = forms.CharField(label=_("code"), max_length=40, widget=CODE_INPUT)
    name = forms.CharField(label=_("name"), max_length=300)
    theme = forms.ChoiceField(label=_("theme"), required=False, widget=MarkedSelect)
    perspective = forms.ChoiceField(label=_("perspective"), required=False, widget=MarkedSelect)
    ksf = forms.CharField(label=_("key success factor"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    goal = forms.CharField(label=_("vision goal"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    key_works = forms.CharField(label=_("key works"), required=False, widget=LINES, help_text=_("One a line."))
    note = forms.CharField(label=_("note"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    data_fields = ("name", "ksf", "goal", "key_works")
    notes = ("note",)

    def __init__(self, *args, themes: Choices, perspectives: Choices, **kwargs):
        super().__init__(*args, **kwargs)
        theme_field = self.fields["theme"]
        perspective_field = self.fields["perspective"]
        assert isinstance(theme_field, forms.ChoiceField) and isinstance(perspective_field, forms.ChoiceField)
        theme_field.choices = [("", _("— across the themes —")), *themes]
        perspective_field.choices = [("", _("— outside the perspectives —")), *perspectives]


class LinkForm(EditorForm):
    """A cause-and-effect link to add (or, with ``remove``, to remove): from the cause to the effect."""

    source = forms.ChoiceField(label=_("from (cause)"), widget=MarkedSelect)
    target = forms.ChoiceField(label=_("to (effect)"), widget=MarkedSelect)
    note = forms.CharField(label=_("note"), required=False, max_length=500)
    notes = ("note",)

    def __init__(self, *args, objectives: Choices, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("source", "target"):
            field = self.fields[name]
            assert isinstance(field, forms.ChoiceField)
            field.choices = [("", "—"), *objectives]


class LinkRemoveForm(EditorForm):
    source = forms.CharField(widget=forms.HiddenInput)
    target = forms.CharField(widget=forms.HiddenInput)


class NewMapForm(forms.Form):
    """A new, empty map of an organization for a year, to build in the editor."""

    year = forms.CharField(label=_("year"), max_length=10)
    title = forms.CharField(label=_("title"), required=False, max_length=200)


class TowsEntryForm(EditorForm):
    """An item of the TOWS analysis, or a strategy with the objectives it becomes (``entry``: its id; none: new)."""

    entry = forms.IntegerField(required=False, widget=forms.HiddenInput)
    kind = forms.ChoiceField(choices=TowsEntry.Kind.choices, widget=forms.HiddenInput)
    code = forms.CharField(label=_("code"), required=False, max_length=20, widget=CODE_INPUT)
    text = forms.CharField(label=_("text"), widget=forms.Textarea(attrs={"rows": 2}))
    heading = forms.CharField(label=_("quadrant heading"), required=False, max_length=200)
    objectives = forms.MultipleChoiceField(
        label=_("objectives it becomes"), required=False, widget=forms.CheckboxSelectMultiple
    )
    field_order = ["code", "text", "heading", "objectives", "reason", "version"]
    data_fields = ("text", "heading")

    def __init__(self, *args, objectives: Choices, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["objectives"]
        assert isinstance(field, forms.MultipleChoiceField)
        field.choices = objectives


class ThrustForm(EditorForm):
    """A policy thrust and its strategies, a line each (``thrust``: its id; none: new)."""

    thrust = forms.IntegerField(required=False, widget=forms.HiddenInput)
    code = forms.CharField(label=_("code"), required=False, max_length=20, widget=CODE_INPUT)
    name = forms.CharField(label=_("name"), max_length=200)
    strategies = forms.CharField(label=_("strategies"), required=False, widget=LINES, help_text=_("One a line."))
    field_order = ["code", "name", "strategies", "reason", "version"]
    data_fields = ("name", "strategies")


class DeleteForm(EditorForm):
    """The deletion of a TOWS item (``entry``) or a policy thrust (``thrust``), by its id."""

    entry = forms.IntegerField(required=False, widget=forms.HiddenInput)
    thrust = forms.IntegerField(required=False, widget=forms.HiddenInput)


class EditionForm(EditorForm):
    """A new draft edition of the year's map: its name (unique among the year's editions)."""

    label = forms.CharField(label=_("name of the new edition"), max_length=200)
    field_order = ["label", "reason", "version"]
