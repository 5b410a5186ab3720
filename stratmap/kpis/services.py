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

import datetime
import re
from collections import defaultdict
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from itertools import pairwise
from typing import NamedTuple

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, models, transaction
from django.db.models import Max
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from stratmap.access import Access
from stratmap.core.audit import Stale, record
from stratmap.core.models import AuditEvent, Organization
from stratmap.core.names import set_translations
from stratmap.core.years import YearError, YearStyle
from stratmap.kpis.models import (
    EDITABLE,
    FREQUENCY_UNIT,
    ChainStep,
    Kpi,
    KpiLineage,
    KpiResult,
    KpiTarget,
    ReviewStep,
    Tag,
    period_of,
    review_chains,
    step_of,
    year_and_period,
)
from stratmap.kpis.scoring import Polarity, TargetType, achievement_rate
from stratmap.strategy.models import Objective, Revision, StrategyMap
from stratmap.strategy.services import map_edited, map_for_edit, revision_of_edit, save_checked, valid_code

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
    """A move of the review cycle: from which states, to which, who may take it, what it needs.

    ``who`` is "editor" (the KPI's agencies' editors), "reviewer" (whoever acts at the step of its map's
    review chain the result waits at, :func:`acts_at`) or "publisher" (the map's administrators). An
    approval at a step before the chain's last leaves the result submitted, at the next step: its
    ``target`` is where the last step's approval takes it.
    """

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
Chain = tuple[ChainStep, ...]


def chain_of(*, kpi: Kpi) -> Chain:
    """The review chain of ``kpi``'s results: its map's organization's (:func:`~stratmap.kpis.models.review_chains`)."""
    organization = kpi.objective.map.organization_id
    return review_chains([organization])[organization]


def acts_at(*, access: Access, kpi: Kpi, step: ChainStep) -> bool:
    """Whether this person approves or returns ``kpi``'s results waiting at ``step``: a theme coordinator's
    step is the KPI's theme coordinators' (and the map's administrators', as :meth:`Access.reviews` says);
    the evaluation office's is the administrators' of the map's organization."""
    if step.role == ReviewStep.Actor.OFFICE:
        return access.is_administrator(kpi)
    return access.reviews(kpi)


def waiting_at(*, result: KpiResult, chain: Chain) -> ChainStep | None:
    """The step of ``chain`` where ``result`` waits; None when it is not submitted."""
    return step_of(result, chain) if result.status == KpiResult.Status.SUBMITTED else None


def allowed_actions(*, access: Access, result: KpiResult, chain: Chain | None = None) -> list[str]:
    """The cycle's moves this person may make on this result now; who reviews depends on the step of the
    chain (``chain``: its map's, read when not given) the result waits at."""

    def reviewer() -> bool:
        if result.status != KpiResult.Status.SUBMITTED:
            return False
        return acts_at(access=access, kpi=result.kpi, step=step_of(result, chain or chain_of(kpi=result.kpi)))

    may = {
        "editor": lambda: access.edits(result.kpi),
        "reviewer": reviewer,
        "publisher": lambda: access.publishes(result),
    }
    return [name for name, t in TRANSITIONS.items() if result.status in t.source and may[t.who]()]


@transaction.atomic
def kpi_result_transition(*, access: Access, result: KpiResult, action: str, version: int, text: str = "") -> KpiResult:
    """Move a result through the cycle: submit, return (with a comment), approve, publish, reopen (with a reason).

    A submitted result waits at each step of its map's review chain in turn: an approval at a step takes
    it to the next one, at the last it is approved; a return (at any step) sends it back to its editor
    with the comment, and its next submission starts again at the first step. ``text`` is kept in the
    audit trail as the reason of the move (an approval's comment is optional), and the step that acted
    is recorded as the change of ``review_step`` (from its name to the next one's, or to nothing) on a
    configured chain (the default chain's one step is not named, so its trail reads as before chains).
    ``version`` is the version the person read; a stale one is refused (:class:`StaleEdit`).
    """
    return _transition(access=access, result=result, action=action, version=version, text=text, chain=None)


