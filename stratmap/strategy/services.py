"""Writes to a map's own structure: its texts, perspectives, themes, objectives and cause-and-effect links,
as the map editor makes them (issue 15); and the map's version, which every one of them checks.

Each write is an administrator's of the map's organization (:meth:`stratmap.access.Access.revises`), is
checked against the map's ``version`` the editor's page showed (:func:`map_at_version`: a page opened before
someone else's change is refused with what changed, :class:`StaleMap`), ``full_clean``\\s what it saves, bumps
the version and records an audit event of the map with the old and new values and the reason given. Errors
are a ``ValidationError`` keyed by the form field to correct; nothing is written with one.

The revisions app's writes (:mod:`stratmap.revisions.services`: revising a map with reasons, rolling it
over) share the version and these helpers.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from stratmap.access import Access
from stratmap.core.audit import Stale, changes_since, record
from stratmap.core.models import Organization
from stratmap.core.names import set_translations
from stratmap.core.validators import TextError, check_code
from stratmap.strategy.models import (
    Objective,
    ObjectiveLink,
    Perspective,
    PolicyThrust,
    Revision,
    StrategyMap,
    Theme,
    TowsEntry,
)

#: The audit action of the editor's writes.
EDIT = "edit"


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


def valid_code(code: str, field: str) -> str:
    """``code`` stripped if it may name an item (it is in every address of it), else a ValidationError on ``field``."""
    code = code.strip()
    try:
        return check_code(code, max_length=40)
    except TextError:
        raise ValidationError(
            {
                field: _(
                    "%(code)s is not a valid code: use letters, digits and . _ - (starting with a letter "
                    "or digit), without spaces or slashes."
                )
                % {"code": code}
            }
        ) from None


def save_checked(item: models.Model, fields: dict[str, str]) -> None:
    """``full_clean``, then save; the model's errors are put on the form fields named in ``fields`` (a model
    field not named there: on the form as a whole)."""
    try:
        item.full_clean()
    except ValidationError as error:
        keyed: dict[str, list[str]] = {}
        for name, problems in error.message_dict.items():
            keyed.setdefault(fields.get(name, "__all__"), []).extend(problems)
        raise ValidationError(keyed) from None
    item.save()


def map_for_edit(*, access: Access, smap: StrategyMap, version: int) -> StrategyMap:
    """``smap`` locked for an edit of what it holds (its structure, KPIs, plans), if ``access`` administers its
    organization (else PermissionDenied) and it is still at ``version`` (else :class:`StaleMap`)."""
    if not access.revises(smap):
        raise PermissionDenied
    return map_at_version(smap=smap, version=version)


def map_edited(
    *,
    access: Access,
    smap: StrategyMap,
    current: StrategyMap,
    changes: Mapping[str, tuple[object, object]],
    reason: str = "",
) -> None:
    """After an edit of what ``current`` (the map :func:`map_for_edit` gave) holds: its version up by one (also
    on ``smap``, the caller's copy) and the audit event of the change, of the map, so that a page opened before
    it is refused with it among the changes made since."""
    current.version += 1
    current.save(update_fields=["version"])
    smap.version = current.version
    record(user=access.user, obj=current, action=EDIT, changes=changes, reason=reason)


# --- a new map ----------------------------------------------------------------------------------------


@transaction.atomic
def map_create(
    *, access: Access, organization: Organization, year: int, title: str = "", version_label: str = "", reason: str = ""
) -> StrategyMap:
    """An empty map of ``organization`` for ``year``, for its administrators to build in the editor: not
    published (the public sees it once it is), and in force when the year has no map in force yet."""
    if not access.revises(organization):
        raise PermissionDenied
    label = version_label.strip()
    if StrategyMap.objects.filter(organization=organization, year=year, version_label=label).exists():
        raise ValidationError({"year": _("%(org)s already has a map of this year; edit it instead.") % {
            "org": organization}})  # fmt: skip
    in_force = not StrategyMap.objects.filter(organization=organization, year=year, in_force=True).exists()
    smap = StrategyMap(
        organization=organization,
        year=year,
        version_label=label,
        title=title.strip(),
        in_force=in_force,
        published=False,
    )
    save_checked(smap, {"year": "year", "title": "title", "version_label": "version_label"})
    record(user=access.user, obj=smap, action="create", changes={"map": ("", str(smap))}, reason=reason)
    return smap


# --- the map's own texts --------------------------------------------------------------------------------


@transaction.atomic
def map_texts_update(
    *,
    access: Access,
    smap: StrategyMap,
    version: int,
    title: str,
    mission: str,
    vision: str,
    values: Sequence[str],
    reason: str = "",
) -> StrategyMap:
    """The map's title, mission, vision and core values (a list, each a line of the form)."""
    current = map_for_edit(access=access, smap=smap, version=version)
    new = {
        "title": title.strip(),
        "mission": mission.strip(),
        "vision": vision.strip(),
        "values": [v.strip() for v in values if v.strip()],
    }
    changes = {name: (getattr(current, name), value) for name, value in new.items() if getattr(current, name) != value}
    if not changes:
        return current
    for name, value in new.items():
        setattr(current, name, value)
    save_checked(current, {name: name for name in new})
    map_edited(access=access, smap=smap, current=current, changes=changes, reason=reason)
    return current


# --- perspectives and themes: the map's rows and columns ------------------------------------------------

#: A perspective (a row of the map) or a theme (a column): edited alike.
Band = Perspective | Theme


def _band_in(smap: StrategyMap, model: type[Perspective] | type[Theme], code: str) -> Band | None:
    return model.objects.filter(map=smap, code=code).first()


def city_map_of(smap: StrategyMap) -> StrategyMap | None:
    """The map in force of the organization above ``smap``'s, of its year: the city's strategy a bureau's map
    takes over (None for an organization at the top, or a year the city has no map of)."""
    parent = smap.organization.parent_id
    if parent is None:
        return None
    return StrategyMap.objects.filter(organization_id=parent, year=smap.year, in_force=True).first()


def city_codes(smap: StrategyMap) -> dict[str, str]:
    """The codes a theme of ``smap`` may take over, the city map's themes' and objectives', with their names."""
    city = city_map_of(smap)
    if city is None:
        return {}
    return {
        **{t.code: t.name for t in city.themes.order_by("order")},
        **{o.code: o.name for o in city.objectives.order_by("order")},
    }


@transaction.atomic
def band_save(
    *,
    access: Access,
    smap: StrategyMap,
    version: int,
    model: type[Perspective] | type[Theme],
    band: Band | None = None,
    code: str,
    name: str,
    translations: dict[str, str] | None = None,
    takes_over: str | None = None,
    reason: str = "",
) -> Band:
    """Add a perspective or a theme (``model``) at the end of its list, or change ``band``'s code and name (and
    the name's ``translations``, by language). A bureau's theme ``takes_over`` a theme or objective of the
    city's map of the year (its code, "" none; None leaves it as it is), as 「對應府級DP1」 says in the document."""
    current = map_for_edit(access=access, smap=smap, version=version)
    code, name = valid_code(code, "code"), name.strip()
    other = _band_in(current, model, code)
    if other is not None and (band is None or other.pk != band.pk):
        raise ValidationError({"code": _("The code %(code)s is already used in this map by %(item)s.") % {
            "code": code, "item": other}})  # fmt: skip
    label = str(model._meta.verbose_name)
    if band is None:
        order = (model.objects.filter(map=current).aggregate(m=Max("order"))["m"] or 0) + 1
        band = model(map=current, code=code, name=name, order=order)
        changes: dict[str, tuple[object, object]] = {f"{label} {code}": ("", name)}
    else:
        if band.map_id != current.pk:
            raise PermissionDenied
        changes = {}
        if band.code != code:
            changes[f"{label} {band.code} code"] = (band.code, code)
        if band.name != name:
            changes[f"{label} {code} name"] = (band.name, name)
        band.code, band.name = code, name
    if takes_over is not None and isinstance(band, Theme) and takes_over.strip() != band.takes_over:
        wanted = takes_over.strip()
        if wanted and wanted not in city_codes(current):
            raise ValidationError({"takes_over": _("The city's map of this year has no theme or objective %(code)s.")
                                   % {"code": wanted}})  # fmt: skip
        changes[f"{label} {code} takes_over"] = (band.takes_over, wanted)
        band.takes_over = wanted
    for key, change in set_translations(band, "name", translations or {}).items():
        changes[f"{label} {code} {key}"] = change
    if changes:
        save_checked(band, {"code": "code", "name": "name"})
        map_edited(access=access, smap=smap, current=current, changes=changes, reason=reason)
    return band


@transaction.atomic
def band_move(*, access: Access, smap: StrategyMap, version: int, band: Band, step: int, reason: str = "") -> None:
    """Move a perspective (down the map) or a theme (across it) one place: ``step`` -1 or 1."""
    current = map_for_edit(access=access, smap=smap, version=version)
    model = type(band)
    ordered: list[Band] = list(model.objects.filter(map=current).order_by("order", "pk"))
    at = next((i for i, b in enumerate(ordered) if b.pk == band.pk), None)
    if at is None:
        raise PermissionDenied
    to = at + (1 if step > 0 else -1)
    if not 0 <= to < len(ordered):
        return
    ordered[at], ordered[to] = ordered[to], ordered[at]
    for order, item in enumerate(ordered, start=1):
        if item.order != order:
            item.order = order
            item.save(update_fields=["order"])
    label = str(model._meta.verbose_name)
    map_edited(
        access=access,
        smap=smap,
        current=current,
        changes={f"{label} {band.code} place": (at + 1, to + 1)},
        reason=reason,
    )


@transaction.atomic
def band_delete(*, access: Access, smap: StrategyMap, version: int, band: Band, reason: str = "") -> None:
    """Remove an empty perspective or theme; one holding objectives is refused (they would go with it)."""
    current = map_for_edit(access=access, smap=smap, version=version)
    if band.map_id != current.pk:
        raise PermissionDenied
    held = band.objectives.count()
    if held:
        raise ValidationError(
            _("%(item)s holds %(n)d objectives: move or delete them first.") % {"item": band, "n": held}
        )
    label = str(type(band)._meta.verbose_name)
    changes = {f"{label} {band.code}": (band.name, "—")}
    band.delete()
    map_edited(access=access, smap=smap, current=current, changes=changes, reason=reason)


# --- objectives ---------------------------------------------------------------------------------------

#: The fields of an objective the editor writes, and the form field of each.
OBJECTIVE_FIELDS = {
    "code": "code",
    "name": "name",
    "theme": "theme",
    "perspective": "perspective",
    "ksf": "ksf",
    "goal": "goal",
    "key_works": "key_works",
    "note": "note",
}


@transaction.atomic
def objective_save(
    *,
    access: Access,
    smap: StrategyMap,
    version: int,
    objective: Objective | None = None,
    code: str,
    name: str,
    theme: str = "",
    perspective: str = "",
    ksf: str = "",
    goal: str = "",
    key_works: Sequence[str] = (),
    note: str = "",
    translations: dict[str, str] | None = None,
    reason: str = "",
) -> Objective:
    """Add an objective in a theme × perspective cell (each given by its code; none: across the themes, or
    outside the perspectives), or change one: move it to another cell, rename it, its KSF, goal, key works."""
    current = map_for_edit(access=access, smap=smap, version=version)
    code = valid_code(code, "code")
    other = Objective.objects.filter(map=current, code=code).first()
    if other is not None and (objective is None or other.pk != objective.pk):
        raise ValidationError({"code": _("The code %(code)s is already used in this map by %(item)s.") % {
            "code": code, "item": f"{other.code} {other.name}"}})  # fmt: skip
    the_theme = _band_in(current, Theme, theme.strip()) if theme.strip() else None
    if theme.strip() and the_theme is None:
        raise ValidationError({"theme": _("This map has no theme with the code %(code)s.") % {"code": theme}})
    the_perspective = _band_in(current, Perspective, perspective.strip()) if perspective.strip() else None
    if the_perspective is None and (perspective.strip() or current.perspectives.exists()):
        raise ValidationError(
            {
                "perspective": _("This map has no perspective with the code %(code)s.") % {"code": perspective}
                if perspective.strip()
                else _("Choose the objective's perspective.")
            }
        )
    new = {
        "code": code,
        "name": name.strip(),
        "theme": the_theme,
        "perspective": the_perspective,
        "ksf": ksf.strip(),
        "goal": goal.strip(),
        "key_works": [w.strip() for w in key_works if w.strip()],
        "note": note.strip(),
    }
    if objective is None:
        order = (current.objectives.aggregate(m=Max("order"))["m"] or 0) + 1
        objective = Objective(map=current, order=order, **new)
        changes: dict[str, tuple[object, object]] = {f"objective {code}": ("", new["name"])}
        was = None
    else:
        if objective.map_id != current.pk:
            raise PermissionDenied
        was = (objective.code, objective.name)
        changes = {
            f"objective {objective.code} {field}": (_shown(getattr(objective, field)), _shown(value))
            for field, value in new.items()
            if getattr(objective, field) != value
        }
        for field, value in new.items():
            setattr(objective, field, value)
    for key, change in set_translations(objective, "name", translations or {}).items():
        changes[f"objective {code} {key}"] = change
    if changes:
        save_checked(objective, OBJECTIVE_FIELDS)
        revision_of_edit(current=current, level=Revision.Level.OBJECTIVE, objective_code=code, old=was,
                         new=(code, objective.name), reason=reason)  # fmt: skip
        map_edited(access=access, smap=smap, current=current, changes=changes, reason=reason)
    return objective


def _shown(value: object) -> object:
    """A value as the audit trail keeps it: a theme or perspective by its code."""
    return value.code if isinstance(value, Theme | Perspective) else value


@transaction.atomic
def objective_delete(
    *, access: Access, smap: StrategyMap, version: int, objective: Objective, reason: str = ""
) -> None:
    """Remove an objective and its links; one with KPIs is refused (their results would go with it)."""
    current = map_for_edit(access=access, smap=smap, version=version)
    if objective.map_id != current.pk:
        raise PermissionDenied
    kpis = objective.kpis.count()
    if kpis:
        raise ValidationError(
            _("%(code)s has %(n)d KPIs, with their targets and results: move or delete them first.")
            % {"code": objective.code, "n": kpis}
        )
    revision_of_edit(current=current, level=Revision.Level.OBJECTIVE, objective_code=objective.code,
                     old=(objective.code, objective.name), new=None, reason=reason)  # fmt: skip
    changes = {f"objective {objective.code}": (objective.name, "—")}
    changes |= {
        f"link {link}": (str(link), "—")
        for link in ObjectiveLink.objects.filter(map=current)
        .filter(models.Q(source=objective) | models.Q(target=objective))
        .select_related("source", "target")
    }
    objective.delete()
    map_edited(access=access, smap=smap, current=current, changes=changes, reason=reason)


# --- cause-and-effect links ---------------------------------------------------------------------------


def _objective(smap: StrategyMap, code: str, field: str) -> Objective:
    found = Objective.objects.filter(map=smap, code=code.strip()).first()
    if found is None:
        raise ValidationError({field: _("This map has no objective with the code %(code)s.") % {"code": code}})
    return found


@transaction.atomic
def link_add(
    *, access: Access, smap: StrategyMap, version: int, source: str, target: str, note: str = "", reason: str = ""
) -> ObjectiveLink:
    """A cause-and-effect arrow from the objective ``source`` to ``target`` (codes). A link of an objective to
    itself or one the map has already is refused; a cycle is allowed (strategy maps have them) and the
    consistency report names it."""
    current = map_for_edit(access=access, smap=smap, version=version)
    cause, effect = _objective(current, source, "source"), _objective(current, target, "target")
    if cause.pk == effect.pk:
        raise ValidationError({"target": _("An objective cannot be its own cause: choose another target.")})
    if ObjectiveLink.objects.filter(source=cause, target=effect).exists():
        raise ValidationError(
            {"target": _("The map already has the link %(link)s.") % {"link": f"{cause.code} → {effect.code}"}}
        )
    link = ObjectiveLink(map=current, source=cause, target=effect, note=note.strip())
    save_checked(link, {"note": "note"})
    map_edited(
        access=access,
        smap=smap,
        current=current,
        changes={f"link {cause.code} → {effect.code}": ("", note.strip() or "→")},
        reason=reason,
    )
    return link


@transaction.atomic
def link_remove(*, access: Access, smap: StrategyMap, version: int, source: str, target: str, reason: str = "") -> None:
    """Remove the arrow from ``source`` to ``target`` (codes)."""
    current = map_for_edit(access=access, smap=smap, version=version)
    link = (
        ObjectiveLink.objects.filter(map=current, source__code=source.strip(), target__code=target.strip())
        .select_related("source", "target")
        .first()
    )
    if link is None:
        raise ValidationError(
            {"target": _("The map has no link %(link)s.") % {"link": f"{source.strip()} → {target.strip()}"}}
        )
    changes = {f"link {link}": (str(link), "—")}
    link.delete()
    map_edited(access=access, smap=smap, current=current, changes=changes, reason=reason)


# --- TOWS and policy thrusts (STEP 1 and 2 of building a map) ---------------------------------------------

#: The TOWS kinds that are strategies, which become objectives of the map.
STRATEGY_KINDS = ("so", "wo", "st", "wt")


@transaction.atomic
def tows_entry_save(
    *,
    access: Access,
    smap: StrategyMap,
    version: int,
    entry: TowsEntry | None = None,
    kind: str,
    code: str = "",
    text: str,
    heading: str = "",
    objectives: Sequence[str] = (),
    reason: str = "",
) -> TowsEntry:
    """Add an item of the TOWS analysis (a strength … a threat, or an SO, WO, ST or WT strategy) at the end of its
    quadrant, or change one; a strategy's ``objectives`` (codes of the map's) are what it becomes on the map. The
    quadrant's ``heading`` (【掌握機會，發揮優勢】) is written on each of its strategies, as the dataset keeps it."""
    current = map_for_edit(access=access, smap=smap, version=version)
    if kind not in TowsEntry.Kind.values:
        raise ValidationError({"kind": _("Choose a quadrant of the TOWS analysis.")})
    chosen = [
        _objective(current, code_, "objectives") for code_ in dict.fromkeys(c.strip() for c in objectives if c.strip())
    ]
    if chosen and kind not in STRATEGY_KINDS:
        raise ValidationError({"objectives": _("Only a strategy (SO, WO, ST, WT) becomes objectives of the map.")})
    new = {"kind": kind, "code": code.strip(), "text": text.strip(), "heading": heading.strip()}
    label = f"TOWS {kind.upper()}"
    if entry is None:
        order = (current.tows_entries.filter(kind=kind).aggregate(m=Max("order"))["m"] or 0) + 1
        entry = TowsEntry(map=current, order=order, **new)
        changes: dict[str, tuple[object, object]] = {f"{label} {new['code'] or order}": ("", new["text"])}
        before: list[str] = []
    else:
        if entry.map_id != current.pk:
            raise PermissionDenied
        name = f"{label} {entry.code or entry.order}"
        changes = {f"{name} {field}": (getattr(entry, field), value) for field, value in new.items()
                   if getattr(entry, field) != value}  # fmt: skip
        before = [o.code for o in entry.objectives.order_by("order")]
        for field, value in new.items():
            setattr(entry, field, value)
    after = [o.code for o in chosen]
    if sorted(before) != sorted(after):
        changes[f"{label} {entry.code or entry.order} objectives"] = (", ".join(before), ", ".join(after))
    if changes:
        save_checked(entry, {"text": "text", "code": "code", "heading": "heading", "kind": "kind"})
        entry.objectives.set(chosen)
        if kind in STRATEGY_KINDS:  # the heading is the quadrant's: its other strategies carry it too
            current.tows_entries.filter(kind=kind).exclude(heading=entry.heading).update(heading=entry.heading)
        if not current.has_tows:
            current.has_tows = True
            current.save(update_fields=["has_tows"])
        map_edited(access=access, smap=smap, current=current, changes=changes, reason=reason)
    return entry


@transaction.atomic
def tows_entry_delete(*, access: Access, smap: StrategyMap, version: int, entry: TowsEntry, reason: str = "") -> None:
    current = map_for_edit(access=access, smap=smap, version=version)
    if entry.map_id != current.pk:
        raise PermissionDenied
    changes = {f"TOWS {entry.kind.upper()} {entry.code or entry.order}": (entry.text, "—")}
    entry.delete()
    map_edited(access=access, smap=smap, current=current, changes=changes, reason=reason)


@transaction.atomic
def thrust_save(
    *,
    access: Access,
    smap: StrategyMap,
    version: int,
    thrust: PolicyThrust | None = None,
    code: str = "",
    name: str,
    strategies: Sequence[str] = (),
    reason: str = "",
) -> PolicyThrust:
    """Add a policy thrust (政策主軸) with its strategies (推動策略, a list), or change one."""
    current = map_for_edit(access=access, smap=smap, version=version)
    new = {"code": code.strip(), "name": name.strip(), "strategies": [s.strip() for s in strategies if s.strip()]}
    if thrust is None:
        order = (current.thrusts.aggregate(m=Max("order"))["m"] or 0) + 1
        thrust = PolicyThrust(map=current, order=order, **new)
        changes: dict[str, tuple[object, object]] = {f"policy thrust {new['code'] or order}": ("", new["name"])}
    else:
        if thrust.map_id != current.pk:
            raise PermissionDenied
        changes = {f"policy thrust {thrust.code or thrust.order} {field}": (getattr(thrust, field), value)
                   for field, value in new.items() if getattr(thrust, field) != value}  # fmt: skip
        for field, value in new.items():
            setattr(thrust, field, value)
    if changes:
        save_checked(thrust, {"code": "code", "name": "name", "strategies": "strategies"})
        map_edited(access=access, smap=smap, current=current, changes=changes, reason=reason)
    return thrust


@transaction.atomic
def thrust_delete(*, access: Access, smap: StrategyMap, version: int, thrust: PolicyThrust, reason: str = "") -> None:
    current = map_for_edit(access=access, smap=smap, version=version)
    if thrust.map_id != current.pk:
        raise PermissionDenied
    changes = {f"policy thrust {thrust.code or thrust.order}": (thrust.name, "—")}
    thrust.delete()
    map_edited(access=access, smap=smap, current=current, changes=changes, reason=reason)


@transaction.atomic
def map_publish(*, access: Access, smap: StrategyMap, version: int, reason: str = "") -> StrategyMap:
    """Publish the map: the public sees it from now on (an administrator's; checked against ``version``, so a map
    changed since the page that publishes it was opened is not published unseen)."""
    current = map_for_edit(access=access, smap=smap, version=version)
    if not current.in_force:  # a draft edition is published in place of the one in force, by the revisions app
        raise ValidationError(_("This is a draft edition: publish it in place of the edition in force."))
    if current.published:
        return current
    current.published = True
    current.save(update_fields=["published"])
    map_edited(access=access, smap=smap, current=current, changes={"published": (False, True)}, reason=reason)
    smap.published = True
    return current


# --- a map's changes against its previous year's: revisions (滾動修正) --------------------------------------


def revises_a_year(current: StrategyMap) -> bool:
    """Whether ``current`` revises an earlier map of its organization (the year it is compared with has one):
    then its structural changes are its revisions, each with its reason."""
    return StrategyMap.objects.filter(organization_id=current.organization_id, year=current.compared_year).exists()


def revision_of_edit(
    *,
    current: StrategyMap,
    level: str,
    objective_code: str,
    old: tuple[str, str] | None,
    new: tuple[str, str] | None,
    reason: str,
) -> Revision | None:
    """The revision an editor's change of an objective, KPI or action plan makes, when the map revises a previous
    year's (:func:`revises_a_year`): added (``old`` None), deleted (``new`` None), its code changed, or renamed;
    ``old`` and ``new`` are its (code, name) before and after. It feeds the revisions page and its count table
    as the revise page's do. Such a change needs its reason (a ValidationError on ``reason``, nothing written);
    another change (a KSF, a unit) is not a revision, and a map of a first year has none."""
    if old == new or not revises_a_year(current):
        return None
    if not reason.strip():
        raise ValidationError(
            {"reason": _("This map revises last year's: adding, deleting, renaming or renumbering needs its reason.")}
        )
    if old is None:
        assert new is not None
        action, code, old_name, new_name = Revision.Action.ADD, new[0], "", new[1]
    elif new is None:
        action, code, old_name, new_name = Revision.Action.DELETE, old[0], old[1], ""
    elif old[0] != new[0]:
        action, code, old_name, new_name = Revision.Action.CHANGE, f"{old[0]} → {new[0]}", old[1], new[1]
    else:
        action, code, old_name, new_name = Revision.Action.RENAME, new[0], old[1], new[1]
    found = {"level": level, "action": action, "objective_code": objective_code, "code": code}
    return revision_add(current=current, **found, old_name=old_name, new_name=new_name, reason=reason.strip())


def revision_add(
    *,
    current: StrategyMap,
    level: str,
    action: str,
    objective_code: str,
    code: str,
    old_name: str,
    new_name: str,
    reason: str,
    code_field: str = "code",
) -> Revision:
    """A revision row of ``current`` (the map locked by :func:`map_for_edit` or :func:`map_at_version`), last in its
    list, and the year it is compared with set if it had none; errors on the form fields ``code_field`` and
    ``reason``. The caller bumps the map's version and records the map's audit event."""
    revision = Revision(
        map=current,
        order=current.revisions.count(),
        level=level,
        action=action,
        objective_code=objective_code,
        code=code,
        old_name=old_name,
        new_name=new_name,
        reason=reason,
    )
    save_checked(revision, {"code": code_field, "reason": "reason"})
    if current.revisions_compared_to is None:
        current.revisions_compared_to = current.compared_year
        current.save(update_fields=["revisions_compared_to"])
    return revision
