"""Writes to action plans: monthly progress. Checked through the access choke-point and audited."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext as _

from stratmap.core.access import Access
from stratmap.core.audit import record
from stratmap.plans.models import ActionPlan, PlanProgress


class StaleProgress(Exception):
    """Someone saved this plan's progress after this person read it; nothing was written."""

    def __init__(self, plan: ActionPlan):
        self.plan = plan
        super().__init__(_("Someone else saved this plan's progress after you opened it; nothing was saved."))


@transaction.atomic
def plan_progress_record(
    *, access: Access, plan: ActionPlan, months: dict[int, dict], version: int, reason: str = ""
) -> ActionPlan:
    """Save the twelve months of a plan: ``months[m] = {"planned": bool, "done": bool, "note": str}``."""
    if not access.edits(plan.kpi):
        raise PermissionDenied
    current = ActionPlan.objects.select_for_update().get(pk=plan.pk)
    if current.progress_version != version:
        raise StaleProgress(current)
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
            row.save()
    if changes:
        current.progress_version += 1
        current.save(update_fields=["progress_version"])
        record(user=access.user, obj=current, action="progress", changes=changes, reason=reason, kpi=plan.kpi)
    return current