def _transition(
    *, access: Access, result: KpiResult, action: str, version: int, text: str, chain: Chain | None
) -> KpiResult:
    move = TRANSITIONS.get(action)
    if move is None:
        raise PermissionDenied
    if move.who == "reviewer" and chain is None:
        chain = chain_of(kpi=result.kpi)
    if action not in allowed_actions(access=access, result=result, chain=chain):
        raise PermissionDenied
    if move.needs_text and not text.strip():
        raise ValidationError({"text": _("Say why.")})
    with transaction.atomic():
        current = _current(result.kpi, result.year, version, result.period)
        if current is None:
            raise StaleEdit(None, [])
        if current.status not in move.source:
            raise ValidationError(_("This result is %(status)s now.") % {"status": current.get_status_display()})
        if move.who == "reviewer" and action not in allowed_actions(access=access, result=current, chain=chain):
            raise PermissionDenied  # who reviews is the stored step's, whatever the object given said
        if action == "submit":
            validate_entry(
                kpi=current.kpi,
                year=current.year,
                data={f: getattr(current, f) for f in ENTRY_FIELDS},
                period=current.period,
            )
            if chain is None:
                chain = chain_of(kpi=current.kpi)
        old = current.status
        acting = step_of(current, chain) if chain is not None and action in ("approve", "return") else None
        steps: tuple[str, str] | None = None
        current.status, current.review_step = move.target, 1
        if action == "submit":
            assert chain is not None
            steps = ("", chain[0].name)
        elif acting is not None:
            assert chain is not None
            following = chain[acting.number] if action == "approve" and acting.number < len(chain) else None
            if following is not None:
                current.status, current.review_step = KpiResult.Status.SUBMITTED, following.number
            steps = (acting.name, following.name if following is not None else "")
        if action in ("return", "reopen"):
            current.review_comment = text
        current.version += 1
        current.full_clean()
        current.save(update_fields=["status", "review_step", "review_comment", "version"])
        changes: dict[str, tuple[object, object]] = {"status": (old, current.status)}
        # The default chain's one step needs no naming: its trail stays as it was before chains.
        if steps is not None and chain is not None and chain[0].row is not None:
            changes["review_step"] = steps
        record(user=access.user, obj=current, action="status", changes=changes, reason=text, kpi=current.kpi)
    return current


class BulkProblem(NamedTuple):
    """Why one result of a bulk move was refused: ``label`` names it (its KPI's code, its year and period),
    ``stale`` when someone changed it after the person read it."""

    result: KpiResult
    label: str
    why: str
    stale: bool = False


class BulkRefused(Exception):
    """A bulk move refused as a whole: nothing was written. ``problems`` name each result refused and why;
    ``stale`` when any was changed by someone else after the person read it (a 409)."""

    def __init__(self, problems: list[BulkProblem]):
        self.problems = problems
        self.stale = any(p.stale for p in problems)
        super().__init__("; ".join(f"{p.label}: {p.why}" for p in problems))


@transaction.atomic
def kpi_results_bulk_transition(
    *, access: Access, items: Sequence[tuple[KpiResult, int]], action: str, text: str = ""
) -> list[KpiResult]:
    """Make one move (approve, publish …) on many results at once, all or nothing: each ``(result,
    version)`` as :func:`kpi_result_transition` would, with the same permission, step, version check and
    audit; if any one is refused (stale, not this person's to move at its step, not in a state the move
    starts from), nothing is written and :class:`BulkRefused` names every refused one and why.

    The chains are read once per organization; each result costs what a single move costs.
    """
    if not items:
        raise ValidationError(_("Choose at least one result."))
    if action not in TRANSITIONS:
        raise PermissionDenied
    organizations = {result.kpi.objective.map.organization_id for result, _version in items}
    chains = review_chains(organizations)
    moved, problems = [], []
    for result, version in items:
        label = f"{result.kpi.code} {year_and_period(result)}"
        chain = chains[result.kpi.objective.map.organization_id]
        if version != result.version:  # read again by the caller: checked before the rights it may have lost
            problems.append(BulkProblem(result, label, _("changed by someone else after you opened it"), True))
            continue
        try:
            moved.append(
                _transition(access=access, result=result, action=action, version=version, text=text, chain=chain)
            )
        except StaleEdit:
            problems.append(BulkProblem(result, label, _("changed by someone else after you opened it"), True))
        except PermissionDenied:
            step = waiting_at(result=result, chain=chain)
            why = (
                _("you do not act at its step, %(step)s") % {"step": step.name}
                if step is not None and TRANSITIONS[action].who == "reviewer"
                else _("it is %(status)s: you cannot %(action)s it") % {
                    "status": result.get_status_display(), "action": action_name(action)}
            )  # fmt: skip
            problems.append(BulkProblem(result, label, why))
        except ValidationError as error:
            problems.append(BulkProblem(result, label, " ".join(error.messages)))
    if problems:
        raise BulkRefused(problems)
    return moved


