"""Writes to action plans: each task's monthly progress and its review, and the plan editor's writes. Checked
through the access choke-point, version-checked and audited.

Each month of a task has its own version (``TaskProgress.version``; :data:`NEW`, 0, for a month not yet
recorded), so the first record of a month is checked like every later one. Concurrent savers wait on the
plan's row lock (on SQLite, on the IMMEDIATE transaction). The review is one step, as a KPI result's was
(:data:`STEPS`); whole months of a plan take a step at once (:func:`plan_month_transition`).
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from stratmap.access import Access
from stratmap.core.audit import Stale, changes_since, record
from stratmap.core.fields import Translatable
from stratmap.core.models import AuditEvent
from stratmap.core.names import set_translations
from stratmap.core.validators import TextError, check_text
from stratmap.kpis.models import Kpi
from stratmap.plans.models import ActionPlan, Outcome, PlanTask, TaskProgress
from stratmap.plans.selectors import STEPS, WRITABLE, plan_agencies, recorded, roles
from stratmap.strategy.models import Revision, StrategyMap
from stratmap.strategy.services import map_edited, map_for_edit, revision_of_edit, save_checked, valid_code

#: The version a form carries for a month of a task that had no progress row when it was opened.
NEW = 0
#: Of each field of a month, its value when nothing was entered (``planned`` comes from the schedule).
FIELDS = ("planned", "done", "note")


@dataclass(frozen=True)
class Cell:
    """What people enter for a task's month: planned, how far the work got, a note."""

    planned: bool
    done: str = TaskProgress.Done.NOT_STARTED
    note: str = ""


class StaleProgress(Stale):
    """Someone changed a month of this plan's progress after this person read it; nothing was written.

    ``meanwhile`` lists what they changed (month and field, old and new, who, why)."""

    def __init__(self, plan: ActionPlan, meanwhile: list[AuditEvent]):
        self.plan = plan
        super().__init__(
            _("Someone else saved this plan's progress after you opened it; nothing was saved."), meanwhile
        )


def _locked(plan: ActionPlan) -> ActionPlan:
    """The plan, locked: its row is the lock of its tasks' progress (two first entries of a month must not both
    find none), with what the access questions read."""
    return (
        ActionPlan.objects.select_for_update(of=("self",))
        .select_related("kpi__objective__theme__group", "kpi__objective__map__organization")
        .prefetch_related("kpi__agencies")
        .get(pk=plan.pk)
    )


def _stored(plan: ActionPlan) -> tuple[dict[int, PlanTask], dict[tuple[int, int], TaskProgress]]:
    tasks = {t.pk: t for t in PlanTask.objects.filter(plan=plan)}
    rows = {(r.task_id, r.month): r for r in TaskProgress.objects.select_for_update().filter(task__plan=plan)}
    return tasks, rows


def _began(plan: ActionPlan, month: int, today: datetime.date) -> bool:
    """Whether the calendar month ``month`` of the plan's map's year has begun by ``today``."""
    smap = plan.kpi.objective.map
    when = next(ym for ym in smap.organization.year_style.months(smap.year) if ym[1] == month)
    return when <= (today.year, today.month)


def _audit(
    access: Access, row: TaskProgress, plan: ActionPlan, changes: dict[str, tuple[object, object]], reason: str
) -> None:
    record(user=access.user, obj=row, action="progress", changes=changes, reason=reason, kpi=plan.kpi)


