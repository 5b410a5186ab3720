"""Writes to KPI results: entry, the review cycle and the administration. Keyword-only, checked, audited.

Every write goes through :mod:`stratmap.access` for permission, compares the
version the person read with the stored one (no lost updates: a form opened before
the first entry carries :data:`NEW`), validates the business rules (numbers the
columns can hold; an explanation is required when the target is missed), saves and
records each changed field with who, when, old value, new value and reason.

Concurrent writers of one KPI's result wait for each other: each write locks the KPI
row first, so of two first entries the second finds the first and is refused as stale
instead of failing on the unique constraint. (On SQLite, where ``select_for_update``
does nothing, the settings' IMMEDIATE transactions serialize writers the same way.)
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, models, transaction
from django.utils.translation import gettext as _

from stratmap.access import Access
from stratmap.core.audit import Stale, record
from stratmap.core.models import AuditEvent
from stratmap.core.years import YearStyle
from stratmap.kpis.models import (
    EDITABLE,
    Kpi,
    KpiResult,
    KpiTarget,
)
from stratmap.kpis.scoring import achievement_rate

# The fields of a result entry are listed here and only here: the entry form, the Excel
# workbook and the administration take them from these lists.

#: The self-assessment's scores, each a number from 0 to 100.
SCORES = ("innovation", "challenge", "contribution")
#: Each score with its narrative, as the self-assessment is published.
SELF_ASSESSMENT = tuple(name for score in SCORES for name in (score, f"{score}_note"))
#: What an editor enters, in the order forms and workbooks show it; everything else about a
#: result is set by the cycle.
ENTRY_FIELDS = ("actual", "unknown_kind", "unknown_reason", *SELF_ASSESSMENT, "situation_analysis", "countermeasures")
#: What the administration may change besides the entry: the figures as published. The
#: status and review comment change only through the cycle (:func:`kpi_result_transition`).
ADMIN_FIELDS = (*ENTRY_FIELDS, "printed", "rate_reported", "score_reported", "light_reported", "note")
#: The columns of the fields of :data:`ADMIN_FIELDS` that hold numbers (the others hold text), by name.
_NUMBER_FIELDS = {
    field.name: field
    for field in (KpiResult._meta.get_field(name) for name in ADMIN_FIELDS)
    if isinstance(field, models.DecimalField)
}
#: The fields of :data:`ADMIN_FIELDS` that hold numbers.
NUMBERS = frozenset(_NUMBER_FIELDS)
#: The version a form carries when it was opened before the KPI had a result for the year.
NEW = 0


class StaleEdit(Stale):
    """Someone saved the result after this person read it; nothing was written.

    ``result`` is the stored result (None if it was deleted meanwhile); ``meanwhile``
    the audit events of the changes made since the version the person read.
    """

    def __init__(self, result: KpiResult | None, meanwhile: list[AuditEvent]):
        self.result = result
        super().__init__(_("Someone else changed this result after you opened it; nothing was saved."), meanwhile)


def missed_target(*, kpi: Kpi, year: int, actual: Decimal | None, period: str = "") -> bool:
    """Whether ``actual`` misses the target of ``year`` (of its ``period``: "" the whole year); a period
    without a target of its own misses nothing."""
    target = KpiTarget.objects.filter(kpi=kpi, year=year, period=period).first()
    return achievement_rate(kpi.target_for(target), actual).met is False


#: Which year a period code is checked in: the codes of a fiscal year's periods are the same in every year.
_ANY_YEAR = 2000


def check_period(*, kpi: Kpi, period: str) -> None:
    """Refuse a ``period`` that is not one of the KPI's: "" (the year) always is; else a code of the
    unit its frequency reports in (Q1–Q4 for a quarterly KPI, M01–M12 for a monthly one)."""
    if period == "":
        return
    # A KPI's codes are the same in every organization's years, only their order differs: its map and
    # organization are read only to name them, in the order of its year (a council's months M04 … M03).
    if period not in kpi.periods(_ANY_YEAR, YearStyle()):
        codes = list(kpi.periods(_ANY_YEAR))
        expected = (
            ", ".join(codes)
            if codes
            else _("the whole year only (the KPI is reported %(frequency)s)")
            % {"frequency": kpi.get_frequency_display()}
        )
        raise ValidationError(
            {"period": _("%(value)s is not a period of %(code)s; expected %(expected)s") % {
                "value": period, "code": kpi.code, "expected": expected}}
        )  # fmt: skip


def validate_entry(*, kpi: Kpi, year: int, data: dict, period: str = "") -> None:
    """The rules of a result (of ``year``'s ``period``), raised as field errors a form can show."""
    errors: dict[str, str] = {}
    actual, kind = data.get("actual"), data.get("unknown_kind") or ""
    if actual is None and not kind:
        errors["actual"] = _("Enter the actual value, or say why it is unknown.")
    if actual is not None and kind:
        errors["unknown_kind"] = _("A result with an actual value is not unknown.")
    if kind == KpiResult.UnknownKind.OTHER and not (data.get("unknown_reason") or "").strip():
        errors["unknown_reason"] = _("Say why the actual is unknown.")
    if actual is not None and missed_target(kpi=kpi, year=year, actual=actual, period=period):
        for field in ("situation_analysis", "countermeasures"):
            if not (data.get(field) or "").strip():
                errors[field] = _("The target was missed: this explanation is required.")
    if errors:
        raise ValidationError(errors)


def check_numbers(*, data: dict) -> dict:
    """``data`` with its numbers as the columns store them; refused, by field, when a column cannot hold one.

    NaN, infinities and numbers with more digits or decimal places than the column
    (1e999999, 1e-999999) are refused here, whoever calls, before any arithmetic.
    """
    data, errors = dict(data), {}
    for name in NUMBERS & data.keys():
        if data[name] in (None, ""):
            data[name] = None
            continue
        try:
            data[name] = _NUMBER_FIELDS[name].clean(data[name], None)
        except ValidationError as error:
            errors[name] = error.messages
    if errors:
        raise ValidationError(errors)
    return data


def _current(kpi: Kpi, year: int, version: int, period: str = "") -> KpiResult | None:
    """The stored result of ``kpi`` for ``year`` (its ``period``: "" the whole year), locked, if it is
    still the version the person read.

    ``version`` is :data:`NEW` for a form opened when there was no result. Raises
    :class:`StaleEdit` with what changed since, when the stored version is another.
    """
    # The KPI row is the lock of its results, existing or not: a row that does not
    # exist yet cannot be locked, and two first entries must not both find none.
    Kpi.objects.select_for_update().filter(pk=kpi.pk).values_list("pk", flat=True).get()
    current = KpiResult.objects.select_for_update().filter(kpi=kpi, year=year, period=period).first()
    stored = current.version if current is not None else NEW
    if not isinstance(version, int) or isinstance(version, bool) or version != stored:
        meanwhile = []
        if current is not None:
            seen = version if isinstance(version, int) else NEW
            meanwhile = list(
                AuditEvent.objects.filter(
                    object_type="kpis.kpiresult", object_id=current.pk, object_version__gt=seen
                ).order_by("at", "pk")
            )
        raise StaleEdit(current, meanwhile)
    return current


def _locked_message(result: KpiResult) -> str:
    return _("This result is %(status)s and locked.") % {"status": result.get_status_display()}


def _save(
    *, access: Access, kpi: Kpi, year: int, values: dict, version: int, reason: str, period: str = ""
) -> KpiResult:
    """Create or change the result with ``values``, checked against ``version``; audited."""
    result = _current(kpi, year, version, period)
    changes: dict[str, tuple[object, object]]
    if result is None:
        result = KpiResult(kpi=kpi, year=year, period=period, **values)
        # A period's result says which period it is of (a year's, with no period, as before).
        action, changes = "create", {f: (None, v) for f, v in values.items()}
        if period:
            changes = {"period": (None, period), **changes}
    else:
        if result.status not in EDITABLE:
            raise ValidationError(_locked_message(result))
        action, changes = "update", {}
        for field, new in values.items():
            changes[field] = (getattr(result, field), new)
            setattr(result, field, new)
        result.version += 1
    result.full_clean()
    try:
        with transaction.atomic():
            result.save()
    except IntegrityError:
        # Only a writer that skips the KPI's lock (a dataset load) can get here first.
        raise StaleEdit(KpiResult.objects.filter(kpi=kpi, year=year, period=period).first(), []) from None
    record(user=access.user, obj=result, action=action, changes=changes, reason=reason, kpi=kpi)
    return result


def _entry(data: dict) -> dict:
    """The entry fields of ``data``: numbers as given (None = empty), text as text."""
    return {f: data.get(f) if f in NUMBERS else (data.get(f) or "") for f in ENTRY_FIELDS}


@transaction.atomic
def kpi_result_record(
    *, access: Access, kpi: Kpi, year: int, data: dict, version: int, reason: str = "", period: str = ""
) -> KpiResult:
    """Create or change a KPI's result for ``year`` (its ``period``: "" the whole year, "Q3", "M05")
    from an editor's entry.

    ``version`` is the version the editor read, :data:`NEW` if there was no result;
    there is no way to skip the check. A period result goes through the same rules, cycle and
    audit as the year's.
    """
    if not access.edits(kpi):
        raise PermissionDenied
    check_period(kpi=kpi, period=period)
    data = check_numbers(data=_entry(data))
    validate_entry(kpi=kpi, year=year, data=data, period=period)
    return _save(access=access, kpi=kpi, year=year, values=data, version=version, reason=reason, period=period)


@transaction.atomic
def kpi_result_check(*, kpi: Kpi, year: int, version: int, period: str = "") -> KpiResult | None:
    """Refuse early what a write would refuse: a stale ``version`` (:class:`StaleEdit`) or a locked result.

    Inside the caller's transaction the result stays locked until it commits, so the
    write that follows cannot be overtaken (the administration's forms check in ``clean``).
    """
    current = _current(kpi, year, version, period)
    if current is not None and current.status not in EDITABLE:
        raise ValidationError(_locked_message(current))
    return current


@transaction.atomic
def kpi_result_admin_save(
    *, access: Access, kpi: Kpi, year: int, data: dict, version: int, reason: str, period: str = ""
) -> KpiResult:
    """An administrator's change of a result in the administration: entry and published figures.

    The same rules as an entry but the explanation of a missed target, which is
    required when the result is submitted: a locked result stays locked, a stale
    version is refused, every change is audited and bumps the version.
    """
    if not access.edits(kpi):
        raise PermissionDenied
    check_period(kpi=kpi, period=period)
    values = {f: data[f] for f in ADMIN_FIELDS if f in data}
    values = check_numbers(data={f: v if f in NUMBERS else (v or "") for f, v in values.items()})
    return _save(access=access, kpi=kpi, year=year, values=values, version=version, reason=reason, period=period)


@transaction.atomic
def kpi_result_delete(*, access: Access, result: KpiResult, version: int, reason: str) -> None:
    """Delete a result that is not locked, recording what it held."""
    if not access.edits(result.kpi):
        raise PermissionDenied
    current = kpi_result_check(kpi=result.kpi, year=result.year, version=version, period=result.period)
    if current is None:
        return
    changes: dict[str, tuple[object, object]] = {f: (getattr(current, f), None) for f in ADMIN_FIELDS}
    record(user=access.user, obj=current, action="delete", changes=changes, reason=reason, kpi=current.kpi)
    current.delete()


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


def allowed_actions(*, access: Access, result: KpiResult) -> list[str]:
    """The cycle's steps this person may take on this result now."""
    may = {
        "editor": access.edits(result.kpi),
        "reviewer": access.reviews(result.kpi),
        "publisher": access.publishes(result),
    }
    return [name for name, t in TRANSITIONS.items() if result.status in t.source and may[t.who]]


@transaction.atomic
def kpi_result_transition(*, access: Access, result: KpiResult, action: str, version: int, text: str = "") -> KpiResult:
    """Move a result through the cycle: submit, return (with a comment), approve, publish, reopen (with a reason).

    ``version`` is the version the person read; a stale one is refused (:class:`StaleEdit`).
    """
    step = TRANSITIONS.get(action)
    if step is None or action not in allowed_actions(access=access, result=result):
        raise PermissionDenied
    if step.needs_text and not text.strip():
        raise ValidationError({"text": _("Say why.")})
    current = _current(result.kpi, result.year, version, result.period)
    if current is None:
        raise StaleEdit(None, [])
    if current.status not in step.source:
        raise ValidationError(_("This result is %(status)s now.") % {"status": current.get_status_display()})
    if action == "submit":
        validate_entry(
            kpi=current.kpi,
            year=current.year,
            data={f: getattr(current, f) for f in ENTRY_FIELDS},
            period=current.period,
        )
    old = current.status
    current.status = step.target
    if action in ("return", "reopen"):
        current.review_comment = text
    current.version += 1
    current.full_clean()
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
