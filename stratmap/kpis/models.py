"""KPIs (關鍵績效指標), their targets and their yearly results."""

from __future__ import annotations

import re
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation
from typing import NamedTuple, TypedDict

from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.utils.deconstruct import deconstructible
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from stratmap.core.fields import CODE, EXACT, LONG, TEXT, NumberListValidator, TextValidator, Translatable, Translations
from stratmap.core.models import Organization
from stratmap.core.years import PER_YEAR, Period, Unit, YearError, YearStyle, format_year
from stratmap.kpis import scoring
from stratmap.kpis.scoring import (
    DEFAULT_POLICY,
    TAIPEI_THRESHOLDS,
    Aggregation,
    Method,
    ObjectiveRule,
    Polarity,
    Policy,
    Role,
    Target,
    TargetType,
    Tolerance,
    composite_policy,
)
from stratmap.kpis.scoring import lights as lights_engine
from stratmap.kpis.scoring import policy as policy_engine
from stratmap.kpis.scoring.forecast import DEFAULT_RISK_LIMITS, LIMIT_RANGE, LIMITS_ORDER, RiskLimits


class DecimalShape(TypedDict):
    """The digits of a DecimalField, spread into it (typed, so that its other arguments stay checked)."""

    max_digits: int
    decimal_places: int


NUMBER: DecimalShape = {"max_digits": 16, "decimal_places": 4}
SCORE: DecimalShape = {"max_digits": 7, "decimal_places": 3}
WEIGHT: DecimalShape = {"max_digits": 7, "decimal_places": 4}


class Tag(Translatable):
    """A label on KPIs, e.g. 非營業基金考核指標 (non-business fund evaluation indicator)."""

    name = models.CharField(_("name"), max_length=100, unique=True, validators=TEXT)
    i18n = Translations(fields=("name",))

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
AGGREGATION_LABELS = {
    Aggregation.SUM: _("sum of the periods"),
    Aggregation.LAST: _("last period's value"),
    Aggregation.AVERAGE: _("average of the periods"),
    Aggregation.MAXIMUM: _("highest of the periods"),
    Aggregation.MINIMUM: _("lowest of the periods"),
}
AGGREGATIONS = [(how.value, AGGREGATION_LABELS[how]) for how in Aggregation]


# --- reporting periods --------------------------------------------------------------------------
# A target or result row holds its fiscal year and, in ``period``, which part of it: "" the whole
# year, "H1"/"H2", "Q1".."Q4" (of the fiscal year), "M01".."M12" (the calendar month: the row's
# year is the fiscal year the month falls in). core.years gives the periods and their keys.

#: The period unit a KPI's frequency reports in; a KPI of any other frequency has yearly values only.
FREQUENCY_UNIT = {frequency: Unit(unit) for frequency, unit in scoring.FREQUENCY_PERIODS.items()}
_CODE_PREFIX = {Unit.HALF: "H", Unit.QUARTER: "Q"}
PERIOD_CODES = ["H1", "H2", "Q1", "Q2", "Q3", "Q4", *(f"M{m:02d}" for m in range(1, 13))]
PERIODS = [("", _("the whole year")), *((code, code) for code in PERIOD_CODES)]


def period_code(period: Period, style: YearStyle) -> str:
    """The ``period`` column of a row for ``period`` ("" for a year)."""
    if period.unit is Unit.YEAR:
        return ""
    if period.unit is Unit.MONTH:
        return f"M{style.months_of(period)[0][1]:02d}"
    return f"{_CODE_PREFIX[period.unit]}{period.index}"


def period_of(year: int, code: str, style: YearStyle) -> Period:
    """The period of a row: its fiscal ``year`` and ``period`` column; YearError for a code that is none."""
    if code == "":
        return Period(year, Unit.YEAR)
    if code[:1] == "M" and code[1:].isdigit() and 1 <= int(code[1:]) <= 12:
        month = int(code[1:])
        return Period(year, Unit.MONTH, (month - style.start_month) % 12 + 1)
    for unit, prefix in _CODE_PREFIX.items():
        if code[:1] == prefix and code[1:].isdigit() and 1 <= int(code[1:]) <= PER_YEAR[unit]:
            return Period(year, unit, int(code[1:]))
    raise YearError(f"{code!r} is not a period of a year; expected H1, Q3 or M05")


def period_unit(code: str) -> Unit:
    """The unit of a row's ``period`` code (a month, a quarter …), whatever the organization's year."""
    return period_of(2000, code, YearStyle()).unit


