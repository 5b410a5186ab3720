"""``remind``: what is due now, told once (issue 16 item 2).

One pass over the current cycle's maps of every organization (:func:`~stratmap.kpis.selectors.current_cycle`),
set-based: their due dates (:func:`~stratmap.kpis.selectors.due_dates`), the results' statuses, the people
holding the roles (:func:`~stratmap.kpis.selectors.people_holding`), the review moves of the last days from
the audit trail, the early warnings (:func:`~stratmap.kpis.selectors.at_risk`). Each notification is inserted
with ``ignore_conflicts`` on its unique (recipient, kind, key): a second run, or two at once, inserts nothing
again, and so mails nothing again. Then every notification not yet emailed is sent to whoever wants it.

What is told, for a result of a KPI (the year's, or a period's) not yet submitted, given its due date D and
its organization's reporting calendar (``core.models.ReportingCalendar``):

- its editors, from ``remind_before`` days before D (``remind_before``), on D (``remind_due``) and from the
  day after (``overdue``): the latest reached, once each;
- its theme's coordinators ``escalate_coordinator_after`` days after D, the evaluation office (the map's
  organization's administrators) ``escalate_office_after`` days after D;
- a result submitted, moved on at a review step, returned, approved or published (from the audit trail of
  the last :data:`LOOKBACK` days): whoever acts on it next, or its editors;
- a KPI at medium or high risk of missing its target, or rated red with no countermeasures: its editors and
  coordinators;
- on the digest's weekday (:data:`settings.STRATMAP_DIGEST_WEEKDAY`), each person's week in one email.

Heavy work, so never in a request: ``stratmap remind`` runs it, from cron or the background worker.
"""

from __future__ import annotations

import datetime
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.db.models import Count, F, Q
from django.urls import NoReverseMatch, reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from stratmap.access import Access
from stratmap.core.audit import Stale, changes_since, record
from stratmap.core.models import AuditEvent, Membership
from stratmap.core.names import local_text
from stratmap.core.years import format_year
from stratmap.kpis.models import EDITABLE, FREQUENCY_UNIT, Kpi, KpiResult, period_of
from stratmap.kpis.presenters import forecast_reason, risk_label
from stratmap.kpis.selectors import (
    at_risk,
    current_cycle,
    due_dates,
    organizations_above,
    people_holding,
    reporting_dates,
    reviewers_of,
)
from stratmap.notices.models import Notification, NotificationPreference
from stratmap.strategy.models import StrategyMap

Kind = Notification.Kind
Role = Membership.Role
#: How far back the audit trail is read for review notices: a run a week late still tells them.
LOOKBACK = datetime.timedelta(days=8)
#: The review moves told, by the status a result (or a month of a plan's progress) moved to.
MOVES = {
    KpiResult.Status.SUBMITTED: Kind.TO_REVIEW,
    KpiResult.Status.RETURNED: Kind.RETURNED,
    KpiResult.Status.APPROVED: Kind.APPROVED,
    KpiResult.Status.PUBLISHED: Kind.PUBLISHED,
}


Audience = list[tuple[str, set[int]]]  # (role, organizations) in order of preference: the first held wins


@dataclass
class Told:
    """A notification to make: of what kind, about what (``key``), with what to say, to whom: the people
    given, and those of each audience (:func:`~stratmap.kpis.selectors.people_holding`)."""

    kind: str
    key: str
    kpi: Kpi | None
    url: Callable[[], str]  # the page's address, made in the recipient's language (/en/… and its years)
    values: dict[str, Any]
    audiences: list[Audience] = field(default_factory=list)
    people: list[Any] = field(default_factory=list)


@dataclass
class RemindReport:
    """What a run of :func:`remind` made, by kind, and how many emails it sent."""

    made: Counter[str] = field(default_factory=Counter)
    emailed: int = 0

    @property
    def total(self) -> int:
        return sum(self.made.values())


