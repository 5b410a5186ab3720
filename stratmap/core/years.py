"""ROC and AD years.

Taiwan's official documents count years from 1912 (民國1年); the database keeps
AD years and every input accepts either form. A number up to ``ROC_MAX`` is
taken as an ROC year, a number from ``AD_MIN`` as an AD year; anything between
or beyond is refused rather than guessed.
"""

from __future__ import annotations

ROC_OFFSET = 1911
ROC_MAX = 200  # ROC 200 = AD 2111
AD_MIN = 1912
AD_MAX = ROC_MAX + ROC_OFFSET


class YearError(ValueError):
    """A value that is not a year stratmap can accept."""


def to_ad_year(value: int | str) -> int:
    """Return the AD year for an ROC (``108``, ``"民國108年"``) or AD (``2019``) year."""
    text = str(value).strip().removeprefix("民國").removesuffix("年").strip()
    try:
        number = int(text)
    except ValueError:
        raise YearError(f"{value!r} is not a year; expected e.g. 108 (ROC) or 2019 (AD)") from None
    if 1 <= number <= ROC_MAX:
        return number + ROC_OFFSET
    if AD_MIN <= number <= AD_MAX:
        return number
    raise YearError(f"{value!r} is out of range; expected an ROC year 1–{ROC_MAX} or an AD year {AD_MIN}–{AD_MAX}")


def to_roc_year(ad_year: int) -> int:
    return ad_year - ROC_OFFSET


def format_year(ad_year: int, language: str | None = None) -> str:
    """``民國108年`` in Chinese, ``2019`` in any other language."""
    if language is None:
        from django.utils.translation import get_language

        language = get_language() or ""
    if language.lower().startswith("zh"):
        return f"民國{to_roc_year(ad_year)}年"
    return str(ad_year)