def period_order(code: str, style: YearStyle) -> tuple[int, int]:
    """Sorts a year's period codes: the year first, then by unit, then in the fiscal year's order."""
    period = period_of(2000, code, style)
    return (list(Unit).index(period.unit), period.index)


class Kpi(Translatable):
    """A key performance indicator of one objective in one year's map."""

    class Frequency(models.TextChoices):
        YEARLY = "yearly", _("yearly")
        BIENNIAL = "biennial", _("every two years")
        HALF_YEARLY = "half_yearly", _("half-yearly")
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
    frequency = models.CharField(_("frequency"), max_length=11, choices=Frequency.choices, default=Frequency.YEARLY)
    aggregation = models.CharField(
        _("aggregation"),
        max_length=10,
        choices=AGGREGATIONS,
        blank=True,
        help_text=_(
            "How the values of the periods make the year's value when no yearly value is entered. "
            "Required when the KPI has values per period: none is assumed."
        ),
    )
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
    i18n = Translations(
        fields=("name", "unit", "data_source", "release", "numerator", "denominator", "evaluation", "note")
    )
    LANGUAGE_FROM = ("objective", "map", "organization")

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

    def periods(self, year: int, style: YearStyle | None = None) -> dict[str, Period]:
        """The periods of the fiscal ``year`` this KPI reports in, by their row's ``period`` code (Q3, M05), in
        the year's order (Q1–Q4; a council's months April … March): its frequency's unit in its organization's
        years, ``style`` (read through its map when not given). Empty for a KPI of whole years (yearly,
        every two years, once): only the year's row."""
        unit = FREQUENCY_UNIT.get(self.frequency)
        if unit is None:
            return {}
        if style is None:
            style = self.objective.map.organization.year_style
        return {period_code(p, style): p for p in style.periods(year, unit)}

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
    period = models.CharField(_("period"), max_length=3, choices=PERIODS, blank=True, default="")
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
        ordering = ["kpi_id", "year", "period"]
        constraints = [models.UniqueConstraint(fields=["kpi", "year", "period"], name="unique_target_period")]

    def __str__(self) -> str:
        return f"{self.kpi.code} {year_and_period(self)}: {self.value}"


class ReviewStatus(models.TextChoices):
    """Where a result (and a month of a task's progress, plans.TaskProgress) stands in its review."""

    DRAFT = "draft", pgettext_lazy("result status", "draft")
    SUBMITTED = "submitted", pgettext_lazy("result status", "submitted")
    RETURNED = "returned", pgettext_lazy("result status", "returned")
    APPROVED = "approved", pgettext_lazy("result status", "approved")
    PUBLISHED = "published", pgettext_lazy("result status", "published")


class KpiResult(models.Model):
    """What a KPI achieved in a year, with the self-assessment as published.

    An empty ``actual`` is a real state (unknown, with ``unknown_reason``), not a
    zero. The reported rate, total and light are kept as published, because the
    published totals cannot all be reproduced by one formula.
    """

    Status = ReviewStatus

    class UnknownKind(models.TextChoices):
        NOT_RELEASED = "not_released", _("data not yet released")
        NOT_SURVEYED = "not_surveyed", _("survey not run this year")
        OTHER = "other", _("other")

    kpi = models.ForeignKey(Kpi, models.CASCADE, related_name="results", verbose_name=_("KPI"))
    year = models.PositiveSmallIntegerField(_("year"))
    period = models.CharField(_("period"), max_length=3, choices=PERIODS, blank=True, default="")
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
    #: The key of a level of the map's light set (its rating policy's), as published; checked against that
    #: set where it is written (the dataset loader, the administration), since the set is the map's.
    light_reported = models.CharField(_("light as published"), max_length=40, blank=True, validators=TEXT)
    situation_analysis = models.TextField(_("situation analysis"), blank=True, validators=LONG)
    countermeasures = models.TextField(_("countermeasures"), blank=True, validators=LONG)
    note = models.TextField(_("note"), blank=True, validators=LONG)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.DRAFT)
    review_comment = models.TextField(_("review comment"), blank=True, validators=LONG)
    #: The step of its map's review chain (:func:`review_chains`) a submitted result waits at, 1 the first;
    #: 1 whenever it is not submitted (a return sends it back to the start, the editor).
    review_step = models.PositiveSmallIntegerField(_("review step"), default=1, validators=[MinValueValidator(1)])
    #: Bumped by every save through the services, so a save based on an older read is refused.
    version = models.PositiveIntegerField(_("version"), default=1)

    class Meta:
        verbose_name = _("KPI result")
        verbose_name_plural = _("KPI results")
        ordering = ["kpi_id", "year", "period"]
        constraints = [models.UniqueConstraint(fields=["kpi", "year", "period"], name="unique_result_period")]

    def __str__(self) -> str:
        return f"{self.kpi.code} {year_and_period(self)}"