def _subject_and_body(kind: str, values: dict[str, Any]) -> tuple[str, str]:
    """What a notification says, in the active language (the recipient's)."""
    what = _("%(code)s %(name)s, %(period)s") % values if values.get("code") else ""
    texts: dict[str, tuple[str, str]] = {
        Kind.REMIND_BEFORE: (
            _("Due on %(due)s: %(what)s"),
            _("The result of %(what)s is due on %(due)s. Enter it and submit it for review before then."),
        ),
        Kind.REMIND_DUE: (
            _("Due today: %(what)s"),
            _("The result of %(what)s is due today (%(due)s). Enter it and submit it for review."),
        ),
        Kind.OVERDUE: (
            _("Overdue since %(due)s: %(what)s"),
            _("The result of %(what)s was due on %(due)s and has not been submitted."),
        ),
        Kind.ESCALATE_COORDINATOR: (
            _("Overdue %(days)s days: %(what)s"),
            _(
                "The result of %(what)s was due on %(due)s and its agency has not submitted it. You coordinate "
                "its theme: please follow it up."
            ),
        ),
        Kind.ESCALATE_OFFICE: (
            _("Overdue %(days)s days: %(what)s"),
            _(
                "The result of %(what)s was due on %(due)s and has still not been submitted, %(days)s days "
                "later; its theme coordinator was told."
            ),
        ),
        Kind.TO_REVIEW: (
            _("Waiting for your review: %(what)s"),
            _("%(who)s moved the result of %(what)s on to you. %(comment)s"),
        ),
        Kind.RETURNED: (
            _("Returned: %(what)s"),
            _("%(who)s returned the result of %(what)s to you. %(comment)s"),
        ),
        Kind.APPROVED: (_("Approved: %(what)s"), _("%(who)s approved the result of %(what)s. %(comment)s")),
        Kind.PUBLISHED: (_("Published: %(what)s"), _("%(who)s published the result of %(what)s.")),
        Kind.AT_RISK: (_("%(risk)s: %(what)s"), _("%(what)s: %(risk)s of missing its target. %(reason)s")),
        Kind.RED_NO_COUNTERMEASURES: (
            _("Red, no countermeasures: %(what)s"),
            _("%(what)s is rated %(light)s and its latest result says no countermeasures. Enter them."),
        ),
        Kind.DIGEST: (_("Your week in stratmap: %(count)s notifications"), "%(lines)s"),
    }
    subject, body = texts[kind]
    values = {**values, "what": what}
    return (subject % values)[:300], (body % values).strip()


def _languages(users: Iterable[Any]) -> dict[int, str]:
    """Each person's language: their preference, else their first organization's, else the site's."""
    ids = {user.pk for user in users}
    chosen = dict(
        NotificationPreference.objects.filter(user__in=ids).exclude(language="").values_list("user", "language")
    )
    for user_id, language in (
        Membership.objects.filter(user__in=ids - chosen.keys())
        .order_by("user", "organization__code")
        .values_list("user", "organization__language")
    ):
        chosen.setdefault(user_id, language)
    return {pk: chosen.get(pk, settings.LANGUAGE_CODE) for pk in ids}


def _url(name: str, *args: Any) -> str:
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return ""


def _map_url(name: str, smap: StrategyMap, *args: Any) -> Callable[[], str]:
    """The address of a page of ``smap``, made when called: in the active language, with its years."""
    return lambda: _url(name, smap.organization.code, smap.url_year, *args)


class _Context:
    """What a run reads once: the cycle's maps, their KPIs (with what their people are found by) and the
    organizations above each organization."""

    def __init__(self, today: datetime.date):
        self.today = today
        self.maps = {m.pk: m for m in current_cycle(maps=StrategyMap.objects.all(), today=today)}
        self.kpis: dict[int, Kpi] = {}
        self.agencies: dict[int, set[int]] = defaultdict(set)
        self.above = organizations_above()
        if not self.maps:
            return
        for kpi in (
            Kpi.objects.filter(objective__map__in=list(self.maps))
            .select_related("objective__theme__group")
            .only(
                *("code", "name", "i18n", "frequency", "aggregation", "objective__map_id", "objective__code"),
                *("objective__theme__group_id", "objective__theme__group__lead_id"),
            )
        ):
            kpi.objective.map = self.maps[kpi.objective.map_id]
            self.kpis[kpi.pk] = kpi
        for kpi_id, organization in Kpi.agencies.through.objects.filter(
            kpi__objective__map__in=list(self.maps)
        ).values_list("kpi_id", "organization_id"):
            self.agencies[kpi_id].add(organization)

    def editors(self, kpi: Kpi) -> Audience:
        return [(Role.EDITOR, self.above(self.agencies[kpi.pk]))]

    def office(self, kpi: Kpi) -> Audience:
        return [(Role.ADMINISTRATOR, self.above([kpi.objective.map.organization_id]))]

    def coordinators(self, kpi: Kpi) -> Audience:
        theme = kpi.objective.theme
        group = theme.group if theme is not None else None
        found = self.above([group.pk, group.lead_id]) if group is not None else set()
        return [(Role.COORDINATOR, found), *self.office(kpi)]

    def values(self, kpi: Kpi, period: str, language: str) -> dict[str, Any]:
        smap = kpi.objective.map
        style = smap.organization.year_style
        with translation.override(language):
            when = (
                style.period_label(period_of(smap.year, period, style))
                if period
                else format_year(smap.year, style=style)
            )
            return {"code": kpi.code, "name": local_text(kpi, language=language), "period": when}


