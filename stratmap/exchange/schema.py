"""The stratmap dataset format, as pydantic models.

This module is the single definition of the YAML format: the loader validates
against it, the dumper writes through it, and ``dataset.schema.json`` (shipped
with the package) is generated from it. It imports no Django, so the format can
be checked anywhere. docs/dataset-format.md describes every key for people.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Annotated, Any, ClassVar, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field

from stratmap.core.validators import CODE_PATTERN, LONG_TEXT, TextError, check_code, check_number, check_text
from stratmap.core.years import TAIPEI_YEARS, Unit, YearError, to_ad_year
from stratmap.kpis.scoring import (
    DEFAULT_POLICY,
    TAIPEI_LIGHTS,
    TAIPEI_THRESHOLDS,
    Band,
    Level,
    LightSet,
    Method,
    ObjectiveRule,
    Polarity,
    Policy,
    Role,
    TargetType,
    Tolerance,
    names,
    thresholds_for,
)
from stratmap.kpis.scoring.forecast import DEFAULT_RISK_LIMITS, RiskLimits

FORMAT = "stratmap/1"
#: The largest count a PositiveSmallIntegerField holds on every database (PostgreSQL's smallint).
SMALL_MAX = 32767


def _year(value: object) -> int:
    """Accept an ROC (108) or AD (2019) year; store the AD year."""
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ValueError("expected a year such as 108 (ROC) or 2019 (AD)")
    return to_ad_year(value)


Year = Annotated[int, BeforeValidator(_year)]


def _year_or_period(value: object) -> int | str:
    """A year (108 or 2019: the AD year) or a period of one, as its key with the AD year: "2024-Q3" (113-Q3),
    "2024-H1", "2024-05" (a calendar month). Which fiscal year a month falls in, and whether the period
    fits the KPI's frequency, are decided with the organization and the KPI (parse.check_map, the loader)."""
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ValueError("expected a year such as 2024 (or 113) or a period such as 2024-Q3, 2024-H1 or 2024-05")
    if isinstance(value, int):
        return to_ad_year(value)
    try:
        period = TAIPEI_YEARS.parse_period(value)
    except YearError as error:
        raise ValueError(str(error)) from None
    return period.year if period.unit is Unit.YEAR else TAIPEI_YEARS.period_key(period)


#: A key of a KPI's targets and results: an AD year (int) or a period's key (str, e.g. "2024-Q3").
PeriodKey = Annotated[int | str, BeforeValidator(_year_or_period)]


# --- what each column holds: the schema refuses what the database could not give back ------------


def _checked(check: Callable[..., str], max_length: int) -> Callable[[str], str]:
    def validate(value: str) -> str:
        try:
            return check(value, max_length=max_length)
        except TextError as exc:
            raise ValueError(str(exc)) from None

    return validate


# Each column type below is written out as ``Annotated[...]``, not returned by a function, so that
# mypy reads it as a type: these build the parts.


def _text_check(max_length: int) -> AfterValidator:
    """A text column of ``max_length`` characters (long texts: the shared limit), without control characters."""
    return AfterValidator(_checked(check_text, max_length))


def _text_schema(max_length: int) -> Any:
    return Field(json_schema_extra={"maxLength": max_length})


def _code_check(max_length: int) -> AfterValidator:
    """A code (DC1.1): letters, digits and . _ - , as URLs and file names need."""
    return AfterValidator(_checked(check_code, max_length))


def _code_schema(max_length: int) -> Any:
    return Field(json_schema_extra={"maxLength": max_length, "pattern": f"^{CODE_PATTERN.pattern}$"})


def _fits(max_digits: int, decimal_places: int) -> Callable[[Decimal], Decimal]:
    """The check of a DecimalField(max_digits, decimal_places): a value every database gives back as stored."""

    def validate(value: Decimal) -> Decimal:
        try:
            return check_number(value, max_digits=max_digits, decimal_places=decimal_places)
        except TextError as exc:
            raise ValueError(str(exc)) from None

    return validate


