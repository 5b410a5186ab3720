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
#: The JSON Schema's ``$id``: the format's name and version, the same wherever the schema is served.
SCHEMA_ID = "urn:stratmap:schema:dataset:v1"
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
#: Their names in the schema's descriptions.
LANGUAGE_NAMES = {"zh-hant": "Traditional Chinese", "en": "English"}


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
                namespace[key] = Field(
                    default=None,
                    description=f"{name} translated into {LANGUAGE_NAMES[language]} ({language}); left out: none.",
                )
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

    # A field's docstring (the string right under it) is its description in the JSON Schema, which editors
    # show as people type (tests/test_open_data.py refuses a property without one).
    model_config = ConfigDict(
        extra="forbid", str_strip_whitespace=True, use_enum_values=True, use_attribute_docstrings=True
    )

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
    """The level's key: what is stored and written (light_reported)."""
    symbol: Annotated[str, _text_check(8), _text_schema(8)]
    """The symbol shown with the level (a light is never colour alone)."""
    names: Names
    """The level's name by language tag ({en: Green})."""
    colour: Colour
    """The level's colour, #rrggbb."""
    role: Role = Role.RATED
    """rated (a level of the rating), unknown (no rating possible) or data_only (not rated)."""

    def engine(self) -> Level:
        return Level(self.key, self.symbol, names(self.names), self.colour, Role(self.role))


class LightSetIn(Strict):
    key: SetKey
    """The light set's key, which rating policies name."""
    names: Names = {}
    """The set's name by language tag."""
    levels: list[LightLevelIn]
    """Its levels, the rated ones best first."""

    def engine(self) -> LightSet:
        return LightSet(self.key, tuple(level.engine() for level in self.levels), names(self.names))


class BandIn(Strict):
    level: LightKey
    """The key of the light set's level this band gives."""
    within: Number | None = None
    """How far short of the target (0: met); left out or null, for the last band only: whatever is left."""


class WeightsIn(Strict):
    """The composite's weights of the achievement and the three self-assessment scores; they add up to 1."""

    achievement: Weight = DEFAULT_POLICY.achievement_weight
    """The weight of the achievement score."""
    innovation: Weight = DEFAULT_POLICY.innovation_weight
    """The weight of the innovation score."""
    challenge: Weight = DEFAULT_POLICY.challenge_weight
    """The weight of the challenge score."""
    contribution: Weight = DEFAULT_POLICY.contribution_weight
    """The weight of the contribution score."""


class EarlyWarningIn(Strict):
    """A rating policy's limits of the early warning's risk, in percent of the target a KPI's projected year
    reaches (kpis.models.RatingPolicy.risk_high_below, risk_medium_below; docs/early-warning.md)."""

    high_risk_below: PolicyNumber = DEFAULT_RISK_LIMITS.high_below
    """High risk below this share of the target."""
    medium_risk_below: PolicyNumber = DEFAULT_RISK_LIMITS.medium_below
    """Medium risk below this share (and at or above the high-risk limit), low risk from it."""

    #: The engine's name of each limit (RiskLimits.problems names them so) → its key in the block.
    PATHS: ClassVar[dict[str, str]] = {"high_below": "high_risk_below", "medium_below": "medium_risk_below"}

    def engine(self) -> RiskLimits:
        return RiskLimits(self.high_risk_below, self.medium_risk_below)


class RatingPolicyIn(Strict):
    """A named rating policy (kpis.models.RatingPolicy); docs/scoring.md gives each method."""

    key: SetKey
    """The policy's key, which maps name as their rating."""
    names: Names = {}
    """The policy's name by language tag."""
    method: Method = Method.COMPOSITE
    """How KPIs are rated: composite (a total of weighted scores), bands (how far short of the target) or data_only."""
    lights: SetKey = TAIPEI_LIGHTS.key
    """The key of a light set of the policy's organization, of one above it, a shared or a built-in one."""
    weights: WeightsIn = WeightsIn()
    """The composite's weights."""
    cap: PolicyNumber = DEFAULT_POLICY.achievement_cap
    """The highest achievement score the composite counts."""
    thresholds: dict[LightKey, PolicyNumber] = {}
    """Composite: the lowest total of each rated level but the last, best first; left out for a set of
    Taipei's levels, Taipei's.
    """
    bands: list[BandIn] = []
    """Bands: best first."""
    tolerance: Tolerance = Tolerance.PERCENT
    """How a band's distance from the target is measured: in percent of the target or in the KPI's unit."""
    flag_tolerance: PolicyNumber = DEFAULT_POLICY.flag_tolerance
    """How far a published total may differ from the computed one before it is flagged."""
    objective_rule: ObjectiveRule = ObjectiveRule.WORST
    """How an objective's light is made of its KPIs': worst (its worst KPI's) or weighted (their weighted score)."""
    early_warning: EarlyWarningIn = EarlyWarningIn()
    """The early warning's limits of risk (docs/early-warning.md)."""

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

    cover_title: Text200 = ""
    """The cover's title; {year} is the year of the results (108年度, 2024/25)."""
    cover_revisions: Text200 = ""
    """Added to the title when the report shows the next year's revised map; {next_year} is its year."""
    closing: Text200 = ""
    """The closing slide's line."""
    _translated(locals(), "cover_title", "cover_revisions", "closing")


