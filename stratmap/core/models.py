"""Organizations (governments, councils, ministries, their bureaus and theme groups), who holds which role
in them, and the audit trail."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from stratmap.core.fields import TEXT, Translatable, Translations
from stratmap.core.years import YearLabel, YearStyle


class Organization(Translatable):
    """An agency of any kind (a city or county government, a council, a ministry, one of their bureaus or
    departments), or a strategic-theme group; any of them may sit under a parent.

    A theme group (e.g. the city's group D) is an organization of its own with a
    lead bureau and member agencies, because it owns a theme's results; a bureau
    can lead one group and be a member of others.

    Its year starts in ``year_start_month`` and is named as ``year_label`` says; every year of its
    maps is stored as the AD year the fiscal year starts in (see :mod:`stratmap.core.years`).
    """

    class Kind(models.TextChoices):
        CITY = "city", _("city government")
        COUNTY = "county", _("county government")
        COUNCIL = "council", _("council")
        MINISTRY = "ministry", _("ministry")
        DEPARTMENT = "department", _("department")
        BUREAU = "bureau", _("bureau")
        COMMITTEE = "committee", _("committee")
        AGENCY = "agency", pgettext_lazy("organization kind", "agency")
        THEME_GROUP = "theme_group", _("strategic-theme group")
        OTHER = "other", _("other organization")

    class YearLabels(models.TextChoices):
        ROC = YearLabel.ROC.value, _("ROC years (民國108年; 2019 in English)")
        CALENDAR = YearLabel.CALENDAR.value, _("the year it starts in (2019)")
        SPAN = YearLabel.SPAN.value, _("both years (2019/20)")
        FY_END = YearLabel.FY_END.value, _("the year it ends in (FY2020)")

    code = models.SlugField(_("code"), max_length=60, unique=True, help_text=_("Short name used in URLs and commands."))
    name = models.CharField(_("name"), max_length=200, validators=TEXT)
    short_name = models.CharField(_("short name"), max_length=100, blank=True, validators=TEXT)
    language = models.CharField(
        _("language"),
        max_length=10,
        choices=settings.LANGUAGES,
        default=settings.LANGUAGE_CODE,
        help_text=_("The language its documents are written in: its names and texts are in it, translations beside."),
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    parent = models.ForeignKey(
        "self", models.PROTECT, null=True, blank=True, related_name="children", verbose_name=_("parent")
    )
    lead = models.ForeignKey(
        "self",
        models.PROTECT,
        null=True,
        blank=True,
        related_name="led_groups",
        verbose_name=_("lead agency"),
        help_text=_("For a theme group: the bureau that leads it (主政機關)."),
    )
    members = models.ManyToManyField(
        "self", symmetrical=False, blank=True, related_name="member_of", verbose_name=_("member agencies")
    )
    year_start_month = models.PositiveSmallIntegerField(
        _("first month of the year"),
        default=1,
        validators=[MinValueValidator(1), MaxValueValidator(12)],
        help_text=_("1 for calendar years, 4 for a year from April to March, 7 for July to June."),
    )
    #: Translations of its names into the other languages (name_en, short_name_zh_hant …), see core.names.
    i18n = Translations(fields=("name", "short_name"))
    year_label = models.CharField(
        _("years named as"),
        max_length=10,
        choices=YearLabels.choices,
        default=YearLabels.ROC,
        help_text=_(
            "A year is kept as the AD year it starts in: April 2019 – March 2020 is 2019, "
            "shown as 2019/20 or FY2020 as chosen here."
        ),
    )

    class Meta:
        verbose_name = _("organization")
        verbose_name_plural = _("organizations")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.short_name or self.name

    @property
    def year_style(self) -> YearStyle:
        """When this organization's year starts and how its years read, for :mod:`stratmap.core.years`."""
        return YearStyle(self.year_start_month, YearLabel(self.year_label))


class Membership(models.Model):
    """A person's role in one organization; a person may hold roles in several.

    - administrator: the evaluation office (研考會): everything, publication included;
    - coordinator: reviews the KPIs of the themes its organization owns or leads (主政機關);
    - editor: enters the results and plan progress of its organization's KPIs and plans;
    - viewer: reads everything, unpublished included.
    Without a membership a person is the public: published maps and results only.
    """

    class Role(models.TextChoices):
        ADMINISTRATOR = "administrator", _("administrator")
        COORDINATOR = "coordinator", _("theme coordinator")
        EDITOR = "editor", _("agency editor")
        VIEWER = "viewer", _("viewer")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.CASCADE, related_name="memberships", verbose_name=_("user")
    )
    organization = models.ForeignKey(
        Organization, models.CASCADE, related_name="memberships", verbose_name=_("organization")
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        ordering = ["user__username", "organization__code", "role"]
        constraints = [models.UniqueConstraint(fields=["user", "organization", "role"], name="unique_membership")]

    def __str__(self) -> str:
        return f"{self.user} · {self.organization} · {self.get_role_display()}"


class AuditEvent(models.Model):
    """One recorded change: who, when, what (object and field), the old and new value, and why.

    Written by the services that change data, never by signals, so every entry
    carries the reason the person gave.
    """

    at = models.DateTimeField(_("when"), auto_now_add=True, db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("who")
    )
    username = models.CharField(_("user name"), max_length=150, blank=True)
    action = models.CharField(_("action"), max_length=30)
    object_type = models.CharField(_("object type"), max_length=60)
    object_id = models.PositiveBigIntegerField(_("object id"))
    object_repr = models.CharField(_("object"), max_length=300)
    kpi = models.ForeignKey(
        "kpis.Kpi", models.SET_NULL, null=True, blank=True, related_name="audit_events", verbose_name=_("KPI")
    )
    object_version = models.PositiveIntegerField(
        _("object version"), null=True, blank=True, help_text=_("The version the object reached with this change.")
    )
    field = models.CharField(_("field"), max_length=60, blank=True)
    old = models.TextField(_("old value"), blank=True)
    new = models.TextField(_("new value"), blank=True)
    reason = models.TextField(_("reason"), blank=True)

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit trail")
        ordering = ["-at", "-pk"]
        indexes = [models.Index(fields=["object_type", "object_id"], name="audit_object")]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.username} {self.action} {self.object_repr} {self.field}"


