"""What the API answers and takes, as typed schemas: django-ninja makes the OpenAPI 3 description from them.

Numbers (targets, actuals, weights) are decimal strings ("17.5"), as stored: a float would change them.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Literal

from ninja import Field, Schema

from stratmap.core.years import YearLabel


class Year(Schema):
    """A year in both counts. ``ad`` is the year as stored (a fiscal year by the AD year it starts in),
    ``roc`` the same year counted from 1912 (民國), ``label`` how its organization names it, ``style`` which
    way that is (``roc``: 民國108年; ``calendar``: 2019; ``span``: 2019/20; ``fy_end``: FY2020)."""

    ad: int = Field(examples=[2020])
    roc: int = Field(examples=[109])
    label: str = Field(examples=["民國109年"])
    style: YearLabel
    start_month: int = Field(ge=1, le=12, description="The month the organization's year starts in.")


class YearStyle(Schema):
    style: YearLabel = Field(description="How the organization names its years (Year.style).")
    start_month: int = Field(ge=1, le=12)


class Organization(Schema):
    code: str
    name: str = Field(description="In the organization's own language.")
    short_name: str
    translations: dict[str, str] = Field(description="The name in other languages, by language code.")
    language: str
    kind: str
    parent: str | None = Field(description="The parent organization's code.")
    years: YearStyle


class MapSummary(Schema):
    """One edition of an organization's strategy map for a year: the one in force, or an earlier edition."""

    id: int
    organization: str
    year: Year
    in_force: bool
    published: bool
    version: int = Field(description="Bumped by every edit of the map.")
    title: str
    version_label: str
    version_date: datetime.date | None


class Perspective(Schema):
    code: str
    name: str
    translations: dict[str, str]
    order: int


class Theme(Schema):
    code: str
    name: str
    translations: dict[str, str]
    order: int
    group: str | None = Field(description="The code of the organization (a theme group) that leads it.")
    weight: Decimal | None


class Objective(Schema):
    code: str
    name: str
    translations: dict[str, str]
    perspective: str | None
    theme: str | None
    order: int
    key_success_factor: str
    goal: str
    weight: Decimal | None


class Link(Schema):
    source: str = Field(description="The code of the objective the link starts from (the cause).")
    target: str = Field(description="The code of the objective it leads to (the effect).")
    note: str


class MapDetail(MapSummary):
    mission: str
    vision: str
    values: list[str]
    has_tows: bool
    perspectives: list[Perspective]
    themes: list[Theme]
    objectives: list[Objective]
    links: list[Link]


class Target(Schema):
    year: Year
    period: str = Field(description='"" for the whole year, else Q1–Q4, H1–H2 or M01–M12.')
    value: Decimal | None
    upper: Decimal | None = Field(description="The top of a target range.")
    printed: str


class Kpi(Schema):
    code: str
    name: str
    translations: dict[str, str]
    objective: str
    unit: str
    polarity: str
    frequency: str
    target_type: str
    periods: list[str] = Field(description="The periods it reports in (empty: the whole year only).")
    agencies: list[str] = Field(description="The codes of the organizations that enter its results.")
    weight: Decimal | None
    baseline: Decimal | None
    data_source: str
    targets: list[Target]


class Result(Schema):
    kpi: str
    year: Year
    period: str = Field(description='"" for the whole year, else Q1–Q4, H1–H2 or M01–M12.')
    actual: Decimal | None
    printed: str
    unknown_kind: str
    unknown_reason: str
    innovation: Decimal | None
    innovation_note: str
    challenge: Decimal | None
    challenge_note: str
    contribution: Decimal | None
    contribution_note: str
    situation_analysis: str
    countermeasures: str
    status: str = Field(description="draft, submitted, returned, approved or published.")
    version: int = Field(description="Send it back with a change: a stale one is refused (409).")


class KpiDetail(Kpi):
    results: list[Result]


class Progress(Schema):
    month: int = Field(ge=1, le=12, description="The calendar month.")
    planned: bool
    done: str = Field(description="not_started, under_way or done.")
    note: str
    status: str
    version: int


class Task(Schema):
    number: int = Field(description="Its place in the plan, from 1.")
    name: str
    months: list[int] | None = Field(description="The calendar months it is scheduled in.")
    progress: list[Progress]


class Plan(Schema):
    code: str
    name: str
    translations: dict[str, str]
    kpi: str
    agencies: list[str]
    tasks: list[Task]


class Revision(Schema):
    order: int
    level: str
    action: str
    objective: str
    code: str
    old_name: str
    new_name: str
    reason: str


class TowsEntry(Schema):
    kind: str = Field(description="s, w, o, t, or a strategy quadrant (so, st, wo, wt).")
    heading: str
    code: str
    text: str
    order: int
    objectives: list[str]


class FieldError(Schema):
    field: str = Field(description="The parameter or field, as sent (body.actual, query.year).")
    value: str | None = Field(description="The value sent, as text.")
    messages: list[str]


class Change(Schema):
    """One change made by someone else since the version the client read, from the audit trail."""

    at: datetime.datetime
    user: str
    action: str
    field: str = Field(description="The field as recorded: a result's (actual), a month of a task's (3月 done).")
    label: str = Field(description="The field as the pages name it.")
    old: str
    new: str
    reason: str


class Error(Schema):
    detail: str
    errors: list[FieldError] = []
    changes: list[Change] = Field([], description="A 409's: what changed since the version sent.")


class ResultIn(Schema):
    """A result's entry, as the result page takes it; ``version`` is the result's as read (0: there was none)."""

    period: str = Field("", description='"" for the whole year, else the KPI\'s period code (Q3, M05).')
    version: int = Field(ge=0)
    actual: Decimal | None = None
    unknown_kind: str = ""
    unknown_reason: str = ""
    innovation: Decimal | None = None
    innovation_note: str = ""
    challenge: Decimal | None = None
    challenge_note: str = ""
    contribution: Decimal | None = None
    contribution_note: str = ""
    situation_analysis: str = ""
    countermeasures: str = ""
    reason: str = Field("", description="Why, kept in the audit trail.")
    submit: bool = Field(False, description="Submit it for review once recorded (all or nothing).")


class ProgressIn(Schema):
    """One month of one task; ``version`` is the month's as read (0: it had no progress yet)."""

    task: int = Field(ge=1, description="The task's number in its plan (Task.number).")
    month: int = Field(ge=1, le=12, description="The calendar month.")
    version: int = Field(ge=0)
    planned: bool | None = Field(None, description="Default: as stored, else as scheduled.")
    done: Literal["not_started", "under_way", "done"]
    note: str = ""
    reason: str = ""