class ReviewStepIn(Strict):
    """A step of an organization's review chain (kpis.models.ReviewStep), in the order results pass them."""

    name: Text100
    """The step's name (初核, Second review), in the organization's language."""
    _translated(locals(), "name")
    role: Literal["coordinator", "office"]
    """Who approves or returns a result at this step: the theme ``coordinator`` or the evaluation ``office``."""


#: How a reporting calendar counts days (core.models.ReportingCalendar.DayKind).
DayKindIn = Literal["calendar", "working"]
#: A number of days (the model's own limits are checked with the organization: core.models.MAX_DUE_DAYS …).
Days = Annotated[int, Field(strict=True, ge=0, le=SMALL_MAX)]


class ReportingIn(Strict):
    """An organization's reporting calendar (core.models.ReportingCalendar): when results are due, when the
    notifications remind and escalate. What is left out takes the model's default (kept equal by a test)."""

    period_days: Days = 15
    """Days after a month, quarter or half ends that its results are due."""
    period_day_kind: DayKindIn = "calendar"
    """Whether period_days counts calendar days or working days."""
    year_days: Days = 30
    """Days after the year ends that the year's results are due (a map's own results_due overrides it)."""
    year_day_kind: DayKindIn = "calendar"
    """Whether year_days counts calendar days or working days."""
    remind_before: Days = 7
    """Days before a due date that people are reminded."""
    escalate_coordinator_after: Days = 7
    """Days after a due date that the theme's coordinator is told of what is late."""
    escalate_office_after: Days = 14
    """Days after a due date that the evaluation office is told of what is late."""
    holidays: Annotated[str, Field(pattern=r"^[-a-zA-Z0-9_]+$", max_length=40)] | None = None
    """The code of a holiday calendar in the database (``stratmap calendar load``); left out: weekends only."""


class OrganizationIn(Strict):
    code: OrgCode
    """The organization's code, used in addresses and commands (lower-case letters, digits, hyphens)."""
    name: Text200
    """Its full name, in its own language."""
    short_name: Text100 = ""
    """Its short name (產業局), shown where space is short."""
    _translated(locals(), "name", "short_name")
    language: Literal["zh-hant", "en"] = "zh-hant"
    """The language its names and documents are written in; translations into the others are keys beside."""
    kind: OrgKind
    """What kind of organization it is (city, council, bureau, theme_group …)."""
    parent: OrgCode | None = None
    """The code of the organization it sits under."""
    lead: OrgCode | None = None
    """For a theme group: the code of the bureau that leads it."""
    members: OrgCodes = []
    """For a theme group: the codes of its member agencies, each once."""
    year_start_month: Annotated[
        int, Field(strict=True, json_schema_extra={"minimum": 1, "maximum": 12}), AfterValidator(_start_month)
    ] = 1
    """The month its year starts in (4: April to March); each year is kept as the AD year it starts in."""
    year_label: YearLabelIn = "roc"
    """How its years read: roc (民國108年), calendar (2019), span (2019/20) or fy_end (FY2020)."""
    report: ReportSettingsIn | None = None
    """How its reports word their cover and closing (Taipei's 施政成果暨修正內容, 簡報結束，敬請指教！)."""
    light_sets: list[LightSetIn] = []
    """The organization's own light sets and rating policies, for its maps and those of the organizations below it."""
    rating_policies: list[RatingPolicyIn] = []
    """Its own rating policies."""
    review_steps: list[ReviewStepIn] | None = None
    """Its review chain, in order; left out, the steps it has are kept ([]: none, the chain of the
    organization above it or the default one).
    """
    reporting: ReportingIn | None = None
    """Its reporting calendar; left out, the one it has (or the defaults) is kept."""


