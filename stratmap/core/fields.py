"""The shared input rules of :mod:`stratmap.core.validators` as Django validators.

The models put them on their text and code fields, so the admin's forms, every
``full_clean`` and the services refuse what the dataset format refuses, with the
same rules on SQLite and PostgreSQL (which would otherwise differ: SQLite stores a
NUL or an over-long name silently, PostgreSQL fails with a DataError).
"""

from __future__ import annotations

from collections.abc import Collection
from decimal import Decimal, InvalidOperation
from typing import Any, ClassVar, TypeVar

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.deconstruct import deconstructible
from django.utils.translation import gettext_lazy as _
from modeltrans.conf import get_default_language  # type: ignore[import-untyped]
from modeltrans.fields import TranslatedVirtualField, TranslationField  # type: ignore[import-untyped]
from modeltrans.manager import MultilingualManager  # type: ignore[import-untyped]

from stratmap.core.validators import CODE_PATTERN, LONG_TEXT, control_character, number_problem


def _refuse_controls(value: str) -> None:
    bad = control_character(value)
    if bad is not None:
        raise ValidationError(
            _("Contains the control character U+%(code)s at position %(position)s; remove it."),
            code="control_character",
            params={"code": f"{ord(bad):04X}", "position": value.index(bad) + 1},
        )


@deconstructible
class TextValidator:
    """No control characters (tab and line breaks are text); at most ``max_length`` characters.

    A CharField checks its own length; ``max_length`` is for the TextFields, which
    have none in the database.
    """

    def __init__(self, max_length: int | None = None):
        self.max_length = max_length

    def __call__(self, value: object) -> None:
        if not isinstance(value, str):
            return
        _refuse_controls(value)
        if self.max_length is not None and len(value) > self.max_length:
            raise ValidationError(
                _("Is %(length)s characters long; at most %(max)s are allowed."),
                code="max_length",
                params={"length": len(value), "max": self.max_length},
            )

    def __eq__(self, other: object) -> bool:
        return isinstance(other, TextValidator) and other.max_length == self.max_length


@deconstructible
class CodeValidator:
    """A code (DC1.1): it appears in URLs and file names."""

    def __call__(self, value: object) -> None:
        if not isinstance(value, str):
            return
        _refuse_controls(value)
        if not CODE_PATTERN.fullmatch(value):
            raise ValidationError(
                _(
                    "%(value)s is not a code: use letters, digits and . _ - "
                    "(starting with a letter or digit), without spaces or slashes."
                ),
                code="invalid_code",
                params={"value": value[:50]},
            )

    def __eq__(self, other: object) -> bool:
        return isinstance(other, CodeValidator)


@deconstructible
class JsonTextValidator:
    """Every text inside a JSON list or mapping (core values, key works, steps) follows the text rules."""

    def __init__(self, max_length: int = LONG_TEXT):
        self.max_length = max_length

    def __call__(self, value: object) -> None:
        stack = [value]
        while stack:
            item = stack.pop()
            if isinstance(item, str):
                TextValidator(self.max_length)(item)
            elif isinstance(item, dict):
                stack.extend(item.keys())
                stack.extend(item.values())
            elif isinstance(item, list):
                stack.extend(item)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, JsonTextValidator) and other.max_length == self.max_length


_NUMBER_MESSAGES = {
    "finite": _("%(value)s is not a finite number."),
    "whole": _("%(value)s has %(digits)s digits before the decimal point; at most %(max)s fit."),
    "places": _("%(value)s has %(digits)s decimal places; at most %(max)s are kept."),
    "significant": _("%(value)s has %(digits)s significant digits; at most %(max)s are kept exactly."),
}


def _refuse_number(value: Decimal, max_digits: int, decimal_places: int, kinds: tuple[str, ...]) -> None:
    problem = number_problem(value, max_digits=max_digits, decimal_places=decimal_places)
    if problem is not None and problem[0] in kinds:
        kind, params = problem
        raise ValidationError(_NUMBER_MESSAGES[kind], code=f"number_{kind}", params={**params, "value": value})


