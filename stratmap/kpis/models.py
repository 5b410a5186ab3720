"""KPIs (關鍵績效指標), their targets and their yearly results."""

from __future__ import annotations

from decimal import Decimal
from typing import TypedDict

from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.functional import lazy
from django.utils.translation import get_language, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from stratmap.core.fields import CODE, EXACT, LONG, TEXT, NumberListValidator
from stratmap.core.years import format_year
from stratmap.kpis.scoring import (
    DEFAULT_POLICY,
    TAIPEI_LIGHTS,
    TAIPEI_THRESHOLDS,
    Method,
    Polarity,
    Policy,
    Target,
    TargetType,
    composite_policy,
)


class DecimalShape(TypedDict):
    """The digits of a DecimalField, spread into it (typed, so that its other arguments stay checked)."""

    max_digits: int
    decimal_places: int


NUMBER: DecimalShape = {"max_digits": 16, "decimal_places": 4}
SCORE: DecimalShape = {"max_digits": 7, "decimal_places": 3}
WEIGHT: DecimalShape = {"max_digits": 7, "decimal_places": 4}


class Tag(models.Model):
    """A label on KPIs, e.g. 非營業基金考核指標 (non-business fund evaluation indicator)."""

    name = models.CharField(_("name"), max_length=100, unique=True, validators=TEXT)

    class Meta:
        verbose_name = _("tag")
        verbose_name_plural = _("tags")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class KpiLineage(models.Model):
    """The identity of one indicator across years, whatever its code in each year.

    The MICE KPI is DP3.4 in 108 and DP3.3 in 109: both KPIs point to the same
    lineage, which is what a multi-year chart follows.
    """

    organization = models.ForeignKey(
        "core.Organization", models.CASCADE, related_name="kpi_lineages", verbose_name=_("organization")
    )
    key = models.SlugField(_("key"), max_length=100)

    class Meta:
        verbose_name = _("KPI lineage")
        verbose_name_plural = _("KPI lineages")
        ordering = ["organization_id", "key"]
        constraints = [models.UniqueConstraint(fields=["organization", "key"], name="unique_lineage_key")]

    def __str__(self) -> str:
        return self.key


# The choices of the scoring engine's own definitions (stratmap.kpis.scoring), with their labels:
# a value the engine adds without a label here fails at import.
TARGET_TYPE_LABELS = {
    TargetType.RATIO: _("ratio of actual to target"),
    TargetType.AT_MOST: _("maintain at most"),
    TargetType.AT_LEAST: _("maintain at least"),
    TargetType.MILESTONE: _("milestone stages"),
    TargetType.BASELINE: _("progress from a baseline"),
    TargetType.RANGE: _("within a range"),
}
TARGET_TYPES = [(kind.value, TARGET_TYPE_LABELS[kind]) for kind in TargetType]
POLARITY_LABELS = {
    Polarity.POSITIVE: _("positive (higher is better)"),
    Polarity.NEGATIVE: _("negative (lower is better)"),
}
POLARITIES = [(polarity.value, POLARITY_LABELS[polarity]) for polarity in Polarity]
#: A KPI is rated by its map's method unless it is set apart as data only (monitored, not rated).
KPI_METHODS = [("", _("the map's method")), (Method.DATA_ONLY.value, _("data only (not rated)"))]
#: 「★優」 or "★ excellent", in the language of the moment it is shown (the migrations, made with
#: translations off, hold the English labels).
LIGHTS = [(level.key, lazy(lambda level=level: level.text(get_language()), str)()) for level in TAIPEI_LIGHTS.levels]


