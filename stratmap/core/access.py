"""The one access choke-point. Every view, form, download and command that touches a map,
a KPI result or a plan asks here, and nowhere else.

Roles (see :class:`stratmap.core.models.Membership`): administrators do everything;
coordinators review the themes their organization owns or leads; editors enter the
results and plan progress of their organization's KPIs and plans; viewers read
everything. Everyone else is the public and reads published maps and results only.
Refusals are 404s that say nothing about what exists.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from django.db.models import Q, QuerySet
from django.http import Http404

from stratmap.core.models import Membership
from stratmap.kpis.models import Kpi, KpiResult
from stratmap.strategy.models import StrategyMap

Role = Membership.Role


@dataclass(frozen=True)
class Access:
    """What one person may do; built once per request from their memberships (one query)."""

    user: object

    @cached_property
    def memberships(self) -> frozenset[tuple[int, str]]:
        if not getattr(self.user, "is_authenticated", False):
            return frozenset()
        return frozenset(Membership.objects.filter(user=self.user).values_list("organization_id", "role"))

    def _orgs(self, role: str) -> set[int]:
        return {org for org, r in self.memberships if r == role}

    @property
    def is_administrator(self) -> bool:
        return bool(getattr(self.user, "is_superuser", False)) or any(
            r == Role.ADMINISTRATOR for _, r in self.memberships
        )

    @property
    def reads_unpublished(self) -> bool:
        """Administrators, coordinators, editors and viewers read drafts; the public does not."""
        return self.is_administrator or bool(self.memberships)

    def maps(self) -> QuerySet[StrategyMap]:
        maps = StrategyMap.objects.all()
        return maps if self.reads_unpublished else maps.filter(published=True)

    def results(self, results: QuerySet[KpiResult]) -> QuerySet[KpiResult]:
        """The results among ``results`` this person may see."""
        return results if self.reads_unpublished else results.filter(status=KpiResult.Status.PUBLISHED)

    def edits(self, kpi: Kpi) -> bool:
        """May enter this KPI's results and its plans' progress (``kpi.agencies`` are read)."""
        if self.is_administrator:
            return True
        mine = self._orgs(Role.EDITOR)
        return bool(mine) and any(a.pk in mine for a in kpi.agencies.all())

    def reviews(self, kpi: Kpi) -> bool:
        """May return or approve this KPI's results: the coordinator of its theme's group or of the group's lead."""
        if self.is_administrator:
            return True
        mine = self._orgs(Role.COORDINATOR)
        theme = kpi.objective.theme
        if not mine or theme is None or theme.group_id is None:
            return False
        return theme.group_id in mine or theme.group.lead_id in mine

    @property
    def publishes(self) -> bool:
        return self.is_administrator

    def editable_kpis(self) -> QuerySet[Kpi]:
        """The KPIs whose results this person enters (all of them for an administrator)."""
        if self.is_administrator:
            return Kpi.objects.all()
        return Kpi.objects.filter(agencies__in=self._orgs(Role.EDITOR)).distinct()

    def reviewable_kpis(self) -> QuerySet[Kpi]:
        if self.is_administrator:
            return Kpi.objects.all()
        mine = self._orgs(Role.COORDINATOR)
        return Kpi.objects.filter(
            Q(objective__theme__group__in=mine) | Q(objective__theme__group__lead__in=mine)
        ).distinct()


def access_for(request_or_user) -> Access:
    """The Access of a request (cached on it) or of a user."""
    user = getattr(request_or_user, "user", request_or_user)
    if hasattr(request_or_user, "user"):
        cached = getattr(request_or_user, "_stratmap_access", None)
        if cached is None:
            cached = request_or_user._stratmap_access = Access(user)
        return cached
    return Access(user)


def visible_maps(user) -> QuerySet[StrategyMap]:
    """The map versions ``user`` may read."""
    return access_for(user).maps()


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
