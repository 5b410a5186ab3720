"""Argument checks shared by the commands, with the messages users see."""

from __future__ import annotations

from django.core.management.base import CommandError

from stratmap.core.models import Organization
from stratmap.core.years import YearError, to_ad_year


def org_and_year(org: str, year: str) -> int:
    """Check ``--org`` exists and turn ``--year`` (ROC or AD) into an AD year, or raise CommandError."""
    try:
        ad_year = to_ad_year(year)
    except YearError as exc:
        raise CommandError(f"--year: {exc}") from None
    if not Organization.objects.filter(code=org).exists():
        raise CommandError(f"--org: no organization with code {org!r}")
    return ad_year
