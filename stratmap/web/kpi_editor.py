"""The KPI editor (issue 15 item 2): one page per KPI of a map, its whole definition and its targets for
several years and periods in one form, for the administrators of the map's organization.

Thin views over :mod:`stratmap.kpis.services` (``kpi_save`` writes the definition and the targets table in one
change of the map, ``kpi_delete``): errors come back at their fields, a target's at its row (400); a page
opened before someone else's edit of the map is refused with what changed (409, ``web/_conflict.html``),
keeping what was typed; anyone but the map's administrators gets the 404 that names nothing.
"""

from __future__ import annotations

from functools import partial
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from stratmap.access import access_for
from stratmap.core.names import local_name, translations_of
from stratmap.core.years import YearError, YearStyle
from stratmap.kpis.models import Kpi, KpiTarget, period_of
from stratmap.kpis.selectors import KpiEditorPage, kpi_editor_page
from stratmap.kpis.services import TARGET_FIELDS, kpi_delete, kpi_save
from stratmap.strategy.models import StrategyMap
from stratmap.strategy.services import StaleMap
from stratmap.web.editor import code_choices, edited_map, see_other, write
from stratmap.web.editor_forms import Choices, EditorForm
from stratmap.web.kpi_editor_forms import KpiForm, TargetFormSet, TargetRowForm

#: How many years from the map's the targets table shows, whether the KPI has targets for them or not.
YEARS_SHOWN = 3


def _choices(page: KpiEditorPage, original: str) -> dict[str, Choices]:
    return {
        "objectives": code_choices(page.objectives, original),
        "agencies": [(org.code, local_name(org)) for org in page.agencies],
        "previous": code_choices(page.previous_kpis, original),
    }


def _initial(kpi: Kpi) -> dict[str, object]:
    return {
        **{name: getattr(kpi, name) for name in KpiForm.base_fields if hasattr(kpi, name) and name != "lineage"},
        "objective": kpi.objective.code,
        "stages": ", ".join(str(v) for v in kpi.stages),
        "agencies": [org.code for org in kpi.agencies.all()],
        "tags": "\n".join(tag.name for tag in kpi.tags.all()),
        **{f"name_{lang}": text for lang, text in translations_of(kpi, "name").items()},
    }


def _target_rows(smap: StrategyMap, kpi: Kpi | None, targets: list[KpiTarget], style: YearStyle) -> list[dict]:
    """The table's rows the page shows: each year from the map's (at least :data:`YEARS_SHOWN`, and every later
    year the KPI has targets for), the year's own row then one per period the KPI reports in."""
    stored = {(t.year, t.period): t for t in targets}
    years = sorted({*range(smap.year, smap.year + YEARS_SHOWN), *(y for y, _p in stored if y >= smap.year)})
    rows = []
    for year in years:
        for period in ["", *(kpi.periods(year, style) if kpi is not None else {})]:
            target = stored.get((year, period))
            rows.append(
                {
                    "shown": True,
                    "year": style.typed(year),
                    "period": period,
                    **({name: getattr(target, name) for name in TARGET_FIELDS} if target else {}),
                }
            )
    return rows


def _heading(form: TargetRowForm, style: YearStyle) -> str:
    """A shown row's year and period as people read them (a row added has inputs instead)."""
    year, period = form["year"].value(), form["period"].value() or ""
    try:
        return style.period_label(period_of(style.parse(year), period, style))
    except (YearError, TypeError, ValueError):
        return f"{year} {period}".strip()


def _plan_urls(smap: StrategyMap, kpi: Kpi | None, plans: list) -> tuple[list[tuple[Any, str]], str]:
    """Each of the KPI's action plans with its editor's address, and the address that adds one to the KPI."""
    args = [smap.organization.code, smap.url_year]
    edited = [(plan, reverse("web:edit-plan", args=[*args, plan.code])) for plan in plans]
    new = f"{reverse('web:edit-plan-new', args=args)}?{urlencode({'kpi': kpi.code})}" if kpi is not None else ""
    return edited, new


