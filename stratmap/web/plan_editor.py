"""The action plan editor (issue 15 item 3): a plan of a KPI with its responsible agencies, its tasks and their
months on a grid of the organization's year, and its expected outcomes, in one form; and its deletion.

Thin views over :func:`stratmap.plans.services.plan_save` and ``plan_delete``: for the administrators of the
map's organization only (anyone else: the 404 that names nothing), errors at their fields (400), a page opened
before someone else's edit of the map refused with what changed (409), nothing written with either.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.forms import BaseFormSet, Form
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from stratmap.access import Access, access_for
from stratmap.core.names import translations_of
from stratmap.kpis.presenters import month_columns
from stratmap.plans.models import ActionPlan
from stratmap.plans.selectors import PlanEditing, plan_for_editing
from stratmap.plans.services import OutcomeSpec, TaskSpec, plan_delete, plan_save
from stratmap.strategy.models import StrategyMap
from stratmap.strategy.services import StaleMap
from stratmap.web.editor import edited_map, see_other, write
from stratmap.web.editor_forms import EditorForm
from stratmap.web.plan_editor_forms import (
    OutcomeFormSet,
    PlanForm,
    TaskFormSet,
    outcome_initial,
    plan_initial,
    task_initial,
)
from stratmap.web.views import map_context


def _editable(request: HttpRequest, org: str, year: int, code: str | None) -> tuple[StrategyMap, Access, PlanEditing]:
    smap = edited_map(request, org, year)  # the draft edition this administrator works on, else the map in force
    access = access_for(request)
    if not access.revises(smap):
        raise Http404
    try:
        return smap, access, plan_for_editing(smap=smap, code=code, access=access)
    except ActionPlan.DoesNotExist:
        raise Http404 from None


def _kept(formset: BaseFormSet) -> list[tuple[int, dict[str, Any]]]:
    """The formset's forms that say something, not deleted: (the form's place, its data)."""
    return [
        (i, form.cleaned_data)
        for i, form in enumerate(formset.forms)
        if form.cleaned_data and not form.cleaned_data.get("DELETE")
    ]


def _put_errors(error: ValidationError, form: Form, formsets: dict[str, tuple[BaseFormSet, list[int]]]) -> None:
    """A service's errors onto the fields they name: the plan form's, or ``tasks-<i>-months`` onto the form of
    the i-th task given (``formsets[prefix]``: the formset and the place of each form given)."""
    found = error.message_dict if hasattr(error, "error_dict") else {None: error.messages}
    for key, problems in found.items():
        prefix, _dash, rest = (key or "").partition("-")
        if prefix in formsets and rest:
            formset, places = formsets[prefix]
            index, _dash, field = rest.partition("-")
            target = formset.forms[places[int(index)]]
            target.add_error(field if field in target.fields else None, problems)
        else:
            form.add_error(key if key in form.fields else None, problems)


@login_required
@require_http_methods(["GET", "POST"])
def plan(request: HttpRequest, org: str, year: int, code: str | None = None) -> HttpResponse:
    """An action plan's form (``code``), or a new plan's (``?kpi=`` the KPI it is for)."""
    smap, access, editing = _editable(request, org, year, code)
    style = smap.organization.year_style
    months = month_columns(style, smap.year)
    found = editing.plan
    own = smap.organization.language
    agencies = list(editing.agencies)
    if found is not None:
        agencies += [a for a in found.agencies if a not in agencies]
    choices: dict[str, Any] = {"kpis": editing.kpis, "agencies": agencies, "own_language": own}
    task_options: dict[str, Any] = {"form_kwargs": {"months": months, "style": style}, "prefix": "tasks"}
    if found is not None:
        initial = plan_initial(found.plan, found.agencies, translations_of(found.plan, "name"))
        tasks_initial, outcomes_initial = task_initial(found.tasks), outcome_initial(found.outcomes)
    else:
        initial, tasks_initial, outcomes_initial = {"kpi": request.GET.get("kpi", "")}, [], []
    initial["version"] = smap.version
    form = PlanForm(initial=initial, **choices)
    tasks = TaskFormSet(initial=tasks_initial, **task_options)
    outcomes = OutcomeFormSet(initial=outcomes_initial, prefix="outcomes")
    delete_form = EditorForm(initial={"version": smap.version})
    conflict: StaleMap | None = None
    status = 200
    if request.method == "POST":
        if request.POST.get("do") == "delete" and found is not None:
            delete_form = EditorForm(request.POST)
            if delete_form.is_valid():
                deleted, conflict = write(delete_form, partial(plan_delete, access=access, smap=smap, plan=found.plan,
                                                               **delete_form.cleaned_data))  # fmt: skip
                if deleted:
                    messages.success(request, _("The action plan %(code)s was deleted.") % {"code": found.plan.code})
                    return see_other(reverse("web:plans", args=[org, smap.url_year]))
        else:
            form = PlanForm(request.POST, initial=initial, **choices)
            tasks = TaskFormSet(request.POST, initial=tasks_initial, **task_options)
            outcomes = OutcomeFormSet(request.POST, initial=outcomes_initial, prefix="outcomes")
            if all([form.is_valid(), tasks.is_valid(), outcomes.is_valid()]):
                kept_tasks, kept_outcomes = _kept(tasks), _kept(outcomes)
                task_specs: list[TaskSpec] = [(d["name"], d["schedule"]) for _i, d in kept_tasks]
                outcome_specs: list[OutcomeSpec] = [(d["text"], d["quantity"], d["unit"]) for _i, d in kept_outcomes]
                d = form.cleaned_data
                try:
                    saved = plan_save(
                        access=access,
                        smap=smap,
                        version=d["version"],
                        plan=found.plan if found else None,
                        kpi=d["kpi"],
                        code=d["code"],
                        name=d["name"],
                        translations=form.translations(),
                        agencies=d["agencies"],
                        note=d["note"],
                        tasks=task_specs,
                        outcomes=outcome_specs,
                        reason=d["reason"],
                    )
                except StaleMap as stale:
                    conflict = stale
                except PermissionDenied:
                    raise Http404 from None
                except ValidationError as error:
                    places: dict[str, tuple[BaseFormSet, list[int]]] = {
                        "tasks": (tasks, [i for i, _d in kept_tasks]),
                        "outcomes": (outcomes, [i for i, _d in kept_outcomes]),
                    }
                    _put_errors(error, form, places)
                else:
                    messages.success(request, _("The action plan %(code)s was saved.") % {"code": saved.code})
                    return see_other(reverse("web:edit-plan", args=[org, smap.url_year, saved.code]))
        status = 409 if conflict else 400
    kpi = next((k for k in editing.kpis if found is not None and k.pk == found.plan.kpi_id), None)
    if kpi is None:
        kpi = next((k for k in editing.kpis if k.code == request.GET.get("kpi")), None)
    return render(
        request,
        "web/plan_editor.html",
        map_context(
            smap,
            plan=found.plan if found else None,
            kpi=kpi,
            form=form,
            tasks=tasks,
            outcomes=outcomes,
            delete_form=delete_form,
            recorded_months=editing.recorded_months,
            months=months,
            conflict=conflict,
        ),
        status=status,
    )