def _due(context: _Context) -> list[Told]:
    """Reminders and escalations of the results not yet submitted, the latest step reached of each."""
    today, found = context.today, []
    maps = list(context.maps.values())
    dates = reporting_dates(maps=maps)
    due = due_dates(access=Access.everything(), maps=maps)
    statuses: dict[tuple[int, str], str] = {
        (kpi_id, period): status
        for kpi_id, period, status in KpiResult.objects.filter(
            kpi__objective__map__in=list(context.maps), year=F("kpi__objective__map__year")
        ).values_list("kpi_id", "period", "status")
    }
    for (kpi_id, period), date in due.items():
        kpi = context.kpis[kpi_id]
        status = statuses.get((kpi_id, period))
        if status is not None and status not in EDITABLE:
            continue  # submitted or beyond: the review's, not a reminder's
        if period == "" and status is None and FREQUENCY_UNIT.get(kpi.frequency) and kpi.aggregation:
            continue  # the year's value is made of its periods': only those are asked for
        rules = dates.rules(kpi.objective.map)
        steps = [
            (Kind.REMIND_BEFORE, date - datetime.timedelta(days=rules.remind_before), context.editors),
            (Kind.REMIND_DUE, date, context.editors),
            (Kind.OVERDUE, date + datetime.timedelta(days=1), context.editors),
        ]
        reached = [step for step in steps if step[1] <= today]
        escalations = [
            (Kind.ESCALATE_COORDINATOR, rules.escalate_coordinator_after, context.coordinators),
            (Kind.ESCALATE_OFFICE, rules.escalate_office_after, context.office),
        ]
        reached = reached[-1:] + [
            (kind, date + datetime.timedelta(days=days), who)
            for kind, days, who in escalations
            if date + datetime.timedelta(days=days) <= today
        ]
        if not reached:
            continue
        smap = kpi.objective.map
        url = _map_url("web:result-period" if period else "web:result", smap, kpi.code, *([period] if period else []))
        for kind, _when, who in reached:
            values = {"due": date.isoformat(), "days": (today - date).days, "period_code": period}
            found.append(Told(kind, f"r{kpi_id}:{smap.year}:{period}", kpi, url, values, [who(kpi)]))
    return found


def _moves(context: _Context) -> list[Told]:
    """The review moves of the last :data:`LOOKBACK` days, each told to whoever acts next or its editors."""
    since = timezone.now() - LOOKBACK
    events = list(
        AuditEvent.objects.filter(
            at__gte=since, action="status", field="status", object_type="kpis.kpiresult", new__in=list(MOVES)
        ).values_list("pk", "object_id", "new", "user_id", "username", "reason", "kpi_id")
    )
    if not events:
        return []
    results = {
        r.pk: r
        for r in KpiResult.objects.filter(pk__in={e[1] for e in events}).select_related(
            "kpi__objective__map__organization", "kpi__objective__theme__group"
        )
    }
    acting = reviewers_of(
        results=[results[e[1]] for e in events if e[2] == KpiResult.Status.SUBMITTED and e[1] in results]
    )
    agencies: dict[int, set[int]] = defaultdict(set)
    for kpi_id, organization in Kpi.agencies.through.objects.filter(
        kpi_id__in={r.kpi_id for r in results.values()}
    ).values_list("kpi_id", "organization_id"):
        agencies[kpi_id].add(organization)
    editors = people_holding({r.pk: [(Role.EDITOR, context.above(agencies[r.kpi_id]))] for r in results.values()})
    found = []
    for pk, result_id, new, user_id, username, reason, _kpi in events:
        result = results.get(result_id)
        if result is None:
            continue
        kind = MOVES[KpiResult.Status(new)]
        people = acting.get(result_id, []) if kind == Kind.TO_REVIEW else editors.get(result_id, [])
        people = [p for p in people if p.pk != user_id]
        smap = result.kpi.objective.map
        url = _map_url("web:kpi", smap, result.kpi.code)
        values = {"who": username or _("someone"), "comment": reason, "period_code": result.period}
        found.append(Told(kind, f"a{pk}", result.kpi, url, values, people=people))
    return found