class OrganizationsFile(Strict):
    format: Literal["stratmap/1"]
    """The format and its version: stratmap/1."""
    organizations: list[OrganizationIn] = []
    """The organizations, parents before their children."""
    light_sets: list[LightSetIn] = []
    """Light sets and rating policies shared by every organization."""
    rating_policies: list[RatingPolicyIn] = []
    """Rating policies shared by every organization."""

    def ratings(self) -> Iterator[tuple[str | None, str, list[LightSetIn], list[RatingPolicyIn]]]:
        """Each owner's light sets and rating policies: (organization code, or None for the shared ones;
        the path of its block in the file, ending in a dot or empty; its sets; its policies)."""
        yield None, "", self.light_sets, self.rating_policies
        for i, org in enumerate(self.organizations):
            yield org.code, f"organizations[{i}].", org.light_sets, org.rating_policies


# --- strategy maps -----------------------------------------------------------


class VersionIn(Strict):
    label: Text200 = ""
    """The version's name (核定版, revised in July)."""
    _translated(locals(), "label")
    date: datetime.date | None = None
    """The version's date (YYYY-MM-DD)."""
    in_force: bool = True
    """Whether this version is the year's map in force; loading one in force retires the others."""
    published: bool = True
    """A dataset documents published maps; a map created in the app starts unpublished."""
    source: Text500 = ""
    """The document the map was transcribed from."""


class PerspectiveIn(Strict):
    code: ShortCode
    """The perspective's code (F, C, P, L)."""
    name: Text100
    """Its name, in the organization's language."""
    _translated(locals(), "name")


class TargetIn(Strict):
    value: Number | None = None
    """The target; for a range, its lowest value."""
    upper: Number | None = None
    """For a range target: the highest value that meets it (``value`` is the lowest)."""
    printed: Text100 = ""
    """The target as the document prints it."""
    note: Text = ""
    """A note on the target."""


class ResultIn(Strict):
    actual: Number | None = None
    """The value achieved; left out or null: unknown (say why in unknown_reason)."""
    printed: Text100 = ""
    """The value as the document prints it (3.6%)."""
    unknown_reason: Text = ""
    """Why the value is not known."""
    rate_reported: Number | None = None
    """The achievement rate as published, in percent."""
    innovation: Score | None = None
    """The self-assessed innovation score, 0–100."""
    innovation_note: Text = ""
    """What the innovation score rests on."""
    challenge: Score | None = None
    """The self-assessed challenge score, 0–100."""
    challenge_note: Text = ""
    """What the challenge score rests on."""
    contribution: Score | None = None
    """The self-assessed contribution score, 0–100."""
    contribution_note: Text = ""
    """What the contribution score rests on."""
    score_reported: Reported | None = None
    """The total score as published."""
    light_reported: LightKey | None = None
    """The light as published: the key of a level of the map's light set."""
    situation_analysis: Text = ""
    """The analysis of the situation, for a missed target."""
    countermeasures: Text = ""
    """What will be done about a missed target."""
    note: Text = ""
    """A note on the result."""
    unknown_kind: Literal["not_released", "not_surveyed", "other"] | None = None
    """Why the value is unknown: not_released, not_surveyed or other."""
    status: Literal["draft", "submitted", "returned", "approved", "published"] = "published"
    """A dataset documents published results; results entered in the app go through review."""
    review_comment: Text = ""
    """The reviewer's comment, for a returned result."""


class TaskIn(Strict):
    name: Text
    """The task, in the organization's language."""
    months: list[Annotated[int, Field(ge=1, le=12)]] | None = None
    """Months (1–12) in which the task runs; null when the source does not say."""
    _translated(locals(), "name")


class OutcomeIn(Strict):
    text: Text
    """What is to be delivered."""
    quantity: Number | None = None
    """How much of it, where counted."""
    unit: Text40 = ""
    """The unit of the quantity."""
    _translated(locals(), "text", "unit")


