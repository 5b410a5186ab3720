"""Hostile workbooks: XML that is malformed, declares a DTD, an external entity or an entity bomb.

Each is a workbook downloaded from the page, filled in (so that a successful upload
would write a result), then edited inside its zip the way an attacker would: the
upload answers 400 naming the part, and writes nothing.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable

import pytest

from stratmap.core.models import AuditEvent
from tests.conftest import row_counts
from tests.helpers import MISSED, download, fill, upload

pytestmark = pytest.mark.django_db

RESULTS_PART = "xl/worksheets/sheet1.xml"
PROPERTIES_PART = "docProps/core.xml"  # read when the workbook is opened, before any sheet
PAGE_EN = "/en/taipei/2020/workbook/"

BILLION_LAUGHS = (
    '<!DOCTYPE lolz [<!ENTITY lol "lol">'
    + "".join(f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">' for i in range(1, 10))
    + "]>"
)


def with_doctype(doctype: str, *, use: str = "") -> Callable[[str], str]:
    """Put ``doctype`` before the root, and ``use`` (an entity reference) in the first text (a cell, the creator)."""

    def change(xml: str) -> str:
        end = xml.index("?>") + 2 if xml.startswith("<?xml") else 0
        xml = xml[:end] + doctype + xml[end:]
        for text in ("<t>", ">stratmap<"):
            if use and text in xml:
                return (
                    xml.replace(text, text[:-1] + use + "<", 1)
                    if text.endswith("<")
                    else xml.replace(text, text + use, 1)
                )
        return xml

    return change


def rewritten(content: bytes, part: str, change: Callable[[str], str]) -> bytes:
    """The .xlsx ``content`` with one part's XML changed, everything else as it was."""
    source = zipfile.ZipFile(io.BytesIO(content))
    assert part in source.namelist(), source.namelist()
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info)
            if info.filename == part:
                data = change(data.decode("utf-8")).encode("utf-8")
            target.writestr(info, data)
    return out.getvalue()


def filled_in(client, people) -> bytes:
    book = download(client, people["dol"])
    fill(book, "DP5.1", **MISSED)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


HOSTILE = {
    "malformed-sheet": (RESULTS_PART, lambda xml: xml.replace("</sheetData>", "</sheetDat>"), "well-formed XML"),
    "dtd": (RESULTS_PART, with_doctype("<!DOCTYPE worksheet>"), "document type declaration"),
    "external-entity": (
        RESULTS_PART,
        with_doctype('<!DOCTYPE worksheet [<!ENTITY secret SYSTEM "file:///etc/passwd">]>', use="&secret;"),
        "document type declaration",
    ),
    "entity-bomb-in-properties": (
        PROPERTIES_PART,
        with_doctype(BILLION_LAUGHS, use="&lol9;"),
        "document type declaration",
    ),
    "entity-bomb-in-sheet": (
        RESULTS_PART,
        with_doctype(BILLION_LAUGHS.replace("lolz", "worksheet"), use="&lol9;"),
        "document type declaration",
    ),
}


@pytest.mark.parametrize("case", HOSTILE)
def test_a_hostile_workbook_is_refused_with_400_naming_the_part_and_nothing_is_written(people, client, case):
    part, change, expected = HOSTILE[case]
    content = rewritten(filled_in(client, people), part, change)
    before, events = row_counts(), AuditEvent.objects.count()
    response = upload(client, content, page=PAGE_EN)
    assert response.status_code == 400
    page = response.content.decode()
    assert "Nothing was saved: 1 problem in the workbook." in page
    assert part in page and expected in page
    assert "root:" not in page  # /etc/passwd was not read into the page
    assert row_counts() == before and AuditEvent.objects.count() == events


def test_the_same_workbook_unedited_is_saved(people, client):
    """The edits above, not the way the tests rebuild the zip, are what is refused."""
    content = rewritten(filled_in(client, people), RESULTS_PART, lambda xml: xml)
    response = upload(client, content, page=PAGE_EN)
    assert response.status_code == 200, response.context["outcome"].problems
    assert "1 result created" in response.content.decode()
