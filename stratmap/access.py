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

What an answer costs is bounded by what it is about, never by the size of the database: the person's
organizations come in one query, down the tree from its memberships; a map's organization, and whether
the person enters or reviews KPIs on a map outside its organizations, are looked up for the maps asked
about, once a request; the querysets (:meth:`Access.maps`, :meth:`Access.results`,
:meth:`Access.on_readable_maps`) are conditions on the rows' own maps, whose subqueries (the maps of the
person's agencies' KPIs and of its themes) the database runs only for a row that no cheaper condition
admits (``tests/test_access_scale.py``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any, cast

from django.db import connections
from django.db.models import Exists, Field, OuterRef, Q, QuerySet
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
    def _held(self) -> tuple[tuple[int, str, str, bool], ...]:
        """(organization id, role, organization code, held there) for each organization where this person
        acts in a role it holds, descendants included: one query, as large as the person's scope (a
        recursive query down the organization tree from its memberships; never the whole tree)."""
        if self.all_seeing or not getattr(self.user, "is_authenticated", False):
            return ()
        # ``user`` is any request user; an authenticated one is a User
        user = cast("User", self.user)
        connection = connections[Membership.objects.db]
        q = connection.ops.quote_name

        def column(model: type[Membership | Organization], name: str) -> str:
            field = model._meta.get_field(name)
            assert isinstance(field, Field) and field.column
            return q(field.column)

        membership, organization = q(Membership._meta.db_table), q(Organization._meta.db_table)
        org_id, code, parent = (column(Organization, f) for f in ("id", "code", "parent"))
        held_role, member_org, user_id = (column(Membership, f) for f in ("role", "organization", "user"))
        # UNION (not UNION ALL) drops a row met again, so a cycle in the parents ends the recursion.
        sql = (
            f"WITH RECURSIVE scope (organization, role, code, held) AS ("
            f" SELECT o.{org_id}, m.{held_role}, o.{code}, 1 FROM {membership} m"
            f" JOIN {organization} o ON o.{org_id} = m.{member_org} WHERE m.{user_id} = %s"
            f" UNION SELECT o.{org_id}, s.role, o.{code}, 0"
            f" FROM {organization} o JOIN scope s ON o.{parent} = s.organization"
            f") SELECT organization, role, code, held FROM scope"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, [user.pk])
            return tuple((pk, role, code, bool(held)) for pk, role, code, held in cursor.fetchall())

    @property
    def scope(self) -> tuple[tuple[int, str, str, bool], ...]:
        """Everything this person's rights rest on, in order: (organization id, role, code, held there) of each
        organization where they act in a role, descendants included; equal scopes, equal rights (what a page
        kept for a person is kept under, web.pagecache)."""
        return tuple(sorted(self._held))

    @cached_property
    def memberships(self) -> frozenset[tuple[int, str]]:
        """(organization id, role) of each role this person holds."""
        return frozenset((pk, role) for pk, role, _code, held in self._held if held)

    @property
    def is_insider(self) -> bool:
        """Holds a role somewhere (or is a superuser): may see data the public does not."""
        return self.is_superuser or bool(self.memberships)

    # --- scopes ---------------------------------------------------------------------------------

    @cached_property
    def _scopes(self) -> dict[str, frozenset[int]]:
        below: dict[str, set[int]] = {role: set() for role in Role.values}
        for pk, role, _code, _held in self._held:
            below[role].add(pk)
        # An administrator holds every lesser role of its organizations too.
        return {role: frozenset(orgs | below[Role.ADMINISTRATOR]) for role, orgs in below.items()}

    def organizations(self, role: str) -> frozenset[int]:
        """The ids of the organizations where this person acts in ``role``: those where it holds the role
        or administers, and their descendants. (Superusers act everywhere without being listed.)"""
        return self._scopes[role]

    @cached_property
    def _reading_scope(self) -> frozenset[int]:
        """The organizations whose unpublished maps this person reads: those of any of its roles."""
        return frozenset().union(*self._scopes.values()) if self.memberships else frozenset()

    @cached_property
    def _codes(self) -> dict[str, int]:
        """The ids of the organizations of this person's scope, by code."""
        return {code: pk for pk, _role, code, _held in self._held}

    @cached_property
    def _owners(self) -> dict[int, int]:
        """The organization of each map asked about in this request, by map id (filled as maps are met)."""
        return {}

    @cached_property
    def _working(self) -> dict[int, bool]:
        """Whether this person enters or reviews a KPI of each map asked about, by map id (filled as asked)."""
        return {}

    def _work(self) -> Q:
        """KPIs whose results this person enters or reviews as an editor or a coordinator (an administrator's
        work is on its own organizations' maps, which it reads anyway): an empty Q when it has none. Asked
        of a map's KPIs, each KPI is looked up (its agencies through their (KPI, agency) index), so that
        the database starts from the map, not from every KPI of the person's agencies."""
        editor, coordinator = self._scopes[Role.EDITOR], self._scopes[Role.COORDINATOR]
        work = Q()
        if editor:
            work |= Q(Exists(Kpi.agencies.through.objects.filter(kpi=OuterRef("pk"), organization__in=editor)))
        if coordinator:
            work |= Q(objective__theme__group__in=coordinator) | Q(objective__theme__group__lead__in=coordinator)
        return work

    def _work_maps(self, field: str) -> Q:
        """Rows whose map (at ``field``) is one on which this person enters or reviews KPIs, wherever it is,
        as subqueries the database answers (at most once a query, and only for a row that no cheaper
        condition before it admits): an impossible Q when it has no such work."""
        editor, coordinator = self._scopes[Role.EDITOR], self._scopes[Role.COORDINATOR]
        # One arm per way of having work, each found through its own index: one condition OR-ed across
        # the joins would read every KPI of the database.
        arms: list[QuerySet[Kpi, Any]] = []
        if editor:
            arms.append(Kpi.objects.filter(agencies__in=editor).values("objective__map_id"))
        if coordinator:
            arms.append(Kpi.objects.filter(objective__theme__group__in=coordinator).values("objective__map_id"))
            arms.append(Kpi.objects.filter(objective__theme__group__lead__in=coordinator).values("objective__map_id"))
        if not arms:
            return Q(pk__in=[])
        found = Q()
        for arm in arms:
            found |= Q(**{f"{field}__in": arm.order_by()})
        return found

    def _works_on(self, maps: Iterable[int]) -> set[int]:
        """Which of ``maps`` this person enters or reviews KPIs on (they may lie outside its organizations):
        the maps not yet asked about in one query over their own KPIs, then from the cache."""
        known, asked = self._working, set(maps)
        unknown = asked - known.keys()
        if unknown:
            work = self._work()
            found = (
                set(
                    Kpi.objects.filter(work, objective__map__in=unknown)
                    .values_list("objective__map_id", flat=True)
                    .distinct()
                    .order_by()
                )
                if work
                else set()
            )
            known.update({pk: pk in found for pk in unknown})
        return {pk for pk in asked if known[pk]}

    def _organization_of(self, subject: Subject, *, anywhere: bool = False) -> int:
        """The id of ``subject``'s organization; -1 for none. A code is looked up among this person's
        organizations only (all that its questions compare with) unless ``anywhere``."""
        if isinstance(subject, Organization):
            return subject.pk
        if isinstance(subject, StrategyMap):
            self._owners[subject.pk] = subject.organization_id
            return subject.organization_id
        if isinstance(subject, str):
            found = self._codes.get(subject)
            if found is None and anywhere:
                found = Organization.objects.filter(code=subject).values_list("pk", flat=True).first()
            return -1 if found is None else found  # no such organization: nobody but a superuser acts on it
        if isinstance(subject, KpiResult):
            subject = subject.kpi
        objective = subject.objective
        map_id = objective.map_id
        if type(objective).map.is_cached(objective):  # the map came with the KPI
            self._owners[map_id] = objective.map.organization_id
        if map_id not in self._owners:
            owner = StrategyMap.objects.filter(pk=map_id).values_list("organization_id", flat=True).first()
            self._owners[map_id] = -1 if owner is None else owner
        return self._owners[map_id]

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
        if self.is_superuser:
            return True
        mine = self._scopes[Role.ADMINISTRATOR]
        return bool(mine) and self._organization_of(subject) in mine

    @_question
    def reads_unpublished(self, subject: Subject) -> bool:
        """Reads the unpublished maps and the not yet published results of ``subject``'s organization or map."""
        map_id = self._map_of(subject)
        if self.is_superuser:
            return True
        if not self.memberships:
            return False
        if self._organization_of(subject) in self._reading_scope:
            return True
        return map_id is not None and map_id in self._works_on([map_id])

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
        self._map_of(subject)  # refuse what is not a subject
        if self.is_superuser:
            return "everything"
        if not self.memberships:
            return "public"
        organization = self._organization_of(subject, anywhere=True)
        # The organization's maps only: all of them where this person reads unpublished data, else those
        # on which it enters or reviews KPIs (one query over that organization's KPIs).
        found: QuerySet[Any, int]
        if organization in self._reading_scope:
            found = StrategyMap.objects.filter(organization=organization).values_list("pk", flat=True)
        else:
            work = self._work()
            found = (
                Kpi.objects.filter(work, objective__map__organization=organization)
                .values_list("objective__map_id", flat=True)
                .distinct()
                if work
                else Kpi.objects.none().values_list("objective__map_id", flat=True)
            )
        unpublished = sorted(found.order_by())
        return "unpublished maps " + ",".join(map(str, unpublished)) if unpublished else "public"

    def reads(self, smap: StrategyMap) -> bool:
        """May read this map: published, or one whose unpublished data this person reads."""
        return smap.published or self.reads_unpublished(smap)

    def require(self, *maps: StrategyMap | None) -> None:
        """Raise Http404 unless this person may read every one of ``maps`` (None is skipped)."""
        asked = [smap for smap in maps if smap is not None]
        if self.memberships and not self.is_superuser:  # those read for work on them: in one query
            self._works_on(
                smap.pk for smap in asked if not smap.published and smap.organization_id not in self._reading_scope
            )
        if not all(self.reads(smap) for smap in asked):
            raise Http404

    def reads_unpublished_of(self, maps: Iterable[StrategyMap]) -> set[int]:
        """The ids of those of ``maps`` whose unpublished data this person reads (:meth:`reads_unpublished`),
        in one query for all of them; on the others it sees what the public sees."""
        asked = list(maps)
        if self.is_superuser:
            return {smap.pk for smap in asked}
        if not self.memberships:
            return set()
        own = {smap.pk for smap in asked if smap.organization_id in self._reading_scope}
        return own | self._works_on(smap.pk for smap in asked if smap.pk not in own)

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
        return StrategyMap.objects.filter(self.on_readable_maps())

    def on_readable_maps(self, field: str = "") -> Q:
        """The rows whose map this person may read, as a condition on the map the rows reach through
        ``field`` (``"objective__map"`` for KPIs, ``"map"`` for a map's parts; the map itself when empty).

        Filter with it rather than with ``objective__map__in=access.maps()``: the condition is checked on
        the rows the query reads anyway, while a subquery of readable maps reads every map there is."""
        if self.is_superuser:
            return Q()
        at = f"{field}__" if field else ""
        readable = Q(**{f"{at}published": True})
        if self.memberships:
            readable |= Q(**{f"{at}organization__in": self._reading_scope}) | self._work_maps(field or "pk")
        return readable

    def own_maps(self) -> QuerySet[StrategyMap]:
        """The maps where this person has work: those of the organizations of its roles (and their
        descendants), and those on which it enters or reviews KPIs. None without a role: a superuser's
        own maps are those of its memberships' organizations, not every map it may act on."""
        if not self.memberships:
            return StrategyMap.objects.none()
        mine = Q(organization__in=self._reading_scope)
        if not self.is_superuser:
            mine |= self._work_maps("pk")
        return StrategyMap.objects.filter(mine)

    def results(self, results: QuerySet[KpiResult]) -> QuerySet[KpiResult]:
        """The results among ``results`` this person may see: the published results of the maps it reads,
        and every result of the maps whose unpublished data it reads."""
        if self.is_superuser:
            return results
        visible = Q(status=KpiResult.Status.PUBLISHED, kpi__objective__map__published=True)
        if self.memberships:
            visible |= Q(kpi__objective__map__organization__in=self._reading_scope)
            visible |= self._work_maps("kpi__objective__map")
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


def get_map_for_user(user, organization: str, year: int, *, edition: int | None = None) -> StrategyMap:
    """The map in force of ``organization`` for ``year`` (AD), or 404 without saying whether it exists. With
    ``edition`` (a map's id), that edition of the year instead, for the people who revise it only (the editors
    work on a draft edition so): anyone else, or an edition of another year, is answered as not existing."""
    found = visible_maps(user).select_related("organization", "organization__parent", "scoring_policy")
    try:
        if edition is not None:
            smap = found.get(pk=edition, organization__code=organization, year=year)
            if not access_for(user).revises(smap):
                raise Http404
            return smap
        return found.get(organization__code=organization, year=year, in_force=True)
    except StrategyMap.DoesNotExist:
        raise Http404 from None