class ActionPlanIn(Strict):
    code: Code
    """The action plan's code, unique in the map (DC1.2.1)."""
    printed_code: Text40 = ""
    """The code the source document prints, when it is not the code."""
    also_printed_as: list[Text40] = []
    """Other codes the source document prints for the plan."""
    name: Text300
    """The plan's name, in the organization's language."""
    agencies: OrgCodes = []
    """The codes of the organizations carrying the plan out, each once."""
    agencies_printed: Text200 = ""
    """The agencies as the document words them, when not just their names."""
    tasks: list[TaskIn] = []
    """The plan's tasks, with the months each runs in."""
    outcomes: list[OutcomeIn] = []
    """What the plan is to deliver, each as a text and, where counted, a quantity and unit."""
    note: Text = ""
    """A note on the plan or its source."""
    _translated(locals(), "name", "note")


class KpiIn(Strict):
    code: Code
    """The KPI's code, unique in the map (DC1.1)."""
    printed_code: Text40 = ""
    """The code the source document prints, when it is not the code."""
    name: Text300
    """The KPI's name, in the organization's language."""
    unit: Text40 = ""
    """The unit of its targets and results (%, homes)."""
    polarity: Polarity = Polarity.POSITIVE
    """positive: higher is better; negative: lower is better."""
    frequency: Literal["yearly", "biennial", "half_yearly", "quarterly", "monthly", "once"] = "yearly"
    """How often results are reported: its periods (half_yearly, quarterly, monthly) or whole years."""
    data_source: Text300 = ""
    """Where its figures come from."""
    release: Text300 = ""
    """When the source releases the figures."""
    agencies: OrgCodes = []
    """The codes of the organizations responsible for it, each once."""
    agencies_printed: Text200 = ""
    """The agencies as the document words them, when not just their names."""
    tags: Annotated[list[Text100], AfterValidator(_each_once)] = []
    """Names of tags to group KPIs by, each once."""
    cites: Code | None = None
    """For a bureau's KPI: the code of the city's KPI it supports."""
    cites_printed: Text100 = ""
    """The cited KPI as the document words it (府級KPI：DC3.2)."""
    weight: Annotated[Number, Field(ge=0)] | None = None
    """Its weight among its objective's KPIs; left out, equal weights."""
    method: Literal["", "data_only"] = ""
    """"data_only": a measure that is shown and charted, never rated; left out, the map's method rates it."""
    target_type: TargetType = TargetType.RATIO
    """How its target is read: a ratio to reach, a milestone's stage, a range, or progress from a baseline."""
    stages: list[Number] = []
    """For a milestone KPI: the stages' values, increasing; each target is one of them."""
    baseline: Number | None = None
    """For a baseline-relative target: the value progress is measured from."""
    numerator: Text = ""
    """What the numerator of a ratio KPI counts."""
    denominator: Text = ""
    """What the denominator of a ratio KPI counts."""
    deadline: datetime.date | None = None
    """The date by which the target is to be met (YYYY-MM-DD)."""
    evaluation: Text = ""
    """How the result is evaluated."""
    lineage: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]*$", max_length=100)] | None = None
    """A key following the KPI across years and code changes (unemployment-rate)."""
    note: Text = ""
    """A note on the KPI or its source."""
    aggregation: Literal["", "sum", "last", "average", "maximum", "minimum"] = ""
    """How the values of its periods make the year's value (when the year's own is not given): required
    when any target or result is of a period ("2024-Q3"); none is assumed.
    """
    targets: dict[PeriodKey, Number | TargetIn] = {}
    """Keys: a year (108, 2019) or a period of one fitting the frequency: 2024-Q3, 2024-H1, 2024-05."""
    results: dict[PeriodKey, ResultIn] = {}
    """Its results by year (108, 2019) or period (2024-Q3, 2024-H1, 2024-05)."""
    action_plans: list[ActionPlanIn] = []
    """The action plans that carry the KPI."""
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
    """The objective's code, unique in the map (DC1)."""
    printed_code: Text40 = ""
    """The code the source document prints, when it is not the code."""
    name: Text300
    """The objective's name, in the organization's language."""
    perspective: ShortCode | None = None
    """One of the map's perspectives; left out (a map without perspectives), drawn in an unnamed band."""
    weight: GroupWeight | None = None
    """The objective's share of the organization's points (25 of 100), whatever its KPIs' weights."""
    ksf: Text = ""
    """Its key success factor."""
    goal: Text = ""
    """Its goal."""
    key_works: list[Text] = []
    """Its key works (重點工作)."""
    note: Text = ""
    """A note on the objective."""
    kpis: list[KpiIn] = []
    """Its KPIs."""
    outcomes: list[OutcomeIn] = []
    """What it is to deliver, each as a text and, where counted, a quantity and unit."""
    _translated(locals(), "name", "ksf", "goal", "key_works", "note")