# --- the reporting calendar (issue 16 item 1) -------------------------------------------------------


class HolidayCalendar(Translatable):
    """A named list of days off and make-up working days (``CalendarDay``), e.g. Taiwan's government
    office calendar (``tw``: 行政院人事行政總處's 政府行政機關辦公日曆表) or England's bank holidays.

    A national calendar belongs to no organization (``organization`` empty: the superusers keep it, by
    ``stratmap calendar load``); an organization may keep its own (its city's typhoon days off), which its
    administrators edit. Its days' names are written in ``language``.
    """

    code = models.SlugField(_("code"), max_length=40, unique=True, help_text=_("Short name used in commands."))
    name = models.CharField(_("name"), max_length=200, validators=TEXT)
    language = models.CharField(
        _("language"),
        max_length=10,
        choices=settings.LANGUAGES,
        default=settings.LANGUAGE_CODE,
        help_text=_("The language the names of its days are written in."),
    )
    source = models.CharField(
        _("source"), max_length=500, blank=True, validators=TEXT, help_text=_("Where its days were taken from.")
    )
    organization = models.ForeignKey(
        Organization,
        models.CASCADE,
        null=True,
        blank=True,
        related_name="holiday_calendars",
        verbose_name=_("organization"),
        help_text=_("Empty for a national calendar, which only superusers change."),
    )
    i18n = Translations(fields=("name",))

    class Meta:
        verbose_name = _("holiday calendar")
        verbose_name_plural = _("holiday calendars")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class CalendarDay(Translatable):
    """One day of a holiday calendar that differs from its weekend: a day off on a weekday (a holiday,
    a bridge day) or a worked day of the weekend (Taiwan's 補行上班). A named holiday that falls on a
    weekend may be listed as a day off too, for the calendar page."""

    class Kind(models.TextChoices):
        HOLIDAY = "holiday", _("day off")
        WORKING = "working", _("make-up working day")

    LANGUAGE_FROM = ("calendar",)

    calendar = models.ForeignKey(
        HolidayCalendar, models.CASCADE, related_name="days", verbose_name=_("holiday calendar")
    )
    date = models.DateField(_("date"))
    name = models.CharField(_("name"), max_length=200, blank=True, validators=TEXT)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.HOLIDAY)
    i18n = Translations(fields=("name",))

    class Meta:
        verbose_name = _("calendar day")
        verbose_name_plural = _("calendar days")
        ordering = ["calendar", "date"]
        constraints = [models.UniqueConstraint(fields=["calendar", "date"], name="unique_calendar_day")]

    def __str__(self) -> str:
        return f"{self.date.isoformat()} {self.name}".strip()