def year_and_period(row: KpiTarget | KpiResult) -> str:
    """A target's or result's year as its organization names it, and its period's code (民國108年,
    2024/25 Q3): in the administration's titles and the audit trail, where the code is what is searched."""
    year = format_year(row.year, style=row.kpi.objective.map.organization.year_style)
    return f"{year} {row.period}" if row.period else year


#: The statuses in which an editor may still change a result; approved and published results are locked.
EDITABLE = frozenset({KpiResult.Status.DRAFT, KpiResult.Status.RETURNED})


# --- light sets and rating policies: an agency's way of rating, as data ----------------------------

#: A language tag as the names of a level are given: zh, zh-hant, en, en-gb.
LANGUAGE = re.compile(r"[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*")


@deconstructible
class NamesValidator:
    """Names by language, ``{"zh": "綠", "en": "Green"}``: each a language tag and a text of at most
    ``max_length`` characters (an empty mapping is the field's ``blank``)."""

    def __init__(self, max_length: int = 100):
        self.max_length = max_length

    def __call__(self, value: object) -> None:
        if not isinstance(value, dict):
            raise ValidationError(_('Give the names by language, e.g. {"zh": "綠", "en": "Green"}.'), code="invalid")
        for language, text in value.items():
            if not isinstance(language, str) or not LANGUAGE.fullmatch(language):
                raise ValidationError(
                    _("%(value)s is not a language tag such as zh, zh-hant or en."),
                    code="invalid_language",
                    params={"value": str(language)[:20]},
                )
            if not isinstance(text, str) or not text.strip():
                raise ValidationError(
                    _("The name in %(language)s is empty."), code="empty_name", params={"language": language}
                )
            TextValidator(self.max_length)(text)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, NamesValidator) and other.max_length == self.max_length


# The engine's objections to a light set or a policy, each written out for the translation catalogue
# (a test holds this to the engine's own list, scoring.PROBLEMS). The administration shows them, through
# the models' checks, in the reader's language; the dataset format's errors are English, as all of its.
PROBLEMS = {
    lights_engine.NO_RATED_LEVEL: _("must have at least one rated level"),
    lights_engine.ROLE_TWICE: _("must have at most one level of role %(role)s (got %(count)s)"),
    lights_engine.NO_UNKNOWN_LEVEL: _("must have a level of role unknown"),
    lights_engine.EMPTY_KEY: _("must not be empty"),
    lights_engine.KEY_TWICE: _("%(key)s is used by an earlier level"),
    lights_engine.NO_SYMBOL: _("must not be empty: a light is never colour alone"),
    lights_engine.NO_NAME: _("must name the level in at least one language"),
    lights_engine.NOT_A_COLOUR: _("must be a colour like #1a7f37 (got %(colour)s)"),
    lights_engine.NOT_A_LEVEL: _("%(key)s is not a level of the light set %(set)s (its levels: %(levels)s)"),
    policy_engine.NOT_ONE_OF: _("must be one of %(choices)s (got %(value)s)"),
    policy_engine.NEGATIVE: _("must not be negative (got %(value)s)"),
    policy_engine.WEIGHTS_NOT_ONE: _("must add up to 1 (they add up to %(total)s)"),
    policy_engine.BELOW_ZERO: _("must not be below 0 (got %(value)s)"),
    policy_engine.THRESHOLDS_FOR: _("must give a minimum for each of %(levels)s, in that order (got %(given)s)"),
    policy_engine.NO_THRESHOLDS: _(
        "must give no minimum: the light set %(set)s has a single rated level (got %(given)s)"
    ),
    policy_engine.THRESHOLDS_ORDER: _("must be in order %(order)s (got %(given)s)"),
    policy_engine.NO_BAND: _("the bands method needs at least one band"),
    policy_engine.NOT_RATED: _("%(level)s is not a rated level"),
    policy_engine.ONLY_LAST_OPEN: _("only the last band may take whatever is left"),
    policy_engine.BANDS_ORDER: _("the levels must be in the light set's order, best first, each once"),
    policy_engine.BANDS_REACH: _("each band must reach further than the one before (got %(given)s)"),
}


#: The early warning's objections to a policy's risk limits (stratmap.kpis.scoring.forecast), written out.
RISK_LIMIT_TEXT = {
    LIMIT_RANGE: _("must be between 0 and 100 (got %(value)s)"),
    LIMITS_ORDER: _("the high-risk limit must not be above the medium-risk limit (got %(high)s and %(medium)s)"),
}