class ThemeIn(Strict):
    code: ShortCode
    """The theme's code (D)."""
    name: Text200
    """Its name, in the organization's language."""
    group: OrgCode | None = None
    """The code of the theme group that owns the theme's results."""
    takes_over: Code | None = None
    """For a bureau's theme: the code of the city's theme or objective it takes over."""
    takes_over_printed: Text200 = ""
    """What it takes over, as the document words it (對應府級DP1)."""
    note: Text = ""
    """A note on the theme."""
    weight: GroupWeight | None = None
    """The theme's share of the organization's points, whatever its objectives' weights."""
    objectives: list[ObjectiveIn] = []
    """The theme's objectives."""
    _translated(locals(), "name", "note")


class LinkIn(Strict):
    source: Code = Field(alias="from")
    """The code of the objective the cause-and-effect link starts from."""
    target: Code = Field(alias="to")
    """The code of the objective it leads to."""
    note: Text = ""
    """A note on the link."""
    _translated(locals(), "note")

    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class CountIn(Strict):
    before: Count | None = None
    """How many there were in the year compared to."""
    after: Count | None = None
    """How many there are in this map."""
    printed: Text40 = ""
    """The count as the document prints it (7(-1))."""


class RevisionCountIn(Strict):
    perspective: ShortCode
    """A perspective code, or ``total`` for the table's 合計 row."""
    objectives: CountIn = CountIn()
    """The objectives counted before and after."""
    kpis: CountIn = CountIn()
    """The KPIs counted before and after."""
    action_plans: CountIn = CountIn()
    """The action plans counted before and after."""


class ChangeIn(Strict):
    level: Literal["objective", "kpi", "action_plan"]
    """What changed: an objective, a KPI or an action plan."""
    action: Literal["add", "delete", "rename", "change"]
    """How it changed: added, deleted, renamed or otherwise changed."""
    objective: Code | None = None
    """The code of the objective the change is under."""
    code: Text40 = ""
    """The code of what changed."""
    old_name: Text300 = ""
    """Its name before the change."""
    new_name: Text300 = ""
    """Its name after the change."""
    reason: Text = ""
    """Why it changed, as the revision table says."""
    printed_action: Text100 = ""
    """The action as the document words it (刪除KPI)."""
    agencies: OrgCodes = []
    """The codes of the organizations concerned, each once."""
    agencies_printed: Text200 = ""
    """The agencies as the document words them."""


class RevisionsIn(Strict):
    compared_to: Year | None = None
    """The year of the map this one revises: ROC or AD."""
    theme: ShortCode | None = None
    """The theme the revision table covers (the city's tables are per theme)."""
    counts: list[RevisionCountIn] = []
    """The revision table's counts, by perspective."""
    changes: list[ChangeIn] = []
    """Each change made, with its reason."""
    note: Text = ""
    """A note on the revisions."""


class TowsItemIn(Strict):
    code: Text20 = ""
    """The item's code, as the document numbers it (S1)."""
    text: Text
    """The item."""
    _translated(locals(), "text")
    objectives: list[Code] = []
    """A strategy's (SO, WO, ST, WT) objectives of the map, by code: what it becomes on the map."""


class TowsStrategiesIn(Strict):
    title: Text200 = ""
    """The heading of the strategies."""
    items: list[TowsItemIn] = []
    """The strategies."""
    _translated(locals(), "title")


class TowsIn(Strict):
    title: Text300 = ""
    """The analysis's title."""
    _translated(locals(), "title")
    s: list[TowsItemIn] = []
    """Strengths."""
    w: list[TowsItemIn] = []
    """Weaknesses."""
    o: list[TowsItemIn] = []
    """Opportunities."""
    t: list[TowsItemIn] = []
    """Threats."""
    so: TowsStrategiesIn = TowsStrategiesIn()
    """Strategies using strengths to seize opportunities."""
    wo: TowsStrategiesIn = TowsStrategiesIn()
    """Strategies overcoming weaknesses by opportunities."""
    st: TowsStrategiesIn = TowsStrategiesIn()
    """Strategies using strengths against threats."""
    wt: TowsStrategiesIn = TowsStrategiesIn()
    """Strategies reducing weaknesses and avoiding threats."""


