"""Report files made in the background (see :mod:`stratmap.reports.jobs`)."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.db import models
from django.db.models.signals import post_delete
from django.dispatch import receiver
from django.utils.translation import gettext_lazy as _

from stratmap.core.fields import TEXT, Translatable, Translations


class ReportFile(models.Model):
    """One deck (PDF, PowerPoint or OpenDocument) of a map, or its scorecard or an agency's results workbook as
    OpenDocument, as one access scope sees it at one data version.

    A cache entry and its job at once: requested (``queued``), taken by the worker
    (``rendering``), then ``ready`` (the file is under ``REPORTS_DIR``) or ``failed``. Every
    person whose request has the same key is served the same file, so the public's copy of a
    map is made once per change of the data.
    """

    class Kind(models.TextChoices):
        PDF = "pdf", "PDF"
        PPTX = "pptx", "PowerPoint"
        # The OpenDocument files (Taiwan's rule for editable downloads), converted from the .pptx and .xlsx.
        ODP = "odp", "OpenDocument presentation"
        SCORECARD_ODS = "scorecard.ods", "OpenDocument scorecard"
        WORKBOOK_ODS = "workbook.ods", "OpenDocument results workbook"

    class Status(models.TextChoices):
        QUEUED = "queued", _("queued")
        RENDERING = "rendering", _("rendering")
        READY = "ready", _("ready")
        FAILED = "failed", _("failed")

    map = models.ForeignKey("strategy.StrategyMap", models.CASCADE, related_name="report_files", verbose_name=_("map"))
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    theme = models.CharField(_("theme"), max_length=10, blank=True)
    # The agency of a results workbook (its code); "" for every other kind.
    agency = models.CharField(_("agency"), max_length=60, blank=True, default="")
    # The period of the map's year the deck is of, the year to date at its end ("Q3", "H1", "M05", as the
    # rows' period column); "" for the whole year.
    period = models.CharField(_("period"), max_length=10, blank=True, default="")
    language = models.CharField(_("language"), max_length=10)
    # "public", or a digest of the access scope (Access.cache_scope) of those it is made for.
    scope = models.CharField(_("access scope"), max_length=64)
    data_version = models.CharField(_("data version"), max_length=64)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.QUEUED)
    # Whose access the worker renders with; the public's files have none.
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("requested by"),
    )
    file_name = models.CharField(_("file name"), max_length=100, blank=True)
    size = models.PositiveIntegerField(_("size (bytes)"), null=True, blank=True)
    error = models.TextField(_("error"), blank=True)
    requested_at = models.DateTimeField(_("requested"), auto_now_add=True)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    # How far the worker is, for the page that follows the job: pages (slides) made of all; 0 of 0 until it
    # has read the data.
    pages_done = models.PositiveIntegerField(_("pages made"), default=0)
    pages_total = models.PositiveIntegerField(_("pages"), default=0)

    class Meta:
        verbose_name = _("report file")
        verbose_name_plural = _("report files")
        constraints = [
            models.UniqueConstraint(
                fields=["map", "kind", "theme", "agency", "period", "language", "scope", "data_version"],
                name="unique_report_file_agency",
            )
        ]

    def __str__(self) -> str:
        return (f"{self.map_id} {self.kind} {self.theme or '-'} {self.agency or '-'} {self.period or '-'} "
                f"{self.language} {self.status}")  # fmt: skip


class ReportSettings(Translatable):
    """How one organization's reports word what is not data: the cover's title and the closing line.

    Taipei's deck reads 「108年度施政成果暨109年修正內容」 and closes with 「簡報結束，敬請指教！」; those are the
    city's own wording, so they are its settings (loaded from its entry in organizations.yaml, ``report:``),
    not code. An organization without settings gets neutral wording in the reader's language
    (「Performance report 2024/25」, "Thank you"). The fields are in the organization's own language, their
    translations in ``i18n`` (``cover_title_en``), read through :mod:`stratmap.core.names`.
    """

    organization = models.OneToOneField(
        "core.Organization", models.CASCADE, related_name="report_settings", verbose_name=_("organization")
    )
    cover_title = models.CharField(
        _("cover title"),
        max_length=200,
        blank=True,
        validators=TEXT,
        help_text=_(
            "The report's title on its cover; {year} is the year of the results (108年度 / 2024/25). Empty: a "
            "neutral title."
        ),
    )
    cover_revisions = models.CharField(
        _("cover title's revisions"),
        max_length=200,
        blank=True,
        validators=TEXT,
        help_text=_(
            "Added to the cover's title when the report shows the next year's revised map; {next_year} is its year."
        ),
    )
    closing = models.CharField(
        _("closing line"),
        max_length=200,
        blank=True,
        validators=TEXT,
        help_text=_("The last slide's line. Empty: a plain thank-you in the reader's language."),
    )
    i18n = Translations(fields=("cover_title", "cover_revisions", "closing"))
    LANGUAGE_FROM = ("organization",)

    class Meta:
        verbose_name = _("report settings")
        verbose_name_plural = _("report settings")

    def __str__(self) -> str:
        return str(self.organization)


@receiver(post_delete, sender=ReportFile, dispatch_uid="stratmap-report-file-deleted")
def _remove_file(sender, instance: ReportFile, **kwargs) -> None:
    """A file whose row is gone is never served again: it goes too (also when its map is deleted)."""
    if instance.file_name:
        (Path(settings.REPORTS_DIR) / instance.file_name).unlink(missing_ok=True)
