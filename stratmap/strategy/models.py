"""Strategy maps: the yearly map of an organization and everything drawn on it.

Codes (DC1, DP3 …) are data, not derived from names or positions: the source
documents renumber items between years and sometimes misprint them, so every
coded item also keeps the code as printed (``printed_code``) when it differs.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from stratmap.core.fields import CODE, EXACT, JSON_TEXT, LONG, TEXT, Translatable, Translations
from stratmap.core.years import format_year

#: A weight has the digits of a stored number (kpis.models.NUMBER, which this app, below kpis, does not import)
#: and is never below 0. An objective's or theme's weight is its share of the organization's points (25 of 100).
WEIGHT_DIGITS, WEIGHT_PLACES = 16, 4
WEIGHT_RULES: list[Callable[[Any], None]] = [*EXACT, MinValueValidator(0)]


class StrategyMap(Translatable):
    """One version of an organization's strategy map for one year.

    A year may hold several versions (the bureau's 110 map is the October edition
    revised for COVID-19); exactly one of them may be in force.
    """

    organization = models.ForeignKey(
        "core.Organization", models.CASCADE, related_name="maps", verbose_name=_("organization")
    )
    year = models.PositiveSmallIntegerField(_("year"), help_text=_("AD year; shown as an ROC year in Chinese."))
    version_label = models.CharField(_("version"), max_length=200, blank=True, validators=TEXT)
    version_date = models.DateField(_("version date"), null=True, blank=True)
    in_force = models.BooleanField(_("in force"), default=True)
    published = models.BooleanField(_("published"), default=False, help_text=_("The public sees published maps only."))
    results_due = models.DateField(
        _("results due"), null=True, blank=True, help_text=_("Deadline for entering this year's results.")
    )
    source = models.CharField(_("source document"), max_length=500, blank=True, validators=TEXT)
    title = models.CharField(_("title"), max_length=200, blank=True, validators=TEXT)
    occasion = models.CharField(
        _("report occasion"),
        max_length=200,
        blank=True,
        validators=TEXT,
        help_text=_("What the report deck is made for, after the organization's name on its cover (首長領航共識營)."),
    )
    mission = models.TextField(_("mission"), blank=True, validators=LONG)
    vision = models.TextField(_("vision"), blank=True, validators=LONG)
    values = models.JSONField(_("core values"), default=list, blank=True, validators=JSON_TEXT)
    construction_steps = models.JSONField(
        _("construction steps"),
        default=list,
        blank=True,
        help_text=_("STEP 1–5 of how the map was built."),
        validators=JSON_TEXT,
    )
    tows_title = models.CharField(_("TOWS heading"), max_length=300, blank=True, validators=TEXT)
    has_tows = models.BooleanField(_("has a TOWS analysis"), default=False)
    revisions_compared_to = models.PositiveSmallIntegerField(_("revisions compared to year"), null=True, blank=True)
    revisions_theme = models.CharField(_("revisions theme"), max_length=10, blank=True, validators=CODE)
    revisions_note = models.TextField(_("revisions note"), blank=True, validators=LONG)
    note = models.TextField(_("note"), blank=True, validators=LONG)
    i18n = Translations(
        fields=("title", "occasion", "mission", "vision", "values", "tows_title", "note", "version_label")
    )
    LANGUAGE_FROM = ("organization",)
    translation_notes = models.JSONField(
        _("translations by"),
        default=dict,
        blank=True,
        validators=JSON_TEXT,
        help_text=_('Who translated the data, by language: {"en": "the stratmap project"}.'),
    )
    weights_declared = models.DecimalField(
        _("objective weights declared"),
        help_text=_(
            "What the objectives' weights are declared to add up to (e.g. 100); "
            "a difference is a warning, not an error."
        ),
        null=True,
        blank=True,
        max_digits=WEIGHT_DIGITS,
        decimal_places=WEIGHT_PLACES,
        validators=WEIGHT_RULES,
    )
    #: Goes up with every change of what the map holds (a revision, a load that changes it), so a
    #: revise or roll-over form opened before the change is refused rather than acting on a map
    #: the administrator did not see. Results and plan progress have versions of their own.
    version = models.PositiveIntegerField(_("revision version"), default=1, editable=False)

    class Meta:
        verbose_name = _("strategy map")
        verbose_name_plural = _("strategy maps")
        ordering = ["organization__code", "year", "version_label"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "year", "version_label"], name="unique_map_version"),
            models.UniqueConstraint(
                fields=["organization", "year"], condition=Q(in_force=True), name="one_map_in_force_per_year"
            ),
        ]

    def __str__(self) -> str:
        label = f" {self.version_label}" if self.version_label else ""
        return f"{self.organization} {format_year(self.year, style=self.organization.year_style)}{label}"

    @property
    def url_year(self) -> str:
        """The year in this map's addresses in the active language (``YearStyle.in_address``): in Chinese
        as its organization types years, /taipei/108/ (ROC), /ashcombe/2024/ (the AD year a fiscal year
        starts in); in English the AD year, /en/taipei/2019/, /en/ashcombe/2024/. Pass it, not ``year``,
        to ``{% url %}``: every other form of the year is redirected to it (``web.middleware``)."""
        return self.organization.year_style.in_address(self.year)

    @property
    def compared_year(self) -> int:
        """The year this map's revisions are counted against: as the dataset says, else the year before."""
        return self.revisions_compared_to or self.year - 1