def action_name(action: str) -> str:
    """A move of the cycle as a verb, in the reader's language."""
    names = {
        "submit": pgettext("review action", "submit"),
        "return": pgettext("review action", "return"),
        "approve": pgettext("review action", "approve"),
        "publish": pgettext("review action", "publish"),
        "reopen": pgettext("review action", "reopen"),
    }
    return names.get(action, action)


# --- the KPI editor (issue 15 item 2): a KPI's definition and targets, written on its map -----------------
#
# Each write is one of the map editor's (stratmap.strategy.services): an administrator's of the map's
# organization, checked against the map's version, which it bumps, and recorded as an audit event of the map.
# Errors are keyed by the editor's form fields; a target row's by ``targets.<i>.<field>``, ``i`` its place in
# the rows given. The rules of a target are the dataset's (exchange.parse: a range needs its upper bound, a
# milestone's target is one of its stages, a baseline target is not the baseline), so that a KPI made in the
# browser dumps to a file that loads.


class TargetRow(NamedTuple):
    """One target as the editor's table gives it: the stored (AD) year, its period ("" the whole year)."""

    year: int
    period: str = ""
    value: Decimal | None = None
    upper: Decimal | None = None
    printed: str = ""
    note: str = ""


#: The fields of a KPI the editor writes, each the form field of the same name.
KPI_FIELDS = (
    "objective",
    "code",
    "printed_code",
    "name",
    "unit",
    "polarity",
    "frequency",
    "aggregation",
    "data_source",
    "release",
    "agencies_printed",
    "cites",
    "cites_printed",
    "weight",
    "method",
    "target_type",
    "stages",
    "baseline",
    "numerator",
    "denominator",
    "deadline",
    "evaluation",
    "note",
)
#: Where the model's own errors are shown on the editor's form.
_KPI_FORM_FIELDS = {name: name for name in (*KPI_FIELDS, "lineage", "agencies", "tags")}
#: The fields of a target row, as the table's columns.
TARGET_FIELDS = ("value", "upper", "printed", "note")
#: A lineage's key, as datasets write it (exchange.schema: lowercase letters, digits and hyphens).
_LINEAGE_KEY = re.compile(r"[^a-z0-9]+")


def _label(value: object) -> object:
    """A value as the audit trail keeps it: an objective or a lineage by its code, a list as a line."""
    if isinstance(value, Objective):
        return value.code
    if isinstance(value, KpiLineage):
        return value.key
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value)
    return value


def _target_text(target: KpiTarget | None) -> str:
    """A target row as the audit trail keeps it: 5, 5–8, or as printed."""
    if target is None:
        return "—"
    shown = "" if target.value is None else format(target.value.normalize(), "f")
    if target.upper is not None:
        shown += f"–{format(target.upper.normalize(), 'f')}"
    return " ".join(part for part in (shown, target.printed) if part) or "—"


def _period_text(kpi: Kpi, year: int, period: str, style: YearStyle) -> str:
    try:
        return style.period_label(period_of(year, period, style))
    except YearError:
        return f"{style.label(year)} {period}"


def agency_choices(*, smap: StrategyMap) -> list[Organization]:
    """The organizations a KPI of ``smap`` may name as its agencies: the map's organization and every
    organization below it, theme groups aside (they own themes, not KPIs). One query."""
    every = list(Organization.objects.only("pk", "code", "name", "short_name", "kind", "parent_id", "i18n", "language"))
    below: dict[int | None, list[Organization]] = defaultdict(list)
    for org in every:
        below[org.parent_id].append(org)
    found, todo = [], [org for org in every if org.pk == smap.organization_id]
    while todo:
        org = todo.pop()
        if org.kind != Organization.Kind.THEME_GROUP:
            found.append(org)
        todo += below.get(org.pk, [])
    found.sort(key=lambda org: (org.pk != smap.organization_id, org.code))
    return found


