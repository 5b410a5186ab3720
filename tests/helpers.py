"""Helpers the test modules share: driving the workbook round trip, writing dataset files, reading
decks, opening pages and admin forms as a browser would."""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
import textwrap
import tracemalloc
import zipfile
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation
from lxml import etree
from pptx import Presentation
from pptx.enum.shapes import MSO_SHAPE_TYPE

from stratmap.access import Access
from stratmap.core.models import Organization
from stratmap.exchange.loader import load_paths
from stratmap.exchange.parse import DatasetInvalid
from stratmap.exchange.workbook.columns import CONTENT_TYPE, RESULTS, letter
from stratmap.exchange.workbook.upload import Problem
from stratmap.kpis.models import Kpi, KpiResult, KpiTarget
from stratmap.kpis.services import kpi_result_record
from stratmap.plans.models import ActionPlan, Outcome, PlanTask

__all__ = ["letter"]  # test modules take the workbook's column letters from here with the other helpers


# --- from tests/test_workbook.py ---

DOWNLOAD = "/taipei/109/workbook.xlsx"


PAGE = "/taipei/109/workbook/"


def download(client, user, agency: str = "taipei-dol") -> openpyxl.Workbook:
    client.force_login(user)
    response = client.get(DOWNLOAD, {"agency": agency})
    assert response.status_code == 200, response.status_code
    assert response["Content-Type"] == CONTENT_TYPE
    assert f"taipei-109-{agency}-results.xlsx" in response["Content-Disposition"]
    return openpyxl.load_workbook(io.BytesIO(response.content))


def row_of(book: openpyxl.Workbook, code: str) -> int:
    ws = book[RESULTS]
    rows = [r for r in range(2, ws.max_row + 1) if ws[f"{letter('code')}{r}"].value == code]
    assert len(rows) == 1, code
    return rows[0]


def fill(book: openpyxl.Workbook, code: str, **values) -> int:
    """Type values into a KPI's row, by column key; returns the row number."""
    row = row_of(book, code)
    for key, value in values.items():
        book[RESULTS][f"{letter(key)}{row}"] = value
    return row


def upload(client, book: openpyxl.Workbook | bytes, name: str = "勞動局109.xlsx", page: str = PAGE):
    if isinstance(book, bytes):
        content = book
    else:
        buffer = io.BytesIO()
        book.save(buffer)
        content = buffer.getvalue()
    return client.post(page, {"file": SimpleUploadedFile(name, content, content_type=CONTENT_TYPE)})


def problems(response) -> list[Problem]:
    return response.context["outcome"].problems


MISSED = {  # DP5.1 is a negative KPI with the 109 target 5.75: 6.1 misses it
    "actual": 6.1,
    "innovation": 80,
    "challenge": 85.5,
    "contribution": 90,
    "situation_analysis": "營造業重大職災增加",
    "countermeasures": "加強營造工地檢查與觀摩",
}


# --- from tests/test_dataset_errors.py ---

GOOD = """\
format: stratmap/1
organization: taipei
year: 108
perspectives:
  - {code: C, name: 顧客}
  - {code: P, name: 內部流程}
themes:
  - code: D
    name: 優化產業勞動
    objectives:
      - code: DC1
        name: 促進充分就業
        perspective: C
        kpis:
          - code: DC1.1
            name: 失業率
            polarity: negative
            targets: {108: 3.8, 2020: 3.8}
      - code: DP5
        name: 建構職場安全體系
        perspective: P
links:
  - {from: DP5, to: DC1}
"""