class Perspective(Translatable):
    """A BSC perspective (構面) of a map, in the order drawn from top to bottom."""

    map = models.ForeignKey(StrategyMap, models.CASCADE, related_name="perspectives", verbose_name=_("map"))
    code = models.CharField(_("code"), max_length=10, validators=CODE)
    name = models.CharField(_("name"), max_length=100, validators=TEXT)
    order = models.PositiveSmallIntegerField(_("order"))
    i18n = Translations(fields=("name",))
    LANGUAGE_FROM = ("map", "organization")

    class Meta:
        verbose_name = _("perspective")
        verbose_name_plural = _("perspectives")
        ordering = ["map_id", "order"]
        constraints = [models.UniqueConstraint(fields=["map", "code"], name="unique_perspective_code")]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class Theme(Translatable):
    """A strategic theme (策略主題), a column of the map.

    A bureau theme takes over a city objective or theme (``takes_over``, e.g. DP1
    for 「對應府級DP1」); a city theme can be owned by a theme group.
    """

    map = models.ForeignKey(StrategyMap, models.CASCADE, related_name="themes", verbose_name=_("map"))
    code = models.CharField(_("code"), max_length=10, validators=CODE)
    name = models.CharField(_("name"), max_length=200, validators=TEXT)
    order = models.PositiveSmallIntegerField(_("order"))
    group = models.ForeignKey(
        "core.Organization",
        models.PROTECT,
        null=True,
        blank=True,
        related_name="themes",
        verbose_name=_("theme group"),
    )
    takes_over = models.CharField(_("takes over (city code)"), max_length=40, blank=True, validators=CODE)
    takes_over_printed = models.CharField(_("takes over, as printed"), max_length=200, blank=True, validators=TEXT)
    note = models.TextField(_("note"), blank=True, validators=LONG)
    weight = models.DecimalField(
        _("weight"),
        null=True,
        blank=True,
        max_digits=WEIGHT_DIGITS,
        decimal_places=WEIGHT_PLACES,
        validators=WEIGHT_RULES,
    )
    i18n = Translations(fields=("name", "note"))
    LANGUAGE_FROM = ("map", "organization")

    class Meta:
        verbose_name = _("strategic theme")
        verbose_name_plural = _("strategic themes")
        ordering = ["map_id", "order"]
        constraints = [models.UniqueConstraint(fields=["map", "code"], name="unique_theme_code")]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class Objective(Translatable):
    """A strategic objective (策略目標), usually in one perspective and of one theme.

    Objectives without a theme are drawn across all themes (the city's TC row); a map may have no
    perspectives (or objectives outside them), drawn in one unnamed band.
    """

    map = models.ForeignKey(StrategyMap, models.CASCADE, related_name="objectives", verbose_name=_("map"))
    theme = models.ForeignKey(
        Theme, models.CASCADE, null=True, blank=True, related_name="objectives", verbose_name=_("theme")
    )
    perspective = models.ForeignKey(
        Perspective, models.CASCADE, null=True, blank=True, related_name="objectives", verbose_name=_("perspective")
    )
    code = models.CharField(_("code"), max_length=40, validators=CODE)
    printed_code = models.CharField(_("code as printed"), max_length=40, blank=True, validators=TEXT)
    name = models.CharField(_("name"), max_length=300, validators=TEXT)
    ksf = models.TextField(_("key success factor"), blank=True, validators=LONG)
    goal = models.TextField(_("vision goal"), blank=True, validators=LONG)
    key_works = models.JSONField(_("key works"), default=list, blank=True, validators=JSON_TEXT)
    order = models.PositiveSmallIntegerField(_("order"))
    note = models.TextField(_("note"), blank=True, validators=LONG)
    weight = models.DecimalField(
        _("weight"),
        null=True,
        blank=True,
        max_digits=WEIGHT_DIGITS,
        decimal_places=WEIGHT_PLACES,
        validators=WEIGHT_RULES,
    )
    i18n = Translations(fields=("name", "ksf", "goal", "key_works", "note"))
    LANGUAGE_FROM = ("map", "organization")

    class Meta:
        verbose_name = _("strategic objective")
        verbose_name_plural = _("strategic objectives")
        ordering = ["map_id", "order"]
        constraints = [models.UniqueConstraint(fields=["map", "code"], name="unique_objective_code")]

    def __str__(self) -> str:
        # The same code names an objective in every year and bureau (DL1 in 108, 109, 110 …):
        # pickers and lists tell them apart by organization and year.
        return f"{self.map.organization} {format_year(self.map.year)} {self.code} {self.name}"