def city_map_of(smap: StrategyMap) -> StrategyMap | None:
    """The map whose KPIs a KPI of ``smap`` may cite: its organization's parent's map in force of the year."""
    parent = smap.organization.parent_id
    if parent is None:
        return None
    return StrategyMap.objects.filter(organization_id=parent, year=smap.year, in_force=True).first()


def previous_map_of(smap: StrategyMap) -> StrategyMap | None:
    """The organization's map in force of the year before: its KPIs are those a lineage goes back to."""
    return StrategyMap.objects.filter(organization_id=smap.organization_id, year=smap.year - 1, in_force=True).first()


def _citation_error(smap: StrategyMap, cites: str) -> str:
    city = city_map_of(smap)
    if city is None:
        return _(
            "%(code)s cannot be checked: the organization has no parent organization with a map of this year "
            "whose KPIs it could cite. Leave the field empty."
        ) % {"code": cites}
    if Kpi.objects.filter(objective__map=city, code=cites).exists():
        return ""
    return _("The city's map of %(year)s (%(map)s) has no KPI %(code)s: give the code of one of its KPIs.") % {
        "code": cites,
        "year": smap.organization.year_style.label(smap.year),
        "map": city.organization,
    }


def _lineage_for(smap: StrategyMap, code: str) -> tuple[Kpi | None, str]:
    """Last year's KPI of the organization with ``code``, or an error for the form's ``lineage`` field."""
    previous = previous_map_of(smap)
    found = (
        Kpi.objects.filter(objective__map=previous, code=code).select_related("lineage").first() if previous else None
    )
    if found is None:
        return None, _("The organization's map of %(year)s has no KPI %(code)s: choose one of its KPIs, or none.") % {
            "code": code,
            "year": smap.organization.year_style.label(smap.year - 1),
        }
    return found, ""


def _linked(organization: Organization, previous: Kpi) -> KpiLineage:
    """The lineage of last year's KPI ``previous``, made for it when it has none (keyed by its code)."""
    if previous.lineage is not None:
        return previous.lineage
    base = _LINEAGE_KEY.sub("-", previous.code.lower()).strip("-") or "kpi"
    taken = set(
        KpiLineage.objects.filter(organization=organization, key__startswith=base).values_list("key", flat=True)
    )
    key = next(k for k in (base, *(f"{base}-{n}" for n in range(2, len(taken) + 3))) if k not in taken)
    lineage = KpiLineage(organization=organization, key=key[:100])
    save_checked(lineage, {"key": "lineage"})
    previous.lineage = lineage
    previous.save(update_fields=["lineage"])
    return lineage


def _definition_errors(kpi: Kpi) -> dict[str, list[str]]:
    """What the KPI's target type needs of its definition (the dataset's rules)."""
    errors: dict[str, list[str]] = {}
    kind = TargetType(kpi.target_type) if kpi.target_type in set(TargetType) else None
    stages = [Decimal(str(v)) for v in kpi.stages] if isinstance(kpi.stages, list) else []
    if kind is TargetType.MILESTONE:
        if not stages:
            errors["stages"] = [_("A milestone KPI needs its stages: their values, in increasing order.")]
        elif any(b <= a for a, b in pairwise(stages)):
            errors["stages"] = [_("The stages must increase: %(stages)s.") % {"stages": ", ".join(map(str, stages))}]
    if kind is TargetType.BASELINE and kpi.baseline is None:
        errors["baseline"] = [_("A target measured from a baseline needs the baseline.")]
    if kpi.aggregation == "" and FREQUENCY_UNIT.get(kpi.frequency) is not None and kpi.pk is not None:
        if kpi.targets.exclude(period="").exists() or kpi.results.exclude(period="").exists():
            errors["aggregation"] = [
                _("The KPI has targets or results of periods: say how they make the year (sum, last, average …).")
            ]
    return errors


