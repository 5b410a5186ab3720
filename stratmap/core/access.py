"""The one access choke-point: every view, download and command that reads a map goes through here.

For now every map is readable by everyone; the yearly cycle (draft, review,
publication) and roles will narrow ``visible_maps`` and nothing else should need
to change.
"""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404

from stratmap.strategy.models import StrategyMap


def visible_maps(user) -> QuerySet[StrategyMap]:
    """The map versions ``user`` may read."""
    return StrategyMap.objects.all()


def get_map_for_user(user, organization: str, year: int) -> StrategyMap:
    """The map in force of ``organization`` for ``year`` (AD), or 404 without saying whether it exists."""
    try:
        return (
            visible_maps(user)
            .select_related("organization", "organization__parent", "scoring_policy")
            .get(organization__code=organization, year=year, in_force=True)
        )
    except StrategyMap.DoesNotExist:
        raise Http404 from None
