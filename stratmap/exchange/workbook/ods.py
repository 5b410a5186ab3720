"""Reading an uploaded results workbook saved as OpenDocument (.ods), as the .xlsx one is read.

Taiwan's rule is that a file a government site takes for import may be ODF, so the workbook downloaded as
.xlsx or .ods may come back as either. The check (:mod:`~stratmap.exchange.workbook.upload`) reads a
workbook through the few calls of openpyxl's read-only mode it uses (``sheetnames``, ``book[name]``,
``iter_rows(min_row=, max_row=, max_col=, values_only=)``, a cell's ``value`` and ``number_format``);
:func:`load` gives an .ods file the same face, so the same checks, version checks and audit apply, and the
problems name the same sheet, row and column.

Cells read as openpyxl reads them: a number is an int when it is whole as written, else a float; a date a
date (or a datetime), a boolean a bool, text the paragraphs joined by line breaks, an empty cell None; a
cell LibreOffice keeps as a percentage has the number format "0%", which the check refuses as it does
Excel's. The file is parsed with odfpy (the OpenDocument reference library, which parses with defusedxml);
the check has refused a DTD in any XML part before, and this module refuses a content larger than
:data:`MAX_CONTENT` (odfpy holds the document in memory) and a sheet reaching past :data:`MAX_SHEET_ROWS`
(an empty row may say it is repeated a million times; those are never expanded past the last row that
holds something).
"""

from __future__ import annotations

import io
import math
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime

from django.utils.translation import gettext as _

CONTENT_TYPE = "application/vnd.oasis.opendocument.spreadsheet"
#: What odfpy is given at most: the document's content, unpacked. A workbook of 2000 rows with long texts is
#: a few MB; odfpy's tree takes some 20 times the XML's size in memory.
MAX_CONTENT = 25 * 1024 * 1024
#: The rows of a sheet, as LibreOffice and Excel have at most.
MAX_SHEET_ROWS = 1_048_576

_TABLE = "urn:oasis:names:tc:opendocument:xmlns:table:1.0"
_OFFICE = "urn:oasis:names:tc:opendocument:xmlns:office:1.0"
_TEXT = "urn:oasis:names:tc:opendocument:xmlns:text:1.0"
#: The elements that hold a sheet's rows (a row may sit in a group, or among the header rows).
_ROW_GROUPS = {"table-row-group", "table-header-rows", "table-rows"}


class OdsError(ValueError):
    """An .ods file refused before its cells are checked; the message says what was expected."""


def is_ods(archive: zipfile.ZipFile) -> bool:
    """Whether a zip file is an OpenDocument spreadsheet (its first member, ``mimetype``, says so)."""
    try:
        return archive.read("mimetype").strip() == CONTENT_TYPE.encode()
    except KeyError:
        return False


@dataclass(frozen=True)
class Cell:
    """A cell as the check reads it: openpyxl's ``value`` and ``number_format``."""

    value: object = None
    number_format: str = ""


EMPTY = Cell()


def _number(text: str) -> int | float:
    try:
        return int(text)
    except ValueError:
        number = float(text)
        return int(number) if math.isfinite(number) and number.is_integer() and abs(number) < 2**53 else number


def _text(element) -> str:
    """The text of a cell or paragraph: its characters, ``text:s`` spaces, tabs and line breaks."""
    parts: list[str] = []
    for node in element.childNodes:
        if node.nodeType == node.TEXT_NODE:
            parts.append(node.data)
        elif node.nodeType == node.ELEMENT_NODE:
            name = node.qname
            if name == (_TEXT, "s"):
                parts.append(" " * int(node.getAttrNS(_TEXT, "c") or 1))
            elif name == (_TEXT, "tab"):
                parts.append("\t")
            elif name == (_TEXT, "line-break"):
                parts.append("\n")
            elif name[0] == _TEXT:  # spans, links: their text
                parts.append(_text(node))
    return "".join(parts)


