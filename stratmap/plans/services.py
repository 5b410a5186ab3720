"""Writes to action plans: monthly progress. Checked through the access choke-point, version-checked and audited.

A plan's progress has one version (``ActionPlan.progress_version``, 1 before anything is
recorded), so the first record of a plan's months is checked like every later one.
Concurrent savers wait on the plan's row lock (on SQLite, on the IMMEDIATE transaction).
"""

from __future__ import annotations

from typing import TypedDict

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from stratmap.access import Access
from stratmap.core.audit import Stale, changes_since, record
from stratmap.core.models import AuditEvent
from stratmap.plans.models import ActionPlan, PlanProgress


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