@transaction.atomic
def task_progress_save(
    *,
    access: Access,
    plan: ActionPlan,
    cells: Mapping[tuple[int, int], Cell],
    versions: Mapping[tuple[int, int], int],
    reason: str = "",
    today: datetime.date | None = None,
) -> list[TaskProgress]:
    """Record the months of a plan's tasks, all or nothing: ``cells[(task id, month)]`` is what a month of a
    task should hold, ``versions[(task id, month)]`` the version the person read (:data:`NEW` where there
    was no row). A month left as it is stored is not written; one whose version is another is refused
    (:class:`StaleProgress`, with what changed); one submitted, approved or published is refused (a
    ValidationError keyed ``cell-<task>-<month>``). A month with no row gets one when it differs from its
    default (planned as scheduled, not started, no note), or when it is planned and has begun by ``today``
    (so that "not started" can be reported and submitted). Each written month is audited with the KPI.
    Returns the rows written."""
    current = _locked(plan)
    if not access.edits(current.kpi):
        raise PermissionDenied
    today = today or timezone.localdate()
    tasks, stored = _stored(current)
    written: list[TaskProgress] = []
    stale: list[AuditEvent] = []
    refused = False
    for (task_id, month), cell in cells.items():
        task = tasks.get(task_id)
        if task is None or not 1 <= month <= 12:
            raise ValidationError(_("This plan has no such task or month."))
        key = f"cell-{task_id}-{month}"
        row = stored.get((task_id, month))
        scheduled = bool(task.months) and month in (task.months or [])
        wanted = {"planned": cell.planned, "done": cell.done, "note": cell.note.strip()}
        if row is None:
            default = {"planned": scheduled, "done": TaskProgress.Done.NOT_STARTED, "note": ""}
            if wanted == default and not (cell.planned and _began(current, month, today)):
                continue
            row = TaskProgress(task=task, month=month, version=NEW)
            # A new month records its planned state, and what else differs from nothing entered.
            old: dict[str, object] = {"planned": None, "done": TaskProgress.Done.NOT_STARTED, "note": ""}
        else:
            old = {f: getattr(row, f) for f in FIELDS}
            if old == wanted:
                continue
        seen = versions.get((task_id, month))
        if seen != row.version:
            refused = True
            if row.pk is not None:
                stale += changes_since(row, seen)
            continue
        if row.pk is not None and row.status not in WRITABLE:
            raise ValidationError(
                {
                    key: _("This month's progress is %(status)s: it can no longer be changed.")
                    % {"status": row.get_status_display()}
                }
            )
        for field, value in wanted.items():
            setattr(row, field, value)
        row.version += 1
        try:
            row.full_clean(exclude=["task"], validate_unique=False)  # one row a month: the plan's lock
        except ValidationError as error:
            raise ValidationError({f"{key}-{name}": msgs for name, msgs in error.message_dict.items()}) from None
        row.save()
        changes = {f"{month}月 {f}": (old[f], wanted[f]) for f in FIELDS if old[f] != wanted[f]}
        _audit(access, row, current, changes, reason)
        written.append(row)
    if refused:
        raise StaleProgress(current, sorted(stale, key=lambda e: (e.at, e.pk)))
    return written


def task_progress_record(
    *,
    access: Access,
    task: PlanTask,
    month: int,
    cell: Cell,
    version: int,
    reason: str = "",
    today: datetime.date | None = None,
) -> TaskProgress | None:
    """Record one month of one task (:func:`task_progress_save` for one cell); None when nothing changed."""
    written = task_progress_save(
        access=access,
        plan=task.plan,
        cells={(task.pk, month): cell},
        versions={(task.pk, month): version},
        reason=reason,
        today=today,
    )
    return written[0] if written else None


@transaction.atomic
def plan_month_transition(
    *, access: Access, plan: ActionPlan, month: int, action: str, versions: Mapping[int, int], text: str = ""
) -> list[TaskProgress]:
    """Take the review step ``action`` (:data:`STEPS`) on every month ``month`` of the plan's tasks that is in
    one of the step's states, all or nothing. ``versions`` is, by row id, the version the person read of each
    such month: a month changed since, or one that came to the step's states since the page was shown, is
    refused (:class:`StaleProgress`) and nothing is written. Each change is audited with the KPI."""
    return _transition(access=access, plan=plan, months={month}, action=action, versions=versions, text=text)


@transaction.atomic
def task_progress_transition(
    *, access: Access, progress: TaskProgress, action: str, version: int, text: str = ""
) -> TaskProgress:
    """Take the review step ``action`` on one month of one task, checked against ``version``."""
    plan = progress.task.plan
    rows = _transition(
        access=access, plan=plan, months={progress.month}, action=action,
        versions={progress.pk: version}, text=text, only={progress.pk},
    )  # fmt: skip
    return rows[0]


