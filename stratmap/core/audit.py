"""Writing the audit trail. Services call ``record``; nothing is recorded behind their back.

The trail is also what a refused stale write shows: each event keeps the version its change
gave the object (``object_version``), so :func:`changes_since` lists what someone else changed
after a person read version N, and :class:`Stale` carries that list to the 409 page.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import connection, models
from django.utils.translation import gettext as _

from stratmap.core.models import AuditEvent
from stratmap.core.validators import LONG_TEXT, TextError, check_text, control_character

#: The longest reason the trail keeps: its column is a TextField, which has no length of its own,
#: so it takes the shared limit of long texts.
REASON_LENGTH = LONG_TEXT


class Stale(Exception):
    """Someone changed the object after this person read it; nothing was written.

    ``message`` says so in the reader's language; ``meanwhile`` are the audit events of the
    changes made since the version the person read, oldest first (web/_conflict.html lists them).
    """

    def __init__(self, message: str, meanwhile: list[AuditEvent]):
        self.message, self.meanwhile = message, meanwhile
        super().__init__(message)


def changes_since(obj: models.Model, version: object) -> list[AuditEvent]:
    """The audit events that took ``obj`` past ``version``, oldest first (all of them for a version
    that is not a number: a client that sent none has seen none)."""
    seen = version if isinstance(version, int) and not isinstance(version, bool) else 0
    return list(
        AuditEvent.objects.filter(
            object_type=obj._meta.label_lower, object_id=obj.pk, object_version__gt=seen
        ).order_by("at", "pk")
    )


def check_reason(reason: str) -> str:
    """``reason`` if the trail may keep it; else a ValidationError on the field ``reason``.

    People type reasons into every form, the workbook and the administration; ``record`` checks
    each one here, so no service can store a control character or a reason no page can show.
    """
    try:
        return check_text(reason, max_length=REASON_LENGTH)
    except TextError:
        bad = control_character(reason)
        if bad is not None:
            message = _("The reason contains the control character U+%(code)s at position %(position)s; remove it.") % {
                "code": f"{ord(bad):04X}",
                "position": reason.index(bad) + 1,
            }
        else:
            message = _("The reason is %(length)s characters long; at most %(max)s are allowed.") % {
                "length": len(reason),
                "max": REASON_LENGTH,
            }
        raise ValidationError({"reason": message}) from None


def data_version(tables: Iterable[type[models.Model]]) -> str:
    """A digest of the version of the data held in ``tables``, in one query of index lookups: the last audit
    event (every edit, publication or removal records one; its time tells one made after a restore apart from
    the one it replaced) and the highest ids of ``tables`` (a load creates rows without events). Equal
    digests, equal data: what is kept under one (counts, pages) may be given again while it holds."""
    quote = connection.ops.quote_name
    audit = quote(AuditEvent._meta.db_table)
    highest = [
        f"(SELECT MAX({quote(m._meta.pk.column or m._meta.pk.attname)}) FROM {quote(m._meta.db_table)})" for m in tables
    ]
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT (SELECT MAX(id) FROM {audit}), "
            f"(SELECT MAX(at) FROM {audit} WHERE id = (SELECT MAX(id) FROM {audit}))"
            + "".join(f", {column}" for column in highest)
        )
        found = ":".join(map(str, cursor.fetchone()))
    return hashlib.sha1(found.encode(), usedforsecurity=False).hexdigest()  # a key any cache takes


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
    changes: Mapping[str, tuple[object, object]] | None = None,
    reason: str = "",
    kpi=None,
    version: int | None = None,
) -> list[AuditEvent]:
    """One event per changed field (or a single event for an action without fields).

    ``version`` is the version the change gave ``obj`` when it is not ``obj.version`` (a plan's
    ``progress_version``). A reason the trail may not keep is refused (:func:`check_reason`): the
    services call this inside their transaction, so the change is refused with it.
    """
    check_reason(reason)
    base = {
        "user": user if getattr(user, "is_authenticated", False) else None,
        "username": getattr(user, "get_username", lambda: "")() if user is not None else "",
        "action": action,
        "object_type": obj._meta.label_lower,
        "object_id": obj.pk,
        "object_repr": str(obj)[:300],
        "kpi": kpi,
        "reason": reason,
        "object_version": version if version is not None else getattr(obj, "version", None),
    }
    rows = [
        AuditEvent(**base, field=field, old=as_text(old), new=as_text(new))
        for field, (old, new) in (changes or {}).items()
        if as_text(old) != as_text(new)
    ]
    if not rows and not changes:
        rows = [AuditEvent(**base)]
    return AuditEvent.objects.bulk_create(rows)