def _problems(kpi: Kpi, value: Decimal | None, upper: Decimal | None) -> list[tuple[str, str]]:
    """(field of the row, why) for a target of ``kpi`` its target type cannot read (the dataset's rules)."""
    if value is None or kpi.target_type not in set(TargetType):
        return []
    kind = TargetType(kpi.target_type)
    stages = [Decimal(str(v)) for v in kpi.stages] if isinstance(kpi.stages, list) else []
    problems: list[tuple[str, str]] = []
    if kind is TargetType.MILESTONE and stages and value not in stages:
        problems.append(("value", _("%(value)s is not one of the KPI's stages (%(stages)s).") % {
            "value": value.normalize(), "stages": ", ".join(map(str, stages))}))  # fmt: skip
    if kind is TargetType.BASELINE and kpi.baseline is not None and value == kpi.baseline:
        problems.append(("value", _("The target equals the baseline %(baseline)s: progress from it means nothing.")
                         % {"baseline": kpi.baseline.normalize()}))  # fmt: skip
    if kind is TargetType.RANGE and upper is None:
        problems.append(("upper", _("A range target needs its upper bound.")))
    if upper is not None and upper < value:
        problems.append(("upper", _("The upper bound %(upper)s is below the target %(value)s.") % {
            "upper": upper.normalize(), "value": value.normalize()}))  # fmt: skip
    return problems


def _row_errors(kpi: Kpi, rows: Sequence[TargetRow]) -> dict[str, list[str]]:
    """The rows given that ``kpi``'s target type cannot read, before anything is written."""
    errors: dict[str, list[str]] = {}
    for i, row in enumerate(rows):
        for field, problem in _problems(kpi, row.value, row.upper):
            errors.setdefault(f"targets.{i}.{field}", []).append(problem)
    return errors


def _target_errors(kpi: Kpi, given: Collection[tuple[int, str]], style: YearStyle) -> dict[str, list[str]]:
    """The stored targets of ``kpi`` the table did not give (``given``: the (year, period) of its rows, checked
    by :func:`_row_errors`) that its target type cannot read, on ``target_type`` (a definition changed under
    them)."""
    errors: dict[str, list[str]] = {}
    for target in KpiTarget.objects.filter(kpi=kpi).order_by("year", "period"):
        if (target.year, target.period) in given:
            continue
        for _field, problem in _problems(kpi, target.value, target.upper):
            errors.setdefault("target_type", []).append(
                _("The target of %(period)s does not fit: %(problem)s")
                % {"period": _period_text(kpi, target.year, target.period, style), "problem": problem}
            )
    return errors


def _write_targets(
    kpi: Kpi, rows: Sequence[TargetRow], shown: Collection[tuple[int, str]], style: YearStyle
) -> tuple[dict[str, tuple[object, object]], dict[tuple[int, str], int]]:
    """Write the table's ``rows``; a stored target the table showed (``shown``) and no row gives is removed,
    one it did not show (an earlier year's, a period the table left out) is kept. Returns the changes and the
    place of each (year, period) given; ValidationError keyed by the rows' fields."""
    existing = {(t.year, t.period): t for t in KpiTarget.objects.filter(kpi=kpi)}
    errors: dict[str, list[str]] = {}
    places: dict[tuple[int, str], int] = {}
    for i, row in enumerate(rows):
        key = (row.year, row.period)
        if key in places:
            errors.setdefault(f"targets.{i}.year", []).append(
                _("%(period)s is given twice: keep one row for it.")
                % {"period": _period_text(kpi, row.year, row.period, style)}
            )
        elif row.period and row.period not in kpi.periods(row.year, style):
            codes = ", ".join(kpi.periods(row.year, style)) or _("the whole year only")
            errors.setdefault(f"targets.{i}.period", []).append(
                _("%(value)s is not a period of this KPI (reported %(frequency)s); expected %(expected)s.")
                % {"value": row.period, "frequency": kpi.get_frequency_display(), "expected": codes}
            )
        places.setdefault(key, i)
    if errors:
        raise ValidationError(errors)
    changes: dict[str, tuple[object, object]] = {}
    for key, i in places.items():
        row = rows[i]
        target = existing.get(key) or KpiTarget(kpi=kpi, year=row.year, period=row.period)
        before = _target_text(existing.get(key))
        new = {"value": row.value, "upper": row.upper, "printed": row.printed.strip(), "note": row.note.strip()}
        if key in existing and all(getattr(target, name) == value for name, value in new.items()):
            continue
        for name, value in new.items():
            setattr(target, name, value)
        try:
            target.full_clean(exclude=["kpi"])
        except ValidationError as error:
            for name, problems in error.message_dict.items():
                errors.setdefault(f"targets.{i}.{name if name in TARGET_FIELDS else 'year'}", []).extend(problems)
            continue
        target.save()
        label = f"kpi {kpi.code} target {_period_text(kpi, row.year, row.period, style)}"
        changes[label] = (before, _target_text(target))
        if before == changes[label][1]:  # a note changed: say so
            changes[label] = (existing[key].note if key in existing else "", target.note)
    if errors:
        raise ValidationError(errors)
    for key in sorted(set(shown) - set(places)):
        if key in existing:
            changes[f"kpi {kpi.code} target {_period_text(kpi, *key, style)}"] = (_target_text(existing[key]), "—")
            existing[key].delete()
    return changes, places