def _transition(
    *,
    access: Access,
    plan: ActionPlan,
    months: set[int],
    action: str,
    versions: Mapping[int, int],
    text: str,
    only: set[int] | None = None,
) -> list[TaskProgress]:
    step = STEPS.get(action)
    current = _locked(plan)
    if step is None or not roles(access=access, kpi=current.kpi)[step.who]:
        raise PermissionDenied
    if step.needs_text and not text.strip():
        raise ValidationError({"text": _("Say why.")})
    _tasks, stored = _stored(current)
    rows = [
        r
        for (_t, month), r in sorted(stored.items())
        if month in months and (only is None or r.pk in only) and (r.status in step.source or r.pk in versions)
    ]
    stale = [r for r in rows if versions.get(r.pk) != r.version]
    if stale or {r.pk for r in rows} != set(versions):
        meanwhile = [e for r in stale for e in changes_since(r, versions.get(r.pk))]
        raise StaleProgress(current, meanwhile)
    if not rows:
        raise ValidationError(_("Nothing here can take this step."))
    for row in rows:
        if row.status not in step.source:
            raise ValidationError(_("This month's progress is %(status)s now.") % {"status": row.get_status_display()})
        old = row.status
        row.status = step.target
        if action in ("return", "reopen"):
            row.review_comment = text.strip()
        row.version += 1
        row.full_clean(exclude=["task"], validate_unique=False)
        row.save(update_fields=["status", "review_comment", "version"])
        record(user=access.user, obj=row, action="status", changes={"status": (old, row.status)}, reason=text,
               kpi=current.kpi)  # fmt: skip
    return rows


# --- the action plan editor (issue 15 item 3) -------------------------------------------------------------
# A plan is written whole, with its tasks and outcomes, as the editor's one form shows it: checked against and
# bumping the map's version, one audit event of the map listing each change. Its tasks and outcomes are lists
# (the loader keys them by plan and place, and so does this): the row at each place is updated, the ones past
# the end removed, new ones added. A text changed here loses its translation, which no longer says the same.

#: A task as the editor gives it: its name and its months (calendar months 1–12, in any order; None: not known).
TaskSpec = tuple[str, Sequence[int] | None]
#: An expected outcome: its text, its quantity (None: none) and the quantity's unit.
OutcomeSpec = tuple[str, Decimal | None, str]

#: The plan's model fields and the form field of each.
PLAN_FIELDS = {"kpi": "kpi", "code": "code", "name": "name", "note": "note", "agencies": "agencies"}


def _key(text: str) -> str:
    return text[:60]  # the audit trail's field


def _months_text(months: Sequence[int] | None) -> str:
    return "?" if months is None else ",".join(str(m) for m in months)


def other_languages(language: str) -> list[str]:
    """The site's languages other than ``language`` (the organization's), into which its names are translated."""
    return [code for code, _name in settings.LANGUAGES if code != language]


def _drop_translations(obj: Translatable, field: str) -> None:
    """Remove ``obj.<field>``'s translations, which no longer say what its changed text says."""
    set_translations(obj, field, {code: "" for code, _name in settings.LANGUAGES})


def _checked_months(months: Sequence[int] | None, field: str) -> list[int] | None:
    if months is None:
        return None
    for month in months:
        if isinstance(month, bool) or not isinstance(month, int) or not 1 <= month <= 12:
            raise ValidationError({field: _("%(value)s is not a month: use 1–12.") % {"value": month}})
    return sorted(set(months))