def problem_text(where: str, why: str) -> str:
    """An objection of the engine, where it is, in the current language."""
    if isinstance(why, scoring.Problem) and why.template in PROBLEMS:
        why = str(PROBLEMS[why.template]) % why.values
    return f"{where} {why}" if where else why


ROLE_LABELS = {
    Role.RATED: _("rated"),
    Role.UNKNOWN: _("unknown (no data)"),
    Role.DATA_ONLY: _("data only (not rated)"),
}
ROLES = [(role.value, ROLE_LABELS[role]) for role in Role]
METHOD_LABELS = {
    Method.COMPOSITE: _("composite: achievement and self-assessment scores"),
    Method.BANDS: _("achievement bands"),
    Method.DATA_ONLY: _("data only (monitoring)"),
}
METHODS = [(method.value, METHOD_LABELS[method]) for method in Method]
TOLERANCE_LABELS = {
    Tolerance.PERCENT: _("percent of the target"),
    Tolerance.ABSOLUTE: _("absolute, in the KPI's unit"),
}
TOLERANCES = [(kind.value, TOLERANCE_LABELS[kind]) for kind in Tolerance]
OBJECTIVE_RULE_LABELS = {
    ObjectiveRule.WORST: _("its worst KPI"),
    ObjectiveRule.WEIGHTED: _("its KPIs' weighted score"),
}
OBJECTIVE_RULES = [(rule.value, OBJECTIVE_RULE_LABELS[rule]) for rule in ObjectiveRule]
COLOUR = RegexValidator(r"^#[0-9a-fA-F]{6}\Z", _("Give a colour like #1a7f37."), code="invalid_colour")


def _owned_once(name: str) -> list[models.BaseConstraint]:
    """A key once per organization, and once among the shared rows (no organization): a plain unique
    constraint would let shared rows repeat a key, NULL being distinct from NULL."""
    return [
        models.UniqueConstraint(
            fields=["organization", "key"], condition=Q(organization__isnull=False), name=f"unique_{name}_key"
        ),
        models.UniqueConstraint(
            fields=["key"], condition=Q(organization__isnull=True), name=f"unique_shared_{name}_key"
        ),
    ]


class LightSet(models.Model):
    """An agency's light set: its levels (:class:`LightLevel`), found by key.

    A rating policy names its light set by key; the key is looked for in the policy's organization,
    then in each organization above it, then among the shared sets (no organization), then among the
    built-in ones (:data:`stratmap.kpis.scoring.BUILT_IN`: taipei, rag, tw-gov); see
    :func:`resolve_light_sets`. So a city's set serves its bureaus, and a bureau may have its own.
    """

    organization = models.ForeignKey(
        "core.Organization",
        models.CASCADE,
        null=True,
        blank=True,
        related_name="light_sets",
        verbose_name=_("organization"),
        help_text=_("Empty: shared by every organization."),
    )
    key = models.SlugField(_("key"), max_length=60)
    names = models.JSONField(_("names"), default=dict, blank=True, validators=[NamesValidator(100)])

    class Meta:
        verbose_name = _("light set")
        verbose_name_plural = _("light sets")
        ordering = ["organization_id", "key"]
        constraints = _owned_once("light_set")

    def __str__(self) -> str:
        return self.key

    def rating_policies(self) -> list[RatingPolicy]:
        """The rating policies that rate with this set, as it is stored (its stored key and organization)."""
        stored = LightSet.objects.filter(pk=self.pk).values_list("key", flat=True).first() if self.pk else None
        if stored is None:
            return []
        candidates = list(RatingPolicy.objects.filter(lights=stored))
        rows = _light_set_rows((policy.organization_id, stored) for policy in candidates)
        return [p for p in candidates if (row := rows[p.organization_id, stored]) is not None and row.pk == self.pk]

    def clean(self) -> None:
        if self.pk is None:
            return
        stored = LightSet.objects.filter(pk=self.pk).values_list("organization_id", "key").first()
        if stored != (self.organization_id, self.key) and (used := self.rating_policies()):
            raise ValidationError(
                {
                    "key": _(
                        "The rating policies %(policies)s rate with this light set by its key and organization: "
                        "keep them, or change those policies first."
                    )
                    % {"policies": ", ".join(policy.key for policy in used)}
                }
            )

    def light_set(self) -> scoring.LightSet:
        """The engine's light set (its levels loaded or prefetched, in their order)."""
        levels = sorted(self.levels.all(), key=lambda level: (level.order, level.pk or 0))
        return scoring.LightSet(self.key, tuple(level.level() for level in levels), scoring.names(self.names))


