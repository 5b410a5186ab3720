"""Text in spreadsheets stays text: every export (CSV and Excel) writes its cells through here.

A name, a reason or a narrative typed by one person is opened in Excel by another: a
cell that begins like a formula (``=HYPERLINK(…)``, ``+1+cmd|' /C calc'!A0``,
``@SUM(1)``) would run as one. OWASP's CSV-injection guidance is followed:

- CSV: a text cell beginning with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return
  gets a leading apostrophe (Excel shows the text and does not evaluate it), and every
  cell is quoted, so a ``;`` inside a cell cannot start a new one in a locale whose
  separator it is. Numbers are not text: ``-5.2`` is written as it is, and so is text
  that is exactly a number (a negative number cannot be a formula).
- Excel (openpyxl): text is written as a text cell (``data_type 's'``), never a formula;
  a formula-like text also gets Excel's quote prefix, so that editing the cell in Excel
  keeps it text. Formulas a report means to write (computed columns) are assigned
  directly, never through :func:`text_cell`.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

if TYPE_CHECKING:
    from _typeshed import SupportsWrite

#: What a spreadsheet reads as the start of a formula (OWASP: = + - @ tab, carriage return).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
#: A text that is just a number: Excel reads it as that number, whatever its sign.
PLAIN_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")


def formula_like(text: str) -> bool:
    """Whether a spreadsheet would take ``text`` for a formula."""
    return text.startswith(FORMULA_START) and not PLAIN_NUMBER.fullmatch(text)


def safe_cell(value: Any) -> Any:
    """A CSV cell's value, with a text that would be a formula made plain text by a leading apostrophe."""
    if isinstance(value, str) and formula_like(value):
        return "'" + value
    return value


class SafeWriter:
    """``csv.writer`` whose every cell passes through :func:`safe_cell`, every cell quoted."""

    def __init__(self, stream: SupportsWrite[str], **options: Any) -> None:
        self.writer = csv.writer(stream, quoting=csv.QUOTE_ALL, **options)

    def writerow(self, row: Iterable[Any]) -> Any:
        return self.writer.writerow([safe_cell(value) for value in row])

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)


class SafeDictWriter(csv.DictWriter):
    """``csv.DictWriter`` with :func:`safe_cell` on every value, every cell quoted."""

    def __init__(self, stream: SupportsWrite[str], fieldnames: list[str], **options: Any) -> None:
        super().__init__(stream, fieldnames, quoting=csv.QUOTE_ALL, **options)

    def writerow(self, rowdict: Mapping[str, Any]) -> Any:
        return super().writerow({key: safe_cell(value) for key, value in rowdict.items()})


def text_cell(cell: Any, value: Any) -> Any:
    """Put ``value`` in an openpyxl ``cell``: text as text (never a formula), numbers as numbers.

    Characters a workbook cannot hold (control characters) are dropped rather than
    failing the whole download.
    """
    if isinstance(value, str):
        value = ILLEGAL_CHARACTERS_RE.sub("", value)
    cell.value = value if value != "" else None
    if isinstance(cell.value, str):
        cell.data_type = "s"
        if formula_like(cell.value):
            cell.quotePrefix = True
    return cell


def put(ws: Any, row: int, column: int, value: Any) -> Any:
    """Write ``value`` to ``ws`` at (row, column) with :func:`text_cell`; returns the cell."""
    return text_cell(ws.cell(row=row, column=column), value)
