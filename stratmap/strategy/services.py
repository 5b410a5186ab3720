"""A map's version: writes to a map's structure (:mod:`stratmap.revisions.services`: revising it,
rolling it over) are checked against the ``version`` the administrator's page showed.

A revision bumps it, so a revise or roll-over form opened before someone else's revision is
refused (:class:`StaleMap`) with what changed meanwhile, rather than acting on a map the
administrator has not seen.
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from stratmap.core.audit import Stale, changes_since
from stratmap.strategy.models import StrategyMap


class StaleMap(Stale):
    """Someone revised the map after this administrator opened it; nothing was written."""

    def __init__(self, smap: StrategyMap, version: object):
        self.map = smap
        super().__init__(
            _("Someone else revised this map after you opened it; nothing was saved."), changes_since(smap, version)
        )


def map_at_version(*, smap: StrategyMap, version: int) -> StrategyMap:
    """``smap`` locked, if it is still at the ``version`` the administrator read; else :class:`StaleMap`."""
    current = StrategyMap.objects.select_for_update().get(pk=smap.pk)
    if not isinstance(version, int) or isinstance(version, bool) or version != current.version:
        raise StaleMap(current, version)
    return current
