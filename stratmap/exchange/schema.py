"""The stratmap dataset format, as pydantic models.

This module is the single definition of the YAML format: the loader validates
against it, the dumper writes through it, and ``dataset.schema.json`` (shipped
with the package) is generated from it. It imports no Django, so the format can
be checked anywhere. docs/dataset-format.md describes every key for people.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from stratmap.core.years import to_ad_year
from stratmap.kpis.scoring import DEFAULT_POLICY

FORMAT = "stratmap/1"


def _year(value: object) -> int:
    """Accept an ROC (108) or AD (2019) year; store the AD year."""
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ValueError("expected a year such as 108 (ROC) or 2019 (AD)")
    return to_ad_year(value)


Year = Annotated[int, BeforeValidator(_year)]
#: Numbers must be finite; YAML's .inf and .nan are refused.
Number = Annotated[Decimal, Field(allow_inf_nan=False)]
Score = Annotated[Decimal, Field(allow_inf_nan=False, ge=0, le=100)]
Code = Annotated[str, Field(min_length=1, max_length=40)]
OrgCode = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]*$", max_length=60)]
Text = Annotated[str, Field(max_length=4000)]


class Strict(BaseModel):
    """Base for every block: unknown keys are errors, not silently ignored."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


# --- organizations -----------------------------------------------------------


class OrganizationIn(Strict):
    code: OrgCode
    name: Text
    short_name: Text = ""
    name_en: Text = ""
    kind: Literal["city", "bureau", "theme_group"]
    parent: OrgCode | None = None
    lead: OrgCode | None = None
    members: list[OrgCode] = []


class OrganizationsFile(Strict):
    format: Literal["stratmap/1"]
    organizations: list[OrganizationIn]


# --- strategy maps -----------------------------------------------------------


class VersionIn(Strict):
    label: Text = ""
    date: datetime.date | None = None
    in_force: bool = True
    #: A dataset documents published maps; a map created in the app starts unpublished.
    published: bool = True
    source: Text = ""


class PerspectiveIn(Strict):
    code: Code
    name: Text
    name_en: Text = ""


class TargetIn(Strict):
    value: Number | None = None
    printed: Text = ""
    note: Text = ""


class ResultIn(Strict):
    actual: Number | None = None
    printed: Text = ""
    unknown_reason: Text = ""
    rate_reported: Number | None = None
    innovation: Score | None = None
    innovation_note: Text = ""
    challenge: Score | None = None
    challenge_note: Text = ""
    contribution: Score | None = None
    contribution_note: Text = ""
    score_reported: Number | None = None
    light_reported: Literal["excellent", "good", "fair", "poor", "unknown"] | None = None
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
    unit: Text = ""


class ActionPlanIn(Strict):
    code: Code
    printed_code: Text = ""
    also_printed_as: list[Text] = []
    name: Text
    agencies: list[OrgCode] = []
    agencies_printed: Text = ""
    tasks: list[TaskIn] = []
    outcomes: list[OutcomeIn] = []
    note: Text = ""


class KpiIn(Strict):
    code: Code
    printed_code: Text = ""
    name: Text
    unit: Text = ""
    polarity: Literal["positive", "negative"] = "positive"
    frequency: Literal["yearly", "biennial", "quarterly", "monthly", "once"] = "yearly"
    data_source: Text = ""
    release: Text = ""
    agencies: list[OrgCode] = []
    agencies_printed: Text = ""
    tags: list[Text] = []
    cites: Code | None = None
    cites_printed: Text = ""
    weight: Annotated[Decimal, Field(allow_inf_nan=False, ge=0)] | None = None
    target_type: Literal["ratio", "at_most", "at_least", "milestone"] = "ratio"
    #: For a milestone KPI: the stages in order; targets and actuals are stage values.
    stages: list[Number] = []
    lineage: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]*$")] | None = None
    note: Text = ""
    targets: dict[Year, Number | TargetIn] = {}
    results: dict[Year, ResultIn] = {}
    action_plans: list[ActionPlanIn] = []


class ObjectiveIn(Strict):
    code: Code
    printed_code: Text = ""
    name: Text
    perspective: Code
    ksf: Text = ""
    goal: Text = ""
    key_works: list[Text] = []
    note: Text = ""
    kpis: list[KpiIn] = []
    outcomes: list[OutcomeIn] = []


class ThemeIn(Strict):
    code: Code
    name: Text
    name_en: Text = ""
    group: OrgCode | None = None
    takes_over: Code | None = None
    takes_over_printed: Text = ""
    note: Text = ""
    objectives: list[ObjectiveIn] = []


class LinkIn(Strict):
    source: Code = Field(alias="from")
    target: Code = Field(alias="to")
    note: Text = ""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class CountIn(Strict):
    before: Annotated[int, Field(ge=0)] | None = None
    after: Annotated[int, Field(ge=0)] | None = None
    printed: Text = ""


class RevisionCountIn(Strict):
    #: A perspective code, or ``total`` for the table's 合計 row.
    perspective: Code
    objectives: CountIn = CountIn()
    kpis: CountIn = CountIn()
    action_plans: CountIn = CountIn()


class ChangeIn(Strict):
    level: Literal["objective", "kpi", "action_plan"]
    action: Literal["add", "delete", "rename", "change"]
    objective: Code | None = None
    code: Text = ""
    old_name: Text = ""
    new_name: Text = ""
    reason: Text = ""
    printed_action: Text = ""
    agencies: list[OrgCode] = []
    agencies_printed: Text = ""


class RevisionsIn(Strict):
    compared_to: Year | None = None
    #: The theme the revision table covers (the city's tables are per theme).
    theme: Code | None = None
    counts: list[RevisionCountIn] = []
    changes: list[ChangeIn] = []
    note: Text = ""


class TowsItemIn(Strict):
    code: Text = ""
    text: Text


class TowsStrategiesIn(Strict):
    title: Text = ""
    items: list[TowsItemIn] = []


class TowsIn(Strict):
    title: Text = ""
    s: list[TowsItemIn] = []
    w: list[TowsItemIn] = []
    o: list[TowsItemIn] = []
    t: list[TowsItemIn] = []
    so: TowsStrategiesIn = TowsStrategiesIn()
    wo: TowsStrategiesIn = TowsStrategiesIn()
    st: TowsStrategiesIn = TowsStrategiesIn()
    wt: TowsStrategiesIn = TowsStrategiesIn()


class ThrustIn(Strict):
    code: Text = ""
    name: Text
    name_en: Text = ""
    strategies: list[Text] = []


class StepIn(Strict):
    step: Annotated[int, Field(ge=1)]
    title: Text
    items: list[Text] = []


class ScoringIn(Strict):
    """The year's scoring policy; what is left out takes the documented default (DEFAULT_POLICY)."""

    achievement_weight: Number = DEFAULT_POLICY.achievement_weight
    innovation_weight: Number = DEFAULT_POLICY.innovation_weight
    challenge_weight: Number = DEFAULT_POLICY.challenge_weight
    contribution_weight: Number = DEFAULT_POLICY.contribution_weight
    achievement_cap: Number = DEFAULT_POLICY.achievement_cap
    excellent: Number = DEFAULT_POLICY.excellent
    good: Number = DEFAULT_POLICY.good
    fair: Number = DEFAULT_POLICY.fair
    flag_tolerance: Number = DEFAULT_POLICY.flag_tolerance


class MapFile(Strict):
    format: Literal["stratmap/1"]
    organization: OrgCode
    year: Year
    version: VersionIn = VersionIn()
    title: Text = ""
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