class LightLevel(models.Model):
    """One level of a light set: key, symbol, names by language, colour and role, in the set's order
    (rated levels best first)."""

    light_set = models.ForeignKey(LightSet, models.CASCADE, related_name="levels", verbose_name=_("light set"))
    key = models.SlugField(_("key"), max_length=40)
    symbol = models.CharField(
        _("symbol"), max_length=8, validators=TEXT, help_text=_("Shown with the name: a light is never colour alone.")
    )
    names = models.JSONField(
        _("names"), validators=[NamesValidator(100)], help_text=_('e.g. {"zh": "綠", "en": "Green"}')
    )
    colour = models.CharField(_("colour"), max_length=7, validators=[COLOUR], help_text="#rrggbb")
    role = models.CharField(_("role"), max_length=10, choices=ROLES, default=Role.RATED.value)
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("light level")
        verbose_name_plural = _("light levels")
        ordering = ["light_set_id", "order", "pk"]
        constraints = [models.UniqueConstraint(fields=["light_set", "key"], name="unique_light_level_key")]

    def __str__(self) -> str:
        return f"{self.symbol} {self.key}"  # the same in every language: the audit trail keeps it

    def level(self) -> scoring.Level:
        return scoring.Level(self.key, self.symbol, scoring.names(self.names or {}), self.colour, Role(self.role))


def _chain(organization: int | None, parents: dict[int, int | None]) -> list[int]:
    """``organization`` and the organizations above it, nearest first (a cycle is cut where it closes)."""
    chain: list[int] = []
    while organization is not None and organization not in chain:
        chain.append(organization)
        organization = parents.get(organization)
    return chain


def _parents() -> dict[int, int | None]:
    """Each organization's parent: one query (an installation has tens of organizations, not millions)."""
    return dict(Organization.objects.values_list("pk", "parent_id"))


def owners(organization: int, parents: dict[int, int | None] | None = None) -> list[int | None]:
    """Where a key named for ``organization`` is looked for, in order: the organization, the organizations
    above it (nearest first), then the shared rows (None). One query, none when ``parents`` is given."""
    return [*_chain(organization, _parents() if parents is None else parents), None]


def serving(organizations: Iterable[int]) -> models.QuerySet[RatingPolicy]:
    """The rating policies the maps of ``organizations`` may choose: theirs, those of the organizations
    above them, and the shared ones (two queries)."""
    parents = _parents()
    owners = {owner for organization in organizations for owner in _chain(organization, parents)}
    return RatingPolicy.objects.filter(Q(organization__in=owners) | Q(organization__isnull=True))


def resolve_light_sets(
    wanted: Iterable[tuple[int | None, str]],
) -> dict[tuple[int | None, str], scoring.LightSet | None]:
    """(organization id, key) → the light set ``key`` names for that organization: its own set of that
    key, else the nearest ancestor's, else a shared one, else the built-in one; None when there is none.

    Three queries for any number (the organizations' parents, the sets, their levels), none for none.
    """
    rows = _light_set_rows(wanted)
    return {pair: row.light_set() if row is not None else scoring.BUILT_IN.get(pair[1]) for pair, row in rows.items()}


def _light_set_rows(wanted: Iterable[tuple[int | None, str]]) -> dict[tuple[int | None, str], LightSet | None]:
    """(organization id, key) → the row of the light set ``key`` names for it, None for a built-in or none."""
    pairs = set(wanted)
    if not pairs:
        return {}
    parents = _parents() if any(org is not None for org, _ in pairs) else {}
    chains = {org: _chain(org, parents) for org, _ in pairs}
    owners = {owner for chain in chains.values() for owner in chain}
    found = {
        (row.organization_id, row.key): row
        for row in LightSet.objects.filter(key__in={key for _, key in pairs})
        .filter(Q(organization__in=owners) | Q(organization__isnull=True))
        .prefetch_related("levels")
    }
    return {
        (org, key): next((found[owner, key] for owner in [*chains[org], None] if (owner, key) in found), None)
        for org, key in pairs
    }


def no_light_set(key: str) -> str:
    return str(
        _(
            "There is no light set %(key)s for this organization: give the key of a light set of the "
            "organization, of an organization above it, a shared one or a built-in one (%(built_in)s)."
        )
        % {"key": key, "built_in": ", ".join(scoring.BUILT_IN)}
    )


def _decimal(value: object, where: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | float | str | Decimal):
        raise ValueError(f"{where}: {value!r} is not a number")
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        raise ValueError(f"{where}: {value!r} is not a number") from None
    if not number.is_finite():
        raise ValueError(f"{where}: {value!r} is not a finite number")
    return number


