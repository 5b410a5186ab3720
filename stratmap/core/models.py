"""Organizations: the city, its bureaus and its strategic-theme groups."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Organization(models.Model):
    """A city government, one of its bureaus, or a strategic-theme group.

    A theme group (e.g. the city's group D) is an organization of its own with a
    lead bureau and member agencies, because it owns a theme's results; a bureau
    can lead one group and be a member of others.
    """

    class Kind(models.TextChoices):
        CITY = "city", _("city government")
        BUREAU = "bureau", _("bureau")
        THEME_GROUP = "theme_group", _("strategic-theme group")

    code = models.SlugField(_("code"), max_length=60, unique=True, help_text=_("Short name used in URLs and commands."))
    name = models.CharField(_("name"), max_length=200)
    short_name = models.CharField(_("short name"), max_length=100, blank=True)
    name_en = models.CharField(_("English name"), max_length=200, blank=True)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    parent = models.ForeignKey(
        "self", models.PROTECT, null=True, blank=True, related_name="children", verbose_name=_("parent")
    )
    lead = models.ForeignKey(
        "self",
        models.PROTECT,
        null=True,
        blank=True,
        related_name="led_groups",
        verbose_name=_("lead agency"),
        help_text=_("For a theme group: the bureau that leads it (主政機關)."),
    )
    members = models.ManyToManyField(
        "self", symmetrical=False, blank=True, related_name="member_of", verbose_name=_("member agencies")
    )

    class Meta:
        verbose_name = _("organization")
        verbose_name_plural = _("organizations")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.short_name or self.name
