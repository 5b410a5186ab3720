"""Entering and reviewing results: the pages people work in. Thin views over the services.

Every view resolves the map and the KPI through the access choke-point and
answers 404 to anyone who may not act on them, saying nothing about what exists.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.db.models import Max
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views.decorators.http import require_http_methods, require_POST

from stratmap.access import access_for, get_map_for_user
from stratmap.core.models import AuditEvent
from stratmap.core.years import YearLabel, YearStyle
from stratmap.kpis.models import EDITABLE, Kpi, KpiResult, KpiTarget
from stratmap.kpis.presenters import light_style
from stratmap.kpis.scoring import KpiInput, score_kpi
from stratmap.kpis.selectors import due_work, policy_of
from stratmap.kpis.services import (
    StaleEdit,
    allowed_actions,
    kpi_result_record,
    kpi_result_transition,
    missed_target,
)
from stratmap.plans.models import ActionPlan, PlanProgress
from stratmap.plans.services import MonthProgress, StaleProgress, plan_progress_record
from stratmap.revisions.services import map_revise, map_roll_over
from stratmap.strategy.models import StrategyMap
from stratmap.strategy.services import StaleMap
from stratmap.web.forms import CycleForm, ResultForm, ReviseForm, RollOverForm


def _kpi_for(request: HttpRequest, org: str, year: int, code: str) -> tuple[StrategyMap, Kpi]:
    """The map and KPI, if this person may work on its results; else 404."""
    smap = get_map_for_user(request, org, year)
    try:
        kpi = (
            Kpi.objects.select_related("objective__theme__group", "objective__perspective")
            .prefetch_related("agencies")
            .get(objective__map=smap, code=code)
        )
    except (Kpi.DoesNotExist, Kpi.MultipleObjectsReturned):  # a code names one KPI of a map, or none
        raise Http404 from None
    access = access_for(request)
    if not (access.edits(kpi) or access.reviews(kpi) or access.publishes(kpi)):
        raise Http404
    return smap, kpi


def _preview(kpi: Kpi, smap: StrategyMap, target: KpiTarget | None, values: Mapping[str, Any]) -> dict[str, object]:
    """The rate, total and light the entered values would give, before anything is saved."""
    score = score_kpi(
        KpiInput(
            code=kpi.code,
            polarity=kpi.polarity,
            target_type=kpi.target_type,
            stages=tuple(Decimal(str(v)) for v in kpi.stages),
            baseline=kpi.baseline,
            target=target.value if target else None,
            target_upper=target.upper if target else None,
            method=kpi.method,
            actual=values.get("actual"),
            unknown_reason=values.get("unknown_reason") or values.get("unknown_kind") or "",
            innovation=values.get("innovation"),
            challenge=values.get("challenge"),
            contribution=values.get("contribution"),
        ),
        policy_of(smap=smap),
    )
    return {"score": score, "light": light_style(score.light), "target": target.value if target else None}


@login_required
@require_http_methods(["GET", "POST"])
def result(request: HttpRequest, org: str, year: int, code: str) -> HttpResponse:
    smap, kpi = _kpi_for(request, org, year, code)
    access = access_for(request)
    existing = KpiResult.objects.filter(kpi=kpi, year=smap.year, period="").first()
    target = KpiTarget.objects.filter(kpi=kpi, year=smap.year, period="").first()
    editable = access.edits(kpi) and (existing is None or existing.status in EDITABLE)
    conflict = None
    if request.method == "POST":
        if not editable:
            raise Http404
        form = ResultForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                saved = kpi_result_record(
                    access=access,
                    kpi=kpi,
                    year=smap.year,
                    data=data,
                    version=data["version"],
                    reason=data["reason"],
                )
            except StaleEdit as stale:
                conflict = stale
                # The page shows the result as it is now (the first entry may have come meanwhile).
                existing = stale.result
                editable = existing is None or existing.status in EDITABLE
            except ValidationError as error:
                for field, problems in error.message_dict.items():
                    form.add_error(field if field in form.fields else None, problems)
            except PermissionDenied:
                raise Http404 from None
            else:
                messages.success(request, done_message("save", saved, smap.organization.year_style))
                return redirect("web:result", org=org, year=smap.year, code=code)
    else:
        form = ResultForm.for_result(existing)
    values = form.cleaned_data if form.is_bound and hasattr(form, "cleaned_data") else form.initial
    history = AuditEvent.objects.filter(kpi=kpi).select_related("user").order_by("-at", "-pk")[:200]
    reviewer = access.reviews(kpi) or access.publishes(kpi)
    return render(
        request,
        "web/result.html",
        {
            "map": smap,
            "org": smap.organization,
            "year": smap.year,
            "kpi": kpi,
            "result": existing,
            "form": form,
            "editable": editable,
            "conflict": conflict,
            "actions": allowed_actions(access=access, result=existing) if existing else [],
            "history": history,
            "since": _since_last_review(request.user, existing) if reviewer and existing else None,
            **_preview(kpi, smap, target, values),
        },
        status=409 if conflict else 200,
    )


@login_required
@require_POST
def result_preview(request: HttpRequest, org: str, year: int, code: str) -> HttpResponse:
    """The HTMX partial: the computed rate, total and light as the editor types."""
    smap, kpi = _kpi_for(request, org, year, code)
    target = KpiTarget.objects.filter(kpi=kpi, year=smap.year, period="").first()
    # The numbers are read as the form reads them, so NaN, infinities and numbers the
    # columns cannot hold are field errors here too, never arithmetic.
    form = ResultForm(request.POST)
    form.is_valid()
    values = {name: form.cleaned_data.get(name) for name in ResultForm.NUMBERS}
    values["unknown_kind"] = request.POST.get("unknown_kind", "")
    values["unknown_reason"] = request.POST.get("unknown_reason", "")
    context = _preview(kpi, smap, target, values)
    context["explanation_required"] = values["actual"] is not None and missed_target(
        kpi=kpi, year=smap.year, actual=values["actual"]
    )
    context["errors"] = [(form[name].label, form.errors[name]) for name in ResultForm.NUMBERS if name in form.errors]
    return render(request, "web/_preview.html", context)


@login_required
@require_POST
def result_action(request: HttpRequest, org: str, year: int, code: str, action: str) -> HttpResponse:
    smap, kpi = _kpi_for(request, org, year, code)
    existing = KpiResult.objects.select_related("kpi").filter(kpi=kpi, year=smap.year, period="").first()
    if existing is None:
        raise Http404
    form = CycleForm(request.POST)
    if not form.is_valid():
        messages.error(
            request, " ".join(e["message"] for problems in form.errors.values() for e in problems.get_json_data())
        )
        return redirect("web:result", org=org, year=smap.year, code=code)
    try:
        moved = kpi_result_transition(
            access=access_for(request),
            result=existing,
            action=action,
            version=form.cleaned_data["version"],
            text=form.cleaned_data["text"],
        )
    except PermissionDenied:
        raise Http404 from None
    except StaleEdit:
        messages.error(request, _("Someone else changed this result after you opened it; nothing was done."))
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, done_message(action, moved, smap.organization.year_style))
    return redirect("web:result", org=org, year=smap.year, code=code)


def done_message(action: str, result: KpiResult, style: YearStyle) -> str:
    """What just happened to which result: 「DP5.1 職業災害死亡百萬人率 109年成果已送審。」."""
    templates = {
        "save": _("Result %(year)s of %(code)s %(name)s saved."),
        "submit": _("Result %(year)s of %(code)s %(name)s submitted for review."),
        "return": _("Result %(year)s of %(code)s %(name)s returned to its agency with your comment."),
        "approve": _("Result %(year)s of %(code)s %(name)s approved; it is locked until it is published."),
        "publish": _("Result %(year)s of %(code)s %(name)s published: the public sees it now."),
        "reopen": _("Result %(year)s of %(code)s %(name)s reopened and returned to its agency."),
    }
    # 「109年成果」 in Chinese (the year as the agencies write it), "Result 2020" in English; a council's
    # "Result 2019/20" (the Chinese message adds the 年 itself).
    year = style.in_text(result.year).removesuffix("年")
    return templates[action] % {"year": year, "code": result.kpi.code, "name": result.kpi.name}


def _since_last_review(user, result: KpiResult) -> dict:
    """What changed in ``result`` since the version this reviewer last acted on, field by field.

    The version "last seen" is the one the reviewer's own last recorded step left
    (a return, an approval, an edit): what they saw for certain. Page views are not
    recorded, so a reviewer who never acted on the result has no such version and
    reviews the whole submission shown on the page.
    """
    events = AuditEvent.objects.filter(object_type="kpis.kpiresult", object_id=result.pk)
    seen = events.filter(user=user).aggregate(seen=Max("object_version"))["seen"]
    if seen is None:
        return {"version": None, "fields": []}
    fields: dict[str, dict] = {}
    for event in events.filter(object_version__gt=seen).exclude(field="").order_by("at", "pk"):
        row = fields.setdefault(event.field, {"field": event.field, "old": event.old, "who": [], "reasons": []})
        row["new"] = event.new
        if event.username and event.username not in row["who"]:
            row["who"].append(event.username)
        if event.reason and event.reason not in row["reasons"]:
            row["reasons"].append(event.reason)
    return {"version": seen, "fields": [row for row in fields.values() if row["old"] != row["new"]]}


@login_required
def due(request: HttpRequest) -> HttpResponse:
    """What this person must do: results to enter, to review, to publish, with deadlines and release dates."""
    due = due_work(access=access_for(request), today=timezone.localdate())
    return render(
        request,
        "web/due.html",
        {
            "to_enter": due.to_enter,
            "to_review": due.to_review,
            "to_publish": due.to_publish,
            "workbooks": due.workbooks,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def plan_progress(request: HttpRequest, org: str, year: int, code: str) -> HttpResponse:
    """An editor's monthly progress of one action plan: planned, done, a note per month."""
    smap = get_map_for_user(request, org, year)
    plan = (
        ActionPlan.objects.select_related("kpi__objective")
        .prefetch_related("kpi__agencies", "progress", "tasks")
        .filter(kpi__objective__map=smap, code=code)
        .first()
    )
    access = access_for(request)
    if plan is None or not access.edits(plan.kpi):
        raise Http404
    conflict, problems = None, []
    if request.method == "POST":
        months: dict[int, MonthProgress] = {
            m: {
                "planned": request.POST.get(f"planned-{m}") == "on",
                "done": request.POST.get(f"done-{m}") == "on",
                "note": request.POST.get(f"note-{m}", "").strip(),
            }
            for m in range(1, 13)
        }
        # A form without a version has seen none (versions start at 1): refused as stale.
        raw_version = request.POST.get("version", "")
        version = int(raw_version) if raw_version.isdigit() else 0
        try:
            plan_progress_record(
                access=access, plan=plan, months=months, version=version, reason=request.POST.get("reason", "")
            )
        except StaleProgress as stale:
            conflict = stale
        except ValidationError as error:
            problems = _progress_problems(error)
        else:
            messages.success(request, _("Saved."))
            return redirect("web:plan-progress", org=org, year=smap.year, code=code)
    stored = {p.month: p for p in plan.progress.all()}
    rows = [(m, stored.get(m)) for m in range(1, 13)]
    return render(
        request,
        "web/progress.html",
        {
            "map": smap,
            "org": smap.organization,
            "year": smap.year,
            "plan": plan,
            "rows": rows,
            "conflict": conflict,
            "problems": problems,
        },
        status=409 if conflict else 200,
    )