def _check_targets(kpi: Kpi, places: dict[tuple[int, str], int], style: YearStyle) -> None:
    errors = _target_errors(kpi, set(places), style)
    for field, problems in _definition_errors(kpi).items():
        errors.setdefault(field, []).extend(problems)
    if errors:
        raise ValidationError(errors)


def _in_map(kpi: Kpi, smap: StrategyMap) -> Kpi:
    """``kpi`` as stored now, if it is one of ``smap``'s KPIs; else PermissionDenied (a KPI of another map)."""
    found = (
        Kpi.objects.select_related("objective__map__organization", "lineage")
        .prefetch_related("agencies", "tags")
        .filter(pk=kpi.pk, objective__map=smap)
        .first()
    )
    if found is None:
        raise PermissionDenied
    return found


@transaction.atomic
def kpi_save(
    *,
    access: Access,
    smap: StrategyMap,
    version: int,
    kpi: Kpi | None = None,
    objective: str,
    code: str,
    name: str,
    printed_code: str = "",
    unit: str = "",
    polarity: str = Polarity.POSITIVE.value,
    frequency: str = Kpi.Frequency.YEARLY.value,
    aggregation: str = "",
    data_source: str = "",
    release: str = "",
    agencies: Sequence[str] = (),
    agencies_printed: str = "",
    tags: Sequence[str] = (),
    cites: str = "",
    cites_printed: str = "",
    weight: Decimal | None = None,
    method: str = "",
    target_type: str = TargetType.RATIO.value,
    stages: Sequence[Decimal] = (),
    baseline: Decimal | None = None,
    numerator: str = "",
    denominator: str = "",
    deadline: datetime.date | None = None,
    evaluation: str = "",
    lineage: str = "",
    note: str = "",
    translations: Mapping[str, str] | None = None,
    targets: Sequence[TargetRow] | None = None,
    shown: Collection[tuple[int, str]] = (),
    reason: str = "",
) -> Kpi:
    """Add a KPI to the objective ``objective`` (its code), or change ``kpi``: its whole definition, moving it to
    another objective of the map. ``agencies``: organization codes (the map's organization or one below it);
    ``tags``: names (a new name makes a tag); ``cites``: the code of a KPI of the parent organization's map of
    the year; ``lineage``: the code of the organization's KPI of the year before that this one continues ("" none);
    ``translations``: the name's translations by language (``{"en": "…"}``), an empty text removing one.
    With ``targets`` (and the (year, period) of the rows the table ``shown``), its targets are written too,
    as :func:`kpi_targets_save` does, in the same change."""
    current = map_for_edit(access=access, smap=smap, version=version)
    style = current.organization.year_style
    errors: dict[str, list[str]] = {}
    try:
        code = valid_code(code, "code")
    except ValidationError as error:
        errors |= error.message_dict
    the_objective = Objective.objects.filter(map=current, code=objective.strip()).first()
    if the_objective is None:
        errors["objective"] = [_("This map has no objective with the code %(code)s.") % {"code": objective}]
    old = _in_map(kpi, current) if kpi is not None else None
    allowed = {org.code: org for org in agency_choices(smap=current)}
    if old is not None:
        allowed |= {org.code: org for org in old.agencies.all()}  # kept, even from elsewhere
    unknown = [c for c in agencies if c not in allowed]
    if unknown:
        errors["agencies"] = [_("%(codes)s: not %(org)s or an organization below it.") % {
            "codes": ", ".join(unknown), "org": current.organization}]  # fmt: skip
    cites = cites.strip()
    # A citation is checked when it is made: one a dataset brought, of a city map not loaded, is kept as it is.
    if cites and (old is None or cites != old.cites):
        try:
            cites = valid_code(cites, "cites")
        except ValidationError as error:
            errors |= error.message_dict
        else:
            if problem := _citation_error(current, cites):
                errors["cites"] = [problem]
    previous = None
    if lineage.strip():
        previous, problem = _lineage_for(current, lineage.strip())
        if problem:
            errors["lineage"] = [problem]
    tag_names = list(dict.fromkeys(t.strip() for t in tags if t.strip()))
    item = old if old is not None else Kpi(order=0)
    before = {name: _label(getattr(item, name, None)) for name in KPI_FIELDS if name != "objective"}
    before["objective"] = old.objective.code if old is not None else ""
    new: dict[str, object] = {
        "code": code,
        "printed_code": printed_code.strip(),
        "name": name.strip(),
        "unit": unit.strip(),
        "polarity": polarity,
        "frequency": frequency,
        "aggregation": aggregation,
        "data_source": data_source.strip(),
        "release": release.strip(),
        "agencies_printed": agencies_printed.strip(),
        "cites": cites,
        "cites_printed": cites_printed.strip(),
        "weight": weight,
        "method": method,
        "target_type": target_type,
        "stages": [str(v) for v in stages],
        "baseline": baseline,
        "numerator": numerator.strip(),
        "denominator": denominator.strip(),
        "deadline": deadline,
        "evaluation": evaluation.strip(),
        "note": note.strip(),
    }
    for field, value in new.items():
        setattr(item, field, value)
    if the_objective is not None and (old is None or old.objective_id != the_objective.pk):
        item.objective = the_objective
        item.order = (the_objective.kpis.aggregate(m=Max("order"))["m"] or 0) + 1
    try:
        translated = set_translations(item, "name", dict(translations or {}))
    except ValueError as error:
        errors["name"] = [str(error)]
        translated = {}
    if old is not None and old.frequency != frequency:
        # Rows of periods the new frequency does not have would be kept but never read: refused.
        kept = set(item.periods(2000, YearStyle()))
        stray = sorted(
            {p for p in old.targets.exclude(period="").values_list("period", flat=True) if p not in kept}
            | {p for p in old.results.exclude(period="").values_list("period", flat=True) if p not in kept}
        )
        if stray:
            errors.setdefault("frequency", []).append(
                _("The KPI has targets or results of %(periods)s, which a KPI reported %(frequency)s does not have: "
                  "remove them first.") % {"periods": ", ".join(stray), "frequency": item.get_frequency_display()}
            )  # fmt: skip
    try:
        item.full_clean(exclude=[] if the_objective is not None else ["objective"])
    except ValidationError as error:
        for field, problems in error.message_dict.items():
            errors.setdefault(_KPI_FORM_FIELDS.get(field, "__all__"), []).extend(problems)
    pending = _definition_errors(item)
    for field, problems in (_row_errors(item, targets) if targets is not None else {}).items():
        pending.setdefault(field, []).extend(problems)
    for field, problems in pending.items():
        errors.setdefault(field, []).extend(problems)
    if errors:
        raise ValidationError(errors)
    item.save()
    agency_rows = [allowed[c] for c in dict.fromkeys(agencies)]
    old_agencies = sorted(org.code for org in old.agencies.all()) if old is not None else []
    old_tags = sorted(t.name for t in old.tags.all()) if old is not None else []
    item.agencies.set(agency_rows)
    found_tags = {t.name: t for t in Tag.objects.filter(name__in=tag_names)}
    for missing in (n for n in tag_names if n not in found_tags):
        tag = Tag(name=missing)
        save_checked(tag, {"name": "tags"})
        found_tags[missing] = tag
    item.tags.set([found_tags[n] for n in tag_names])
    old_lineage = item.lineage
    item.lineage = _linked(current.organization, previous) if previous is not None else None
    if item.lineage != old_lineage:
        item.save(update_fields=["lineage"])
    changes: dict[str, tuple[object, object]] = {}
    if old is None:
        changes[f"kpi {code}"] = ("", f"{item.name} ({item.objective.code})")
    else:
        label = f"kpi {old.code}"
        after = {name: _label(getattr(item, name)) for name in KPI_FIELDS if name != "objective"}
        after["objective"] = item.objective.code
        changes |= {
            f"{label} {name}": (before[name], after[name]) for name in KPI_FIELDS if before[name] != after[name]
        }
        if old_agencies != sorted(org.code for org in agency_rows):
            changes[f"{label} agencies"] = (", ".join(old_agencies), ", ".join(sorted(o.code for o in agency_rows)))
        if old_tags != sorted(tag_names):
            changes[f"{label} tags"] = (", ".join(old_tags), ", ".join(sorted(tag_names)))
        if old_lineage != item.lineage:
            changes[f"{label} lineage"] = (_label(old_lineage) or "", _label(item.lineage) or "")
        changes |= {f"{label} {key}": change for key, change in translated.items()}
    places: dict[tuple[int, str], int] = {}
    if targets is not None:
        written, places = _write_targets(item, targets, shown, style)
        changes |= written
    _check_targets(item, places, style)
    if changes:
        was = None if old is None else (str(before["code"]), str(before["name"]))
        revision_of_edit(current=current, level=Revision.Level.KPI, objective_code=item.objective.code, old=was,
                         new=(item.code, item.name), reason=reason)  # fmt: skip
        map_edited(access=access, smap=smap, current=current, changes=changes, reason=reason)
    return item