class ObjectiveLink(Translatable):
    """A cause-and-effect arrow (因果關係) from one objective to another."""

    map = models.ForeignKey(StrategyMap, models.CASCADE, related_name="links", verbose_name=_("map"))
    source = models.ForeignKey(Objective, models.CASCADE, related_name="links_out", verbose_name=_("from"))
    target = models.ForeignKey(Objective, models.CASCADE, related_name="links_in", verbose_name=_("to"))
    note = models.TextField(_("note"), blank=True, validators=LONG)
    i18n = Translations(fields=("note",))
    LANGUAGE_FROM = ("map", "organization")

    class Meta:
        verbose_name = _("cause-and-effect link")
        verbose_name_plural = _("cause-and-effect links")
        constraints = [models.UniqueConstraint(fields=["source", "target"], name="unique_link")]

    def __str__(self) -> str:
        return f"{self.source.code} → {self.target.code}"


class TowsEntry(Translatable):
    """An item of a TOWS analysis: a strength, weakness, opportunity or threat, or a strategy.

    Each entry of a strategy quadrant (SO, WO, ST, WT) carries the quadrant's
    printed heading, e.g. 【掌握機會，發揮優勢】.
    """

    class Kind(models.TextChoices):
        S = "s", _("strength")
        W = "w", _("weakness")
        O = "o", _("opportunity")  # noqa: E741 - TOWS letters
        T = "t", _("threat")
        SO = "so", _("SO strategy")
        WO = "wo", _("WO strategy")
        ST = "st", _("ST strategy")
        WT = "wt", _("WT strategy")

    map = models.ForeignKey(StrategyMap, models.CASCADE, related_name="tows_entries", verbose_name=_("map"))
    kind = models.CharField(_("kind"), max_length=2, choices=Kind.choices)
    heading = models.CharField(_("quadrant heading"), max_length=200, blank=True, validators=TEXT)
    code = models.CharField(_("code"), max_length=20, blank=True, validators=TEXT)
    text = models.TextField(_("text"), validators=LONG)
    order = models.PositiveSmallIntegerField(_("order"))
    #: What a strategy (SO, WO, ST, WT) becomes on the map: the bureau document goes from its TOWS strategies to
    #: its objectives. Strengths, weaknesses, opportunities and threats become nothing directly.
    objectives = models.ManyToManyField(
        Objective, blank=True, related_name="tows_strategies", verbose_name=_("objectives it becomes")
    )
    i18n = Translations(fields=("heading", "text"))
    LANGUAGE_FROM = ("map", "organization")

    class Meta:
        verbose_name = _("TOWS entry")
        verbose_name_plural = _("TOWS entries")
        ordering = ["map_id", "kind", "order"]

    def __str__(self) -> str:
        return f"{self.code} {self.text[:40]}"