def _progress_problems(error: ValidationError) -> list[str]:
    """The service's refusals, each naming its month and field (「5月 備註：…」): the page shows twelve of each."""
    if not hasattr(error, "error_dict"):
        return error.messages
    problems = []
    for key, texts in error.message_dict.items():
        name, _dash, month = key.rpartition("-")
        where = key
        if month.isdigit() and name in ("planned", "done", "note"):
            field = PlanProgress._meta.get_field(name)
            assert isinstance(field, models.Field)  # planned, done, note: the row's own columns
            where = f"{_('month %(month)s') % {'month': month}} {field.verbose_name}"
        problems += [f"{where}{pgettext('after a label', ': ')}{text}" if where != "reason" else text for text in texts]
    return problems


@login_required
@require_http_methods(["GET", "POST"])
def revise(request: HttpRequest, org: str, year: int) -> HttpResponse:
    """The administrator rolls a map over to a new year and revises it, each change with its reason."""
    smap = get_map_for_user(request, org, year)
    access = access_for(request)
    if not access.revises(smap):
        raise Http404
    # The next year as the organization types it: an ROC year for Taipei (110), the AD year elsewhere.
    style = smap.organization.year_style
    next_roc = style.typed(smap.year + 1)
    # Both forms carry the map's version: a revision made after the page was opened refuses them.
    roll_form = RollOverForm(initial={"year": next_roc, "version": smap.version})
    revise_form = ReviseForm(initial={"version": smap.version})
    conflict = None
    if request.method == "POST":
        if request.POST.get("do") == "rollover":
            roll_form = RollOverForm(request.POST)
            if roll_form.is_valid():
                try:
                    new = map_roll_over(
                        access=access,
                        smap=smap,
                        version=roll_form.cleaned_data["version"],
                        year=roll_form.cleaned_data["year"],
                    )
                except StaleMap as stale:
                    conflict = stale
                except ValidationError as error:
                    roll_form.add_error("year", error.messages)
                else:
                    messages.success(request, _("The new map is ready to revise; it is not published yet."))
                    return redirect("web:revise", org=org, year=new.year)
        else:
            revise_form = ReviseForm(request.POST)
            if revise_form.is_valid():
                try:
                    map_revise(access=access, smap=smap, **revise_form.cleaned_data)
                except StaleMap as stale:
                    conflict = stale
                except ValidationError as error:
                    problems_by_field = error.message_dict if hasattr(error, "error_dict") else {None: error.messages}
                    for field, problems in problems_by_field.items():
                        revise_form.add_error(field if field in revise_form.fields else None, problems)
                else:
                    messages.success(request, _("Revised."))
                    return redirect("web:revise", org=org, year=smap.year)
    # The hint names the one year a roll-over accepts, as ROC and AD (elsewhere: as stored, and its label).
    if style.labels is YearLabel.ROC:
        hint = _("ROC (%(roc)s) or AD (%(ad)s)") % {"roc": next_roc, "ad": smap.year + 1}
    else:
        hint = _("The AD year it starts in: %(ad)s for %(label)s") % {
            "ad": smap.year + 1,
            "label": style.label(smap.year + 1),
        }
    roll_form.fields["year"].help_text = hint
    return render(
        request,
        "web/revise.html",
        {
            "map": smap,
            "org": smap.organization,
            "year": smap.year,
            "roll_form": roll_form,
            "revise_form": revise_form,
            "revisions": smap.revisions.order_by("order"),
            "conflict": conflict,
        },
        status=409 if conflict else 200,
    )
