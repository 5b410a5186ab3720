"""Which text a page or a report shows of the data: the one rule for every translated field.

Each organization writes its data in its own language (``Organization.language``: Taipei in Chinese, the
council in English); that text is the model's own field (``name``, ``unit``, ``mission`` …). Translations
into the other languages of the site sit in the row's ``i18n`` JSON column (django-modeltrans), under
``<field>_<language>`` (``name_en``, ``name_zh_hant``). A reader sees their own language where the data has
it and the original otherwise, and is told which language that is (``Shown.language``) so a page can mark
it with ``lang`` for a screen reader.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import get_language

from stratmap.core.models import Organization


@dataclass(frozen=True)
class Shown:
    """A text as shown to a reader, with the language it is in."""

    text: str
    language: str

    def __str__(self) -> str:
        return self.text


def _key(field: str, language: str) -> str:
    # django-modeltrans's own naming: name_zh_hant for zh-hant
    return f"{field}_{language.replace('-', '_').lower()}"


def translations_of(obj: Any, field: str) -> dict[str, str]:
    """``obj.<field>``'s translations by language (``{"en": "Promote full employment"}``), as an editor shows them."""
    stored = obj.__dict__.get("i18n") or {}
    found = {code: stored.get(_key(field, code)) for code, _name in settings.LANGUAGES}
    return {code: text for code, text in found.items() if isinstance(text, str) and text}


def set_translations(obj: Any, field: str, texts: dict[str, str]) -> dict[str, tuple[str, str]]:
    """Write ``texts`` (by language; "" removes one) as ``obj.<field>``'s translations, unsaved; the changes
    made, by key (``name_en``), as (old, new) for the audit trail. A language the site does not offer is
    a ValueError: the forms offer only the site's."""
    offered = {code for code, _name in settings.LANGUAGES}
    stored = dict(obj.__dict__.get("i18n") or {})
    changes: dict[str, tuple[str, str]] = {}
    for language, text in texts.items():
        if language not in offered:
            raise ValueError(f"no such language of the site: {language!r}")
        key, text = _key(field, language), text.strip()
        old = stored.get(key) or ""
        if old != text:
            changes[key] = (old, text)
            if text:
                stored[key] = text
            else:
                stored.pop(key, None)
    obj.i18n = stored or None
    return changes


def reader_language(language: str | None = None) -> str:
    """The language asked for, else the active one, else the site's default."""
    return (language or get_language() or settings.LANGUAGE_CODE).lower()


def original_language(obj: Any) -> str:
    """The language ``obj``'s own fields are written in: its organization's.

    Reads ``obj.data_language`` where the model offers it (``core.fields.Translatable``: its organization's
    language when the rows up to it were fetched with it, never a query of its own), else the site's default
    language; pass ``original=`` to :func:`shown` where the organization is known.
    """
    language = getattr(obj, "data_language", None) or getattr(obj, "language", None)
    return str(language or settings.LANGUAGE_CODE).lower()


def shown(obj: Any, field: str = "name", *, language: str | None = None, original: str | None = None) -> Shown:
    """``obj.<field>`` in the reader's ``language`` where translated, else the original, with its language.

    ``original`` is the language of the data where the caller knows it (a page knows its map's
    organization); otherwise :func:`original_language` says.
    """
    want = reader_language(language)
    source = (original or original_language(obj)).lower()
    text = getattr(obj, field, "") or ""
    if want != source:
        # The row's i18n column itself, as django-modeltrans keeps it (its name_en field reads the same key,
        # after checking the row's deferred fields: too slow for every name of a page); anything else
        # (a report's own objects) offers the translation as an attribute.
        key = _key(field, want)
        row = getattr(obj, "__dict__", {})
        if "i18n" in row:
            translated = (row["i18n"] or {}).get(key)
        elif isinstance(obj, models.Model) and hasattr(type(obj), "i18n"):
            # deferred (.only() without it): loading it here would be a query per name of a page
            raise ValueError(f"{type(obj).__name__} was fetched without its i18n column; add it to .only()")
        else:
            translated = getattr(obj, key, None)
        if translated:
            return Shown(translated, want)
    return Shown(text, source)


def local_text(obj: Any, field: str = "name", *, language: str | None = None, original: str | None = None) -> str:
    """The text of :func:`shown` alone."""
    if obj is None or obj == "":
        return ""
    return shown(obj, field, language=language, original=original).text


def local_name(obj: Any, *, full: bool = False, language: str | None = None) -> str:
    """``obj``'s name in the reader's language, falling back to the original.

    An organization's original is its short name (產業局), or with ``full`` its full name
    (臺北市政府產業發展局); its translation is its ``name`` translated.
    """
    if obj is None or obj == "":
        return ""
    if isinstance(obj, Organization):
        named = shown(obj, "name", language=language)
        if named.language != original_language(obj):
            return named.text
        return obj.name if full else str(obj)
    if getattr(obj, "name", None) is None:  # not str(obj) first: an objective's reads its map and organization
        return str(obj)
    return local_text(obj, "name", language=language)


def translated_by(smap: Any, language: str | None = None) -> str:
    """Who translated the data of ``smap`` (a map) into the reader's ``language``, as its dataset says
    (``translations: {en: "…"}``); empty where nobody is named."""
    notes = getattr(smap, "translation_notes", None) or {}
    return str(notes.get(reader_language(language), ""))
