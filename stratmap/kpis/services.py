"""Writes to KPI results: entry and the review cycle. Keyword-only, checked, audited.

Every write goes through :mod:`stratmap.core.access` for permission, compares the
version the person read with the stored one (no lost updates), validates the
business rules (an explanation is required when the target is missed), saves and
records each changed field with who, when, old value, new value and reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from stratmap.core.access import Access
from stratmap.core.audit import record
from stratmap.core.models import AuditEvent
from stratmap.kpis.models import Kpi, KpiResult, KpiTarget
from stratmap.kpis.scoring import achievement_rate

#: What an editor enters; everything else about a result is set by the cycle.
ENTRY_FIELDS = (
    "actual",
    "unknown_kind",
    "unknown_reason",
    "innovation",
    "innovation_note",
    "challenge",
    "challenge_note",
    "contribution",
    "contribution_note",
    "situation_analysis",
    "countermeasures",
)
NUMBERS = {"actual", "innovation", "challenge", "contribution"}
EDITABLE = {KpiResult.Status.DRAFT, KpiResult.Status.RETURNED}


class StaleEdit(Exception):
    """Someone saved the result after this person read it; nothing was written."""

    def __init__(self, result: KpiResult, meanwhile: list[AuditEvent]):
        self.result, self.meanwhile = result, meanwhile
        super().__init__(_("Someone else changed this result after you opened it; nothing was saved."))


def _target(kpi: Kpi, year: int) -> Decimal | None:
    return KpiTarget.objects.filter(kpi=kpi, year=year).values_list("value", flat=True).first()


def missed_target(kpi: Kpi, year: int, actual: Decimal | None) -> bool:
    rate = achievement_rate(
        _target(kpi, year),
        actual,
        polarity=kpi.polarity,
        target_type=kpi.target_type,
        stages=tuple(Decimal(str(v)) for v in kpi.stages),
    )
    return rate.met is False


def validate_entry(kpi: Kpi, year: int, data: dict) -> None:
    """The rules of a result, raised as field errors a form can show."""
    errors: dict[str, str] = {}
    actual, kind = data.get("actual"), data.get("unknown_kind") or ""
    if actual is None and not kind:
        errors["actual"] = _("Enter the actual value, or say why it is unknown.")
    if actual is not None and kind:
        errors["unknown_kind"] = _("A result with an actual value is not unknown.")
    if kind == KpiResult.UnknownKind.OTHER and not (data.get("unknown_reason") or "").strip():
        errors["unknown_reason"] = _("Say why the actual is unknown.")
    if actual is not None and missed_target(kpi, year, actual):
        for field in ("situation_analysis", "countermeasures"):
            if not (data.get(field) or "").strip():
                errors[field] = _("The target was missed: this explanation is required.")
    if errors:
        raise ValidationError(errors)


def _locked(result: KpiResult, version: int | None) -> KpiResult:
    """The stored result, locked for update, if it is still the version the person read."""
    current = KpiResult.objects.select_for_update().get(pk=result.pk)
    if version is not None and current.version != version:
        meanwhile = AuditEvent.objects.filter(
            object_type="kpis.kpiresult", object_id=current.pk, object_version__gt=version
        ).order_by("at", "pk")
        raise StaleEdit(current, list(meanwhile))
    return current


def _entry(data: dict) -> dict:
    """The entry fields of ``data``: numbers as given (None = empty), text as text."""
    return {f: data.get(f) if f in NUMBERS else (data.get(f) or "") for f in ENTRY_FIELDS}


@transaction.atomic
def kpi_result_record(
    *, access: Access, kpi: Kpi, year: int, data: dict, version: int | None, reason: str = ""
) -> KpiResult:
    """Create or change a KPI's result for ``year`` from an editor's entry."""
    if not access.edits(kpi):
        raise PermissionDenied
    data = _entry(data)
    validate_entry(kpi, year, data)
    existing = KpiResult.objects.filter(kpi=kpi, year=year).first()
    if existing is None:
        result = KpiResult(kpi=kpi, year=year, **data)
        result.full_clean()
        result.save()
        record(
            user=access.user,
            obj=result,
            action="create",
            changes={f: (None, getattr(result, f)) for f in ENTRY_FIELDS},
            reason=reason,
            kpi=kpi,
        )
        return result
    result = _locked(existing, version)
    if result.status not in EDITABLE:
        raise ValidationError(_("This result is %(status)s and locked.") % {"status": result.get_status_display()})
    changes = {}
    for field, new in data.items():
        changes[field] = (getattr(result, field), new)
        setattr(result, field, new)
    result.version += 1
    result.full_clean()
    result.save()
    record(user=access.user, obj=result, action="update", changes=changes, reason=reason, kpi=kpi)
    return result


@dataclass(frozen=True)
class Transition:
    """A step of the review cycle: from which states, to which, who may take it, what it needs."""

    source: frozenset[str]
    target: str
    who: str  # "editor" | "reviewer" | "publisher"
    needs_text: bool = False


S = KpiResult.Status
TRANSITIONS = {
    "submit": Transition(frozenset({S.DRAFT, S.RETURNED}), S.SUBMITTED, "editor"),
    "return": Transition(frozenset({S.SUBMITTED}), S.RETURNED, "reviewer", needs_text=True),
    "approve": Transition(frozenset({S.SUBMITTED}), S.APPROVED, "reviewer"),
    "publish": Transition(frozenset({S.APPROVED}), S.PUBLISHED, "publisher"),
    "reopen": Transition(frozenset({S.APPROVED, S.PUBLISHED}), S.RETURNED, "publisher", needs_text=True),
}


def allowed_actions(access: Access, result: KpiResult) -> list[str]:
    """The cycle's steps this person may take on this result now."""
    may = {
        "editor": access.edits(result.kpi),
        "reviewer": access.reviews(result.kpi),
        "publisher": access.publishes,
    }
    return [name for name, t in TRANSITIONS.items() if result.status in t.source and may[t.who]]


@transaction.atomic
def kpi_result_transition(
    *, access: Access, result: KpiResult, action: str, version: int | None, text: str = ""
) -> KpiResult:
    """Move a result through the cycle: submit, return (with a comment), approve, publish, reopen (with a reason)."""
    step = TRANSITIONS.get(action)
    if step is None or action not in allowed_actions(access, result):
        raise PermissionDenied
    if step.needs_text and not text.strip():
        raise ValidationError({"text": _("Say why.")})
    current = _locked(result, version)
    if current.status not in step.source:
        raise ValidationError(_("This result is %(status)s now.") % {"status": current.get_status_display()})
    if action == "submit":
        validate_entry(current.kpi, current.year, {f: getattr(current, f) for f in ENTRY_FIELDS})
    old = current.status
    current.status = step.target
    if action in ("return", "reopen"):
        current.review_comment = text
    current.version += 1
    current.save(update_fields=["status", "review_comment", "version"])
    record(
        user=access.user,
        obj=current,
        action="status",
        changes={"status": (old, current.status)},
        reason=text,
        kpi=current.kpi,
    )
    return current
