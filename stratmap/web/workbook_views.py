"""The Excel round trip for bulk result entry: download an agency's workbook, upload it back.

Thin views over :mod:`stratmap.exchange.workbook`. The map comes through the access
choke-point; anyone without an agency workbook to download (``Access.workbook_agencies``)
gets a 404 that names nothing. What an upload may change is decided row by row, by
``Access.edits`` and the services, inside :func:`stratmap.exchange.workbook.upload.upload`.
"""

from __future__ import annotations

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_safe

from stratmap.access import access_for, get_map_for_user
from stratmap.core.models import Organization
from stratmap.exchange.workbook.columns import CONTENT_TYPE, unknown_kinds
from stratmap.exchange.workbook.download import build_workbook, filename
from stratmap.exchange.workbook.ods import CONTENT_TYPE as ODS_CONTENT_TYPE
from stratmap.exchange.workbook.upload import MAX_BYTES, MAX_ROWS, upload
from stratmap.reports import jobs
from stratmap.web.report_views import prepared


class UploadForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("filled-in workbook (.xlsx or .ods)"),
        widget=forms.ClearableFileInput(attrs={"accept": f".xlsx,{CONTENT_TYPE},.ods,{ODS_CONTENT_TYPE}"}),
    )

    def clean_file(self):
        uploaded = self.cleaned_data["file"]
        if uploaded.size > MAX_BYTES:
            raise forms.ValidationError(_("The file is larger than %(n)d MB.") % {"n": MAX_BYTES // 2**20})
        return uploaded


def _choices(request: HttpRequest, org: str, year: int):
    """The map and the agencies whose workbook this person may use; 404 when there are none."""
    smap = get_map_for_user(request, org, year)
    agencies = access_for(request).workbook_agencies(smap)
    if not agencies:
        raise Http404
    return smap, agencies


def _agency(request: HttpRequest, agencies: list[Organization]) -> Organization | None:
    """The agency ``?agency=`` names (404 for one not offered), or the one offered; None to choose one."""
    code = request.GET.get("agency", "")
    if not code:
        return agencies[0] if len(agencies) == 1 else None
    agency = next((a for a in agencies if a.code == code), None)
    if agency is None:
        raise Http404
    return agency


@login_required
@require_safe
def download(request: HttpRequest, org: str, year: int) -> HttpResponse:
    smap, agencies = _choices(request, org, year)
    agency = _agency(request, agencies)
    if agency is None:
        return redirect("web:workbook-upload", org=smap.organization.code, year=smap.url_year)
    content = build_workbook(
        access=access_for(request), smap=smap, agency=agency, user=request.user, language=request.LANGUAGE_CODE
    )
    response = HttpResponse(content, content_type=CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{filename(smap, agency)}"'
    response["Cache-Control"] = "private, no-store"  # it holds unpublished results
    return response


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def download_ods(request: HttpRequest, org: str, year: int) -> HttpResponse | FileResponse:
    """The agency's workbook as OpenDocument (.ods): LibreOffice's conversion of the .xlsx, made by the worker
    (seconds), so this is the page that prepares it (POST) and serves it when ready, as for a deck. It is kept
    per access scope and data version: people who see the same results share one file."""
    smap, agencies = _choices(request, org, year)
    agency = _agency(request, agencies)
    if agency is None:
        return redirect("web:workbook-upload", org=smap.organization.code, year=smap.url_year)
    key = jobs.report_key(
        smap, "workbook.ods", "", access_for(request), language=request.LANGUAGE_CODE, agency=agency.code
    )
    return prepared(request, smap, key)


@login_required
@require_http_methods(["GET", "POST"])
def page(request: HttpRequest, org: str, year: int) -> HttpResponse:
    smap, agencies = _choices(request, org, year)
    outcome = None
    if request.method == "POST":
        form = UploadForm(request.POST, request.FILES)
        if form.is_valid():
            uploaded = form.cleaned_data["file"]
            outcome = upload(
                access=access_for(request),
                smap=smap,
                content=uploaded.read(),
                filename=uploaded.name,
            )
            if outcome.ok:
                form = UploadForm()
    else:
        form = UploadForm()
    failed = bool(form.errors) or (outcome is not None and not outcome.ok)
    return render(
        request,
        "web/workbook.html",
        {
            "map": smap,
            "org": smap.organization,
            "year": smap.year,
            "agencies": agencies,
            "form": form,
            "outcome": outcome,
            "kinds": unknown_kinds(),
            "max_rows": MAX_ROWS,
        },
        status=400 if failed else 200,
    )
