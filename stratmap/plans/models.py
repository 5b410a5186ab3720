"""Action plans (行動計畫): their tasks, monthly schedules, expected outcomes and each task's monthly progress."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from stratmap.core.fields import CODE, EXACT, JSON_TEXT, LONG, TEXT, Translatable, Translations
from stratmap.kpis.models import NUMBER, ReviewStatus


class ActionPlan(Translatable):
    """An action plan under a KPI. Its code need not match the KPI's (the documents misnumber some)."""

    kpi = models.ForeignKey("kpis.Kpi", models.CASCADE, related_name="action_plans", verbose_name=_("KPI"))
    code = models.CharField(_("code"), max_length=40, validators=CODE)
    printed_code = models.CharField(_("code as printed"), max_length=40, blank=True, validators=TEXT)
    also_printed_as = models.JSONField(_("also printed as"), default=list, blank=True, validators=JSON_TEXT)
    name = models.CharField(_("name"), max_length=300, validators=TEXT)
    agencies = models.ManyToManyField(
        "core.Organization", blank=True, related_name="action_plans", verbose_name=_("responsible agencies")
    )
    agencies_printed = models.CharField(_("agencies, as printed"), max_length=200, blank=True, validators=TEXT)
    order = models.PositiveSmallIntegerField(_("order"))
    note = models.TextField(_("note"), blank=True, validators=LONG)
    i18n = Translations(fields=("name", "note"))
    LANGUAGE_FROM = ("kpi", "objective", "map", "organization")

    class Meta:
        verbose_name = _("action plan")
        verbose_name_plural = _("action plans")
        ordering = ["kpi_id", "order"]
        constraints = [models.UniqueConstraint(fields=["kpi", "code"], name="unique_plan_code")]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    def validate_unique(self, exclude=None) -> None:
        """A plan's code is unique in its whole map, not only under its KPI."""
        super().validate_unique(exclude)
        if (exclude and "code" in exclude) or self.kpi_id is None:
            return
        clash = (
            ActionPlan.objects.filter(kpi__objective__map_id=self.kpi.objective.map_id, code=self.code)
            .exclude(pk=self.pk)
            .select_related("kpi")
            .first()
        )
        if clash is not None:
            raise ValidationError(
                {
                    "code": _("The code %(code)s is already used in this map by %(other)s (KPI %(kpi)s).")
                    % {"code": self.code, "other": clash, "kpi": clash.kpi.code}
                }
            )


class PlanTask(Translatable):
    """A task of an action plan and the months (1–12) in which it runs.

    ``months`` is null when the schedule is not known, which is not the same as
    an empty list (a task scheduled in no month).
    """

    plan = models.ForeignKey(ActionPlan, models.CASCADE, related_name="tasks", verbose_name=_("action plan"))
    name = models.TextField(_("name"), validators=LONG)
    months = models.JSONField(_("months"), null=True, blank=True)
    order = models.PositiveSmallIntegerField(_("order"))
    i18n = Translations(fields=("name",))
    LANGUAGE_FROM = ("plan", "kpi", "objective", "map", "organization")

    class Meta:
        verbose_name = _("task")
        verbose_name_plural = _("tasks")
        ordering = ["plan_id", "order"]

    def __str__(self) -> str:
        return self.name[:60]


class Outcome(Translatable):
    """An expected outcome (預期成效), with its quantity, of a plan or of a whole objective."""

    objective = models.ForeignKey(
        "strategy.Objective", models.CASCADE, related_name="outcomes", verbose_name=_("objective")
    )
    plan = models.ForeignKey(
        ActionPlan, models.CASCADE, null=True, blank=True, related_name="outcomes", verbose_name=_("action plan")
    )
    text = models.TextField(_("text"), validators=LONG)
    quantity = models.DecimalField(_("quantity"), null=True, blank=True, validators=EXACT, **NUMBER)
    unit = models.CharField(_("unit"), max_length=40, blank=True, validators=TEXT)
    order = models.PositiveSmallIntegerField(_("order"))
    i18n = Translations(fields=("text", "unit"))
    LANGUAGE_FROM = ("objective", "map", "organization")

    class Meta:
        verbose_name = _("expected outcome")
        verbose_name_plural = _("expected outcomes")
        ordering = ["objective_id", "plan_id", "order"]
        # A map's own outcomes (plan None) are found from its objectives: without it SQLite reads every
        # objective-level outcome of the database through the index on plan.
        indexes = [models.Index(fields=["objective", "plan"], name="outcome_objective_plan")]

    def __str__(self) -> str:
        return self.text[:60]


class TaskProgress(models.Model):
    """One month of a task: whether work was planned, how far it got, a note, and where it is in its review.

    ``planned`` starts from the task's schedule (the month is in ``PlanTask.months``) and people may change it
    (work moved to another month). ``done`` is the state people report: not started, under way or done; a
    percentage was not chosen because the plans state months and tasks, not quantities of work.

    Reviewed like a KPI's results, one step: the KPI's agency editors enter and submit, its reviewers
    (``Access.reviews``) approve or return it with a comment, the map's administrators (``Access.publishes``)
    publish it or reopen it. The public sees published progress only. ``version`` is bumped by every write
    through the services, so a write based on an older read is refused with what changed.
    """

    class Done(models.TextChoices):
        NOT_STARTED = "not_started", pgettext_lazy("task progress", "not started")
        UNDER_WAY = "under_way", pgettext_lazy("task progress", "under way")
        DONE = "done", pgettext_lazy("task progress", "done")

    Status = ReviewStatus  # the same states (and words) as a KPI result's review

    task = models.ForeignKey(PlanTask, models.CASCADE, related_name="progress", verbose_name=_("task"))
    month = models.PositiveSmallIntegerField(_("month"))
    planned = models.BooleanField(_("planned"), default=False)
    done = models.CharField(_("done"), max_length=12, choices=Done.choices, default=Done.NOT_STARTED)
    note = models.CharField(_("note"), max_length=500, blank=True, validators=TEXT)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.DRAFT)
    review_comment = models.TextField(_("review comment"), blank=True, validators=LONG)
    #: Bumped by every save through the services, so a save based on an older read is refused.
    version = models.PositiveIntegerField(_("version"), default=1)

    class Meta:
        verbose_name = _("task progress")
        verbose_name_plural = _("task progress")
        ordering = ["task_id", "month"]
        constraints = [
            models.UniqueConstraint(fields=["task", "month"], name="unique_task_progress_month"),
            models.CheckConstraint(condition=models.Q(month__gte=1, month__lte=12), name="task_progress_month_1_12"),
        ]

    def __str__(self) -> str:
        return f"{self.task} {self.month}"

    @property
    def recorded(self) -> bool:
        """Holds something people entered: work done or under way, or a note."""
        return self.done != self.Done.NOT_STARTED or bool(self.note)
