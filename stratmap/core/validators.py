"""The rules every input path shares for codes and text: the dataset format, the admin,
the forms, the workbook and the services all call these, so a value refused in one
place is refused everywhere and the two databases hold the same things.

Pure Python (no Django import): the dataset schema uses them as well as the models.
"""

from __future__ import annotations

import re
from decimal import Decimal

#: Codes appear in URLs and file names: letters, digits, and . _ - inside (DC1.1, DP.3.5.1, CC1-2, DP4.).
CODE_PATTERN = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9._-]*)")
#: Tab, line feed and carriage return are text; every other control character is not.
ALLOWED_CONTROLS = frozenset("\t\n\r")
#: The longest text a long-text column (a note, a narrative) takes: columns without a length of
#: their own still need one, so every input refuses the same text and every report can lay it out.
LONG_TEXT = 4000


class TextError(ValueError):
    """A value that no column of stratmap may hold (text, a code, a number); the message says what is wrong."""


#: Unicode's control (Cc) and surrogate (Cs) characters, less tab, line feed and carriage return, and
#: U+FFFE and U+FFFF, which no XML may hold (the .xlsx, .pptx and SVG downloads are XML):
#: one regular expression, so a long text is checked at C speed.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")


def control_character(text: str) -> str | None:
    """The first character of ``text`` that is a control or surrogate character (not tab or newline), if any."""
    found = _CONTROL.search(text)
    return found.group() if found else None


def check_text(text: str, *, max_length: int | None = None) -> str:
    """``text`` unchanged if every column may hold it; else :class:`TextError` saying why."""
    bad = control_character(text)
    if bad is not None:
        raise TextError(f"contains the control character U+{ord(bad):04X} at position {text.index(bad) + 1}")
    if max_length is not None and len(text) > max_length:
        raise TextError(f"is {len(text)} characters long; at most {max_length} are allowed")
    return text


def check_code(code: str, *, max_length: int | None = None) -> str:
    """``code`` unchanged if it is a valid code; else :class:`TextError` saying what is expected."""
    check_text(code, max_length=max_length)
    if not CODE_PATTERN.fullmatch(code):
        raise TextError(
            "is not a code: use letters, digits and . _ - (starting with a letter or digit), without spaces or slashes"
        )
    return code


#: SQLite keeps a decimal column as a floating-point number, which gives back 15 significant
#: digits exactly: a 16th would come back changed, or not at all (999999999999.9999 reads back
#: as 10¹², more digits than the column has). PostgreSQL is held to the same, so both agree.
SIGNIFICANT_DIGITS = 15


def number_problem(value: Decimal, *, max_digits: int, decimal_places: int) -> tuple[str, dict[str, int]] | None:
    """Why a column DecimalField(max_digits, decimal_places) cannot store and give back ``value``
    on every database: ``("whole", …)``, ``("places", …)``, ``("significant", …)`` or ``("finite", {})``;
    None if it can. Trailing zeros are not digits (3.50 is 3.5)."""
    if not value.is_finite():
        return "finite", {}
    _, digits, exponent = value.as_tuple()
    # Only NaN and infinities have a letter for an exponent, and they were refused above.
    assert isinstance(exponent, int)
    significant = list(digits)
    while len(significant) > 1 and significant[-1] == 0:
        significant.pop()
        exponent += 1
    if not any(significant):
        return None
    decimals = max(-exponent, 0)
    whole = max(len(significant) + exponent, 0)
    if whole > max_digits - decimal_places:
        return "whole", {"digits": whole, "max": max_digits - decimal_places}
    if decimals > decimal_places:
        return "places", {"digits": decimals, "max": decimal_places}
    if len(significant) > SIGNIFICANT_DIGITS:
        return "significant", {"digits": len(significant), "max": SIGNIFICANT_DIGITS}
    return None


_NUMBER_MESSAGES = {
    "finite": "is not a finite number",
    "whole": "has {digits} digits before the decimal point; at most {max} fit",
    "places": "has {digits} decimal places; at most {max} are kept",
    "significant": "has {digits} significant digits; at most {max} are kept exactly",
}


def check_number(value: Decimal, *, max_digits: int, decimal_places: int) -> Decimal:
    """``value`` without trailing zeros if its column can hold it; else :class:`TextError` saying why."""
    problem = number_problem(value, max_digits=max_digits, decimal_places=decimal_places)
    if problem is not None:
        kind, params = problem
        raise TextError(_NUMBER_MESSAGES[kind].format(**params))
    if value == 0:
        return Decimal(0)
    plain = value.normalize()
    # normalize() writes 1200 as 1.2E+3; a column wants the plain number
    exponent = plain.as_tuple().exponent
    assert isinstance(exponent, int)  # finite, checked above
    return plain.quantize(Decimal(1)) if exponent > 0 else plain