#: Where the engine's problems of a policy (:meth:`stratmap.kpis.scoring.Policy.problems`) are shown
#: on a rating policy's form: "bands[1].within" on ``bands``, "weights" on the first weight.
def _problem_field(where: str) -> str:
    head = where.split(".")[0].split("[")[0]
    return {"weights": "achievement_weight"}.get(head, head)


class RatingPolicy(models.Model):
    """A named rating policy: how the KPIs of the maps that choose it get their lights.

    Chosen per map (its :class:`ScoringPolicy` row) and shared by name: a policy of an organization
    serves the maps of that organization and of every organization below it (a city sets one for all
    its bureaus); a policy without organization serves everyone. docs/scoring.md, "Rating methods",
    gives each method with worked examples.
    """

    organization = models.ForeignKey(
        "core.Organization",
        models.CASCADE,
        null=True,
        blank=True,
        related_name="rating_policies",
        verbose_name=_("organization"),
        help_text=_("Empty: shared by every organization."),
    )
    key = models.SlugField(_("key"), max_length=60)
    names = models.JSONField(_("names"), default=dict, blank=True, validators=[NamesValidator(200)])
    method = models.CharField(_("rating method"), max_length=10, choices=METHODS, default=Method.COMPOSITE.value)
    lights = models.SlugField(
        _("light set"),
        max_length=60,
        default=scoring.TAIPEI_LIGHTS.key,
        help_text=_(
            "The key of a light set of the policy's organization, of an organization above it, a shared one "
            "or a built-in one (taipei, rag, tw-gov)."
        ),
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
    thresholds = models.JSONField(
        _("thresholds"),
        default=dict,
        blank=True,
        help_text=_(
            'Composite: the lowest total of each rated level but the last, best first, e.g. {"excellent": 92.5, '
            '"good": 84.5, "fair": 74.5}. Left empty for a light set with Taipei\'s levels: Taipei\'s.'
        ),
    )
    bands = models.JSONField(
        _("bands"),
        default=list,
        blank=True,
        help_text=_(
            'Bands: best first, each a level and how far short of the target it may be, e.g. [{"level": "green", '
            '"within": 0}, {"level": "amber", "within": 10}, {"level": "red", "within": null}].'
        ),
    )
    tolerance = models.CharField(_("tolerance"), max_length=10, choices=TOLERANCES, default=Tolerance.PERCENT.value)
    flag_tolerance = models.DecimalField(_("flag a difference over"), default=DEFAULT_POLICY.flag_tolerance, **SCORE)
    objective_rule = models.CharField(
        _("an objective's light"), max_length=10, choices=OBJECTIVE_RULES, default=ObjectiveRule.WORST.value
    )
    # Early warning (docs/early-warning.md): the bands of the risk of missing the target, in percent of the
    # target that a KPI's projected year reaches.
    risk_high_below = models.DecimalField(
        _("high risk below (%)"),
        default=DEFAULT_RISK_LIMITS.high_below,
        help_text=_("Early warning: a KPI projected to reach less than this share of its target is at high risk."),
        **SCORE,
    )
    risk_medium_below = models.DecimalField(
        _("medium risk below (%)"),
        default=DEFAULT_RISK_LIMITS.medium_below,
        help_text=_(
            "Early warning: a KPI projected short of its target but at or above the high-risk limit is at medium "
            "risk below this share, at low risk from it; 100: any shortfall is at least medium."
        ),
        **SCORE,
    )

    #: The light set :meth:`light_set` found, for the organization and key it was found for.
    _resolved: tuple[tuple[int | None, str], scoring.LightSet] | None = None

    class Meta:
        verbose_name = _("rating policy")
        verbose_name_plural = _("rating policies")
        ordering = ["organization_id", "key"]
        constraints = _owned_once("rating_policy")

    def __str__(self) -> str:
        return self.key  # the same in every language: the audit trail keeps it

    def thresholds_given(self) -> tuple[tuple[str, Decimal], ...]:
        """The thresholds as the engine takes them; ValueError naming the entry that is not one."""
        if not isinstance(self.thresholds, dict):
            raise ValueError('give a mapping of level to minimum, e.g. {"excellent": 92.5}')
        return tuple((str(key), _decimal(value, str(key))) for key, value in self.thresholds.items())

    def bands_given(self) -> tuple[scoring.Band, ...]:
        """The bands as the engine takes them; ValueError naming the entry that is not one."""
        if not isinstance(self.bands, list):
            raise ValueError('give a list of bands, e.g. [{"level": "green", "within": 0}]')
        out = []
        for i, band in enumerate(self.bands):
            if not isinstance(band, dict) or set(band) - {"level", "within"} or not isinstance(band.get("level"), str):
                raise ValueError(f'bands[{i}]: give {{"level": a level\'s key, "within": a number or null}}')
            within = band.get("within")
            out.append(scoring.Band(band["level"], None if within is None else _decimal(within, f"bands[{i}].within")))
        return tuple(out)

    def policy(self, light_set: scoring.LightSet) -> Policy:
        """The engine's policy, with ``light_set`` (the one :attr:`lights` names, found by the caller)."""
        return Policy(
            method=self.method,
            lights=light_set,
            achievement_weight=self.achievement_weight,
            innovation_weight=self.innovation_weight,
            challenge_weight=self.challenge_weight,
            contribution_weight=self.contribution_weight,
            achievement_cap=self.achievement_cap,
            thresholds=scoring.thresholds_for(light_set, self.thresholds_given()),
            bands=self.bands_given(),
            tolerance=self.tolerance,
            flag_tolerance=self.flag_tolerance,
            objective_rule=self.objective_rule,
            key=self.key,
        )

    def risk_limits(self) -> RiskLimits:
        """The early warning's bands of risk (docs/early-warning.md)."""
        return RiskLimits(self.risk_high_below, self.risk_medium_below)

    def light_set(self) -> scoring.LightSet:
        """The light set :attr:`lights` names for the policy's organization (kept on the row once found:
        ``kpis.selectors.policies_of`` finds those of many rows at once)."""
        wanted = (self.organization_id, self.lights)
        if self._resolved is None or self._resolved[0] != wanted:
            found = resolve_light_sets([wanted])[wanted]
            if found is None:
                raise scoring.LightSetError(no_light_set(self.lights))
            self.found(found)
        assert self._resolved is not None
        return self._resolved[1]

    def wants_light_set(self) -> tuple[int | None, str] | None:
        """(organization id, key) of the light set still to find for the row; None when it is found."""
        wanted = (self.organization_id, self.lights)
        return None if self._resolved is not None and self._resolved[0] == wanted else wanted

    def found(self, light_set: scoring.LightSet) -> None:
        """Keep ``light_set`` as the one :attr:`lights` names now."""
        self._resolved = ((self.organization_id, self.lights), light_set)

    def serves(self, organization: int, parents: dict[int, int | None] | None = None) -> bool:
        """Whether a map of ``organization`` may choose this policy: it is the policy's organization or
        below it, or the policy is shared (``parents``: the organization tree, when the caller has it)."""
        return self.organization_id in owners(organization, parents)

    def clean(self) -> None:
        errors: dict[str, list[str]] = {}
        for name, read in (("thresholds", self.thresholds_given), ("bands", self.bands_given)):
            try:
                read()
            except ValueError as problem:
                errors[name] = [str(problem)]
        if errors:
            raise ValidationError(errors)
        found = resolve_light_sets([(self.organization_id, self.lights)])[self.organization_id, self.lights]
        if found is None:
            raise ValidationError({"lights": no_light_set(self.lights)})
        for where, why in self.policy(found).problems():
            errors.setdefault(_problem_field(where), []).append(problem_text(where, why))
        if self.risk_high_below is not None and self.risk_medium_below is not None:
            for where, why in self.risk_limits().problems():
                errors.setdefault(f"risk_{where}", []).append(str(RISK_LIMIT_TEXT[why.template]) % why.values)
        if self.pk is not None:
            parents = _parents()  # once for every map that uses the policy
            for used in ScoringPolicy.objects.filter(rating_policy=self).select_related("map__organization"):
                if not self.serves(used.map.organization_id, parents):
                    errors.setdefault("organization", []).append(
                        str(_("The map %(map)s uses this policy: it must stay its organization's or above it."))
                        % {"map": used.map}
                    )
        if errors:
            raise ValidationError(errors)


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
    rating_policy = models.ForeignKey(
        RatingPolicy,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="maps",
        verbose_name=_("rating policy"),
        help_text=_(
            "A named policy of the map's organization, of one above it, or a shared one. When chosen, it rates "
            "the map and the weights, cap and thresholds here are not used."
        ),
    )

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
        """The named rating policy when the map has one (its light set found), else the composite of the fields."""
        if self.rating_policy_id is not None:
            rating = self.rating_policy
            assert rating is not None
            return rating.policy(rating.light_set())
        return composite_policy({name: getattr(self, name) for name in self.FIELDS})

    def clean(self) -> None:
        if self.rating_policy_id is not None:
            rating = self.rating_policy
            assert rating is not None
            if self.map_id is not None and not rating.serves(self.map.organization_id):
                raise ValidationError(
                    {
                        "rating_policy": _(
                            "%(policy)s is a policy of another organization: choose one of the map's organization, "
                            "of an organization above it, or a shared one."
                        )
                        % {"policy": rating.key}
                    }
                )
            return
        problems = self.policy().problems()
        if problems:
            field_of = {"weights": "achievement_weight", "thresholds": "excellent"}
            raise ValidationError({field_of.get(name, name): problem_text("", why) for name, why in problems})


# --- the review chain (issue 16 item 4): who reviews a submitted result, in which steps, as data -------------


class ReviewStep(Translatable):
    """One step of an organization's review chain (審查流程), e.g. 初核 by the theme coordinator, then 複核 by
    the evaluation office.

    A submitted result of a map waits at the chain's steps in ``order``: whoever acts at its step (``role``)
    approves it, on to the next step (at the last, the result is approved), or returns it to its editor with
    a comment. The agency's self-assessment is the editor's submit, before the first step; publication, the
    administrators', comes after the last. A map's chain is its organization's steps, else those of the
    nearest organization above it that has steps (a city's chain serves its bureaus' maps), else
    :data:`DEFAULT_CHAIN`: one step, the theme coordinator's, the review as it was before chains existed.
    """

    class Actor(models.TextChoices):
        #: The coordinator of the KPI's theme, as ``Access.reviews`` says (the map's administrators too).
        COORDINATOR = "coordinator", _("theme coordinator")
        #: The evaluation office: the administrators of the map's organization (or of one above it).
        OFFICE = "office", _("evaluation office")

    LANGUAGE_FROM = ("organization",)

    organization = models.ForeignKey(
        "core.Organization", models.CASCADE, related_name="review_steps", verbose_name=_("organization")
    )
    order = models.PositiveSmallIntegerField(_("order"), validators=[MinValueValidator(1)])
    name = models.CharField(_("name"), max_length=100, validators=TEXT)
    role = models.CharField(
        _("who acts"),
        max_length=20,
        choices=Actor.choices,
        help_text=_("Who approves or returns a result at this step."),
    )
    i18n = Translations(fields=("name",))

    class Meta:
        verbose_name = _("review step")
        verbose_name_plural = _("review chain")
        ordering = ["organization_id", "order"]
        constraints = [models.UniqueConstraint(fields=["organization", "order"], name="unique_review_step")]

    def __str__(self) -> str:
        return f"{self.order}. {self.name}"


class ChainStep(NamedTuple):
    """A step of a map's review chain as the cycle reads it: its place (1 the first), who acts at it, and
    its row (None for the default chain's one step, named by :data:`DEFAULT_STEP_NAME`)."""

    number: int
    role: str
    row: ReviewStep | None = None

    @property
    def name(self) -> str:
        """The step's name in its organization's language (the audit trail's), or the default's."""
        return self.row.name if self.row is not None else str(DEFAULT_STEP_NAME)


DEFAULT_STEP_NAME = pgettext_lazy("review step", "review")
#: The chain of an organization that has configured none (nor has any above it): one review by the theme coordinator.
DEFAULT_CHAIN = (ChainStep(1, ReviewStep.Actor.COORDINATOR),)


def review_chains(organizations: Iterable[int]) -> dict[int, tuple[ChainStep, ...]]:
    """Each organization's review chain (of its maps' results): its own steps, else the nearest organization
    above it with steps, else :data:`DEFAULT_CHAIN`. One query where no organization has configured a chain,
    two otherwise, whatever the number asked."""
    asked = set(organizations)
    rows = list(ReviewStep.objects.select_related("organization").order_by("organization_id", "order", "pk"))
    by_owner: dict[int, list[ReviewStep]] = {}
    for row in rows:
        by_owner.setdefault(row.organization_id, []).append(row)
    if not by_owner:
        return dict.fromkeys(asked, DEFAULT_CHAIN)
    parents = _parents()
    chains: dict[int, tuple[ChainStep, ...]] = {}
    for organization in asked:
        owner = next((o for o in _chain(organization, parents) if o in by_owner), None)
        steps = by_owner.get(owner) if owner is not None else None
        chains[organization] = (
            tuple(ChainStep(i, row.role, row) for i, row in enumerate(steps, 1)) if steps else DEFAULT_CHAIN
        )
    return chains


def step_of(result: KpiResult, chain: tuple[ChainStep, ...]) -> ChainStep:
    """The step of ``chain`` a submitted ``result`` waits at; the last one if the chain has been shortened
    since it got there (nobody is left without a reviewer)."""
    return chain[min(max(result.review_step, 1), len(chain)) - 1]
