"""Writes to action plans: monthly progress. Checked through the access choke-point, version-checked and audited.

A plan's progress has one version (``ActionPlan.progress_version``, 1 before anything is
recorded), so the first record of a plan's months is checked like every later one.
Concurrent savers wait on the plan's row lock (on SQLite, on the IMMEDIATE transaction).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import TypedDict

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from stratmap.access import Access
from stratmap.core.audit import Stale, changes_since, record
from stratmap.core.fields import Translatable
from stratmap.core.models import AuditEvent
from stratmap.core.names import set_translations
from stratmap.core.validators import TextError, check_text
from stratmap.kpis.models import Kpi
from stratmap.plans.models import ActionPlan, Outcome, PlanProgress, PlanTask
from stratmap.plans.selectors import plan_agencies, recorded
from stratmap.strategy.models import Revision, StrategyMap
from stratmap.strategy.services import map_edited, map_for_edit, revision_of_edit, save_checked, valid_code


class MonthProgress(TypedDict, total=False):
    """What is recorded of a plan's month (a key left out is False, or the empty note)."""

    planned: bool
    done: bool
    note: str


class StaleProgress(Stale):
    """Someone saved this plan's progress after this person read it; nothing was written.

    ``meanwhile`` lists what they changed (month and field, old and new, who, why): each
    progress event keeps the ``progress_version`` it reached.
    """

    def __init__(self, plan: ActionPlan, meanwhile: list[AuditEvent]):
        self.plan = plan
        super().__init__(
            _("Someone else saved this plan's progress after you opened it; nothing was saved."), meanwhile
        )


@transaction.atomic
def plan_progress_record(
    *, access: Access, plan: ActionPlan, months: dict[int, MonthProgress], version: int, reason: str = ""
) -> ActionPlan:
    """Save the twelve months of a plan: ``months[m]`` is month m's :class:`MonthProgress` (a month left out:
    nothing planned or done, no note).

    ``version`` is the ``progress_version`` the person read; another one is refused
    (:class:`StaleProgress`) and nothing is written.
    """
    if not access.edits(plan.kpi):
        raise PermissionDenied
    current = ActionPlan.objects.select_for_update().get(pk=plan.pk)
    if not isinstance(version, int) or current.progress_version != version:
        raise StaleProgress(current, changes_since(current, version))
    stored = {p.month: p for p in current.progress.all()}
    changes: dict[str, tuple[object, object]] = {}
    for month in range(1, 13):
        wanted = months.get(month, {})
        row = stored.get(month) or PlanProgress(plan=current, month=month)
        for field in ("planned", "done", "note"):
            old, new = getattr(row, field), wanted.get(field, False if field != "note" else "")
            if old != new:
                changes[f"{month}月 {field}"] = (old, new)
                setattr(row, field, new)
        if row.pk is not None or row.planned or row.done or row.note:
            try:
                row.full_clean(exclude=["plan"], validate_unique=False)  # one row a month: the plan's lock
            except ValidationError as error:
                raise ValidationError({f"{name}-{month}": msgs for name, msgs in error.message_dict.items()}) from None
            row.save()
    if changes:
        current.progress_version += 1
        current.full_clean()
        current.save(update_fields=["progress_version"])
        record(
            user=access.user,
            obj=current,
            action="progress",
            changes=changes,
            reason=reason,
            kpi=plan.kpi,
            version=current.progress_version,
        )
    return current


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
    months = recorded(list(found.progress.all()))
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