def _finite(*, ge: int | None = None, le: int | None = None) -> Any:
    """A finite number (YAML's .inf and .nan are refused); with bounds, within them."""
    return Field(allow_inf_nan=False, ge=ge, le=le)


def _each_once(items: list) -> list:
    seen: dict[object, int] = {}
    for i, item in enumerate(items):
        if item in seen:
            raise ValueError(f"{item!r} is given twice (at [{seen[item]}] and [{i}]); give each once")
        seen[item] = i
    return items


# The sizes of stratmap.kpis.models: NUMBER (16, 4), SCORE (7, 3), WEIGHT (7, 4).
Number = Annotated[Decimal, _finite(), AfterValidator(_fits(16, 4))]
Score = Annotated[Decimal, _finite(ge=0, le=100), AfterValidator(_fits(7, 3))]
Reported = Annotated[Decimal, _finite(), AfterValidator(_fits(7, 3))]
PolicyNumber = Annotated[Decimal, _finite(), AfterValidator(_fits(7, 3))]
Weight = Annotated[Decimal, _finite(), AfterValidator(_fits(7, 4))]
Count = Annotated[int, Field(ge=0, le=SMALL_MAX)]
#: An objective's or theme's weight, and what a map declares they add up to: the digits of NUMBER, not below 0.
GroupWeight = Annotated[Number, Field(ge=0)]
OrgCode = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]*$", max_length=60)]
#: Organization codes, each once (a KPI's agencies, a group's members).
OrgCodes = Annotated[list[OrgCode], AfterValidator(_each_once)]
Code = Annotated[str, _code_check(40), _code_schema(40)]
ShortCode = Annotated[str, _code_check(10), _code_schema(10)]
Text = Annotated[str, _text_check(LONG_TEXT), _text_schema(LONG_TEXT)]
Text20 = Annotated[str, _text_check(20), _text_schema(20)]
Text40 = Annotated[str, _text_check(40), _text_schema(40)]
Text100 = Annotated[str, _text_check(100), _text_schema(100)]
Text200 = Annotated[str, _text_check(200), _text_schema(200)]
Text300 = Annotated[str, _text_check(300), _text_schema(300)]
Text500 = Annotated[str, _text_check(500), _text_schema(500)]