def write(tmp_path: Path, text: str, name: str = "map.yaml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def load_errors(*paths: Path) -> list[str]:
    with pytest.raises(DatasetInvalid) as caught:
        load_paths(paths)
    return [str(e) for e in caught.value.errors]


# --- from tests/test_dataset_hostile.py ---


def refused(tmp_path: Path, text: str) -> tuple[Path, list[str]]:
    file = write(tmp_path, text)
    return file, load_errors(file)


# --- from tests/test_hardening.py ---


def settings_in_a_new_process(tmp_path, **env: str) -> subprocess.CompletedProcess:
    """Start stratmap's settings from scratch with ``env`` (settings are read once per process)."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("STRATMAP_") and k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    code = "import django; django.setup(); from django.conf import settings; print(settings.ADMINS)"
    return subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=60,
        env={**clean, "DATABASE_URL": f"sqlite:///{tmp_path}/x.sqlite3", **env},
    )


# --- from tests/test_result_entry.py ---

#: A met entry (5.75 is DP5.1's 109 target; it is negative, so 5.0 meets it): no explanation needed.
ENTRY = {"actual": "5.0", "unknown_kind": "", "innovation": "90", "challenge": "95", "contribution": "95"}


def dp51() -> Kpi:
    return Kpi.objects.get(code="DP5.1", objective__map__year=2020)


def enter(user, version: int, **values) -> KpiResult:
    data = {**ENTRY, **values}
    data = {k: Decimal(v) if k in ("actual", "innovation", "challenge", "contribution") else v for k, v in data.items()}
    return kpi_result_record(access=Access(user), kpi=dp51(), year=2020, data=data, version=version)


def admin_url(name: str, *args) -> str:
    with translation.override("zh-hant"):
        return reverse(name, args=args)


def form_data(response) -> dict:
    """What the browser would post back from an admin change page, unchanged."""
    data = {}

    def add(form):
        for name, field in form.fields.items():
            value = form[name].value()
            if value is None or field.disabled:
                continue
            key = form.add_prefix(name)
            if isinstance(value, bool):
                if value:
                    data[key] = "on"
            elif isinstance(value, list | tuple):
                data[key] = [str(v) for v in value]
            else:
                data[key] = str(value)

    add(response.context["adminform"].form)
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        add(formset.management_form)
        for form in formset.forms:
            add(form)
    return data


# --- from tests/test_reports_deck.py ---


def saved(prs) -> bytes:
    """The deck as the bytes of a .pptx file."""
    buffer = io.BytesIO()
    prs.save(buffer)
    return buffer.getvalue()


def reopened(prs) -> Presentation:
    """The deck saved to bytes and read back, as PowerPoint or LibreOffice would read it."""
    return Presentation(io.BytesIO(saved(prs)))


def slide_text(slide) -> str:
    parts = []
    for shape in slide.shapes:
        if shape.has_text_frame:
            parts.append(shape.text_frame.text)
        if shape.has_table:
            parts.extend(cell.text_frame.text for row in shape.table.rows for cell in row.cells)
    return "\n".join(parts)


def named(prs, prefix: str) -> list:
    return [slide for slide in prs.slides if slide.name.startswith(prefix)]


def kpis_shown(prs) -> list[str]:
    """The codes of the KPIs with a slide, in order: ``kpi:DP5.1``, or two brief ones sharing ``kpi:DP5.1+DP5.2``."""
    return [code for slide in named(prs, "kpi:") for code in slide.name.removeprefix("kpi:").split("+")]


def showing(prs, code: str) -> list:
    """The slides of the KPI ``code``: its own, or the one it shares with another brief KPI."""
    return [slide for slide in named(prs, "kpi:") if code in slide.name.removeprefix("kpi:").split("+")]


#: The prefixes of the Office Open XML namespaces, for reading a saved deck's parts.
NS = {
    "a": "http://schemas.openxmlformats.org/drawingml/2006/main",
    "c": "http://schemas.openxmlformats.org/drawingml/2006/chart",
    "p": "http://schemas.openxmlformats.org/presentationml/2006/main",
}


def part_xml(pptx: bytes, partname: str) -> etree._Element:
    """One part of a saved .pptx (``slide.part.partname``, ``frame.chart_part.partname``), parsed from the
    file as PowerPoint reads it: for what python-pptx has no API for (arrowheads, East Asian typefaces)."""
    with zipfile.ZipFile(io.BytesIO(pptx)) as archive:
        return etree.fromstring(archive.read(partname.lstrip("/")))


# --- from tests/test_web_pages.py ---


def url(name: str, args, language: str = "zh-hant", query: str = "") -> str:
    """A page's address; a map's year given as a number (the AD year) is written as the page's language
    writes its organization's years, so that the address is the page's own, not a redirect to it."""
    args = list(args)
    if len(args) > 1 and isinstance(args[1], int):
        args[1] = Organization.objects.get(code=args[0]).year_style.in_address(args[1], language)
    with translation.override(language):
        return reverse(name, args=args) + (f"?{query}" if query else "")


def page(client, name, args, language="zh-hant", query="") -> str:
    response = client.get(url(name, args, language, query))
    assert response.status_code == 200, (name, args, language)
    return response.content.decode()


def multiply(factor: int) -> None:
    """Add (factor − 1) copies of every KPI, with its targets, results, plans, tasks and outcomes."""
    kpis = list(Kpi.objects.all().prefetch_related("agencies", "targets", "results", "action_plans__tasks"))
    for n in range(1, factor):
        copies = Kpi.objects.bulk_create(
            [
                Kpi(
                    objective_id=k.objective_id,
                    code=f"{k.code}x{n}",
                    name=k.name,
                    order=k.order + 1000 * n,
                    frequency=k.frequency,
                    aggregation=k.aggregation,
                )
                for k in kpis
            ]
        )
        pairs = list(zip(kpis, copies, strict=True))
        through = Kpi.agencies.through
        through.objects.bulk_create(
            [through(kpi_id=c.pk, organization_id=a.pk) for k, c in pairs for a in k.agencies.all()]
        )
        KpiTarget.objects.bulk_create(
            [KpiTarget(kpi=c, year=t.year, period=t.period, value=t.value) for k, c in pairs for t in k.targets.all()]
        )
        KpiResult.objects.bulk_create(
            [
                KpiResult(kpi=c, year=r.year, period=r.period, actual=r.actual, innovation=r.innovation,
                          challenge=r.challenge, contribution=r.contribution)
                for k, c in pairs
                for r in k.results.all()
            ]
        )  # fmt: skip
        plans = ActionPlan.objects.bulk_create(
            [
                ActionPlan(kpi=c, code=f"{p.code}x{n}", name=p.name, order=p.order)
                for k, c in pairs
                for p in k.action_plans.all()
            ]
        )
        PlanTask.objects.bulk_create([PlanTask(plan=p, name="task", months=[1, 2], order=0) for p in plans])
        Outcome.objects.bulk_create(
            [
                Outcome(objective_id=p.kpi.objective_id, plan=p, text="outcome", quantity=Decimal(1), order=0)
                for p in plans
            ]
        )


# --- from tests/test_browser.py ---

SHOTS = Path(os.environ.get("STRATMAP_SCREENSHOTS", Path.cwd() / "var" / "screenshots"))


# --- what a refusal looks like ---


def answer(response) -> str:
    """A response as a person meets it: its status, or ``login`` when they are sent to log in."""
    if response.status_code == 302 and response["Location"].startswith("/accounts/login/"):
        return "login"
    if response.status_code in (301, 302):
        return f"{response.status_code} {response['Location']}"
    return str(response.status_code)


def field_errors(page: str) -> dict[str, list[str]]:
    """The error messages shown under each field of a form, by the field's name."""
    errors: dict[str, list[str]] = {}
    for block in re.findall(r'<div class="field has-error">(.*?)</div>', page, re.S):
        name = re.search(r'for="id_(\w+)"', block).group(1)
        errors[name] = re.findall(r'<p class="error" role="alert">(.*?)</p>', block)
    return errors


def traced_peak(run: Callable[[], object]) -> int:
    """The most memory Python held while ``run()`` ran above what it held before, in bytes."""
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        before, _ = tracemalloc.get_traced_memory()
        run()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak - before


def synthetic_cities(folder: Path, count: int, *, bureaus: int = 2, kpis: int = 12, years: int = 3) -> Path:
    """Small synthetic cities: at the default size, an organizations file (11 organizations: the city, 2
    bureaus, 8 theme groups) and 9 maps (the city's and its 2 bureaus' for 3 years) a city."""
    from stratmap.exchange import synthetic

    synthetic.write(folder, synthetic.Shape(cities=count, bureaus=bureaus, kpis=kpis, years=years))
    return folder


def with_a_bad_last_file(folder: Path) -> tuple[list[Path], Path]:
    """Two synthetic cities in ``folder`` whose last file (a bureau's map, read after every other) names an
    organization that exists nowhere: the files in order, and that last one."""
    files = sorted(synthetic_cities(folder, 2).rglob("*.yaml"))
    last = files[-1]
    assert last.name.startswith("syn2-b02-")
    text = last.read_text(encoding="utf-8")
    last.write_text(text.replace("organization: syn2-b02", "organization: syn2-b99", 1), encoding="utf-8")
    return files, last


def runs(shapes):
    """Every run of text in ``shapes``: in text boxes, table cells and groups."""
    for shape in shapes:
        if shape.shape_type == MSO_SHAPE_TYPE.GROUP:
            yield from runs(shape.shapes)
        frames = [shape.text_frame] if shape.has_text_frame else []
        if shape.has_table:
            frames += [cell.text_frame for row in shape.table.rows for cell in row.cells]
        for frame in frames:
            for paragraph in frame.paragraphs:
                yield from paragraph.runs


def pdf_outline(reader) -> list[tuple[int, str, int]]:
    """(depth, title, page) of each bookmark of a PDF (a ``pypdf.PdfReader``), in their order."""

    def walk(items: list, depth: int) -> list[tuple[int, str, int]]:
        out = []
        for item in items:
            if isinstance(item, list):
                out += walk(item, depth + 1)
            else:
                out.append((depth, item.title, reader.get_destination_page_number(item)))
        return out

    return walk(reader.outline, 0)
