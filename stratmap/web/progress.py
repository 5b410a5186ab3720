"""An action plan's monthly progress, per task (issue 16 item 6): the grid its KPI's agency editors fill in, and
the review steps of each month (submit, approve or return, publish). Thin views over
:mod:`stratmap.plans.services`; the page reads :func:`stratmap.plans.selectors.plan_progress_grid`."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.utils.translation import pgettext
from django.views.decorators.http import require_http_methods, require_POST

from stratmap.access import access_for, get_map_for_user
from stratmap.kpis.presenters import MonthColumn, month_columns
from stratmap.plans.models import ActionPlan, PlanTask, TaskProgress
from stratmap.plans.selectors import STEPS, WRITABLE, ProgressGrid, plan_progress_grid
from stratmap.plans.services import NEW, Cell, StaleProgress, plan_month_transition, task_progress_save
from stratmap.strategy.models import StrategyMap

#: The review steps' names on their buttons.
STEP_LABELS = {
    "submit": pgettext("progress step", "Submit"),
    "approve": pgettext("progress step", "Approve"),
    "return": pgettext("progress step", "Return"),
    "publish": pgettext("progress step", "Publish"),
    "reopen": pgettext("progress step", "Reopen"),
}


#: A month's fields, as the refusals name them.
FIELD_LABELS = {"planned": _lazy("planned"), "done": _lazy("done"), "note": _lazy("note")}


@dataclass(frozen=True)
class GridCell:
    """A month of a task as the page shows it: its stored row (None: nothing recorded), whether it is planned
    (the row's, else the schedule), whether this person may change it, and its form fields' suffix."""

    task: PlanTask
    row: TaskProgress | None
    planned: bool
    writable: bool
    key: str

    @property
    def version(self) -> int:
        return self.row.version if self.row is not None else NEW


@dataclass(frozen=True)
class GridMonth:
    column: MonthColumn
    begun: bool
    cells: list[GridCell]
    steps: list[tuple[str, str, dict[int, int], bool]]  # action, its label, rows and versions, needs a comment


def _grid(grid: ProgressGrid, smap: StrategyMap) -> list[GridMonth]:
    months = []
    for column in month_columns(smap.organization.year_style, smap.year):
        cells = []
        for task in grid.tasks:
            row = grid.cells.get((task.pk, column.month))
            planned = row.planned if row is not None else column.month in (task.months or ())
            writable = grid.may["editor"] and (row is None or row.status in WRITABLE)
            cells.append(GridCell(task, row, planned, writable, f"{task.pk}-{column.month}"))
        steps = [
            (action, STEP_LABELS[action], rows, STEPS[action].needs_text)
            for action, rows in grid.steps.get(column.month, {}).items()
        ]
        months.append(GridMonth(column, column.month in grid.begun, cells, steps))
    return months


def _load(request: HttpRequest, org: str, year: int, code: str) -> tuple[StrategyMap, ProgressGrid]:
    smap = get_map_for_user(request, org, year)
    try:
        return smap, plan_progress_grid(smap=smap, code=code, access=access_for(request))
    except ActionPlan.DoesNotExist:
        raise Http404 from None


def _cells(request: HttpRequest, grid: ProgressGrid) -> tuple[dict[tuple[int, int], Cell], dict[tuple[int, int], int]]:
    """The months the form carried (those the person may change: each has its version), as the service takes them."""
    cells, versions = {}, {}
    done_values = set(TaskProgress.Done.values)
    for task in grid.tasks:
        for month in range(1, 13):
            key = f"{task.pk}-{month}"
            raw_version = request.POST.get(f"version-{key}")
            if raw_version is None:
                continue
            done = request.POST.get(f"done-{key}", TaskProgress.Done.NOT_STARTED)
            cells[(task.pk, month)] = Cell(
                planned=request.POST.get(f"planned-{key}") == "on",
                done=done if done in done_values else "",  # refused by the model's choices, on its cell
                note=request.POST.get(f"note-{key}", ""),
            )
            versions[(task.pk, month)] = int(raw_version) if raw_version.isdigit() else -1
    return cells, versions


def _problems(error: ValidationError, smap: StrategyMap, grid: ProgressGrid) -> list[str]:
    """The service's refusals, each naming its task and month: a grid shows many of each."""
    if not hasattr(error, "error_dict"):
        return list(error.messages)
    names = {str(t.pk): t.name for t in grid.tasks}
    labels = {str(c.month): c.label for c in month_columns(smap.organization.year_style, smap.year)}
    problems = []
    for key, texts in error.message_dict.items():
        parts = key.split("-")
        where = key
        if parts[0] == "cell" and len(parts) >= 3:
            where = f"{names.get(parts[1], '')[:40]} {labels.get(parts[2], parts[2])}"
            if len(parts) > 3 and parts[3] in FIELD_LABELS:
                where += f" {FIELD_LABELS[parts[3]]}"
        problems += [f"{where}{pgettext('after a label', ': ')}{text}" if key != "reason" else text for text in texts]
    return problems


def _page(request: HttpRequest, smap: StrategyMap, grid: ProgressGrid, **extra) -> HttpResponse:
    status = 409 if extra.get("conflict") else 400 if extra.get("problems") else 200
    return render(
        request,
        "web/progress.html",
        {
            "map": smap,
            "org": smap.organization,
            "year": smap.year,
            "plan": grid.plan,
            "grid": grid,
            "tasks": grid.tasks,
            "months": _grid(grid, smap),
            "done_choices": TaskProgress.Done.choices,
            "conflict": None,
            "problems": [],
            **extra,
        },
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def plan_progress(request: HttpRequest, org: str, year: int, code: str) -> HttpResponse:
    """The progress of one action plan, a grid of its tasks by month: planned, done, a note; and each month's
    review steps for those who take them."""
    smap, grid = _load(request, org, year, code)
    if request.method == "POST":
        if not grid.may["editor"]:
            raise Http404
        cells, versions = _cells(request, grid)
        try:
            task_progress_save(
                access=access_for(request),
                plan=grid.plan,
                cells=cells,
                versions=versions,
                reason=request.POST.get("reason", ""),
            )
        except StaleProgress as stale:
            return _page(request, smap, _load(request, org, year, code)[1], conflict=stale)
        except ValidationError as error:
            return _page(request, smap, grid, problems=_problems(error, smap, grid))
        messages.success(request, _("Saved."))
        return redirect("web:plan-progress", org=org, year=smap.url_year, code=code)
    return _page(request, smap, grid)


@login_required
@require_POST
def plan_progress_step(request: HttpRequest, org: str, year: int, code: str) -> HttpResponse:
    """A review step on a whole month of the plan (every task's month in the step's states), all or nothing."""
    smap, grid = _load(request, org, year, code)
    raw_month = request.POST.get("month", "")
    month = int(raw_month) if raw_month.isdigit() else 0
    versions = {
        int(name[4:]): int(value) if value.isdigit() else -1
        for name in request.POST
        if name.startswith("row-") and name[4:].isdigit() and (value := request.POST.get(name, "")) is not None
    }
    try:
        plan_month_transition(
            access=access_for(request),
            plan=grid.plan,
            month=month,
            action=request.POST.get("action", ""),
            versions=versions,
            text=request.POST.get("text", ""),
        )
    except PermissionDenied:
        raise Http404 from None
    except StaleProgress as stale:
        return _page(request, smap, _load(request, org, year, code)[1], conflict=stale)
    except ValidationError as error:
        return _page(request, smap, grid, problems=list(error.messages))
    messages.success(request, _("Done."))
    return redirect("web:plan-progress", org=org, year=smap.url_year, code=code)