@transaction.atomic
def plan_save(
    *,
    access: Access,
    smap: StrategyMap,
    version: int,
    plan: ActionPlan | None = None,
    kpi: str,
    code: str,
    name: str,
    translations: Mapping[str, str] | None = None,
    agencies: Sequence[str] = (),
    note: str = "",
    tasks: Sequence[TaskSpec] = (),
    outcomes: Sequence[OutcomeSpec] = (),
    reason: str = "",
) -> ActionPlan:
    """Add an action plan to the KPI ``kpi`` (its code) of ``smap``, or change ``plan``: its code, name and the
    name's ``translations`` (``{"name_en": …}``, into the site's other languages; "" removes one), responsible
    ``agencies`` (codes), note, its tasks with their months and its expected outcomes, each list whole, in
    order. Errors are keyed by the editor's form fields: ``tasks-<i>-months``, ``outcomes-<i>-quantity`` …"""
    current = map_for_edit(access=access, smap=smap, version=version)
    language = current.organization.language
    code, name, note = valid_code(code, "code"), name.strip(), note.strip()
    the_kpi = Kpi.objects.filter(objective__map=current, code=kpi.strip()).select_related("objective").first()
    if the_kpi is None:
        raise ValidationError({"kpi": _("This map has no KPI with the code %(code)s.") % {"code": kpi}})
    if plan is not None:
        plan = ActionPlan.objects.filter(pk=plan.pk, kpi__objective__map=current).first()
        if plan is None:
            raise PermissionDenied
    other = ActionPlan.objects.filter(kpi__objective__map=current, code=code).select_related("kpi").first()
    if other is not None and (plan is None or other.pk != plan.pk):
        raise ValidationError({"code": _("The code %(code)s is already used in this map by %(item)s (KPI %(kpi)s).") % {
            "code": code, "item": f"{other.code} {other.name}", "kpi": other.kpi.code}})  # fmt: skip
    allowed = {org.code: org for org in plan_agencies(smap=current)}
    if plan is not None:
        allowed |= {org.code: org for org in plan.agencies.all()}
    wanted_agencies = list(dict.fromkeys(a.strip() for a in agencies if a.strip()))
    unknown = [a for a in wanted_agencies if a not in allowed]
    if unknown:
        raise ValidationError(
            {"agencies": _("%(codes)s cannot be responsible for this map's plans.") % {"codes": ", ".join(unknown)}}
        )
    given = {code: text.strip() for code, text in (translations or {}).items()}
    for code_, text in given.items():
        if code_ not in other_languages(language):
            raise ValidationError(
                {"__all__": _("%(language)s is not a language to translate into.") % {"language": code_}}
            )
        try:
            check_text(text, max_length=ActionPlan._meta.get_field("name").max_length)
        except TextError as error:
            raise ValidationError({f"name_{code_}": str(error)}) from None
    task_rows = [
        (t_name.strip(), _checked_months(months, f"tasks-{i}-months")) for i, (t_name, months) in enumerate(tasks)
    ]
    for i, (t_name, _m) in enumerate(task_rows):
        if not t_name:
            raise ValidationError({f"tasks-{i}-name": _("A task needs a name.")})
    outcome_rows = [(text.strip(), quantity, unit.strip()) for text, quantity, unit in outcomes]
    for i, (text, _q, _u) in enumerate(outcome_rows):
        if not text:
            raise ValidationError({f"outcomes-{i}-text": _("An expected outcome needs a text.")})

    changes: dict[str, tuple[object, object]] = {}
    label = f"plan {code}"
    if plan is None:
        order = (ActionPlan.objects.filter(kpi__objective__map=current).aggregate(m=Max("order"))["m"] or 0) + 1
        plan = ActionPlan(kpi=the_kpi, code=code, name=name, note=note, order=order)
        changes[_key(label)] = ("", f"{the_kpi.code}: {name}")
        old_agencies: list[str] = []
        plan_was: tuple[str, str] | None = None
    else:
        old = {"kpi": plan.kpi.code, "code": plan.code, "name": plan.name, "note": plan.note}
        plan_was = (plan.code, plan.name)
        new = {"kpi": the_kpi.code, "code": code, "name": name, "note": note}
        changes |= {_key(f"{label} {f}"): (old[f], new[f]) for f in old if old[f] != new[f]}
        if plan.kpi_id != the_kpi.pk:  # at the end of its new KPI's plans
            plan.order = (
                ActionPlan.objects.filter(kpi__objective__map=current).aggregate(m=Max("order"))["m"] or 0
            ) + 1
        if plan.note != note:
            _drop_translations(plan, "note")
        plan.kpi, plan.code, plan.name, plan.note = the_kpi, code, name, note
        old_agencies = [a.code for a in plan.agencies.all()]
    for key, change in set_translations(plan, "name", given).items():
        changes[_key(f"{label} {key}")] = change
    if old_agencies != wanted_agencies:
        changes[_key(f"{label} agencies")] = (", ".join(old_agencies), ", ".join(wanted_agencies))
    save_checked(plan, PLAN_FIELDS)
    if old_agencies != wanted_agencies:
        plan.agencies.set([allowed[a] for a in wanted_agencies])

    stored_tasks = list(plan.tasks.order_by("order"))
    for i, (t_name, months) in enumerate(task_rows):
        row = stored_tasks[i] if i < len(stored_tasks) else PlanTask(plan=plan, order=i)
        before = (row.name, row.months) if row.pk else None
        if before == (t_name, months):
            continue
        if row.name != t_name:
            _drop_translations(row, "name")
        row.name, row.months = t_name, months
        changes[_key(f"{label} task {i + 1}")] = (
            f"{before[0]} [{_months_text(before[1])}]" if before else "",
            f"{t_name} [{_months_text(months)}]",
        )
        save_checked(row, {"name": f"tasks-{i}-name", "months": f"tasks-{i}-months"})
    for i, row in enumerate(stored_tasks[len(task_rows) :], start=len(task_rows)):
        if recorded(list(TaskProgress.objects.filter(task=row))):  # its agency's record of the work would go
            raise ValidationError(
                {f"tasks-{i}-name": _("This task has monthly progress recorded: it cannot be removed.")}
            )
        changes[_key(f"{label} task {i + 1}")] = (f"{row.name} [{_months_text(row.months)}]", "—")
        row.delete()

    stored_outcomes = list(plan.outcomes.order_by("order"))
    for i, (text, quantity, unit) in enumerate(outcome_rows):
        row_o = stored_outcomes[i] if i < len(stored_outcomes) else Outcome(plan=plan, order=i)
        was = (row_o.text, row_o.quantity, row_o.unit, row_o.objective_id) if row_o.pk else None
        if was == (text, quantity, unit, the_kpi.objective_id):
            continue
        if row_o.text != text:
            _drop_translations(row_o, "text")
        if row_o.unit != unit:
            _drop_translations(row_o, "unit")
        row_o.objective, row_o.text, row_o.quantity, row_o.unit = the_kpi.objective, text, quantity, unit
        if was is None or was[:3] != (text, quantity, unit):
            changes[_key(f"{label} outcome {i + 1}")] = (
                _outcome_text(*was[:3]) if was else "",
                _outcome_text(text, quantity, unit),
            )
        field = {"text": "text", "quantity": "quantity", "unit": "unit"}
        save_checked(row_o, {k: f"outcomes-{i}-{v}" for k, v in field.items()})
    for i, row_o in enumerate(stored_outcomes[len(outcome_rows) :], start=len(outcome_rows)):
        changes[_key(f"{label} outcome {i + 1}")] = (_outcome_text(row_o.text, row_o.quantity, row_o.unit), "—")
        row_o.delete()

    if changes:
        revision_of_edit(current=current, level=Revision.Level.ACTION_PLAN, objective_code=the_kpi.objective.code,
                         old=plan_was, new=(plan.code, plan.name), reason=reason)  # fmt: skip
        map_edited(access=access, smap=smap, current=current, changes=changes, reason=reason)
    return plan