class Kpi(models.Model):
    """A key performance indicator of one objective in one year's map."""

    class Frequency(models.TextChoices):
        YEARLY = "yearly", _("yearly")
        BIENNIAL = "biennial", _("every two years")
        QUARTERLY = "quarterly", _("quarterly")
        MONTHLY = "monthly", _("monthly")
        ONCE = "once", _("once")

    objective = models.ForeignKey(
        "strategy.Objective", models.CASCADE, related_name="kpis", verbose_name=_("objective")
    )
    code = models.CharField(_("code"), max_length=40, validators=CODE)
    printed_code = models.CharField(_("code as printed"), max_length=40, blank=True, validators=TEXT)
    name = models.CharField(_("name"), max_length=300, validators=TEXT)
    unit = models.CharField(_("unit"), max_length=40, blank=True, validators=TEXT)
    polarity = models.CharField(_("polarity"), max_length=10, choices=POLARITIES, default=Polarity.POSITIVE.value)
    frequency = models.CharField(_("frequency"), max_length=10, choices=Frequency.choices, default=Frequency.YEARLY)
    data_source = models.CharField(_("data source"), max_length=300, blank=True, validators=TEXT)
    release = models.CharField(_("data release"), max_length=300, blank=True, validators=TEXT)
    agencies = models.ManyToManyField(
        "core.Organization", blank=True, related_name="kpis", verbose_name=_("responsible agencies")
    )
    agencies_printed = models.CharField(_("agencies, as printed"), max_length=200, blank=True, validators=TEXT)
    tags = models.ManyToManyField(Tag, blank=True, related_name="kpis", verbose_name=_("tags"))
    cites = models.CharField(
        _("cites city KPI"),
        max_length=40,
        blank=True,
        help_text=_("Code of the city KPI this KPI supports."),
        validators=CODE,
    )
    cites_printed = models.CharField(_("citation, as printed"), max_length=100, blank=True, validators=TEXT)
    weight = models.DecimalField(
        _("weight"), null=True, blank=True, validators=[*EXACT, MinValueValidator(0)], **NUMBER
    )
    method = models.CharField(_("rating"), max_length=10, choices=KPI_METHODS, blank=True)
    target_type = models.CharField(
        _("target type"), max_length=10, choices=TARGET_TYPES, default=TargetType.RATIO.value
    )
    stages = models.JSONField(
        _("stages"),
        default=list,
        blank=True,
        help_text=_("For a milestone KPI: the stage values, in order."),
        validators=[NumberListValidator(**NUMBER)],
    )
    baseline = models.DecimalField(
        _("baseline"),
        null=True,
        blank=True,
        validators=EXACT,
        help_text=_("For a baseline-relative target: the value progress is measured from."),
        **NUMBER,
    )
    numerator = models.TextField(_("numerator"), blank=True, validators=LONG, help_text=_("What is counted."))
    denominator = models.TextField(
        _("denominator"), blank=True, validators=LONG, help_text=_("What it is counted against.")
    )
    deadline = models.DateField(_("deadline"), null=True, blank=True)
    evaluation = models.TextField(_("evaluation method"), blank=True, validators=LONG)
    lineage = models.ForeignKey(
        KpiLineage, models.SET_NULL, null=True, blank=True, related_name="kpis", verbose_name=_("lineage")
    )
    order = models.PositiveSmallIntegerField(_("order"))
    note = models.TextField(_("note"), blank=True, validators=LONG)

    class Meta:
        verbose_name = _("KPI")
        verbose_name_plural = _("KPIs")
        # Orderings use ids, not related models: a related model's own ordering would join
        # its tables into every prefetch of KPIs, targets, results and plans.
        ordering = ["objective_id", "order"]
        constraints = [models.UniqueConstraint(fields=["objective", "code"], name="unique_kpi_code")]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    def target_for(self, target: KpiTarget | None) -> Target:
        """The engine's reading of this KPI's target of a year (``target``: that year's row, or None)."""
        return Target(
            target.value if target else None,
            polarity=self.polarity,
            type=self.target_type,
            stages=tuple(Decimal(str(v)) for v in self.stages),
            baseline=self.baseline,
            upper=target.upper if target else None,
        )

    def validate_unique(self, exclude=None) -> None:
        """A KPI's code is unique in its whole map, not only in its objective: pages find a KPI by map and code."""
        super().validate_unique(exclude)
        if (exclude and "code" in exclude) or self.objective_id is None:
            return
        clash = (
            Kpi.objects.filter(objective__map_id=self.objective.map_id, code=self.code)
            .exclude(pk=self.pk)
            .select_related("objective")
            .first()
        )
        if clash is not None:
            raise ValidationError(
                {
                    "code": _("The code %(code)s is already used in this map by %(other)s (objective %(objective)s).")
                    % {"code": self.code, "other": clash, "objective": clash.objective.code}
                }
            )


class KpiTarget(models.Model):
    """The target (目標值) of a KPI for one year; a map sets targets for several years."""

    kpi = models.ForeignKey(Kpi, models.CASCADE, related_name="targets", verbose_name=_("KPI"))
    year = models.PositiveSmallIntegerField(_("year"))
    value = models.DecimalField(_("target"), null=True, blank=True, validators=EXACT, **NUMBER)
    upper = models.DecimalField(
        _("upper bound"),
        null=True,
        blank=True,
        validators=EXACT,
        help_text=_("For a range target: the highest value that meets it (the target is the lowest)."),
        **NUMBER,
    )
    printed = models.CharField(_("as printed"), max_length=100, blank=True, validators=TEXT)
    note = models.TextField(_("note"), blank=True, validators=LONG)

    class Meta:
        verbose_name = _("KPI target")
        verbose_name_plural = _("KPI targets")
        ordering = ["kpi_id", "year"]
        constraints = [models.UniqueConstraint(fields=["kpi", "year"], name="unique_target_year")]

    def __str__(self) -> str:
        return f"{self.kpi.code} {format_year(self.year)}: {self.value}"


