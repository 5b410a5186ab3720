"""The API's writes, for the agencies' own systems: a result (and its submission) and a task's month of
progress, through the services the pages use (permission, validation, version check, audit with the token's
owner). They need a token with the scope ``write:results``."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404, HttpRequest
from django.utils.translation import gettext as _
from ninja import Router

from stratmap.api import out, schemas
from stratmap.api.auth import Bearer, caller_of
from stratmap.api.models import Scope
from stratmap.kpis.models import Kpi
from stratmap.kpis.services import ENTRY_FIELDS, kpi_result_record, kpi_result_transition
from stratmap.plans.models import ActionPlan, PlanTask, TaskProgress
from stratmap.plans.services import Cell, task_progress_record

router = Router(tags=["write"], auth=Bearer(Scope.WRITE_RESULTS))
ERRORS: dict[int, Any] = {s: schemas.Error for s in (400, 401, 403, 404, 409)}
MAP = "/maps/{org}/{year}"


class NotYours(PermissionDenied):
    """The caller reads this KPI but does not enter its results: a 403 that says so."""


@router.post(f"{MAP}/kpis/{{code}}/results", response={200: schemas.Result, **ERRORS}, summary="Record a result")
def record_result(request: HttpRequest, org: str, year: str, code: str, entry: schemas.ResultIn) -> dict[str, Any]:
    """Record the result of KPI ``code`` for the map's year (or one of its periods), as its result page does,
    and submit it for review with ``submit``. ``version`` is the result's as last read (0 when it had none):
    a stale one is refused (409) with what changed since; nothing is written then."""
    access = caller_of(request).access
    smap = out.map_of(access, org, year)
    kpi = (
        Kpi.objects.select_related("objective__map__organization", "objective__theme__group")
        .prefetch_related("agencies")
        .filter(objective__map=smap, code=code)
        .first()
    )
    if kpi is None:
        raise Http404
    if not access.edits(kpi):
        raise NotYours(_("You do not enter the results of %(code)s.") % {"code": kpi.code})
    period = out.period_of(entry.period, "body.period") or ""
    data = {name: getattr(entry, name) for name in ENTRY_FIELDS}
    with transaction.atomic():
        result = kpi_result_record(
            access=access, kpi=kpi, year=smap.year, data=data, version=entry.version, reason=entry.reason, period=period
        )
        if entry.submit:
            result = kpi_result_transition(access=access, result=result, action="submit", version=result.version)
    return out.result(result, smap)


@router.post(
    f"{MAP}/plans/{{code}}/progress", response={200: schemas.Progress, **ERRORS}, summary="Record a task's month"
)
def record_progress(request: HttpRequest, org: str, year: str, code: str, entry: schemas.ProgressIn) -> dict[str, Any]:
    """Record one calendar month of one task of action plan ``code``, as the plan's progress page does.
    ``version`` is the month's as last read (0 when it had no progress): a stale one is refused (409)."""
    access = caller_of(request).access
    smap = out.map_of(access, org, year)
    plan = (
        ActionPlan.objects.select_related("kpi__objective__map__organization", "kpi__objective__theme__group")
        .prefetch_related("kpi__agencies")
        .filter(kpi__objective__map=smap, code=code)
        .first()
    )
    if plan is None:
        raise Http404
    if not access.edits(plan.kpi):
        raise NotYours(_("You do not enter the progress of %(code)s.") % {"code": plan.code})
    tasks = list(PlanTask.objects.filter(plan=plan).order_by("order", "pk"))  # numbered as the reads number them
    task = tasks[entry.task - 1] if entry.task <= len(tasks) else None
    if task is None:
        raise out.BadParameter("body.task", entry.task, _("%(code)s has no task %(number)s.") % {
            "code": plan.code, "number": entry.task})  # fmt: skip
    stored = TaskProgress.objects.filter(task=task, month=entry.month).first()
    planned = entry.planned
    if planned is None:
        planned = stored.planned if stored is not None else entry.month in (task.months or [])
    cell = Cell(planned=planned, done=entry.done, note=entry.note)
    task.plan = plan  # the service reads the plan's KPI and map from it
    written = task_progress_record(
        access=access, task=task, month=entry.month, cell=cell, version=entry.version, reason=entry.reason
    )
    row = written or TaskProgress.objects.filter(task=task, month=entry.month).first()
    if row is None:  # nothing to record (a month not begun, left as scheduled): as it reads
        row = TaskProgress(task=task, month=entry.month, planned=planned, version=0)
    return out.progress(row)