@deconstructible
class SignificantDigitsValidator:
    """At most 15 significant digits, what SQLite's floating-point storage gives back exactly; the
    DecimalField checks its digits and places itself."""

    def __call__(self, value: object) -> None:
        if isinstance(value, Decimal):
            # limits no value reaches, so that only the significant digits are judged here
            _refuse_number(value, 10**6, 10**5, ("significant",))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, SignificantDigitsValidator)


@deconstructible
class NumberListValidator:
    """A JSON list of numbers each fitting a DecimalField of ``max_digits`` and ``decimal_places``
    (a milestone KPI's stages, which its targets and actuals take as values)."""

    def __init__(self, max_digits: int, decimal_places: int):
        self.max_digits, self.decimal_places = max_digits, decimal_places

    def __call__(self, value: object) -> None:
        if not isinstance(value, list):
            raise ValidationError(_("Give a list of numbers."), code="invalid")
        for item in value:
            try:
                number = None if isinstance(item, bool) else Decimal(str(item))
            except InvalidOperation:
                number = None
            if number is None:
                raise ValidationError(_("%(value)s is not a number."), code="invalid", params={"value": str(item)[:50]})
            _refuse_number(number, self.max_digits, self.decimal_places, tuple(_NUMBER_MESSAGES))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, NumberListValidator) and (other.max_digits, other.decimal_places) == (
            self.max_digits,
            self.decimal_places,
        )


#: For a CharField (its length is its own) and for a TextField (the shared limit).
TEXT = [TextValidator()]
LONG = [TextValidator(LONG_TEXT)]
CODE = [CodeValidator()]
JSON_TEXT = [JsonTextValidator()]
#: For a DecimalField of 16 digits (kpis.models.NUMBER).
EXACT = [SignificantDigitsValidator()]


_M = TypeVar("_M", bound=models.Model)


class Translations(TranslationField):
    """django-modeltrans's ``i18n`` column, storing "no translations" one way: NULL.

    modeltrans turns a missing ``i18n`` into ``{}`` as soon as a translation is read, and a row written
    after that would store ``{}``, which a backup gives back as NULL: one meaning, one value, whatever path
    (save, bulk update, the loader's plain rows) writes it."""

    def get_prep_value(self, value: Any) -> Any:
        return super().get_prep_value(value or None)


class TranslatedManager(MultilingualManager, models.Manager[_M]):
    """The manager django-modeltrans would put in place of a translated model's own (its queries read
    ``name_en`` out of ``i18n``), declared so that the type checker knows it."""


class Translatable(models.Model):
    """A model with translated fields (an ``i18n = TranslationField(...)``, django-modeltrans).

    Besides ``name_en`` and ``name_zh_hant`` (the translations, kept in ``i18n``), django-modeltrans adds
    ``name_i18n`` (the active language's text, else the original) and ``name_und`` (the original): views,
    not values. ``full_clean`` would "clean" them as fields and write the original back through them, into
    ``i18n`` as a translation into the active language; they are left out of it.
    """

    #: The relations that lead from a row to its organization, whose language its text is written in
    #: (``("map", "organization")``); empty: the site's language (a tag, shared by all).
    LANGUAGE_FROM: ClassVar[tuple[str, ...]] = ()

    objects = TranslatedManager()

    class Meta:
        abstract = True

    @property
    def data_language(self) -> str | None:
        """The language of this row's own text, its organization's, where the rows leading to it were
        fetched with it (``select_related``); None otherwise: it never makes a query (see core.names)."""
        row: models.Model = self
        for name in self.LANGUAGE_FROM:
            field = row._meta.get_field(name)
            if not isinstance(field, models.ForeignKey) or not field.is_cached(row):
                return None
            row = getattr(row, name)
            if row is None:
                return None
        language = getattr(row, "language", None)
        return language if isinstance(language, str) else None

    def clean_fields(self, exclude: Collection[str] | None = None) -> None:
        views = [
            f.name
            for f in self._meta.private_fields
            if isinstance(f, TranslatedVirtualField) and f.language in (None, get_default_language())
        ]
        super().clean_fields(exclude=[*(exclude or ()), *views])