@transaction.atomic
def kpi_targets_save(
    *,
    access: Access,
    smap: StrategyMap,
    version: int,
    kpi: Kpi,
    targets: Sequence[TargetRow],
    shown: Collection[tuple[int, str]] = (),
    reason: str = "",
) -> None:
    """The targets of ``kpi`` for several years and periods, as the editor's table gives them (``targets``).
    A stored target is removed only if the table showed it (its (year, period) in ``shown``) and no row gives
    it any more: a target the table did not show (an earlier year's) stays as it is. Each target must fit the
    KPI's target type (``targets.<i>.<field>`` errors, nothing written)."""
    current = map_for_edit(access=access, smap=smap, version=version)
    item = _in_map(kpi, current)
    style = current.organization.year_style
    if errors := _row_errors(item, targets):
        raise ValidationError(errors)
    changes, places = _write_targets(item, targets, shown, style)
    _check_targets(item, places, style)
    if changes:
        map_edited(access=access, smap=smap, current=current, changes=changes, reason=reason)


@transaction.atomic
def kpi_delete(*, access: Access, smap: StrategyMap, version: int, kpi: Kpi, reason: str = "") -> None:
    """Remove a KPI with its targets. Refused while it has results (what people entered would go with it) or
    action plans (move or delete them first)."""
    current = map_for_edit(access=access, smap=smap, version=version)
    item = _in_map(kpi, current)
    results = KpiResult.objects.filter(kpi=item).count()
    if results:
        raise ValidationError(
            _("%(code)s has %(n)d results that people entered: it cannot be deleted. Keep it, or move it to "
              "another objective.") % {"code": item.code, "n": results}
        )  # fmt: skip
    plans = item.action_plans.count()  # the plans app's reverse relation (no import of it: it is above)
    if plans:
        raise ValidationError(
            _("%(code)s has %(n)d action plans: delete them or move them to another KPI first.")
            % {"code": item.code, "n": plans}
        )
    style = current.organization.year_style
    revision_of_edit(current=current, level=Revision.Level.KPI, objective_code=item.objective.code,
                     old=(item.code, item.name), new=None, reason=reason)  # fmt: skip
    changes: dict[str, tuple[object, object]] = {f"kpi {item.code}": (item.name, "—")}
    changes |= {
        f"kpi {item.code} target {_period_text(item, t.year, t.period, style)}": (_target_text(t), "—")
        for t in KpiTarget.objects.filter(kpi=item)
    }
    item.delete()
    map_edited(access=access, smap=smap, current=current, changes=changes, reason=reason)
