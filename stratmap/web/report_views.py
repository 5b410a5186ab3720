"""Report downloads: the leadership-camp deck (PowerPoint or PDF) and the Excel scorecard.

The map is resolved through the access choke-point like every page, and the reports are
built with the person's access, so the public's files hold published results only.
"""

from __future__ import annotations

import io

from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.http import require_GET

from stratmap.core.access import access_for, get_map_for_user
from stratmap.reports.content import DeckError, report_content
from stratmap.reports.deck import render_deck
from stratmap.reports.pdf import render_pdf
from stratmap.reports.xlsx import scorecard_workbook

TYPES = {
    "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "pdf": "application/pdf",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def _attachment(data: bytes, kind: str, filename: str) -> HttpResponse:
    response = HttpResponse(data, content_type=TYPES[kind])
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@require_GET
def deck(request: HttpRequest, org: str, year: int, kind: str) -> HttpResponse:
    """``report.pptx`` or ``report.pdf``, of the whole map or of ``?theme=D``."""
    smap = get_map_for_user(request, org, year)
    theme = request.GET.get("theme") or None
    try:
        content = report_content(org, smap.year, theme, access_for(request))
    except DeckError:
        raise Http404 from None
    if kind == "pdf":
        data = render_pdf(content)
    else:
        buffer = io.BytesIO()
        render_deck(content).save(buffer)
        data = buffer.getvalue()
    return _attachment(data, kind, f"{org}-{smap.year}{f'-{theme}' if theme else ''}-report.{kind}")


@require_GET
def scorecard_xlsx(request: HttpRequest, org: str, year: int) -> HttpResponse:
    smap = get_map_for_user(request, org, year)
    buffer = io.BytesIO()
    scorecard_workbook(org, smap.year, smap, access_for(request)).save(buffer)
    return _attachment(buffer.getvalue(), "xlsx", f"{org}-{smap.year}-scorecard.xlsx")