#: The key of a level of a light set (``green``, ``not_available``): stored, written in datasets, in URLs.
LightKey = Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]+$", max_length=40)]
#: The key of a light set or of a rating policy (``rag``, ``council-rag``).
SetKey = Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]+$", max_length=60)]
#: A language tag (zh, zh-hant, en) → a name in that language.
Names = dict[Annotated[str, Field(pattern=r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$", max_length=20)], Text100]


def _colour(value: str) -> str:
    if not re.fullmatch(r"#[0-9a-fA-F]{6}", value):
        raise ValueError("must be a colour written #rrggbb, like #1a7f37")
    return value


Colour = Annotated[str, AfterValidator(_colour), Field(json_schema_extra={"pattern": "^#[0-9a-fA-F]{6}$"})]


# --- translations ---------------------------------------------------------------

#: The languages data may be translated into: the site's (settings.LANGUAGES, which this module, free of
#: Django, does not read; tests/test_data_translations.py holds the two equal).
LANGUAGES = ("zh-hant", "en")


def translation_key(field: str, language: str) -> str:
    """The key of ``field``'s translation into ``language``: ``name_en``, ``name_zh_hant`` (django-modeltrans's)."""
    return f"{field}_{language.replace('-', '_').lower()}"


#: Every field that takes translations, in any block (for the error naming an unknown language).
TRANSLATED_FIELDS: set[str] = set()


def _translated(namespace: dict[str, Any], *fields: str) -> None:
    """Declare, in a block's class body, a key ``<field>_<language>`` for each of ``fields`` and each of
    :data:`LANGUAGES`, right after the field and of its type (left out: None, no translation).

    Written out by hand they would be a hundred lines to keep in step with the languages; pydantic reads
    the class body's annotations after it ran, these included.
    """
    annotations: dict[str, Any] = namespace["__annotations__"]
    keys: dict[str, tuple[str, str]] = {}
    ordered: dict[str, Any] = {}
    for name, annotation in annotations.items():
        ordered[name] = annotation
        if name in fields:
            for language in LANGUAGES:
                key = translation_key(name, language)
                ordered[key] = f"{annotation} | None"
                namespace[key] = None
                keys[key] = (name, language)
    missing = set(fields) - set(annotations)
    assert not missing, f"no such field to translate: {missing}"
    annotations.clear()
    annotations.update(ordered)
    namespace["TRANSLATIONS"] = keys
    TRANSLATED_FIELDS.update(fields)


def unknown_language(key: str) -> str | None:
    """What is wrong with ``key`` if it reads as a translation into a language the site does not have
    (``name_fr``); None if it does not read as a translation at all."""
    for field in TRANSLATED_FIELDS:
        if key.startswith(f"{field}_") and re.fullmatch(r"[a-z]{2,3}(_[a-z0-9]{2,8})*", key[len(field) + 1 :]):
            suffix = key[len(field) + 1 :]
            known = ", ".join(translation_key(field, language) for language in LANGUAGES)
            return (
                f"a translation into a language of the site: {suffix!r} is not one "
                f"(the keys of {field}'s translations are {known})"
            )
    return None


class Strict(BaseModel):
    """Base for every block: unknown keys are errors, not silently ignored.

    The scoring engine's enums (lights, polarities, target types) are read from and kept as
    their plain values, so that a block dumps to plain YAML.
    """

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, use_enum_values=True)

    #: The block's translation keys (see :func:`_translated`): key → (field, language).
    TRANSLATIONS: ClassVar[dict[str, tuple[str, str]]] = {}

    def i18n(self) -> dict[str, Any] | None:
        """The translations the block gives, by key (``{"name_en": "…"}``): its row's ``i18n`` (None: none)."""
        found = {key: getattr(self, key) for key in self.TRANSLATIONS}
        return {key: value for key, value in found.items() if value not in (None, "", [])} or None


# --- light sets and rating policies ------------------------------------------


class LightLevelIn(Strict):
    """A level of a light set; the set lists rated levels best first."""

    key: LightKey
    symbol: Annotated[str, _text_check(8), _text_schema(8)]
    names: Names
    colour: Colour
    role: Role = Role.RATED

    def engine(self) -> Level:
        return Level(self.key, self.symbol, names(self.names), self.colour, Role(self.role))


class LightSetIn(Strict):
    key: SetKey
    names: Names = {}
    levels: list[LightLevelIn]

    def engine(self) -> LightSet:
        return LightSet(self.key, tuple(level.engine() for level in self.levels), names(self.names))


class BandIn(Strict):
    level: LightKey
    #: How far short of the target (0: met); left out or null, for the last band only: whatever is left.
    within: Number | None = None


class WeightsIn(Strict):
    """The composite's weights of the achievement and the three self-assessment scores; they add up to 1."""

    achievement: Weight = DEFAULT_POLICY.achievement_weight
    innovation: Weight = DEFAULT_POLICY.innovation_weight
    challenge: Weight = DEFAULT_POLICY.challenge_weight
    contribution: Weight = DEFAULT_POLICY.contribution_weight


class EarlyWarningIn(Strict):
    """A rating policy's limits of the early warning's risk, in percent of the target a KPI's projected year
    reaches (kpis.models.RatingPolicy.risk_high_below, risk_medium_below; docs/early-warning.md)."""

    #: High risk below this share of the target.
    high_risk_below: PolicyNumber = DEFAULT_RISK_LIMITS.high_below
    #: Medium risk below this share (and at or above the high-risk limit), low risk from it.
    medium_risk_below: PolicyNumber = DEFAULT_RISK_LIMITS.medium_below

    #: The engine's name of each limit (RiskLimits.problems names them so) → its key in the block.
    PATHS: ClassVar[dict[str, str]] = {"high_below": "high_risk_below", "medium_below": "medium_risk_below"}

    def engine(self) -> RiskLimits:
        return RiskLimits(self.high_risk_below, self.medium_risk_below)


class RatingPolicyIn(Strict):
    """A named rating policy (kpis.models.RatingPolicy); docs/scoring.md gives each method."""

    key: SetKey
    names: Names = {}
    method: Method = Method.COMPOSITE
    #: The key of a light set of the policy's organization, of one above it, a shared or a built-in one.
    lights: SetKey = TAIPEI_LIGHTS.key
    weights: WeightsIn = WeightsIn()
    cap: PolicyNumber = DEFAULT_POLICY.achievement_cap
    #: Composite: the lowest total of each rated level but the last, best first; left out for a set of
    #: Taipei's levels, Taipei's.
    thresholds: dict[LightKey, PolicyNumber] = {}
    #: Bands: best first.
    bands: list[BandIn] = []
    tolerance: Tolerance = Tolerance.PERCENT
    flag_tolerance: PolicyNumber = DEFAULT_POLICY.flag_tolerance
    objective_rule: ObjectiveRule = ObjectiveRule.WORST
    #: The early warning's limits of risk (docs/early-warning.md).
    early_warning: EarlyWarningIn = EarlyWarningIn()

    #: The engine's name of each value (Policy.problems names them so) → its path in the block.
    PATHS: ClassVar[dict[str, str]] = {
        "achievement_weight": "weights.achievement",
        "innovation_weight": "weights.innovation",
        "challenge_weight": "weights.challenge",
        "contribution_weight": "weights.contribution",
        "achievement_cap": "cap",
    }

    def engine(self, lights: LightSet) -> Policy:
        """The engine's policy, with ``lights``: the set :attr:`lights` names for the policy's organization."""
        return Policy(
            method=self.method,
            lights=lights,
            achievement_weight=self.weights.achievement,
            innovation_weight=self.weights.innovation,
            challenge_weight=self.weights.challenge,
            contribution_weight=self.weights.contribution,
            achievement_cap=self.cap,
            thresholds=thresholds_for(lights, tuple(self.thresholds.items())),
            bands=tuple(Band(band.level, band.within) for band in self.bands),
            tolerance=self.tolerance,
            flag_tolerance=self.flag_tolerance,
            objective_rule=self.objective_rule,
            key=self.key,
        )

    def row_values(self) -> dict[str, Any]:
        """The values of its row (kpis.models.RatingPolicy), numbers in JSON written as exact text."""
        return {
            "names": dict(self.names),
            "method": self.method,
            "lights": self.lights,
            "achievement_weight": self.weights.achievement,
            "innovation_weight": self.weights.innovation,
            "challenge_weight": self.weights.challenge,
            "contribution_weight": self.weights.contribution,
            "achievement_cap": self.cap,
            "thresholds": {key: _exact(value) for key, value in self.thresholds.items()},
            "bands": [{"level": b.level, "within": None if b.within is None else _exact(b.within)} for b in self.bands],
            "tolerance": self.tolerance,
            "flag_tolerance": self.flag_tolerance,
            "objective_rule": self.objective_rule,
            "risk_high_below": self.early_warning.high_risk_below,
            "risk_medium_below": self.early_warning.medium_risk_below,
        }

    @classmethod
    def from_row(cls, key: str, values: dict[str, Any]) -> RatingPolicyIn:
        """The block of a row's values (as :meth:`row_values` gives them)."""
        return cls.model_validate(
            {
                "key": key,
                "names": values["names"],
                "method": values["method"],
                "lights": values["lights"],
                "weights": {
                    part: values[f"{part}_weight"]
                    for part in ("achievement", "innovation", "challenge", "contribution")
                },
                "cap": values["achievement_cap"],
                "thresholds": {k: Decimal(str(v)) for k, v in (values["thresholds"] or {}).items()},
                "bands": [
                    {"level": b["level"], "within": None if b.get("within") is None else Decimal(str(b["within"]))}
                    for b in values["bands"] or []
                ],
                "tolerance": values["tolerance"],
                "flag_tolerance": values["flag_tolerance"],
                "objective_rule": values["objective_rule"],
                "early_warning": {
                    "high_risk_below": values["risk_high_below"],
                    "medium_risk_below": values["risk_medium_below"],
                },
            }
        )


#: The values of a rating policy's row (kpis.models.RatingPolicy), by their names there.
RATING_VALUES = tuple(RatingPolicyIn(key="any").row_values())


def _exact(value: Decimal) -> str:
    """A number as JSON keeps it exactly: as text, without trailing zeros (92.50 is 92.5)."""
    return format(value.normalize(), "f")


# --- organizations -----------------------------------------------------------


#: The kinds of organization (core.models.Organization.Kind, which this module may not import).
OrgKind = Literal[
    "city", "county", "council", "ministry", "department", "bureau", "committee", "agency", "theme_group", "other"
]
#: How an organization's years read (core.years.YearLabel).
YearLabelIn = Literal["roc", "calendar", "span", "fy_end"]


def _start_month(value: int) -> int:
    if not 1 <= value <= 12:
        raise ValueError("a month 1–12: the month the organization's year starts in (4 for April–March)")
    return value


class ReportSettingsIn(Strict):
    """An organization's own wording of its reports (its ``report:``); left out, neutral wording is used."""

    #: The cover's title; {year} is the year of the results (108年度, 2024/25).
    cover_title: Text200 = ""
    #: Added to the title when the report shows the next year's revised map; {next_year} is its year.
    cover_revisions: Text200 = ""
    #: The closing slide's line.
    closing: Text200 = ""
    _translated(locals(), "cover_title", "cover_revisions", "closing")


class ReviewStepIn(Strict):
    """A step of an organization's review chain (kpis.models.ReviewStep), in the order results pass them."""

    #: The step's name (初核, Second review), in the organization's language.
    name: Text100
    _translated(locals(), "name")
    #: Who approves or returns a result at this step: the theme ``coordinator`` or the evaluation ``office``.
    role: Literal["coordinator", "office"]


#: How a reporting calendar counts days (core.models.ReportingCalendar.DayKind).
DayKindIn = Literal["calendar", "working"]
#: A number of days (the model's own limits are checked with the organization: core.models.MAX_DUE_DAYS …).
Days = Annotated[int, Field(strict=True, ge=0, le=SMALL_MAX)]


class ReportingIn(Strict):
    """An organization's reporting calendar (core.models.ReportingCalendar): when results are due, when the
    notifications remind and escalate. What is left out takes the model's default (kept equal by a test)."""

    #: Days after a month, quarter or half ends that its results are due.
    period_days: Days = 15
    period_day_kind: DayKindIn = "calendar"
    #: Days after the year ends that the year's results are due (a map's own results_due overrides it).
    year_days: Days = 30
    year_day_kind: DayKindIn = "calendar"
    remind_before: Days = 7
    escalate_coordinator_after: Days = 7
    escalate_office_after: Days = 14
    #: The code of a holiday calendar in the database (``stratmap calendar load``); left out: weekends only.
    holidays: Annotated[str, Field(pattern=r"^[-a-zA-Z0-9_]+$", max_length=40)] | None = None


class OrganizationIn(Strict):
    code: OrgCode
    name: Text200
    short_name: Text100 = ""
    _translated(locals(), "name", "short_name")
    #: The language its names and documents are written in; translations into the others are keys beside.
    language: Literal["zh-hant", "en"] = "zh-hant"
    kind: OrgKind
    parent: OrgCode | None = None
    lead: OrgCode | None = None
    members: OrgCodes = []
    #: The month its year starts in (4: April to March); each year is kept as the AD year it starts in.
    year_start_month: Annotated[
        int, Field(strict=True, json_schema_extra={"minimum": 1, "maximum": 12}), AfterValidator(_start_month)
    ] = 1
    year_label: YearLabelIn = "roc"
    #: How its reports word their cover and closing (Taipei's 施政成果暨修正內容, 簡報結束，敬請指教！).
    report: ReportSettingsIn | None = None
    #: The organization's own light sets and rating policies, for its maps and those of the organizations below it.
    light_sets: list[LightSetIn] = []
    rating_policies: list[RatingPolicyIn] = []
    #: Its review chain, in order; left out, the steps it has are kept ([]: none, the chain of the
    #: organization above it or the default one).
    review_steps: list[ReviewStepIn] | None = None
    #: Its reporting calendar; left out, the one it has (or the defaults) is kept.
    reporting: ReportingIn | None = None


class OrganizationsFile(Strict):
    format: Literal["stratmap/1"]
    organizations: list[OrganizationIn] = []
    #: Light sets and rating policies shared by every organization.
    light_sets: list[LightSetIn] = []
    rating_policies: list[RatingPolicyIn] = []

    def ratings(self) -> Iterator[tuple[str | None, str, list[LightSetIn], list[RatingPolicyIn]]]:
        """Each owner's light sets and rating policies: (organization code, or None for the shared ones;
        the path of its block in the file, ending in a dot or empty; its sets; its policies)."""
        yield None, "", self.light_sets, self.rating_policies
        for i, org in enumerate(self.organizations):
            yield org.code, f"organizations[{i}].", org.light_sets, org.rating_policies


# --- strategy maps -----------------------------------------------------------


class VersionIn(Strict):
    label: Text200 = ""
    _translated(locals(), "label")
    date: datetime.date | None = None
    in_force: bool = True
    #: A dataset documents published maps; a map created in the app starts unpublished.
    published: bool = True
    source: Text500 = ""


class PerspectiveIn(Strict):
    code: ShortCode
    name: Text100
    _translated(locals(), "name")


class TargetIn(Strict):
    value: Number | None = None
    #: For a range target: the highest value that meets it (``value`` is the lowest).
    upper: Number | None = None
    printed: Text100 = ""
    note: Text = ""


class ResultIn(Strict):
    actual: Number | None = None
    printed: Text100 = ""
    unknown_reason: Text = ""
    rate_reported: Number | None = None
    innovation: Score | None = None
    innovation_note: Text = ""
    challenge: Score | None = None
    challenge_note: Text = ""
    contribution: Score | None = None
    contribution_note: Text = ""
    score_reported: Reported | None = None
    light_reported: LightKey | None = None
    situation_analysis: Text = ""
    countermeasures: Text = ""
    note: Text = ""
    unknown_kind: Literal["not_released", "not_surveyed", "other"] | None = None
    #: A dataset documents published results; results entered in the app go through review.
    status: Literal["draft", "submitted", "returned", "approved", "published"] = "published"
    review_comment: Text = ""


class TaskIn(Strict):
    name: Text
    #: Months (1–12) in which the task runs; null when the source does not say.
    months: list[Annotated[int, Field(ge=1, le=12)]] | None = None
    _translated(locals(), "name")


class OutcomeIn(Strict):
    text: Text
    quantity: Number | None = None
    unit: Text40 = ""
    _translated(locals(), "text", "unit")


class ActionPlanIn(Strict):
    code: Code
    printed_code: Text40 = ""
    also_printed_as: list[Text40] = []
    name: Text300
    agencies: OrgCodes = []
    agencies_printed: Text200 = ""
    tasks: list[TaskIn] = []
    outcomes: list[OutcomeIn] = []
    note: Text = ""
    _translated(locals(), "name", "note")


class KpiIn(Strict):
    code: Code
    printed_code: Text40 = ""
    name: Text300
    unit: Text40 = ""
    polarity: Polarity = Polarity.POSITIVE
    frequency: Literal["yearly", "biennial", "half_yearly", "quarterly", "monthly", "once"] = "yearly"
    data_source: Text300 = ""
    release: Text300 = ""
    agencies: OrgCodes = []
    agencies_printed: Text200 = ""
    tags: Annotated[list[Text100], AfterValidator(_each_once)] = []
    cites: Code | None = None
    cites_printed: Text100 = ""
    weight: Annotated[Number, Field(ge=0)] | None = None
    #: "data_only": a measure that is shown and charted, never rated; left out, the map's method rates it.
    method: Literal["", "data_only"] = ""
    target_type: TargetType = TargetType.RATIO
    #: For a milestone KPI: the stages' values, increasing; each target is one of them.
    stages: list[Number] = []
    #: For a baseline-relative target: the value progress is measured from.
    baseline: Number | None = None
    numerator: Text = ""
    denominator: Text = ""
    deadline: datetime.date | None = None
    evaluation: Text = ""
    lineage: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]*$", max_length=100)] | None = None
    note: Text = ""
    #: How the values of its periods make the year's value (when the year's own is not given): required
    #: when any target or result is of a period ("2024-Q3"); none is assumed.
    aggregation: Literal["", "sum", "last", "average", "maximum", "minimum"] = ""
    #: Keys: a year (108, 2019) or a period of one fitting the frequency: 2024-Q3, 2024-H1, 2024-05.
    targets: dict[PeriodKey, Number | TargetIn] = {}
    results: dict[PeriodKey, ResultIn] = {}
    action_plans: list[ActionPlanIn] = []
    _translated(locals(), "name", "unit", "data_source", "release", "numerator", "denominator", "evaluation", "note")


#: The keys of a KPI's block that are rows of their own, which the loader and the dumper write one by one.
KPI_ROWS = ("agencies", "tags", "lineage", "targets", "results", "action_plans")
#: A KPI's own values: every other key of its block, which its row (``kpis.models.Kpi``) holds under the
#: same name. The loader copies each from the block to the row and the dumper back, so a new KPI field
#: needs no change in either. Two are held otherwise in the row and converted on the way: no ``cites``
#: is empty there, not null, and ``stages`` are strings. The translations go into the row's ``i18n``.
KPI_VALUES = tuple(name for name in KpiIn.model_fields if name not in KPI_ROWS and name not in KpiIn.TRANSLATIONS)


class ObjectiveIn(Strict):
    code: Code
    printed_code: Text40 = ""
    name: Text300
    #: One of the map's perspectives; left out (a map without perspectives), drawn in an unnamed band.
    perspective: ShortCode | None = None
    #: The objective's share of the organization's points (25 of 100), whatever its KPIs' weights.
    weight: GroupWeight | None = None
    ksf: Text = ""
    goal: Text = ""
    key_works: list[Text] = []
    note: Text = ""
    kpis: list[KpiIn] = []
    outcomes: list[OutcomeIn] = []
    _translated(locals(), "name", "ksf", "goal", "key_works", "note")


class ThemeIn(Strict):
    code: ShortCode
    name: Text200
    group: OrgCode | None = None
    takes_over: Code | None = None
    takes_over_printed: Text200 = ""
    note: Text = ""
    weight: GroupWeight | None = None
    objectives: list[ObjectiveIn] = []
    _translated(locals(), "name", "note")


class LinkIn(Strict):
    source: Code = Field(alias="from")
    target: Code = Field(alias="to")
    note: Text = ""
    _translated(locals(), "note")

    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class CountIn(Strict):
    before: Count | None = None
    after: Count | None = None
    printed: Text40 = ""


class RevisionCountIn(Strict):
    #: A perspective code, or ``total`` for the table's 合計 row.
    perspective: ShortCode
    objectives: CountIn = CountIn()
    kpis: CountIn = CountIn()
    action_plans: CountIn = CountIn()


class ChangeIn(Strict):
    level: Literal["objective", "kpi", "action_plan"]
    action: Literal["add", "delete", "rename", "change"]
    objective: Code | None = None
    code: Text40 = ""
    old_name: Text300 = ""
    new_name: Text300 = ""
    reason: Text = ""
    printed_action: Text100 = ""
    agencies: OrgCodes = []
    agencies_printed: Text200 = ""


class RevisionsIn(Strict):
    compared_to: Year | None = None
    #: The theme the revision table covers (the city's tables are per theme).
    theme: ShortCode | None = None
    counts: list[RevisionCountIn] = []
    changes: list[ChangeIn] = []
    note: Text = ""


class TowsItemIn(Strict):
    code: Text20 = ""
    text: Text
    _translated(locals(), "text")
    #: A strategy's (SO, WO, ST, WT) objectives of the map, by code: what it becomes on the map.
    objectives: list[Code] = []


class TowsStrategiesIn(Strict):
    title: Text200 = ""
    items: list[TowsItemIn] = []
    _translated(locals(), "title")


class TowsIn(Strict):
    title: Text300 = ""
    _translated(locals(), "title")
    s: list[TowsItemIn] = []
    w: list[TowsItemIn] = []
    o: list[TowsItemIn] = []
    t: list[TowsItemIn] = []
    so: TowsStrategiesIn = TowsStrategiesIn()
    wo: TowsStrategiesIn = TowsStrategiesIn()
    st: TowsStrategiesIn = TowsStrategiesIn()
    wt: TowsStrategiesIn = TowsStrategiesIn()


class ThrustIn(Strict):
    code: Text20 = ""
    name: Text200
    strategies: list[Text] = []
    _translated(locals(), "name", "strategies")


class StepIn(Strict):
    step: Annotated[int, Field(ge=1, le=SMALL_MAX)]
    title: Text
    items: list[Text] = []


class ScoringIn(Strict):
    """The year's scoring policy; what is left out takes the documented default (DEFAULT_POLICY)."""

    achievement_weight: Weight = DEFAULT_POLICY.achievement_weight
    innovation_weight: Weight = DEFAULT_POLICY.innovation_weight
    challenge_weight: Weight = DEFAULT_POLICY.challenge_weight
    contribution_weight: Weight = DEFAULT_POLICY.contribution_weight
    achievement_cap: PolicyNumber = DEFAULT_POLICY.achievement_cap
    excellent: PolicyNumber = dict(TAIPEI_THRESHOLDS)["excellent"]
    good: PolicyNumber = dict(TAIPEI_THRESHOLDS)["good"]
    fair: PolicyNumber = dict(TAIPEI_THRESHOLDS)["fair"]
    flag_tolerance: PolicyNumber = DEFAULT_POLICY.flag_tolerance


class MapFile(Strict):
    format: Literal["stratmap/1"]
    organization: OrgCode
    year: Year
    version: VersionIn = VersionIn()
    title: Text200 = ""
    #: What the report deck is made for, printed after the organization's name on its cover.
    occasion: Text200 = ""
    mission: Text = ""
    vision: Text = ""
    values: list[Text] = []
    note: Text = ""
    _translated(locals(), "title", "occasion", "mission", "vision", "values", "note")
    #: Who translated the data, by language: ``{en: "the stratmap project (not the city's own)"}``.
    translations: dict[Literal["zh-hant", "en"], Text200] = {}
    scoring: ScoringIn | None = None
    #: The key of a rating policy of the map's organization, of one above it, or a shared one (instead of ``scoring``).
    rating: SetKey | None = None
    construction_steps: list[StepIn] = []
    thrusts: list[ThrustIn] = []
    tows: TowsIn | None = None
    #: What the objectives' weights are declared to add up to (100); a difference is a warning of
    #: ``stratmap check``, not an error: real tables are often partial.
    weights_declared: GroupWeight | None = None
    #: None (one unnamed band), one (業務面向) or several: each objective names one of them.
    perspectives: list[PerspectiveIn] = []
    #: Objectives drawn across all themes (the city's TC row).
    objectives: list[ObjectiveIn] = []
    themes: list[ThemeIn] = []
    links: list[LinkIn] = []
    revisions: RevisionsIn | None = None

    def all_objectives(self) -> Iterator[tuple[str, str | None, ObjectiveIn]]:
        """Every objective with its path in the file and its theme's code (None: drawn across themes)."""
        for i, objective in enumerate(self.objectives):
            yield f"objectives[{i}]", None, objective
        for t, theme in enumerate(self.themes):
            for i, objective in enumerate(theme.objectives):
                yield f"themes[{t}].objectives[{i}]", theme.code, objective


def json_schema() -> dict:
    """The JSON Schema of a dataset file: either an organizations file or a map file."""
    from pydantic.json_schema import models_json_schema

    _, top = models_json_schema(
        [(OrganizationsFile, "validation"), (MapFile, "validation")],
        title="stratmap dataset file",
    )
    top["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    top["oneOf"] = [{"$ref": "#/$defs/OrganizationsFile"}, {"$ref": "#/$defs/MapFile"}]
    return top
