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
from django.core.paginator import Paginator
from django.db.models import F, Max
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from stratmap.access import Access, access_for, get_map_for_user
from stratmap.core.models import AuditEvent
from stratmap.core.names import original_language
from stratmap.core.years import YearLabel, YearStyle
from stratmap.kpis.models import EDITABLE, Kpi, KpiResult, KpiTarget, ReviewStep, period_of, review_chains, step_of
from stratmap.kpis.presenters import light_style
from stratmap.kpis.scoring import KpiInput, score_kpi
from stratmap.kpis.selectors import DueRow, due_work, policy_of, result_periods
from stratmap.kpis.services import (
    SCORES,
    SELF_ASSESSMENT,
    StaleEdit,
    allowed_actions,
    chain_of,
    check_period,
    kpi_result_record,
    kpi_result_transition,
    missed_target,
    waiting_at,
)
from stratmap.plans.selectors import plan_progress_due
from stratmap.revisions.services import map_revise, map_roll_over
from stratmap.strategy.models import StrategyMap
from stratmap.strategy.services import StaleMap
from stratmap.web.forms import CycleForm, PeriodResultForm, ResultForm, ReviseForm, RollOverForm
from stratmap.web.review import shown_step, step_name


def _kpi_for(request: HttpRequest, org: str, year: int, code: str, period: str = "") -> tuple[StrategyMap, Kpi]:
    """The map and KPI, if this person may work on its results (of ``period``, a period of the KPI's
    frequency, or "" the year); else 404."""
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
    try:
        check_period(kpi=kpi, period=period)
    except ValidationError:
        raise Http404 from None  # a quarter of a monthly KPI, a month of a yearly one
    return smap, kpi


def _result_url(smap: StrategyMap, code: str, period: str, action: str = "") -> str:
    """The address of a result's page (of its ``period``, "" the year), or of its ``action`` ("preview",
    "submit" …)."""
    name = "web:result-period" if period else "web:result"
    kwargs = {"org": smap.organization.code, "year": smap.url_year, "code": code}
    if period:
        kwargs["period"] = period
    if action == "preview":
        name += "-preview"
    elif action:
        name, kwargs["action"] = name + "-action", action
    return reverse(name, kwargs=kwargs)


def _label(smap: StrategyMap, period: str) -> str:
    """The year or the period as the organization names it: 2024/25, 2024/25 Q3, 113年第3季."""
    style = smap.organization.year_style
    return style.period_label(period_of(smap.year, period, style))


def _preview(
    kpi: Kpi, smap: StrategyMap, target: KpiTarget | None, values: Mapping[str, Any], period: str = ""
) -> dict[str, object]:
    """The rate, total and light the entered values would give, before anything is saved.

    A period is not self-assessed: its total reads the year's scores, as the scorecard's year to date does.
    """
    if period:
        year = KpiResult.objects.filter(kpi=kpi, year=smap.year, period="").first()
        values = {**values, **{name: getattr(year, name) if year else None for name in SCORES}}
    policy = policy_of(smap=smap)
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
        policy,
    )
    return {
        "score": score,
        "light": light_style(score.light),
        "target": target.value if target else None,
        "composite": policy.self_assessed,
        "data_language": original_language(smap.organization),  # the {% tr %} tag's, shown alone after an entry
    }


def _form_class(smap: StrategyMap, period: str) -> type[ResultForm]:
    """The entry form of a year's result with the self-assessment, of a map rated by its composite total
    (Taipei's); without it for a period (the year is assessed, not its quarters) and for a map rated by its
    achievement alone (bands, data only), which has none."""
    assessed = not period and policy_of(smap=smap).self_assessed
    return ResultForm if assessed else PeriodResultForm


