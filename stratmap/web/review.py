"""The review chain's pages (issue 16 item 4): a reviewer's list of what waits for them on a map, with the whole
submission and what changed since it was last sent back, and the bulk moves (approve or publish many with one
confirmation) from it and from /due/. Thin views over ``kpis.selectors.review_queue`` and
``kpis.services.kpi_results_bulk_transition``; plain forms, no script needed.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST

from stratmap.access import access_for, get_map_for_user
from stratmap.core.names import local_text, original_language
from stratmap.kpis.models import ChainStep, KpiResult, ReviewStep, period_of, review_chains, step_of
from stratmap.kpis.selectors import policy_of, review_queue
from stratmap.kpis.services import (
    TRANSITIONS,
    BulkProblem,
    BulkRefused,
    allowed_actions,
    kpi_results_bulk_transition,
)
from stratmap.strategy.models import StrategyMap

#: The moves a bulk form may make: approving (at each result's step) and publishing.
BULK_ACTIONS = ("approve", "publish")
#: The most results one bulk move takes (a page of /due/ lists 50).
BULK_MAX = 200


def step_name(step: ChainStep | None) -> str:
    """A step's name in the reader's language (its translation where it has one), or the default's."""
    if step is None:
        return ""
    return local_text(step.row, "name") if step.row is not None else step.name


def shown_step(step: ChainStep | None) -> str:
    """The step a result waits at, as lists show it beside its status: nothing for the default chain's one
    step (a single review needs no name), the configured step's name otherwise."""
    return step_name(step) if step is not None and step.row is not None else ""


@login_required
@require_GET
def queue(request: HttpRequest, org: str, year: int) -> HttpResponse:
    """What waits for this person's review on a map (``?agency=`` one agency's KPIs only): each submitted
    result at a step they act on, its values, and what changed since a reviewer last sent it back."""
    smap = get_map_for_user(request, org, year)
    access = access_for(request)
    if not access.reviewable_kpis().filter(objective__map=smap).exists():
        raise Http404  # nobody's list but a reviewer's of this map
    found = review_queue(smap=smap, access=access, agency=request.GET.get("agency", ""))
    style = smap.organization.year_style
    items = [
        {
            "item": item,
            "label": style.period_label(period_of(smap.year, item.result.period, style)),
            "step": step_name(item.step),
            "actions": [
                (action, _action_url(item.result, smap, action))
                for action in allowed_actions(access=access, result=item.result, chain=found.chain)
                if action in ("approve", "return")
            ],
        }
        for item in found.items
    ]
    return render(
        request,
        "web/review.html",
        {
            "map": smap,
            "org": smap.organization,
            "year": smap.year,
            "chain": [(step, step_name(step), ReviewStep.Actor(step.role).label) for step in found.chain],
            "items": items,
            "agencies": found.agencies,
            "agency": request.GET.get("agency", ""),
            "assessed": policy_of(smap=smap).self_assessed,
            "data_language": original_language(smap.organization),
            "here": request.get_full_path(),
        },
    )


def _action_url(result: KpiResult, smap: StrategyMap, action: str) -> str:
    """Where a single move on ``result`` is posted: the result page's own forms' address."""
    kwargs = {"org": smap.organization.code, "year": smap.url_year, "code": result.kpi.code, "action": action}
    if result.period:
        kwargs["period"] = result.period
    return reverse("web:result-period-action" if result.period else "web:result-action", kwargs=kwargs)


def _back(request: HttpRequest) -> str:
    """Where to go after a bulk move: the page it was asked from, if it is this site's, else /due/."""
    wanted = request.POST.get("next", "")
    if wanted and url_has_allowed_host_and_scheme(wanted, allowed_hosts={request.get_host()}):
        return wanted
    return reverse("web:due")


def _items(request: HttpRequest) -> list[tuple[int, int]] | None:
    """The (result id, version read) pairs the form carries (``item=12:3``); None when one is malformed."""
    pairs = []
    for raw in request.POST.getlist("item"):
        pk, _colon, version = raw.partition(":")
        if not (pk.isdigit() and version.isdigit()):
            return None
        pairs.append((int(pk), int(version)))
    return list(dict.fromkeys(pairs))