@login_required
@require_http_methods(["GET", "POST"])
def edit_kpi(request: HttpRequest, org: str, year: int, code: str | None = None) -> HttpResponse:
    """Edit a KPI's definition and targets (``code`` None: add one, to the objective ``?objective=``)."""
    smap = edited_map(request, org, year)  # the draft edition this administrator works on, else the map in force
    access = access_for(request)
    if not access.revises(smap):
        raise Http404
    page = kpi_editor_page(smap=smap, code=code, access=access)
    kpi = page.kpi
    organization = smap.organization
    style = organization.year_style
    choices = _choices(page, str(organization.language))
    kwargs: dict[str, Any] = {"own_language": str(organization.language), **choices}
    conflict: StaleMap | None = None
    delete_form = EditorForm(initial={"version": smap.version})
    if request.method == "POST":
        form = KpiForm(request.POST, **kwargs)
        formset = TargetFormSet(request.POST, prefix="targets", form_kwargs={"style": style})
        if request.POST.get("do") == "delete" and kpi is not None:
            form = KpiForm(initial=_initial(kpi) | {"version": smap.version, "lineage": page.continues}, **kwargs)
            formset = TargetFormSet(
                initial=_target_rows(smap, kpi, page.targets, style), prefix="targets", form_kwargs={"style": style}
            )
            delete_form = EditorForm(request.POST)
            if delete_form.is_valid():
                deleted, conflict = write(delete_form, partial(kpi_delete, access=access, smap=smap, kpi=kpi,
                                                               **delete_form.cleaned_data))  # fmt: skip
                if deleted:
                    messages.success(request, _("KPI %(code)s deleted.") % {"code": kpi.code})
                    return see_other(reverse("web:map", args=[organization.code, smap.url_year]))
        elif form.is_valid() and formset.is_valid():
            given = [f for f in formset.forms if f.has_changed() or f.cleaned_data.get("shown")]
            row_forms = [f for f in given if f.given()]
            shown = {key for f in given if (key := f.key()) is not None}
            try:
                saved = kpi_save(access=access, smap=smap, kpi=kpi, version=form.cleaned_data["version"],
                                 targets=[f.row() for f in row_forms], shown=shown,
                                 **form.definition())  # type: ignore[arg-type]  # fmt: skip
            except StaleMap as stale:
                conflict = stale
            except PermissionDenied:
                raise Http404 from None
            except ValidationError as error:
                _put_errors(error, form, row_forms)
            else:
                messages.success(request, _("KPI %(code)s saved.") % {"code": saved.code})
                url = reverse("web:edit-kpi", args=[organization.code, smap.url_year, saved.code])
                return see_other(url)
        status = 409 if conflict else 400
    else:
        initial: dict[str, object] = {"version": smap.version}
        if kpi is not None:
            initial |= _initial(kpi) | {"lineage": page.continues}
        else:
            initial["objective"] = request.GET.get("objective", "")
        form = KpiForm(initial=initial, **kwargs)
        formset = TargetFormSet(
            initial=_target_rows(smap, kpi, page.targets, style), prefix="targets", form_kwargs={"style": style}
        )
        status = 200
    for row in formset.forms:
        row.heading = _heading(row, style)  # type: ignore[attr-defined]
        row.is_shown = row["shown"].value() in (True, "True", "true", "on")  # type: ignore[attr-defined]
    plans, new_plan_url = _plan_urls(smap, kpi, page.plans)
    translated = [f"name_{lang}" for lang, _name in form.other_languages]
    groups = [
        (title, [form[name] for name in names])
        for title, names in (
            (_("The KPI"), ["objective", "code", "printed_code", "name", *translated, "unit"]),
            (_("Target and rating"), ["polarity", "target_type", "stages", "baseline", "method", "weight"]),
            (_("Reporting"), ["frequency", "aggregation", "data_source", "release", "deadline"]),
            (_("Agencies and links"), ["agencies", "agencies_printed", "tags", "cites", "cites_printed", "lineage"]),
            (_("Definition"), ["numerator", "denominator", "evaluation", "note"]),
        )
    ]
    return render(
        request,
        "web/kpi_editor.html",
        {
            "map": smap,
            "org": organization,
            "year": smap.year,
            "kpi": kpi,
            "page": page,
            "form": form,
            "formset": formset,
            "groups": groups,
            "delete_form": delete_form,
            "conflict": conflict,
            "data_language": organization.language,
            "plans": plans,
            "new_plan_url": new_plan_url,
            "editor_url": reverse("web:edit", args=[organization.code, smap.url_year]),
        },
        status=status,
    )


def _put_errors(error: ValidationError, form: KpiForm, rows: list[TargetRowForm]) -> None:
    """A service's errors at their fields: ``targets.<i>.<field>`` at the i-th row given, others on the form."""
    found = error.message_dict if hasattr(error, "error_dict") else {None: error.messages}
    for field, problems in found.items():
        if field and field.startswith("targets."):
            _, at, name = field.split(".", 2)
            row = rows[int(at)]
            row.add_error(name if name in row.fields else None, problems)
        else:
            form.add_error(field if field in form.fields else None, problems)