class ThrustIn(Strict):
    code: Text20 = ""
    """The thrust's code, as the document numbers it."""
    name: Text200
    """The policy thrust."""
    strategies: list[Text] = []
    """Its strategies."""
    _translated(locals(), "name", "strategies")


class StepIn(Strict):
    step: Annotated[int, Field(ge=1, le=SMALL_MAX)]
    """The step's number, from 1."""
    title: Text
    """The step's title."""
    items: list[Text] = []
    """What was done in the step."""


class ScoringIn(Strict):
    """The year's scoring policy; what is left out takes the documented default (DEFAULT_POLICY)."""

    achievement_weight: Weight = DEFAULT_POLICY.achievement_weight
    """The composite's weight of the achievement score."""
    innovation_weight: Weight = DEFAULT_POLICY.innovation_weight
    """The weight of the innovation score."""
    challenge_weight: Weight = DEFAULT_POLICY.challenge_weight
    """The weight of the challenge score."""
    contribution_weight: Weight = DEFAULT_POLICY.contribution_weight
    """The weight of the contribution score."""
    achievement_cap: PolicyNumber = DEFAULT_POLICY.achievement_cap
    """The highest achievement score counted."""
    excellent: PolicyNumber = dict(TAIPEI_THRESHOLDS)["excellent"]
    """The lowest total rated excellent."""
    good: PolicyNumber = dict(TAIPEI_THRESHOLDS)["good"]
    """The lowest total rated good."""
    fair: PolicyNumber = dict(TAIPEI_THRESHOLDS)["fair"]
    """The lowest total rated fair."""
    flag_tolerance: PolicyNumber = DEFAULT_POLICY.flag_tolerance
    """How far a published total may differ from the computed one before it is flagged."""


class MapFile(Strict):
    format: Literal["stratmap/1"]
    """The format and its version: stratmap/1."""
    organization: OrgCode
    """The code of the organization the map is of (in its organizations file or the database)."""
    year: Year
    """The map's year: ROC (108) or AD (2019); a fiscal year is the AD year it starts in."""
    version: VersionIn = VersionIn()
    """Which version of the year's map this is, and whether it is in force and published."""
    title: Text200 = ""
    """The map's title, when not the organization's name."""
    occasion: Text200 = ""
    """What the report deck is made for, printed after the organization's name on its cover."""
    mission: Text = ""
    """The organization's mission, as the map states it."""
    vision: Text = ""
    """Its vision."""
    values: list[Text] = []
    """Its core values."""
    note: Text = ""
    """A note on the map or its source."""
    _translated(locals(), "title", "occasion", "mission", "vision", "values", "note")
    translations: dict[Literal["zh-hant", "en"], Text200] = {}
    """Who translated the data, by language: ``{en: "the stratmap project (not the city's own)"}``."""
    scoring: ScoringIn | None = None
    """The year's scoring policy (Taipei's composite method); instead of rating."""
    rating: SetKey | None = None
    """The key of a rating policy of the map's organization, of one above it, or a shared one (instead of ``scoring``).
    """
    construction_steps: list[StepIn] = []
    """The steps the map was built in (STEP 1 to 5), each with its items."""
    thrusts: list[ThrustIn] = []
    """The policy thrusts, each with its strategies."""
    tows: TowsIn | None = None
    """The TOWS analysis: strengths, weaknesses, opportunities, threats and the strategies made of them."""
    weights_declared: GroupWeight | None = None
    """What the objectives' weights are declared to add up to (100); a difference is a warning of
    ``stratmap check``, not an error: real tables are often partial.
    """
    perspectives: list[PerspectiveIn] = []
    """None (one unnamed band), one (業務面向) or several: each objective names one of them."""
    objectives: list[ObjectiveIn] = []
    """Objectives drawn across all themes (the city's TC row)."""
    themes: list[ThemeIn] = []
    """The strategic themes, each with its objectives."""
    links: list[LinkIn] = []
    """The cause-and-effect links between objectives."""
    revisions: RevisionsIn | None = None
    """How this map revises the one of the year compared to."""

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
    # A name, not an address: the app serves the schema at /schema/dataset/v1.json of wherever it runs.
    top["$id"] = SCHEMA_ID
    top["description"] = (
        "A stratmap dataset file (format stratmap/1): an organizations file or a strategy map's file "
        "(docs/dataset-format.md)."
    )
    top["oneOf"] = [{"$ref": "#/$defs/OrganizationsFile"}, {"$ref": "#/$defs/MapFile"}]
    return top