@login_required
@require_POST
def bulk(request: HttpRequest) -> HttpResponse:
    """Approve or publish the chosen results: first a confirmation listing what will change, then, confirmed,
    all of them or none (a stale one is refused by name, 409; one not this person's to move, 400)."""
    access = access_for(request)
    action = request.POST.get("do", "")
    if action not in BULK_ACTIONS:
        raise Http404
    pairs = _items(request)
    back = _back(request)
    if pairs is None:
        raise Http404
    if not pairs:
        messages.error(request, _("Choose at least one result."))
        return redirect(back)
    if len(pairs) > BULK_MAX:
        messages.error(request, _("Choose at most %(max)s results at once.") % {"max": BULK_MAX})
        return redirect(back)
    found = {
        r.pk: r
        for r in access.results(KpiResult.objects.filter(pk__in=[pk for pk, _version in pairs]))
        .select_related("kpi__objective__theme__group", "kpi__objective__map__organization")
        .prefetch_related("kpi__agencies")
    }
    if len(found) != len({pk for pk, _version in pairs}):
        raise Http404  # a result this person may not see, or none: saying nothing about which
    items = [(found[pk], version) for pk, version in pairs]
    text = request.POST.get("text", "").strip()
    problems: list[BulkProblem] = []
    if request.POST.get("confirm") == "1":
        try:
            moved = kpi_results_bulk_transition(access=access, items=items, action=action, text=text)
        except BulkRefused as refused:
            problems = refused.problems
        except PermissionDenied:
            raise Http404 from None
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
            return redirect(back)
        else:
            done = (
                ngettext("%(count)s result approved.", "%(count)s results approved.", len(moved))
                if action == "approve"
                else ngettext("%(count)s result published.", "%(count)s results published.", len(moved))
            )
            messages.success(request, done % {"count": len(moved)})
            return redirect(back)
    rows = _confirmation(access, items, action)
    if not problems:  # before confirming: what the move would refuse, said now rather than after
        problems = [row["problem"] for row in rows if row["problem"] is not None]
    stale = any(p.stale for p in problems)
    return render(
        request,
        "web/review_confirm.html",
        {
            "action": action,
            "rows": rows,
            "problems": [(p, _label(p.result)) for p in problems],
            "text": text,
            "next": back,
            "items": [f"{result.pk}:{version}" for result, version in items],
        },
        status=409 if stale else 400 if problems else 200,
    )


def _label(result: KpiResult) -> str:
    smap = result.kpi.objective.map
    style = smap.organization.year_style
    return f"{result.kpi.code} {style.period_label(period_of(result.year, result.period, style))}"


def _confirmation(access, items: list[tuple[KpiResult, int]], action: str) -> list[dict]:
    """Each chosen result, what it is now and what the move makes of it, and why it would be refused."""
    chains = review_chains({result.kpi.objective.map.organization_id for result, _version in items})
    rows = []
    for result, version in items:
        chain = chains[result.kpi.objective.map.organization_id]
        at = step_of(result, chain) if result.status == KpiResult.Status.SUBMITTED else None
        after = ""
        if action == "approve" and at is not None:
            following = chain[at.number] if at.number < len(chain) else None
            after = (
                _("on to %(step)s") % {"step": step_name(following)}
                if following is not None
                else str(KpiResult.Status.APPROVED.label)
            )
        elif action == "publish":
            after = str(KpiResult.Status.PUBLISHED.label)
        problem = None
        if version != result.version:
            problem = BulkProblem(result, _label(result), _("changed by someone else after you opened it"), True)
        elif action not in allowed_actions(access=access, result=result, chain=chain):
            problem = BulkProblem(
                result,
                _label(result),
                _("you do not act at its step, %(step)s") % {"step": step_name(at)}
                if at is not None and TRANSITIONS[action].who == "reviewer"
                else _("it is %(status)s now") % {"status": result.get_status_display()},
            )
        rows.append(
            {"result": result, "label": _label(result), "step": shown_step(at), "after": after, "problem": problem}
        )
    return rows