class KpiResult(models.Model):
    """What a KPI achieved in a year, with the self-assessment as published.

    An empty ``actual`` is a real state (unknown, with ``unknown_reason``), not a
    zero. The reported rate, total and light are kept as published, because the
    published totals cannot all be reproduced by one formula.
    """

    class Status(models.TextChoices):
        DRAFT = "draft", pgettext_lazy("result status", "draft")
        SUBMITTED = "submitted", pgettext_lazy("result status", "submitted")
        RETURNED = "returned", pgettext_lazy("result status", "returned")
        APPROVED = "approved", pgettext_lazy("result status", "approved")
        PUBLISHED = "published", pgettext_lazy("result status", "published")

    class UnknownKind(models.TextChoices):
        NOT_RELEASED = "not_released", _("data not yet released")
        NOT_SURVEYED = "not_surveyed", _("survey not run this year")
        OTHER = "other", _("other")

    kpi = models.ForeignKey(Kpi, models.CASCADE, related_name="results", verbose_name=_("KPI"))
    year = models.PositiveSmallIntegerField(_("year"))
    actual = models.DecimalField(_("actual"), null=True, blank=True, validators=EXACT, **NUMBER)
    printed = models.CharField(_("as printed"), max_length=100, blank=True, validators=TEXT)
    unknown_kind = models.CharField(
        _("why the actual is unknown"), max_length=20, choices=UnknownKind.choices, blank=True
    )
    unknown_reason = models.TextField(_("reason the actual is unknown"), blank=True, validators=LONG)
    rate_reported = models.DecimalField(
        _("achievement rate as published (%)"), null=True, blank=True, validators=EXACT, **NUMBER
    )
    innovation = models.DecimalField(_("innovation"), null=True, blank=True, **SCORE)
    innovation_note = models.TextField(_("innovation narrative"), blank=True, validators=LONG)
    challenge = models.DecimalField(_("challenge"), null=True, blank=True, **SCORE)
    challenge_note = models.TextField(_("challenge narrative"), blank=True, validators=LONG)
    contribution = models.DecimalField(_("contribution"), null=True, blank=True, **SCORE)
    contribution_note = models.TextField(_("contribution narrative"), blank=True, validators=LONG)
    score_reported = models.DecimalField(_("total score as published"), null=True, blank=True, **SCORE)
    light_reported = models.CharField(_("light as published"), max_length=10, choices=LIGHTS, blank=True)
    situation_analysis = models.TextField(_("situation analysis"), blank=True, validators=LONG)
    countermeasures = models.TextField(_("countermeasures"), blank=True, validators=LONG)
    note = models.TextField(_("note"), blank=True, validators=LONG)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.DRAFT)
    review_comment = models.TextField(_("review comment"), blank=True, validators=LONG)
    #: Bumped by every save through the services, so a save based on an older read is refused.
    version = models.PositiveIntegerField(_("version"), default=1)

    class Meta:
        verbose_name = _("KPI result")
        verbose_name_plural = _("KPI results")
        ordering = ["kpi_id", "year"]
        constraints = [models.UniqueConstraint(fields=["kpi", "year"], name="unique_result_year")]

    def __str__(self) -> str:
        return f"{self.kpi.code} {format_year(self.year)}"


#: The statuses in which an editor may still change a result; approved and published results are locked.
EDITABLE = frozenset({KpiResult.Status.DRAFT, KpiResult.Status.RETURNED})


THRESHOLD = dict(TAIPEI_THRESHOLDS)


class ScoringPolicy(models.Model):
    """The scoring policy of one map (an organization's year): weights, cap, light thresholds.

    Without one, the documented default of :mod:`stratmap.kpis.scoring` applies; the field
    defaults are that same policy.
    """

    map = models.OneToOneField(
        "strategy.StrategyMap", models.CASCADE, related_name="scoring_policy", verbose_name=_("map")
    )
    achievement_weight = models.DecimalField(
        _("achievement weight"), default=DEFAULT_POLICY.achievement_weight, **WEIGHT
    )
    innovation_weight = models.DecimalField(_("innovation weight"), default=DEFAULT_POLICY.innovation_weight, **WEIGHT)
    challenge_weight = models.DecimalField(_("challenge weight"), default=DEFAULT_POLICY.challenge_weight, **WEIGHT)
    contribution_weight = models.DecimalField(
        _("contribution weight"), default=DEFAULT_POLICY.contribution_weight, **WEIGHT
    )
    achievement_cap = models.DecimalField(_("achievement cap (%)"), default=DEFAULT_POLICY.achievement_cap, **SCORE)
    excellent = models.DecimalField(_("★ excellent from"), default=THRESHOLD["excellent"], **SCORE)
    good = models.DecimalField(_("● good from"), default=THRESHOLD["good"], **SCORE)
    fair = models.DecimalField(_("▲ fair from"), default=THRESHOLD["fair"], **SCORE)
    flag_tolerance = models.DecimalField(_("flag a difference over"), default=DEFAULT_POLICY.flag_tolerance, **SCORE)

    FIELDS = (
        "achievement_weight",
        "innovation_weight",
        "challenge_weight",
        "contribution_weight",
        "achievement_cap",
        "excellent",
        "good",
        "fair",
        "flag_tolerance",
    )

    class Meta:
        verbose_name = _("scoring policy")
        verbose_name_plural = _("scoring policies")

    def __str__(self) -> str:
        return str(self.map)

    def policy(self) -> Policy:
        return composite_policy({name: getattr(self, name) for name in self.FIELDS})

    def clean(self) -> None:
        problems = self.policy().problems()
        if problems:
            field_of = {"weights": "achievement_weight", "thresholds": "excellent"}
            raise ValidationError({field_of.get(name, name): why for name, why in problems})