def _warnings(context: _Context) -> list[Told]:
    """KPIs at medium or high risk (told again when the risk rises) and red ones with no countermeasures."""
    latest: dict[int, StrategyMap] = {}
    for smap in sorted(context.maps.values(), key=lambda m: m.year):
        latest[smap.organization_id] = smap
    if not latest:
        return []
    warnings = at_risk(access=Access.everything(), maps=list(latest.values()))
    found = []
    for warning in warnings.at_risk:
        kpi = context.kpis.get(warning.kpi.pk)
        if kpi is None:
            continue
        smap = kpi.objective.map
        made = warning.forecast
        # said in each recipient's language (remind evaluates them there)
        values = {"risk": partial(risk_label, made.risk), "reason": partial(forecast_reason, made), "period_code": ""}
        url = _map_url("web:kpi", smap, kpi.code)
        key = f"k{kpi.pk}:{smap.year}:{warning.forecast.risk}"
        found.append(Told(Kind.AT_RISK, key, kpi, url, values, [context.editors(kpi), context.coordinators(kpi)]))
    for warning in warnings.red_without_countermeasures:
        kpi = context.kpis.get(warning.kpi.pk)
        if kpi is None or warning.latest is None:
            continue
        smap = kpi.objective.map
        values = {
            "light": warning.score.light.label if warning.score.light else "",
            "period_code": warning.latest.period,
        }
        url = _map_url("web:kpi", smap, kpi.code)
        key = f"c{kpi.pk}:{smap.year}:{warning.latest.period}"
        found.append(Told(Kind.RED_NO_COUNTERMEASURES, key, kpi, url, values, [context.editors(kpi)]))
    return found


def _recipients(told: list[Told]) -> list[list[Any]]:
    """The people of each notification to make, each once: its own and those of its audiences (one query)."""
    wanted = {(i, j): audience for i, t in enumerate(told) for j, audience in enumerate(t.audiences)}
    held = people_holding(wanted) if wanted else {}
    found = []
    for i, t in enumerate(told):
        people = {p.pk: p for p in t.people}
        for j in range(len(t.audiences)):
            people.update((p.pk, p) for p in held[i, j])
        found.append(list(people.values()))
    return found


def _digests(today: datetime.date, languages_of: Any) -> list[Notification]:
    """On the digest's weekday, each person's notifications of the week before, in one notification each."""
    if today.weekday() != settings.STRATMAP_DIGEST_WEEKDAY:
        return []
    since = timezone.now() - datetime.timedelta(days=7)
    week: dict[int, list[tuple[str, bool]]] = defaultdict(list)
    users: dict[int, Any] = {}
    for notification in (
        Notification.objects.filter(created__gte=since)
        .exclude(kind=Kind.DIGEST)
        .exclude(recipient__notification_preference__digest=False)
        .select_related("recipient")
        .order_by("created", "pk")
    ):
        users[notification.recipient_id] = notification.recipient
        week[notification.recipient_id].append((notification.subject, notification.read is None))
    languages = languages_of(users.values())
    year, number, _day = today.isocalendar()
    made = []
    for user_id, lines in week.items():
        with translation.override(languages[user_id]):
            unread = sum(1 for _subject, new in lines if new)
            text = "\n".join(f"{'• ' if new else '  '}{subject}" for subject, new in lines)
            header = _("%(unread)s of them unread (•).") % {"unread": unread}
            subject, body = _subject_and_body(Kind.DIGEST, {"count": len(lines), "lines": f"{header}\n\n{text}"})
            link = _url("web:notifications")
        made.append(
            Notification(
                recipient=users[user_id], kind=Kind.DIGEST, key=f"w{year}-{number:02d}", subject=subject,
                body=body, url=link,
            )
        )  # fmt: skip
    return made


