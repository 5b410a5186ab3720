"""What stratmap tells people: reminders of due results, escalations, review notices, early warnings and the
weekly digest (issue 16 item 2), each one a row, in the app and by email.

A notification is written once: (recipient, kind, key) is unique, so ``stratmap remind`` run twice, or
two runs at once, insert nothing the second time (the database's constraint, not a check before an
insert). Its subject and text are written in the recipient's language when it is made, and are what the
email said: ``emailed`` records when it was sent.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Notification(models.Model):
    """One message to one person: what it is about (``key``: a result, an audit event, a week), in their
    language, read in the app (``read``) and sent by email (``emailed``) unless they asked not to be."""

    class Kind(models.TextChoices):
        REMIND_BEFORE = "remind_before", _("due soon")
        REMIND_DUE = "remind_due", _("due today")
        OVERDUE = "overdue", _("overdue")
        ESCALATE_COORDINATOR = "escalate_coordinator", _("overdue: to the theme coordinator")
        ESCALATE_OFFICE = "escalate_office", _("overdue: to the evaluation office")
        TO_REVIEW = "to_review", _("waiting for your review")
        RETURNED = "returned", _("returned")
        APPROVED = "approved", _("approved")
        PUBLISHED = "published", _("published")
        AT_RISK = "at_risk", _("at risk")
        RED_NO_COUNTERMEASURES = "red_no_countermeasures", _("red, no countermeasures")
        DIGEST = "digest", _("weekly digest")

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.CASCADE, related_name="notifications", verbose_name=_("recipient")
    )
    kind = models.CharField(_("kind"), max_length=30, choices=Kind.choices)
    key = models.CharField(_("about"), max_length=120)
    subject = models.CharField(_("subject"), max_length=300)
    body = models.TextField(_("text"))
    url = models.CharField(_("address"), max_length=500, blank=True)
    kpi = models.ForeignKey("kpis.Kpi", models.CASCADE, null=True, blank=True, related_name="+", verbose_name=_("KPI"))
    created = models.DateTimeField(_("made"), auto_now_add=True, db_index=True)
    emailed = models.DateTimeField(_("emailed"), null=True, blank=True)
    read = models.DateTimeField(_("read"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created", "-pk"]
        constraints = [models.UniqueConstraint(fields=["recipient", "kind", "key"], name="one_notification_per_thing")]
        indexes = [models.Index(fields=["recipient", "read"], name="notification_unread")]

    def __str__(self) -> str:
        return f"{self.recipient} · {self.subject}"


class NotificationPreference(models.Model):
    """How one person wants to be told: each notification by email as it comes, the weekly digest, and the
    language of both (empty: their organization's)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, models.CASCADE, related_name="notification_preference", verbose_name=_("user")
    )
    email_each = models.BooleanField(_("email each notification"), default=True)
    digest = models.BooleanField(_("weekly digest by email"), default=True)
    language = models.CharField(_("language"), max_length=10, choices=settings.LANGUAGES, blank=True)
    version = models.PositiveIntegerField(_("version"), default=1)

    class Meta:
        verbose_name = _("notification preference")
        verbose_name_plural = _("notification preferences")

    def __str__(self) -> str:
        return str(self.user)
