"""Which name a page shows: the one rule for organizations, themes, perspectives and thrusts."""

from __future__ import annotations

from django.utils.translation import get_language

from stratmap.core.models import Organization


def local_name(obj, *, full: bool = False, language: str | None = None) -> str:
    """``obj``'s name in the reader's language, falling back to the original.

    On a page in any language but Chinese, the English name (``name_en``) where the dataset has
    one; otherwise the name as the source documents print it. An organization's original is its
    short name (產業局), or with ``full`` its full name (臺北市政府產業發展局).
    """
    if obj is None or obj == "":
        return ""
    language = (language or get_language() or "zh-hant").lower()
    if not language.startswith("zh"):
        english = getattr(obj, "name_en", "")
        if english:
            return english
    if isinstance(obj, Organization):
        return obj.name if full else str(obj)
    name = getattr(obj, "name", None)  # not str(obj) first: an objective's reads its map and organization
    return name if name is not None else str(obj)
