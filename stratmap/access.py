"""The one access choke-point. Every view, form, download, selector, report and command that
touches a map, a KPI result or a plan asks here, and nowhere else. There is no "no access means
everything": a selector is always given an :class:`Access`; commands, which run on the server for
whoever may run them, pass the all-seeing :data:`SYSTEM` (``Access.everything()``), and nothing
else may.

Roles are given per organization (:class:`stratmap.core.models.Membership`) and are scoped to it:

- **A role held on an organization applies to that organization and to its descendants** (the
  organizations whose parent it is, and theirs). In Taipei the evaluation office's administrators are
  members of the city, ``taipei``, and administer the whole city: the city's maps and every bureau's;
  an administrator of a bureau (``taipei-doed``) administers only that bureau's maps.
- An **administrator** of an organization publishes and reopens the results of its maps, rolls its
  maps over and revises them, and holds every lesser role there too (edits, reviews and reads as an
  editor, coordinator and viewer of the same organization would).
- A **theme coordinator** reviews (returns or approves) the KPIs of the themes whose group is, or is
  led by, an organization of its scope: a coordinator of ``taipei-group-d``, or of its lead bureau
  ``taipei-doed``, reviews theme D's KPIs on the city's maps.
- An **agency editor** enters the results and plan progress of the KPIs whose agencies include an
  organization of its scope, on whichever map those KPIs are (a bureau's editor enters the bureau's
  share of the city's map).
- **Everyone with a role reads unpublished maps and results** (drafts included) of the maps of its
  organizations' scope, and of the maps on which it enters or reviews KPIs. Every other map it reads
  as the public does.
- **Superusers** may do everything everywhere.
- **The public** (anonymous, or logged in without a role) reads published maps and, on them,
  published results only.

Questions about what a person may do take the thing asked about (a map, an organization, its code,
a KPI or a result): ``access.publishes(smap)``. Asked without it (``if access.publishes:``) they
raise a TypeError instead of answering "yes" for every organization. Refusals are 404s that say
nothing about what exists.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, cast

from django.db.models import Q, QuerySet
from django.http import Http404

from stratmap.core.models import Membership, Organization
from stratmap.kpis.models import Kpi, KpiResult
from stratmap.strategy.models import StrategyMap

if TYPE_CHECKING:
    from django.contrib.auth.models import User

Role = Membership.Role
#: What a question about a person's rights is asked about: its organization is what counts.
Subject = Organization | StrategyMap | Kpi | KpiResult | str


class _Question:
    """``access.publishes(smap)``; used bare as a truth value, a mistake that would grant too much, it raises."""

    def __init__(self, name: str, answer: Callable[[Subject], bool]):
        self._name, self._answer = name, answer

    def __call__(self, subject: Subject) -> bool:
        return self._answer(subject)

    def __bool__(self) -> bool:
        raise TypeError(
            f"Access.{self._name} needs what it is asked about, e.g. access.{self._name}(smap): "
            "roles are scoped to their organization (see stratmap.access)"
        )


def _question(method: Callable[[Access, Subject], bool]) -> property:
    name = method.__name__
    return property(lambda self: _Question(name, lambda subject: method(self, subject)), doc=method.__doc__)


@dataclass(frozen=True)
class Access:
    """What one person may do; built once per request from their memberships.

    ``Access(user)`` for a person; :meth:`everything` (:data:`SYSTEM`) for commands only.
    """

    user: object
    all_seeing: bool = False

    @classmethod
    def everything(cls) -> Access:
        """The access of commands run on the server (score, report, dump, benchmarks): every map and result.

        Never for a request: a page's access is always its person's (:func:`access_for`).
        """
        return cls(user=None, all_seeing=True)

    # --- who this is ----------------------------------------------------------------------------

    @property
    def is_superuser(self) -> bool:
        return self.all_seeing or bool(getattr(self.user, "is_superuser", False))

    @cached_property
    def memberships(self) -> frozenset[tuple[int, str]]:
        """(organization id, role) of each role this person holds."""
        if self.all_seeing or not getattr(self.user, "is_authenticated", False):
            return frozenset()
        # ``user`` is any request user; an authenticated one is a User
        user = cast("User", self.user)
        return frozenset(Membership.objects.filter(user=user).values_list("organization_id", "role"))

    @property
    def is_insider(self) -> bool:
        """Holds a role somewhere (or is a superuser): may see data the public does not."""
        return self.is_superuser or bool(self.memberships)

    # --- scopes ---------------------------------------------------------------------------------

    @cached_property
    def _organizations(self) -> tuple[dict[int | None, list[int]], dict[str, int]]:
        """The organization tree (parent id → children ids) and ids by code: one query."""
        children: dict[int | None, list[int]] = {}
        ids: dict[str, int] = {}
        for pk, parent, code in Organization.objects.values_list("pk", "parent_id", "code"):
            children.setdefault(parent, []).append(pk)
            ids[code] = pk
        return children, ids

    def _with_descendants(self, roots: set[int]) -> frozenset[int]:
        children, _ids = self._organizations
        found, todo = set(), list(roots)
        while todo:
            org = todo.pop()
            if org not in found:  # a cycle in the parents would otherwise never end
                found.add(org)
                todo.extend(children.get(org, []))
        return frozenset(found)

    @cached_property
    def _scopes(self) -> dict[str, frozenset[int]]:
        held: dict[str, set[int]] = {role: set() for role in Role.values}
        for org, role in self.memberships:
            held[role].add(org)
        # An administrator holds every lesser role of its organizations too.
        return {role: self._with_descendants(orgs | held[Role.ADMINISTRATOR]) for role, orgs in held.items()}

    def organizations(self, role: str) -> frozenset[int]:
        """The ids of the organizations where this person acts in ``role``: those where it holds the role
        or administers, and their descendants. (Superusers act everywhere without being listed.)"""
        return self._scopes[role]

    @cached_property
    def _reading_scope(self) -> frozenset[int]:
        """The organizations whose unpublished maps this person reads: those of any of its roles."""
        return frozenset().union(*self._scopes.values()) if self.memberships else frozenset()

    @cached_property
    def _map_organizations(self) -> dict[int, int]:
        return dict(StrategyMap.objects.values_list("pk", "organization_id"))

    @cached_property
    def _work_maps(self) -> frozenset[int]:
        """The maps on which this person enters or reviews KPIs (they may lie outside its organizations)."""
        if not self.memberships:
            return frozenset()
        kpis = self.editable_kpis() | self.reviewable_kpis()
        return frozenset(kpis.values_list("objective__map_id", flat=True).distinct())

    def _organization_of(self, subject: Subject) -> int:
        if isinstance(subject, Organization):
            return subject.pk
        if isinstance(subject, StrategyMap):
            return subject.organization_id
        if isinstance(subject, str):
            try:
                return self._organizations[1][subject]
            except KeyError:
                return -1  # no such organization: nobody but a superuser acts on it
        map_id = self._map_of(subject)
        assert map_id is not None  # organizations and their codes were answered above
        organization = self._map_organizations.get(map_id)
        if organization is None:  # a map made since this access was built
            organization = StrategyMap.objects.filter(pk=map_id).values_list("organization_id", flat=True).first()
        return -1 if organization is None else organization

    @staticmethod
    def _map_of(subject: Subject) -> int | None:
        if isinstance(subject, StrategyMap):
            return subject.pk
        if isinstance(subject, KpiResult):
            subject = subject.kpi
        if isinstance(subject, Kpi):
            return subject.objective.map_id
        if isinstance(subject, (Organization, str)):
            return None
        raise TypeError(f"an Access question is about a map, an organization, a KPI or a result, not {subject!r}")

    # --- questions about one organization, map or KPI -------------------------------------------

    @_question
    def is_administrator(self, subject: Subject) -> bool:
        """Administers the organization of ``subject`` (a map, organization, code, KPI or result)."""
        self._map_of(subject)  # refuse what is not a subject, also for superusers
        return self.is_superuser or self._organization_of(subject) in self._scopes[Role.ADMINISTRATOR]

    @_question
    def reads_unpublished(self, subject: Subject) -> bool:
        """Reads the unpublished maps and the not yet published results of ``subject``'s organization or map."""
        map_id = self._map_of(subject)
        if self.is_superuser:
            return True
        if not self.memberships:
            return False
        return self._organization_of(subject) in self._reading_scope or map_id in self._work_maps

    @_question
    def publishes(self, subject: Subject) -> bool:
        """Publishes and reopens the results of ``subject``'s organization (its administrators)."""
        return self.is_administrator(subject)

    @_question
    def revises(self, subject: Subject) -> bool:
        """Rolls the maps of ``subject``'s organization over and revises them (its administrators)."""
        return self.is_administrator(subject)

    def cache_scope(self, subject: Subject) -> str:
        """What this person sees of the maps of ``subject``'s organization, as a text: equal texts, equal
        sight, so a file made for one may be given to the other. ``"public"`` for everyone who sees there
        only what the public sees (published maps, published results)."""
        organization = self._organization_of(subject)
        if self.is_superuser:
            return "everything"
        if not self.memberships:
            return "public"
        unpublished = sorted(
            pk
            for pk, org in self._map_organizations.items()
            if org == organization and (org in self._reading_scope or pk in self._work_maps)
        )
        return "unpublished maps " + ",".join(map(str, unpublished)) if unpublished else "public"

    def reads(self, smap: StrategyMap) -> bool:
        """May read this map: published, or one whose unpublished data this person reads."""
        return smap.published or self.reads_unpublished(smap)

    def require(self, *maps: StrategyMap | None) -> None:
        """Raise Http404 unless this person may read every one of ``maps`` (None is skipped)."""
        if not all(smap is None or self.reads(smap) for smap in maps):
            raise Http404

    def edits(self, kpi: Kpi) -> bool:
        """May enter this KPI's results and its plans' progress (``kpi.agencies`` are read)."""
        if self.is_superuser or self.is_administrator(kpi):
            return True
        mine = self._scopes[Role.EDITOR]
        return bool(mine) and any(a.pk in mine for a in kpi.agencies.all())

    def reviews(self, kpi: Kpi) -> bool:
        """May return or approve this KPI's results: the coordinator of its theme's group or of the group's lead."""
        if self.is_superuser or self.is_administrator(kpi):
            return True
        mine = self._scopes[Role.COORDINATOR]
        theme = kpi.objective.theme
        if not mine or theme is None or theme.group_id is None:
            return False
        if theme.group_id in mine:
            return True
        group = theme.group
        return group is not None and group.lead_id in mine

    # --- what this person may read, as querysets ------------------------------------------------

    def maps(self) -> QuerySet[StrategyMap]:
        """The map versions this person may read."""
        maps = StrategyMap.objects.all()
        if self.is_superuser:
            return maps
        readable = Q(published=True)
        if self.memberships:
            readable |= Q(organization__in=self._reading_scope) | Q(pk__in=self._work_maps)
        return maps.filter(readable)

    def results(self, results: QuerySet[KpiResult]) -> QuerySet[KpiResult]:
        """The results among ``results`` this person may see: the published results of the maps it reads,
        and every result of the maps whose unpublished data it reads."""
        if self.is_superuser:
            return results
        visible = Q(status=KpiResult.Status.PUBLISHED, kpi__objective__map__published=True)
        if self.memberships:
            visible |= Q(kpi__objective__map__organization__in=self._reading_scope)
            visible |= Q(kpi__objective__map__in=self._work_maps)
        return results.filter(visible)

    def editable_kpis(self) -> QuerySet[Kpi]:
        """The KPIs whose results this person enters."""
        if self.is_superuser:
            return Kpi.objects.all()
        return Kpi.objects.filter(
            Q(agencies__in=self._scopes[Role.EDITOR])
            | Q(objective__map__organization__in=self._scopes[Role.ADMINISTRATOR])
        ).distinct()

    def reviewable_kpis(self) -> QuerySet[Kpi]:
        """The KPIs whose results this person returns or approves."""
        if self.is_superuser:
            return Kpi.objects.all()
        mine = self._scopes[Role.COORDINATOR]
        return Kpi.objects.filter(
            Q(objective__theme__group__in=mine)
            | Q(objective__theme__group__lead__in=mine)
            | Q(objective__map__organization__in=self._scopes[Role.ADMINISTRATOR])
        ).distinct()

    def workbook_agencies(self, smap: StrategyMap) -> list[Organization]:
        """The agencies whose results workbook this person may download (and upload) for ``smap``:
        any for an administrator, the agencies they are an editor of otherwise; only agencies
        responsible for a KPI of the map."""
        agencies = Organization.objects.filter(kpis__objective__map=smap).distinct().order_by("code")
        if not self.is_administrator(smap):
            agencies = agencies.filter(pk__in=self.organizations(Role.EDITOR))
        return list(agencies)


#: The all-seeing access of commands (score, report, dump, the benchmarks). Never for a request.
SYSTEM = Access.everything()


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
    """The map versions ``user`` (or a request) may read."""
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