def _outcome_text(text: str, quantity: Decimal | None, unit: str) -> str:
    if quantity is None:
        return text
    return f"{text} ({format(quantity.normalize(), 'f')} {unit})".replace(" )", ")")


@transaction.atomic
def plan_delete(*, access: Access, smap: StrategyMap, version: int, plan: ActionPlan, reason: str = "") -> None:
    """Remove an action plan with its tasks and outcomes. One with recorded monthly progress is refused: that
    is its agency's record of the work, entered on its own page, and would go with it."""
    current = map_for_edit(access=access, smap=smap, version=version)
    found = ActionPlan.objects.filter(pk=plan.pk, kpi__objective__map=current).first()
    if found is None:
        raise PermissionDenied
    months = recorded(list(TaskProgress.objects.filter(task__plan=found)))
    if months:
        raise ValidationError(
            _("%(code)s has monthly progress recorded for %(n)d months: it cannot be deleted.")
            % {"code": found.code, "n": months}
        )
    revision_of_edit(current=current, level=Revision.Level.ACTION_PLAN, objective_code=found.kpi.objective.code,
                     old=(found.code, found.name), new=None, reason=reason)  # fmt: skip
    changes: dict[str, tuple[object, object]] = {_key(f"plan {found.code}"): (found.name, "—")}
    found.delete()
    map_edited(access=access, smap=smap, current=current, changes=changes, reason=reason)