def _cell(element) -> Cell:
    if element.qname != (_TABLE, "table-cell"):
        return EMPTY  # a covered (merged) cell: its value is the merged cell's
    kind = element.getAttrNS(_OFFICE, "value-type")
    if kind in ("float", "percentage", "currency"):
        raw = element.getAttrNS(_OFFICE, "value")
        value: object = _number(raw) if raw else None
        return Cell(value, "0%" if kind == "percentage" else "")
    if kind == "date":
        raw = element.getAttrNS(_OFFICE, "date-value") or ""
        return Cell(datetime.fromisoformat(raw) if "T" in raw else date.fromisoformat(raw))
    if kind == "boolean":
        return Cell((element.getAttrNS(_OFFICE, "boolean-value") or "").strip().lower() == "true")
    if kind == "time":
        return Cell(element.getAttrNS(_OFFICE, "time-value"))
    paragraphs = [_text(p) for p in element.childNodes if getattr(p, "qname", None) == (_TEXT, "p")]
    if not paragraphs:
        written = element.getAttrNS(_OFFICE, "string-value")
        return Cell(written or None)
    return Cell("\n".join(paragraphs))


def _repeated(element, attribute: str) -> int:
    raw = element.getAttrNS(_TABLE, attribute)
    try:
        return max(1, int(raw)) if raw else 1
    except ValueError:
        return 1


def _rows(element) -> Iterator:
    for node in element.childNodes:
        if node.nodeType != node.ELEMENT_NODE or node.qname[0] != _TABLE:
            continue
        if node.qname[1] == "table-row":
            yield node
        elif node.qname[1] in _ROW_GROUPS:
            yield from _rows(node)


class Sheet:
    """One sheet of an .ods file, read as openpyxl's read-only worksheet is."""

    def __init__(self, table):
        self.title = table.getAttrNS(_TABLE, "name") or ""
        self._rows = list(_rows(table))
        # The number of the last row holding something: repeated empty rows past it are never expanded.
        self._last = 0
        number = 0
        for row in self._rows:
            number += _repeated(row, "number-rows-repeated")
            if any(_cell(c).value not in (None, "") for c in row.childNodes if c.nodeType == c.ELEMENT_NODE):
                self._last = number
                if number > MAX_SHEET_ROWS:
                    raise OdsError(
                        _("a sheet of at most %(n)d rows: “%(sheet)s” has more")
                        % {"n": MAX_SHEET_ROWS, "sheet": self.title}
                    )

    def _cells(self, row, width: int) -> tuple[Cell, ...]:
        cells: list[Cell] = []
        for node in row.childNodes:
            if len(cells) >= width:
                break
            if node.nodeType != node.ELEMENT_NODE or node.qname[1] not in ("table-cell", "covered-table-cell"):
                continue
            cell = _cell(node)
            cells += [cell] * min(_repeated(node, "number-columns-repeated"), width - len(cells))
        return tuple(cells)

    def iter_rows(
        self, min_row: int = 1, max_row: int | None = None, max_col: int = 64, values_only: bool = False
    ) -> Iterator[tuple]:
        """The rows from ``min_row`` to ``max_row`` (or the last that holds something), each of the cells up to
        ``max_col`` that the file writes (fewer when the row ends sooner), as openpyxl gives them."""
        last = self._last if max_row is None else min(max_row, self._last)
        number = 0
        for row in self._rows:
            if number >= last:
                break
            repeat = _repeated(row, "number-rows-repeated")
            first = number + 1
            number += repeat
            if number < min_row:
                continue
            cells = self._cells(row, max_col)
            shown = tuple(cell.value for cell in cells) if values_only else cells
            for _row in range(max(first, min_row), min(number, last) + 1):
                yield shown


class Book:
    """An .ods file's sheets, by name, as openpyxl's read-only workbook gives them."""

    def __init__(self, sheets: list[Sheet]):
        self._sheets = {sheet.title: sheet for sheet in sheets}
        self.sheetnames = [sheet.title for sheet in sheets]

    def __getitem__(self, name: str) -> Sheet:
        return self._sheets[name]

    def close(self) -> None:
        pass


def load(content: bytes) -> Book:
    """The sheets of the .ods file ``content``; :class:`OdsError` for one too large to read, and any error of
    odfpy's or zipfile's for one that is not an OpenDocument spreadsheet."""
    from odf.opendocument import load as odf_load
    from odf.table import Table

    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        size = archive.getinfo("content.xml").file_size
    if size > MAX_CONTENT:
        raise OdsError(_("a spreadsheet whose content is at most %(n)d MB unpacked") % {"n": MAX_CONTENT // 2**20})
    document = odf_load(io.BytesIO(content))
    return Book([Sheet(table) for table in document.spreadsheet.getElementsByType(Table)])
