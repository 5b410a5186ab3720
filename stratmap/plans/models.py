"""Action plans (行動計畫): their tasks, monthly schedules and expected outcomes."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from stratmap.core.models import Organization
from stratmap.kpis.models import NUMBER, Kpi
from stratmap.strategy.models import Objective


class ActionPlan(models.Model):
    """An action plan under a KPI. Its code need not match the KPI's (the documents misnumber some)."""

    kpi = models.ForeignKey(Kpi, models.CASCADE, related_name="action_plans", verbose_name=_("KPI"))
    code = models.CharField(_("code"), max_length=40)
    printed_code = models.CharField(_("code as printed"), max_length=40, blank=True)
    also_printed_as = models.JSONField(_("also printed as"), default=list, blank=True)
    name = models.CharField(_("name"), max_length=300)
    agencies = models.ManyToManyField(
        Organization, blank=True, related_name="action_plans", verbose_name=_("responsible agencies")
    )
    agencies_printed = models.CharField(_("agencies, as printed"), max_length=200, blank=True)
    order = models.PositiveSmallIntegerField(_("order"))
    note = models.TextField(_("note"), blank=True)
    #: Bumped by every progress save, so two people's saves never overwrite each other silently.
    progress_version = models.PositiveIntegerField(_("progress version"), default=1)

    class Meta:
        verbose_name = _("action plan")
        verbose_name_plural = _("action plans")
        ordering = ["kpi_id", "order"]
        constraints = [models.UniqueConstraint(fields=["kpi", "code"], name="unique_plan_code")]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class PlanTask(models.Model):
    """A task of an action plan and the months (1–12) in which it runs.

    ``months`` is null when the schedule is not known, which is not the same as
    an empty list (a task scheduled in no month).
    """

    plan = models.ForeignKey(ActionPlan, models.CASCADE, related_name="tasks", verbose_name=_("action plan"))
    name = models.TextField(_("name"))
    months = models.JSONField(_("months"), null=True, blank=True)
    order = models.PositiveSmallIntegerField(_("order"))

    class Meta:
        verbose_name = _("task")
        verbose_name_plural = _("tasks")
        ordering = ["plan_id", "order"]

    def __str__(self) -> str:
        return self.name[:60]


class Outcome(models.Model):
    """An expected outcome (預期成效), with its quantity, of a plan or of a whole objective."""

    objective = models.ForeignKey(Objective, models.CASCADE, related_name="outcomes", verbose_name=_("objective"))
    plan = models.ForeignKey(
        ActionPlan, models.CASCADE, null=True, blank=True, related_name="outcomes", verbose_name=_("action plan")
    )
    text = models.TextField(_("text"))
    quantity = models.DecimalField(_("quantity"), null=True, blank=True, **NUMBER)
    unit = models.CharField(_("unit"), max_length=40, blank=True)
    order = models.PositiveSmallIntegerField(_("order"))

    class Meta:
        verbose_name = _("expected outcome")
        verbose_name_plural = _("expected outcomes")
        ordering = ["objective_id", "plan_id", "order"]

    def __str__(self) -> str:
        return self.text[:60]


class PlanProgress(models.Model):
    """One month of an action plan's year: whether work was planned, whether it was done, and a note."""

    plan = models.ForeignKey(ActionPlan, models.CASCADE, related_name="progress", verbose_name=_("action plan"))
    month = models.PositiveSmallIntegerField(_("month"))
    planned = models.BooleanField(_("planned"), default=False)
    done = models.BooleanField(_("done"), default=False)
    note = models.CharField(_("note"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("monthly progress")
        verbose_name_plural = _("monthly progress")
        ordering = ["plan_id", "month"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "month"], name="unique_progress_month"),
            models.CheckConstraint(condition=models.Q(month__gte=1, month__lte=12), name="progress_month_1_12"),
        ]

    def __str__(self) -> str:
        return f"{self.plan.code} {self.month}"