def _send(now: datetime.datetime) -> int:
    """Email every notification not yet emailed to whoever wants it (each one, or only the digest), in one
    connection; each sent one records when."""
    wants_each = Q(recipient__notification_preference__isnull=True) | Q(
        recipient__notification_preference__email_each=True
    )
    unsent = list(
        Notification.objects.filter(emailed=None, recipient__is_active=True, recipient__email__gt="")
        .filter(Q(kind=Kind.DIGEST) | wants_each)
        .select_related("recipient")
        .order_by("pk")
    )
    if not unsent:
        return 0
    site = settings.STRATMAP_SITE_URL.rstrip("/")
    messages = [
        EmailMessage(
            subject=f"[stratmap] {n.subject}",
            body=n.body + (f"\n\n{site}{n.url}" if n.url else ""),
            to=[n.recipient.email],
        )
        for n in unsent
    ]
    sent = get_connection().send_messages(messages) or 0
    Notification.objects.filter(pk__in=[n.pk for n in unsent]).update(emailed=now)
    return sent


def _counts() -> Counter[str]:
    return Counter(dict(Notification.objects.order_by().values_list("kind").annotate(n=Count("pk"))))


def remind(*, today: datetime.date, send: bool = True) -> RemindReport:
    """Make what is due on ``today`` (see the module) and email what has not been emailed. Run twice, it
    makes and sends nothing the second time."""
    context = _Context(today)
    told = _due(context) + _moves(context) + _warnings(context) if context.maps else _moves(context)
    recipients = _recipients(told)
    languages = _languages({p.pk: p for people in recipients for p in people}.values())
    rows: list[Notification] = []
    for t, people in zip(told, recipients, strict=True):
        by_language: dict[str, tuple[str, str, str]] = {}
        for person in people:
            language = languages[person.pk]
            if language not in by_language:
                with translation.override(language):
                    values = {name: value() if callable(value) else value for name, value in t.values.items()}
                    if t.kpi is not None:
                        values |= context.values(t.kpi, t.values.get("period_code", ""), language)
                    by_language[language] = (*_subject_and_body(t.kind, values), t.url())
            subject, body, url = by_language[language]
            rows.append(
                Notification(recipient=person, kind=t.kind, key=t.key, subject=subject, body=body, url=url, kpi=t.kpi)
            )
    report = RemindReport()
    with transaction.atomic():
        before = _counts()
        Notification.objects.bulk_create(rows, ignore_conflicts=True, batch_size=500)
        Notification.objects.bulk_create(_digests(today, _languages), ignore_conflicts=True)
        report.made = _counts() - before  # what the constraint let in: nothing already made
    if send:
        report.emailed = _send(timezone.now())
    return report


# --- a person's own: reading and preferences ------------------------------------------------------


def notifications_read(*, user: Any, ids: Iterable[int] | None = None) -> int:
    """Mark ``user``'s notifications read (those of ``ids``, or all); another's are never touched. Reading is
    not audited: it changes nobody's data but the reader's own inbox."""
    found = Notification.objects.filter(recipient=user, read=None)
    if ids is not None:
        found = found.filter(pk__in=list(ids))
    return found.update(read=timezone.now())


@transaction.atomic
def preference_save(
    *, user: Any, version: int, email_each: bool, digest: bool, language: str
) -> NotificationPreference:
    """Save ``user``'s notification preferences, checked against the version they read and audited."""
    current = NotificationPreference.objects.select_for_update().filter(user=user).first()
    if current is None:
        current = NotificationPreference(user=user, version=0)
    if version != current.version:
        message = _("Your preferences were changed elsewhere after you opened this page.")
        raise Stale(message, changes_since(current, version))
    old = {f: getattr(current, f) for f in ("email_each", "digest", "language")}
    current.email_each, current.digest, current.language = email_each, digest, language
    current.version += 1
    current.full_clean()
    current.save()
    changes = {f: (old[f], getattr(current, f)) for f in old if old[f] != getattr(current, f)}
    if changes:
        record(user=user, obj=current, action="change", changes=changes)
    return current