class PolicyThrust(Translatable):
    """A policy thrust (政策主軸) with its strategies (推動策略)."""

    map = models.ForeignKey(StrategyMap, models.CASCADE, related_name="thrusts", verbose_name=_("map"))
    code = models.CharField(_("code"), max_length=20, blank=True, validators=TEXT)
    name = models.CharField(_("name"), max_length=200, validators=TEXT)
    strategies = models.JSONField(_("strategies"), default=list, blank=True, validators=JSON_TEXT)
    order = models.PositiveSmallIntegerField(_("order"))
    i18n = Translations(fields=("name", "strategies"))
    LANGUAGE_FROM = ("map", "organization")

    class Meta:
        verbose_name = _("policy thrust")
        verbose_name_plural = _("policy thrusts")
        ordering = ["map_id", "order"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class RevisionCount(models.Model):
    """A row of the revision count table (修訂前/修訂後) as published.

    ``printed`` keeps the after-cell as printed (e.g. 「7(-1)」); the published
    table does not always add up, and that is reported, not corrected.
    """

    map = models.ForeignKey(StrategyMap, models.CASCADE, related_name="revision_counts", verbose_name=_("map"))
    perspective = models.CharField(
        _("perspective"), max_length=10, help_text=_("A perspective code, or 'total'."), validators=CODE
    )
    order = models.PositiveSmallIntegerField(_("order"))
    objectives_before = models.PositiveSmallIntegerField(_("objectives before"), null=True, blank=True)
    objectives_after = models.PositiveSmallIntegerField(_("objectives after"), null=True, blank=True)
    objectives_printed = models.CharField(_("objectives after, as printed"), max_length=40, blank=True, validators=TEXT)
    kpis_before = models.PositiveSmallIntegerField(_("KPIs before"), null=True, blank=True)
    kpis_after = models.PositiveSmallIntegerField(_("KPIs after"), null=True, blank=True)
    kpis_printed = models.CharField(_("KPIs after, as printed"), max_length=40, blank=True, validators=TEXT)
    action_plans_before = models.PositiveSmallIntegerField(_("action plans before"), null=True, blank=True)
    action_plans_after = models.PositiveSmallIntegerField(_("action plans after"), null=True, blank=True)
    action_plans_printed = models.CharField(
        _("action plans after, as printed"), max_length=40, blank=True, validators=TEXT
    )

    class Meta:
        verbose_name = _("revision count")
        verbose_name_plural = _("revision counts")
        ordering = ["map_id", "order"]

    def __str__(self) -> str:
        return f"{self.map} {self.perspective}"


class Revision(models.Model):
    """A change made to a map against the previous year's, with its reason (滾動修正)."""

    class Level(models.TextChoices):
        OBJECTIVE = "objective", _("objective")
        KPI = "kpi", _("KPI")
        ACTION_PLAN = "action_plan", _("action plan")

    class Action(models.TextChoices):
        ADD = "add", _("added")
        DELETE = "delete", _("deleted")
        RENAME = "rename", _("renamed")
        CHANGE = "change", _("changed")

    map = models.ForeignKey(StrategyMap, models.CASCADE, related_name="revisions", verbose_name=_("map"))
    order = models.PositiveSmallIntegerField(_("order"))
    level = models.CharField(_("level"), max_length=20, choices=Level.choices)
    action = models.CharField(_("action"), max_length=10, choices=Action.choices)
    objective_code = models.CharField(_("objective"), max_length=40, blank=True, validators=CODE)
    code = models.CharField(_("code"), max_length=40, blank=True, validators=TEXT)
    old_name = models.CharField(_("old name"), max_length=300, blank=True, validators=TEXT)
    new_name = models.CharField(_("new name"), max_length=300, blank=True, validators=TEXT)
    reason = models.TextField(_("reason"), blank=True, validators=LONG)
    printed_action = models.CharField(_("action, as printed"), max_length=100, blank=True, validators=TEXT)
    agencies = models.ManyToManyField("core.Organization", blank=True, related_name="+", verbose_name=_("agencies"))
    agencies_printed = models.CharField(_("agencies, as printed"), max_length=200, blank=True, validators=TEXT)

    class Meta:
        verbose_name = _("revision")
        verbose_name_plural = _("revisions")
        ordering = ["map_id", "order"]

    def __str__(self) -> str:
        return f"{self.get_action_display()} {self.get_level_display()} {self.code}"