#: Sane maxima of a reporting calendar's numbers of days (a deadline more than a year after a period
#: ends, or a reminder months ahead, is a typing mistake).
MAX_DUE_DAYS = 366
MAX_REMIND_DAYS = 90
MAX_ESCALATE_DAYS = 180


def _days(maximum: int) -> list:
    return [MinValueValidator(0), MaxValueValidator(maximum)]


class ReportingCalendar(models.Model):
    """When an organization's results are due, and when the notifications remind and escalate.

    Set by its evaluation office; an organization without one uses the defaults of the fields
    (periods 15 calendar days after they end, the year 30 calendar days after it ends, reminders 7 days
    before, escalation to the theme coordinator 7 days after and to the evaluation office 14 days
    after). A date that falls on a day off of ``holidays`` (or a weekend) moves on to the next working
    day. A map's own ``StrategyMap.results_due`` overrides the year's rule for that map.
    """

    class DayKind(models.TextChoices):
        CALENDAR = "calendar", _("calendar days")
        WORKING = "working", _("working days")

    organization = models.OneToOneField(
        Organization, models.CASCADE, related_name="reporting_calendar", verbose_name=_("organization")
    )
    holidays = models.ForeignKey(
        HolidayCalendar,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("holiday calendar"),
        help_text=_("Its days off and make-up working days; empty: Saturdays and Sundays only."),
    )
    period_days = models.PositiveSmallIntegerField(
        _("a period's results due after (days)"),
        default=15,
        validators=_days(MAX_DUE_DAYS),
        help_text=_("Days after a month, quarter or half ends."),
    )
    period_day_kind = models.CharField(
        _("counted in"), max_length=10, choices=DayKind.choices, default=DayKind.CALENDAR
    )
    year_days = models.PositiveSmallIntegerField(
        _("the year's results due after (days)"),
        default=30,
        validators=_days(MAX_DUE_DAYS),
        help_text=_("Days after the year ends; a map's own results-due date overrides it."),
    )
    year_day_kind = models.CharField(_("counted in"), max_length=10, choices=DayKind.choices, default=DayKind.CALENDAR)
    remind_before = models.PositiveSmallIntegerField(
        _("remind before (days)"), default=7, validators=_days(MAX_REMIND_DAYS)
    )
    escalate_coordinator_after = models.PositiveSmallIntegerField(
        _("escalate to the theme coordinator after (days)"),
        default=7,
        validators=_days(MAX_ESCALATE_DAYS),
    )
    escalate_office_after = models.PositiveSmallIntegerField(
        _("escalate to the evaluation office after (days)"),
        default=14,
        validators=_days(MAX_ESCALATE_DAYS),
    )

    class Meta:
        verbose_name = _("reporting calendar")
        verbose_name_plural = _("reporting calendars")

    def __str__(self) -> str:
        return str(self.organization)

    def clean(self) -> None:
        super().clean()
        if (
            self.escalate_office_after is not None
            and self.escalate_coordinator_after is not None
            and self.escalate_office_after < self.escalate_coordinator_after
        ):
            raise ValidationError(
                {
                    "escalate_office_after": _(
                        "The evaluation office is told after the theme coordinator: give at least %(days)d days."
                    )
                    % {"days": self.escalate_coordinator_after}
                }
            )
        if self.holidays is not None and self.organization_id is not None:
            owner = self.holidays.organization_id
            if owner is not None and owner != self.organization_id:
                raise ValidationError({"holidays": _("That holiday calendar belongs to another organization.")})
