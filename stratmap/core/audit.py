"""Writing the audit trail. Services call ``record``; nothing is recorded behind their back."""

from __future__ import annotations

from decimal import Decimal

from stratmap.core.models import AuditEvent


def as_text(value: object) -> str:
    """A value as the trail shows it: 3.6 (not 3.6000), empty for None."""
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    return str(value)


def record(
    *,
    user,
    obj,
    action: str,
    changes: dict[str, tuple[object, object]] | None = None,
    reason: str = "",
    kpi=None,
) -> list[AuditEvent]:
    """One event per changed field (or a single event for an action without fields)."""
    base = {
        "user": user if getattr(user, "is_authenticated", False) else None,
        "username": getattr(user, "get_username", lambda: "")() if user is not None else "",
        "action": action,
        "object_type": obj._meta.label_lower,
        "object_id": obj.pk,
        "object_repr": str(obj)[:300],
        "kpi": kpi,
        "reason": reason,
        "object_version": getattr(obj, "version", None),
    }
    rows = [
        AuditEvent(**base, field=field, old=as_text(old), new=as_text(new))
        for field, (old, new) in (changes or {}).items()
        if as_text(old) != as_text(new)
    ]
    if not rows and not changes:
        rows = [AuditEvent(**base)]
    return AuditEvent.objects.bulk_create(rows)
