"""The stratmap dataset format, as pydantic models.

This module is the single definition of the YAML format: the loader validates
against it, the dumper writes through it, and ``dataset.schema.json`` (shipped
with the package) is generated from it. It imports no Django, so the format can
be checked anywhere. docs/dataset-format.md describes every key for people.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field

from stratmap.core.validators import CODE_PATTERN, LONG_TEXT, TextError, check_code, check_number, check_text
from stratmap.core.years import to_ad_year
from stratmap.kpis.scoring import DEFAULT_POLICY, TAIPEI_LIGHTS, TAIPEI_THRESHOLDS, Polarity, TargetType

FORMAT = "stratmap/1"
#: The largest count a PositiveSmallIntegerField holds on every database (PostgreSQL's smallint).
SMALL_MAX = 32767


def _year(value: object) -> int:
    """Accept an ROC (108) or AD (2019) year; store the AD year."""
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ValueError("expected a year such as 108 (ROC) or 2019 (AD)")
    return to_ad_year(value)


Year = Annotated[int, BeforeValidator(_year)]


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


def _light_key(value: str) -> str:
    keys = [level.key for level in TAIPEI_LIGHTS]
    if value not in keys:
        raise ValueError(f"one of the lights {keys}")
    return value


#: The key of a light of the map's light set (Taipei's, until a map can choose its own).
LightKey = Annotated[
    str,
    AfterValidator(_light_key),
    Field(json_schema_extra={"enum": [level.key for level in TAIPEI_LIGHTS]}),
]


class Strict(BaseModel):
    """Base for every block: unknown keys are errors, not silently ignored.

    The scoring engine's enums (lights, polarities, target types) are read from and kept as
    their plain values, so that a block dumps to plain YAML.
    """

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, use_enum_values=True)


# --- organizations -----------------------------------------------------------


class OrganizationIn(Strict):
    code: OrgCode
    name: Text200
    short_name: Text100 = ""
    name_en: Text200 = ""
    kind: Literal["city", "bureau", "theme_group"]
    parent: OrgCode | None = None
    lead: OrgCode | None = None
    members: OrgCodes = []


class OrganizationsFile(Strict):
    format: Literal["stratmap/1"]
    organizations: list[OrganizationIn]


# --- strategy maps -----------------------------------------------------------


class VersionIn(Strict):
    label: Text200 = ""
    date: datetime.date | None = None
    in_force: bool = True
    #: A dataset documents published maps; a map created in the app starts unpublished.
    published: bool = True
    source: Text500 = ""


class PerspectiveIn(Strict):
    code: ShortCode
    name: Text100
    name_en: Text100 = ""


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


class OutcomeIn(Strict):
    text: Text
    quantity: Number | None = None
    unit: Text40 = ""


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


class KpiIn(Strict):
    code: Code
    printed_code: Text40 = ""
    name: Text300
    unit: Text40 = ""
    polarity: Polarity = Polarity.POSITIVE
    frequency: Literal["yearly", "biennial", "quarterly", "monthly", "once"] = "yearly"
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
    targets: dict[Year, Number | TargetIn] = {}
    results: dict[Year, ResultIn] = {}
    action_plans: list[ActionPlanIn] = []


#: The keys of a KPI's block that are rows of their own, which the loader and the dumper write one by one.
KPI_ROWS = ("agencies", "tags", "lineage", "targets", "results", "action_plans")
#: A KPI's own values: every other key of its block, which its row (``kpis.models.Kpi``) holds under the
#: same name. The loader copies each from the block to the row and the dumper back, so a new KPI field
#: needs no change in either. Two are held otherwise in the row and converted on the way: no ``cites``
#: is empty there, not null, and ``stages`` are strings.
KPI_VALUES = tuple(name for name in KpiIn.model_fields if name not in KPI_ROWS)


class ObjectiveIn(Strict):
    code: Code
    printed_code: Text40 = ""
    name: Text300
    perspective: ShortCode
    ksf: Text = ""
    goal: Text = ""
    key_works: list[Text] = []
    note: Text = ""
    kpis: list[KpiIn] = []
    outcomes: list[OutcomeIn] = []


class ThemeIn(Strict):
    code: ShortCode
    name: Text200
    name_en: Text200 = ""
    group: OrgCode | None = None
    takes_over: Code | None = None
    takes_over_printed: Text200 = ""
    note: Text = ""
    objectives: list[ObjectiveIn] = []


class LinkIn(Strict):
    source: Code = Field(alias="from")
    target: Code = Field(alias="to")
    note: Text = ""

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


class TowsStrategiesIn(Strict):
    title: Text200 = ""
    items: list[TowsItemIn] = []


class TowsIn(Strict):
    title: Text300 = ""
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
    name_en: Text200 = ""
    strategies: list[Text] = []


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
    mission: Text = ""
    vision: Text = ""
    values: list[Text] = []
    note: Text = ""
    scoring: ScoringIn | None = None
    construction_steps: list[StepIn] = []
    thrusts: list[ThrustIn] = []
    tows: TowsIn | None = None
    perspectives: list[PerspectiveIn] = Field(min_length=1)
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