@login_required
@require_http_methods(["GET", "POST"])
def result(request: HttpRequest, org: str, year: int, code: str, period: str = "") -> HttpResponse:
    """A KPI's result of the map's year, or of one ``period`` of it ("Q3", "M05"): its entry, review and
    publication, the same for both."""
    smap, kpi = _kpi_for(request, org, year, code, period)
    access = access_for(request)
    existing = KpiResult.objects.filter(kpi=kpi, year=smap.year, period=period).first()
    target = KpiTarget.objects.filter(kpi=kpi, year=smap.year, period=period).first()
    editable = access.edits(kpi) and (existing is None or existing.status in EDITABLE)
    form_class = _form_class(smap, period)
    conflict = None
    if request.method == "POST":
        if not editable:
            raise Http404
        form = form_class(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            if form_class is PeriodResultForm and existing is not None:
                # A form without the self-assessment: what the row holds (a dataset may give it) is kept.
                data = {**{name: getattr(existing, name) for name in SELF_ASSESSMENT}, **data}
            try:
                saved = kpi_result_record(
                    access=access,
                    kpi=kpi,
                    year=smap.year,
                    data=data,
                    version=data["version"],
                    reason=data["reason"],
                    period=period,
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
                return redirect(_result_url(smap, code, period))
    else:
        form = form_class.for_result(existing)
    values = form.cleaned_data if form.is_bound and hasattr(form, "cleaned_data") else form.initial
    events = AuditEvent.objects.filter(kpi=kpi)
    if period:
        # A period's page tells that period's story; the year's page the KPI's, but its periods'.
        events = events.filter(object_type="kpis.kpiresult", object_id=existing.pk) if existing else events.none()
    else:
        period_results = KpiResult.objects.filter(kpi=kpi).exclude(period="").values("pk")
        events = events.exclude(object_type="kpis.kpiresult", object_id__in=period_results)
    history = events.select_related("user").order_by("-at", "-pk")[:200]
    reviewer = access.reviews(kpi) or access.publishes(kpi)
    chain = chain_of(kpi=kpi) if existing is not None and existing.status == KpiResult.Status.SUBMITTED else None
    actions = allowed_actions(access=access, result=existing, chain=chain) if existing else []
    # The KPI's periods, each with its status and page; the year as the scorecard makes it of them.
    kpi_year = result_periods(smap=smap, code=kpi.code, access=access)
    return render(
        request,
        "web/result.html",
        {
            "map": smap,
            "org": smap.organization,
            "year": smap.year,
            "kpi": kpi,
            "period": period,
            "assessed": form_class is ResultForm,
            "label": _label(smap, period),
            "periods": [
                (row, _label(smap, row.code), _result_url(smap, kpi.code, row.code)) for row in kpi_year.periods
            ],
            "kpi_year": kpi_year,
            "result": existing,
            "form": form,
            "editable": editable,
            "conflict": conflict,
            "actions": [(action, _result_url(smap, kpi.code, period, action)) for action in actions],
            "preview_url": _result_url(smap, kpi.code, period, "preview"),
            "year_url": _result_url(smap, kpi.code, ""),
            "history": history,
            "step": shown_step(waiting_at(result=existing, chain=chain)) if existing and chain else "",
            "since": _since_last_review(request.user, existing) if reviewer and existing else None,
            **_preview(kpi, smap, target, values, period),
        },
        status=409 if conflict else 200,
    )


@login_required
@require_POST
def result_preview(request: HttpRequest, org: str, year: int, code: str, period: str = "") -> HttpResponse:
    """The HTMX partial: the computed rate, total and light as the editor types (against the period's
    own target on a period's page)."""
    smap, kpi = _kpi_for(request, org, year, code, period)
    target = KpiTarget.objects.filter(kpi=kpi, year=smap.year, period=period).first()
    # The numbers are read as the form reads them, so NaN, infinities and numbers the
    # columns cannot hold are field errors here too, never arithmetic.
    form_class = _form_class(smap, period)
    form = form_class(request.POST)
    form.is_valid()
    values = {name: form.cleaned_data.get(name) for name in form_class.NUMBERS}
    values["unknown_kind"] = request.POST.get("unknown_kind", "")
    values["unknown_reason"] = request.POST.get("unknown_reason", "")
    context = _preview(kpi, smap, target, values, period)
    context["explanation_required"] = values["actual"] is not None and missed_target(
        kpi=kpi, year=smap.year, actual=values["actual"], period=period
    )
    context["errors"] = [(form[name].label, form.errors[name]) for name in form_class.NUMBERS if name in form.errors]
    return render(request, "web/_preview.html", context)


@login_required
@require_POST
def result_action(request: HttpRequest, org: str, year: int, code: str, action: str, period: str = "") -> HttpResponse:
    smap, kpi = _kpi_for(request, org, year, code, period)
    existing = KpiResult.objects.select_related("kpi").filter(kpi=kpi, year=smap.year, period=period).first()
    if existing is None:
        raise Http404
    form = CycleForm(request.POST)
    if not form.is_valid():
        messages.error(
            request, " ".join(e["message"] for problems in form.errors.values() for e in problems.get_json_data())
        )
        return redirect(_result_url(smap, code, period))
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
    # The review page's forms come back to it (web.review.queue); any other only to this site.
    back = request.POST.get("next", "")
    if back and url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        return redirect(back)
    return redirect(_result_url(smap, code, period))


def done_message(action: str, result: KpiResult, style: YearStyle) -> str:
    """What just happened to which result: 「DP5.1 職業災害死亡百萬人率 109年成果已送審。」; of a period,
    「H1.1 Affordable homes delivered 2024/25年第3季成果已儲存。」, "Result 2024/25 Q3 of H1.1 … saved."."""
    if action == "approve" and result.status == KpiResult.Status.SUBMITTED:
        return _forwarded_message(result, style)
    if result.period:
        return _period_done_message(action, result, style)
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


def _period_done_message(action: str, result: KpiResult, style: YearStyle) -> str:
    templates = {
        "save": _("Result %(period)s of %(code)s %(name)s saved."),
        "submit": _("Result %(period)s of %(code)s %(name)s submitted for review."),
        "return": _("Result %(period)s of %(code)s %(name)s returned to its agency with your comment."),
        "approve": _("Result %(period)s of %(code)s %(name)s approved; it is locked until it is published."),
        "publish": _("Result %(period)s of %(code)s %(name)s published: the public sees it now."),
        "reopen": _("Result %(period)s of %(code)s %(name)s reopened and returned to its agency."),
    }
    # The period as a heading names it (2024/25 Q3, 113年第3季, Apr 2024): in Chinese it carries its 年.
    period = style.period_label(period_of(result.year, result.period, style))
    return templates[action] % {"period": period, "code": result.kpi.code, "name": result.kpi.name}


def _forwarded_message(result: KpiResult, style: YearStyle) -> str:
    """An approval at a step before the chain's last: where the result goes next."""
    step = waiting_at(result=result, chain=chain_of(kpi=result.kpi))
    return _("%(code)s %(period)s approved at this step; it goes on to %(step)s.") % {
        "code": result.kpi.code,
        "period": style.period_label(period_of(result.year, result.period, style)),
        "step": step_name(step),
    }


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


#: Rows of each list of the "what's due" page shown at once.
DUE_PER_PAGE = 50


@login_required
def due(request: HttpRequest) -> HttpResponse:
    """What this person must do: results to enter, to review, to publish, with deadlines and release dates."""
    access = access_for(request)
    due = due_work(access=access, today=timezone.localdate())
    to_review, to_publish = _with_results(access, due.to_review, due.to_publish)
    progress_due = plan_progress_due(access=access, today=timezone.localdate())
    # Each list is paged on its own (?enter=2&review=1): a long list to enter does not push the others away.
    return render(
        request,
        "web/due.html",
        {
            "to_enter": Paginator(due.to_enter, DUE_PER_PAGE).get_page(request.GET.get("enter")),
            "to_review": Paginator(to_review, DUE_PER_PAGE).get_page(request.GET.get("review")),
            "to_publish": Paginator(to_publish, DUE_PER_PAGE).get_page(request.GET.get("publish")),
            # The maps with results waiting for this person's review, for their review pages.
            "review_maps": list({row.kpi.objective.map.pk: row.kpi.objective.map for row in to_review}.values()),
            "workbooks": due.workbooks,
            "progress_due": progress_due,
            "no_organization": access.is_superuser and not access.memberships,
        },
    )


def _with_results(access: Access, to_review: list[DueRow], to_publish: list[DueRow]) -> tuple[list, list]:
    """The rows to review and to publish with their results (``row.result``, whose version a bulk form
    carries, and ``row.step``, the name of the step a submitted one waits at), to review only those
    waiting at a step of their map's chain this person acts on. Two queries, whatever the rows' number."""
    rows = [*to_review, *to_publish]
    if not rows:
        return to_review, to_publish
    found = {
        (r.kpi_id, r.period): r
        for r in KpiResult.objects.filter(
            kpi__in={row.kpi.pk for row in rows},
            year=F("kpi__objective__map__year"),
            status__in=[KpiResult.Status.SUBMITTED, KpiResult.Status.APPROVED],
        ).only("pk", "kpi_id", "year", "period", "status", "review_step", "version")
    }
    chains = review_chains({row.kpi.objective.map.organization_id for row in rows})
    marked = []
    for row in rows:
        result = found.get((row.kpi.pk, row.period))
        step = ""
        if result is not None and result.status == KpiResult.Status.SUBMITTED:
            at = step_of(result, chains[row.kpi.objective.map.organization_id])
            # due_work lists the KPIs a person reviews (Access.reviews: coordinators and administrators); the
            # evaluation office's step is the administrators' alone.
            if at.role == ReviewStep.Actor.OFFICE and not access.is_administrator(row.kpi.objective.map):
                result = None
            step = shown_step(at)
        marked.append(Marked(row, result, step))
    reviewing = [m for m in marked[: len(to_review)] if m.result is not None]
    return reviewing, [m for m in marked[len(to_review) :] if m.result is not None]


class Marked:
    """A row of /due/ with its result and the name of the step it waits at, read as the row itself is."""

    def __init__(self, row: DueRow, result: KpiResult | None, step: str):
        self.row, self.result, self.step = row, result, step

    def __getattr__(self, name: str) -> object:
        return getattr(self.row, name)


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
                    return redirect("web:revise", org=org, year=new.url_year)
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
                    return redirect("web:revise", org=org, year=smap.url_year)
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
