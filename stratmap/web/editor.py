"""The map editor (issue 15 item 1): a map's texts, perspectives, themes, objectives and cause-and-effect
links, edited in the browser by the administrators of its organization; and a new, empty map to build.

Thin views over :mod:`stratmap.strategy.services`: a form's errors come back at its fields (400), a page
opened before someone else's edit is refused with what changed (409, ``web/_conflict.html``), anyone but
the map's administrators gets the 404 that names nothing. Plain forms, operable by keyboard; on the map's
drawing a click on an objective picks the link's cause, then its effect (``static/web/editor.js``), which
the two lists do as well.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count
from django.forms import Form
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from stratmap.access import Access, access_for, get_map_for_user
from stratmap.core.models import Organization
from stratmap.core.names import Shown, shown, translations_of
from stratmap.core.years import YearError, to_ad_year
from stratmap.revisions.selectors import map_diff
from stratmap.revisions.services import edition_publish, edition_start
from stratmap.strategy import diagram
from stratmap.strategy.models import Objective, Perspective, PolicyThrust, StrategyMap, Theme, TowsEntry
from stratmap.strategy.selectors import MapStructure
from stratmap.strategy.services import (
    STRATEGY_KINDS,
    StaleMap,
    band_delete,
    band_move,
    band_save,
    city_codes,
    city_map_of,
    link_add,
    link_remove,
    map_create,
    map_publish,
    map_texts_update,
    objective_delete,
    objective_save,
    revises_a_year,
    thrust_delete,
    thrust_save,
    tows_entry_delete,
    tows_entry_save,
)
from stratmap.web.editor_forms import (
    BandActionForm,
    BandForm,
    Choices,
    DeleteForm,
    EditionForm,
    EditorForm,
    LinkForm,
    LinkRemoveForm,
    MapTextsForm,
    NewMapForm,
    ObjectiveForm,
    ThrustForm,
    TowsEntryForm,
    lines,
    other_languages,
)
from stratmap.web.rows import shown_html
from stratmap.web.views import map_context, map_drawn

BANDS: dict[str, type[Perspective] | type[Theme]] = {"perspective": Perspective, "theme": Theme}
#: The reason's help on a map that revises last year's, where adding, deleting, renaming or renumbering is a revision.
REVISION_HINT = gettext_lazy(
    "Needed to add, delete, rename or renumber: this map revises last year's, and such a change is one of its "
    "revisions, shown on the revisions page with this reason."
)


def _integer(value: object) -> int | None:
    try:
        return int(str(value))
    except ValueError:
        return None


def _in_force(smap: StrategyMap) -> StrategyMap | None:
    """The edition in force of ``smap``'s year (``smap`` itself, or the one a draft would replace)."""
    return StrategyMap.objects.filter(organization_id=smap.organization_id, year=smap.year, in_force=True).first()


def _edition_key(org: str, year: int) -> str:
    return f"stratmap-edition-{org}-{int(year)}"


def edited_map(request: HttpRequest, org: str, year: int) -> StrategyMap:
    """The map the editors work on: the draft edition of the year this person chose to work on (kept in their
    session, so that every editor's page and form works on it unchanged), else the map in force. A draft
    published or removed meanwhile is forgotten."""
    chosen = request.session.get(_edition_key(org, year))
    if isinstance(chosen, int):
        try:
            draft = get_map_for_user(request, org, year, edition=chosen)
        except Http404:
            draft = None
        if draft is not None and not draft.in_force:
            return draft
        request.session.pop(_edition_key(org, year), None)
    return get_map_for_user(request, org, year)


def _editable(request: HttpRequest, org: str, year: int) -> tuple[StrategyMap, Access]:
    smap = edited_map(request, org, year)
    access = access_for(request)
    if not access.revises(smap):
        raise Http404
    return smap, access


def write(form: Form, call: Callable[[], object]) -> tuple[bool, StaleMap | None]:
    """Run a service with a valid form's data: (True, None) when it wrote; a refusal goes onto the form (its
    fields' errors: False, None) or comes back as the conflict (False, the StaleMap)."""
    try:
        call()
    except StaleMap as stale:
        return False, stale
    except PermissionDenied:
        raise Http404 from None
    except ValidationError as error:
        found = error.message_dict if hasattr(error, "error_dict") else {None: error.messages}
        for field, problems in found.items():
            form.add_error(field if field in form.fields else None, problems)
        return False, None
    return True, None


def see_other(url: str) -> HttpResponse:
    """The redirect after a write: 303, so that the browser GETs the next page and a reload writes nothing again."""
    response = HttpResponseRedirect(url)
    response.status_code = 303
    return response


def _edit_url(smap: StrategyMap, anchor: str = "") -> str:
    url = reverse("web:edit", args=[smap.organization.code, smap.url_year])
    return f"{url}#{anchor}" if anchor else url


def code_choices(items: list[Any], original: str) -> list[tuple[str, Shown]]:
    """Items (objectives, themes, KPIs …) as a list's choices: their code, and the code with the name in the
    reader's language where translated, else in the data's ``original``, each labelled with the language it is in
    (a list of a council's objectives on a Chinese page mixes both): ``editor_forms.MarkedSelect`` marks it."""
    choices = []
    for item in items:
        name = shown(item, "name", original=original)
        choices.append((item.code, Shown(f"{item.code} {name.text}", name.language)))
    return choices


#: What a form of the editor's page posts: the form (by the key the page shows it under), the section it is
#: in, and the service's call when the form is valid (None: not).
Posted = tuple[str, Form, str, Callable[[], object] | None]


def _texts(data: QueryDict, smap: StrategyMap, access: Access) -> Posted:
    form = MapTextsForm(data)
    if not form.is_valid():
        return "texts", form, "texts", None
    d = form.cleaned_data
    values = lines(d["values"])
    call = partial(map_texts_update, access=access, smap=smap, version=d["version"], title=d["title"],
                   mission=d["mission"], vision=d["vision"], values=values, reason=d["reason"])  # fmt: skip
    return "texts", form, "texts", call


def _city_choices(smap: StrategyMap) -> list[tuple[str, str]]:
    """What a bureau's theme may take over: the city map's themes and objectives (none for the city itself)."""
    return [(code, f"{code} {name}") for code, name in city_codes(smap).items()]


def _band(data: QueryDict, smap: StrategyMap, access: Access) -> Posted:
    city = _city_choices(smap) if data.get("kind") == "theme" else []
    form = BandForm(data, own_language=str(smap.organization.language), city=city)
    if not form.is_valid():
        return "band", form, "perspectives", None
    d = form.cleaned_data
    model = BANDS[d["kind"]]
    band = model.objects.filter(map=smap, code=d["band"]).first() if d["band"] else None
    if d["band"] and band is None:
        raise Http404  # renamed or deleted meanwhile: the page is stale; reloaded, it shows the map as it is
    call = partial(band_save, access=access, smap=smap, version=d["version"], model=model, band=band, code=d["code"],
                   name=d["name"], translations=form.translations(), takes_over=d.get("takes_over") if city else None,
                   reason=d["reason"])  # fmt: skip
    return "band", form, f"{d['kind']}s", call


def _band_action(data: QueryDict, smap: StrategyMap, access: Access) -> Posted:
    form = BandActionForm(data)
    if not form.is_valid():
        return "band", form, "perspectives", None
    d = form.cleaned_data
    band = get_object_or_404(BANDS[d["kind"]], map=smap, code=d["band"])
    common = {"access": access, "smap": smap, "version": d["version"], "band": band, "reason": d["reason"]}
    call: Callable[[], object]
    if d["action"] == "delete":
        call = partial(band_delete, **common)
    else:
        call = partial(band_move, step=-1 if d["action"] == "up" else 1, **common)
    return "band", form, f"{d['kind']}s", call


def _link(data: QueryDict, smap: StrategyMap, access: Access) -> Posted:
    objectives = code_choices(list(smap.objectives.order_by("order")), str(smap.organization.language))
    form = LinkForm(data, objectives=objectives)
    if not form.is_valid():
        return "link", form, "links", None
    d = form.cleaned_data
    call = partial(link_add, access=access, smap=smap, version=d["version"], source=d["source"],
                   target=d["target"], note=d["note"], reason=d["reason"])  # fmt: skip
    return "link", form, "links", call


def _link_remove(data: QueryDict, smap: StrategyMap, access: Access) -> Posted:
    form = LinkRemoveForm(data)
    if not form.is_valid():
        return "link_remove", form, "links", None
    d = form.cleaned_data
    call = partial(link_remove, access=access, smap=smap, version=d["version"], source=d["source"],
                   target=d["target"], reason=d["reason"])  # fmt: skip
    return "link_remove", form, "links", call


POSTS: dict[str, Callable[[QueryDict, StrategyMap, Access], Posted]] = {
    "texts": _texts,
    "band": _band,
    "band-action": _band_action,
    "link": _link,
    "link-remove": _link_remove,
}


@login_required
@require_http_methods(["GET", "POST"])
def edit(request: HttpRequest, org: str, year: int) -> HttpResponse:
    """The map editor's page; each of its forms posts here with ``do`` saying which."""
    smap, access = _editable(request, org, year)
    forms: dict[str, Form] = {}
    conflict: StaleMap | None = None
    if request.method == "POST":
        handler = POSTS.get(request.POST.get("do", ""))
        if handler is None:
            raise Http404
        key, form, anchor, call = handler(request.POST, smap, access)
        forms[key] = form
        if call is not None:
            done, conflict = write(form, call)
            if done:
                messages.success(request, _("Saved."))
                return redirect(_edit_url(smap, anchor))
    return _page(request, smap, forms, conflict)


def _page(request: HttpRequest, smap: StrategyMap, forms: dict[str, Form], conflict: StaleMap | None) -> HttpResponse:
    own = str(smap.organization.language)
    spec, _card, structure = map_drawn(request, smap)
    # The drawing is for the eye and the mouse (a click picks a link's cause and effect): the page gives the map
    # in words (the objectives' grid, the links' list and form), as the map's page does, so it is hidden from
    # assistive technology, and its title (a council's English one on a Chinese page) is not said unmarked.
    svg = diagram.render_svg(spec, decorative=True)
    objectives = code_choices(structure.objectives, own)
    forms.setdefault("texts", MapTextsForm.of(smap))
    city = _city_choices(smap)
    preset = request.GET.get("takes_over", "")
    new_band = {
        kind: BandForm(
            initial={"kind": kind, "version": smap.version, "takes_over": preset},
            own_language=own,
            auto_id=f"id_new_{kind}_%s",
            city=city if kind == "theme" else None,
        )
        for kind in BANDS
    }
    posted = forms.get("band")
    if isinstance(posted, BandForm) and not posted.data.get("band") and posted.data.get("kind") in new_band:
        new_band[posted.data["kind"]] = posted  # an addition refused: its form again, as typed, with the errors
    forms.setdefault("link", LinkForm(initial={"version": smap.version}, objectives=objectives))
    others = other_languages(own)
    bands = [
        (kind, heading, new_band[kind], [_band_row(b, others) for b in items], city if kind == "theme" else [])
        for kind, heading, items in (
            ("perspective", _("Perspectives"), structure.perspectives),
            ("theme", _("Strategic themes"), structure.themes),
        )
    ]
    status = 409 if conflict else 400 if request.method == "POST" else 200
    context = map_context(
        smap,
        svg=svg,
        forms=forms,
        bands=bands,
        grid=_grid(structure),
        links=_links(structure, own),
        cycles=[", ".join(group) for group in diagram.cycles(structure.links)],
        conflict=conflict,
    )
    return render(request, "web/editor.html", context, status=status)


def _band_row(band: Perspective | Theme, others: list[tuple[str, str]]) -> dict[str, Any]:
    """A perspective's or theme's row of the editor: its code, name and the name's translations, to change."""
    translated = translations_of(band, "name")
    return {
        "code": band.code,
        "name": band.name,
        "translations": [(code, name, translated.get(code, "")) for code, name in others],
        "takes_over": getattr(band, "takes_over", ""),
    }


def _grid(structure: MapStructure) -> dict[str, Any]:
    """The objectives in their theme × perspective cells: a column "across the themes" and a row "outside the
    perspectives" only where the map has objectives there (or no themes, or no perspectives at all)."""
    themes: list[Theme | None] = list(structure.themes)
    perspectives: list[Perspective | None] = list(structure.perspectives)
    if not themes or any(o.theme_id is None for o in structure.objectives):
        themes.append(None)
    if not perspectives or any(o.perspective_id is None for o in structure.objectives):
        perspectives.append(None)
    rows = [(p, [(t, structure.objectives_of(t, p)) for t in themes]) for p in perspectives]
    return {"themes": themes, "rows": rows}


def _links(structure: MapStructure, own: str) -> list[tuple[str, str, str, str]]:
    """The map's links: each source's and target's code and name, the name as HTML marked with its language where
    it is not the page's (``rows.shown_html``, escaped there)."""
    names = {o.code: mark_safe(shown_html(o, "name", original=own)) for o in structure.objectives}
    return [(source, names.get(source, ""), target, names.get(target, "")) for source, target in structure.links]


@login_required
@require_http_methods(["GET", "POST"])
def objective(request: HttpRequest, org: str, year: int, code: str | None = None) -> HttpResponse:
    """An objective's form: its cell on the map, its name (and translations), KSF, goal, key works; or a new
    one's (``?theme=&perspective=`` preset its cell)."""
    smap, access = _editable(request, org, year)
    own = str(smap.organization.language)
    item = get_object_or_404(Objective, map=smap, code=code) if code is not None else None
    themes = code_choices(list(smap.themes.order_by("order")), own)
    perspectives = code_choices(list(smap.perspectives.order_by("order")), own)
    shape = partial(ObjectiveForm, themes=themes, perspectives=perspectives, own_language=own)
    conflict: StaleMap | None = None
    if request.method == "POST":
        form = shape(request.POST)
        if form.is_valid():
            d = form.cleaned_data
            common = {"access": access, "smap": smap, "version": d["version"], "reason": d["reason"]}
            deleting = request.POST.get("do") == "delete" and item is not None
            call: Callable[[], object]
            if deleting and item is not None:
                call = partial(objective_delete, objective=item, **common)
            else:
                call = partial(objective_save, objective=item, code=d["code"], name=d["name"], theme=d["theme"],
                               perspective=d["perspective"], ksf=d["ksf"], goal=d["goal"],
                               key_works=lines(d["key_works"]), note=d["note"], translations=form.translations(),
                               **common)  # fmt: skip
            done, conflict = write(form, call)
            if done:
                messages.success(request, _("Deleted.") if deleting else _("Saved."))
                return redirect(_edit_url(smap, "objectives"))
    elif item is not None:
        initial = {
            "code": item.code,
            "name": item.name,
            "theme": item.theme.code if item.theme else "",
            "perspective": item.perspective.code if item.perspective else "",
            "ksf": item.ksf,
            "goal": item.goal,
            "key_works": "\n".join(item.key_works or []),
            "note": item.note,
            "version": smap.version,
            **{f"name_{lang}": text for lang, text in translations_of(item, "name").items()},
        }
        form = shape(initial=initial)
    else:
        preset = {key: request.GET.get(key, "") for key in ("theme", "perspective")}
        form = shape(initial={**preset, "version": smap.version})
    if revises_a_year(smap):
        form.fields["reason"].help_text = REVISION_HINT
    status = 409 if conflict else 400 if request.method == "POST" else 200
    context = map_context(smap, form=form, item=item, conflict=conflict, editor=_edit_url(smap, "objectives"))
    return render(request, "web/editor_objective.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def new_map(request: HttpRequest, org: str) -> HttpResponse:
    """A new, empty map of the organization, for its administrators (a new bureau's first map, made without a
    file); it opens in the editor, unpublished."""
    organization = Organization.objects.filter(code=org).first()
    access = access_for(request)
    if organization is None or not access.revises(organization):
        raise Http404
    form = NewMapForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            year = to_ad_year(form.cleaned_data["year"])
        except YearError:
            form.add_error("year", _("Enter a year, e.g. 108 (ROC) or 2019 (AD)."))
        else:
            made: list[StrategyMap] = []
            create = partial(map_create, access=access, organization=organization, year=year,
                             title=form.cleaned_data["title"])  # fmt: skip
            done, _stale = write(form, lambda: made.append(create()))
            if done:
                messages.success(request, _("The new map is ready to build; it is not published yet."))
                # a new map is built step by step: the guide first
                return redirect(reverse("web:edit-steps", args=[organization.code, made[0].url_year]))
    status = 400 if request.method == "POST" else 200
    return render(request, "web/editor_new_map.html", {"org": organization, "form": form}, status=status)


# --- TOWS and policy thrusts -----------------------------------------------------------------------------

#: The quadrants of the TOWS editor in the bureau document's order: the analysis, then the strategies.
QUADRANTS = ("s", "w", "o", "t", "so", "wo", "st", "wt")


@login_required
@require_http_methods(["GET", "POST"])
def tows(request: HttpRequest, org: str, year: int) -> HttpResponse:
    """The map's TOWS analysis (strengths … threats and the SO, WO, ST, WT strategies, each strategy with the
    objectives it becomes) and its policy thrusts: STEP 1 and 2 of building a bureau's map."""
    smap, access = _editable(request, org, year)
    own = str(smap.organization.language)
    objectives = code_choices(list(smap.objectives.order_by("order")), own)
    posted: Form | None = None
    conflict: StaleMap | None = None
    if request.method == "POST":
        do = request.POST.get("do", "")
        common: dict[str, Any]
        call: Callable[[], object] | None = None
        if do == "entry":
            form: Form = TowsEntryForm(request.POST, objectives=objectives)
            if form.is_valid():
                d = form.cleaned_data
                entry = get_object_or_404(TowsEntry, map=smap, pk=d["entry"]) if d["entry"] else None
                call = partial(tows_entry_save, access=access, smap=smap, version=d["version"], entry=entry,
                               kind=d["kind"], code=d["code"], text=d["text"], heading=d["heading"],
                               objectives=d["objectives"], reason=d["reason"])  # fmt: skip
        elif do == "thrust":
            form = ThrustForm(request.POST)
            if form.is_valid():
                d = form.cleaned_data
                thrust = get_object_or_404(PolicyThrust, map=smap, pk=d["thrust"]) if d["thrust"] else None
                call = partial(thrust_save, access=access, smap=smap, version=d["version"], thrust=thrust,
                               code=d["code"], name=d["name"], strategies=lines(d["strategies"]),
                               reason=d["reason"])  # fmt: skip
        elif do == "delete":
            form = DeleteForm(request.POST)
            if form.is_valid():
                d = form.cleaned_data
                common = {"access": access, "smap": smap, "version": d["version"], "reason": d["reason"]}
                if d["entry"]:
                    call = partial(tows_entry_delete, entry=get_object_or_404(TowsEntry, map=smap, pk=d["entry"]),
                                   **common)  # fmt: skip
                elif d["thrust"]:
                    call = partial(thrust_delete, thrust=get_object_or_404(PolicyThrust, map=smap, pk=d["thrust"]),
                                   **common)  # fmt: skip
        else:
            raise Http404
        posted = form
        if call is not None:
            done, conflict = write(form, call)
            if done:
                messages.success(request, _("Saved."))
                return redirect(reverse("web:edit-tows", args=[smap.organization.code, smap.url_year]))
    return _tows_page(request, smap, objectives, posted, conflict)


def _tows_page(
    request: HttpRequest,
    smap: StrategyMap,
    objectives: Choices,
    posted: Form | None,
    conflict: StaleMap | None,
) -> HttpResponse:
    entries = list(smap.tows_entries.order_by("kind", "order").prefetch_related("objectives"))
    labels = dict(TowsEntry.Kind.choices)
    quadrants = []
    for kind in QUADRANTS:
        rows = [
            TowsEntryForm(
                initial={
                    "entry": e.pk,
                    "kind": kind,
                    "code": e.code,
                    "text": e.text,
                    "heading": e.heading,
                    "objectives": [o.code for o in e.objectives.all()],
                    "version": smap.version,
                },
                objectives=objectives,
                auto_id=f"id_entry{e.pk}_%s",
            )
            for e in entries
            if e.kind == kind
        ]
        new = TowsEntryForm(initial={"kind": kind, "version": smap.version}, objectives=objectives,
                            auto_id=f"id_new_{kind}_%s")  # fmt: skip
        if isinstance(posted, TowsEntryForm) and posted.data.get("kind") == kind and not posted.data.get("entry"):
            new = posted  # an addition refused: its form again, as typed, with the errors
        quadrants.append({"kind": kind, "label": labels[kind], "strategy": kind in STRATEGY_KINDS, "rows": rows,
                          "new": new})  # fmt: skip
    thrusts = [
        ThrustForm(
            initial={
                "thrust": t.pk,
                "code": t.code,
                "name": t.name,
                "strategies": "\n".join(t.strategies),
                "version": smap.version,
            },
            auto_id=f"id_thrust{t.pk}_%s",
        )
        for t in smap.thrusts.order_by("order")
    ]
    new_thrust = ThrustForm(initial={"version": smap.version}, auto_id="id_new_thrust_%s")
    if isinstance(posted, ThrustForm) and not posted.data.get("thrust"):
        new_thrust = posted
    # A refused change of an item, or deletion, is listed above the quadrants (an addition's form shows its own).
    shown_again = [new_thrust, *(q["new"] for q in quadrants)]
    refused = posted if posted is not None and all(posted is not form for form in shown_again) else None
    status = 409 if conflict else 400 if request.method == "POST" else 200
    context = map_context(
        smap,
        quadrants=quadrants,
        objective_choices=objectives,
        thrusts=thrusts,
        new_thrust=new_thrust,
        refused=refused,
        conflict=conflict,
        editor=_edit_url(smap),
    )
    return render(request, "web/editor_tows.html", context, status=status)


# --- building a bureau's map, STEP 1 to 5 --------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def steps(request: HttpRequest, org: str, year: int) -> HttpResponse:
    """How a map is built, as the bureau document's STEP 1 to 5 (policy thrusts, TOWS, mission, vision and values,
    taking over the city's strategy, the map), each with what is done and where to do it; and publishing."""
    smap, access = _editable(request, org, year)
    here = reverse("web:edit-steps", args=[smap.organization.code, smap.url_year])
    form = EditorForm(initial={"version": smap.version})
    edition_form = EditionForm(initial={"version": smap.version})
    conflict: StaleMap | None = None
    if request.method == "POST":
        do = request.POST.get("do", "publish")
        if do == "edition-work":  # work on a draft edition of the year, from now on, in every editor
            draft = get_map_for_user(request, org, year, edition=_integer(request.POST.get("edition")))
            if draft.in_force:
                raise Http404
            request.session[_edition_key(org, year)] = draft.pk
            return redirect(_edit_url(draft))
        if do == "edition-leave":
            request.session.pop(_edition_key(org, year), None)
            return redirect(here)
        made: list[StrategyMap] = []
        if do == "edition-start":
            edition_form = EditionForm(request.POST)
            if edition_form.is_valid():
                d = edition_form.cleaned_data
                start = partial(edition_start, access=access, smap=smap, version=d["version"], label=d["label"],
                                reason=d["reason"])  # fmt: skip
                done, conflict = write(edition_form, lambda: made.append(start()))
                if done:
                    request.session[_edition_key(org, year)] = made[0].pk
                    messages.success(request, _("The draft edition is ready: the editors work on it now."))
                    return redirect(here)
        elif do in ("publish", "edition-publish"):
            form = EditorForm(request.POST)
            if form.is_valid():
                d = form.cleaned_data
                publish = edition_publish if do == "edition-publish" else map_publish
                done, conflict = write(form, partial(publish, access=access, smap=smap, version=d["version"],
                                                     reason=d["reason"]))  # fmt: skip
                if done:
                    request.session.pop(_edition_key(org, year), None)
                    messages.success(request, _("Published: the public sees the map now."))
                    return redirect(here)
        else:
            raise Http404
    editions = list(
        StrategyMap.objects.filter(organization=smap.organization, year=smap.year).order_by(
            "-in_force", "version_label"
        )
    )
    # A draft is compared with the edition in force; the edition in force with the last one it replaced.
    replaced = [e for e in editions if not e.in_force and e.published]
    compared = _in_force(smap) if not smap.in_force else max(replaced, key=lambda e: e.pk, default=None)
    city = city_map_of(smap)
    themes = list(smap.themes.order_by("order"))
    taken: dict[str, list[Theme]] = {}
    for theme in themes:
        if theme.takes_over:
            taken.setdefault(theme.takes_over, []).append(theme)
    # The city's strategy by its themes: each with the bureau's themes taking it over, and its objectives with
    # theirs (the objectives across the city's themes last, under no theme).
    city_items: list[tuple[Theme | None, list[Theme], list[tuple[Objective, list[Theme]]]]] = []
    if city is not None:
        city_objectives = list(city.objectives.order_by("order"))
        for city_theme in [*city.themes.order_by("order"), None]:
            under = [(o, taken.get(o.code, [])) for o in city_objectives
                     if o.theme_id == (city_theme.pk if city_theme else None)]  # fmt: skip
            if city_theme is not None or under:
                by = taken.get(city_theme.code, []) if city_theme else []
                city_items.append((city_theme, by, under))
    counts = {
        "thrusts": smap.thrusts.count(),
        "tows": smap.tows_entries.exclude(kind__in=STRATEGY_KINDS).count(),
        "strategies": smap.tows_entries.filter(kind__in=STRATEGY_KINDS).count(),
        "linked": smap.tows_entries.filter(kind__in=STRATEGY_KINDS, objectives__isnull=False).distinct().count(),
        "perspectives": smap.perspectives.count(),
        "themes": len(themes),
        "objectives": smap.objectives.count(),
        "links": smap.links.count(),
        "kpis": smap.objectives.aggregate(n=Count("kpis"))["n"],
    }
    status = 409 if conflict else 400 if request.method == "POST" else 200
    context = map_context(
        smap,
        counts=counts,
        city=city,
        city_items=city_items,
        taken_any=bool(taken),
        edition_form=edition_form,
        editions=editions,
        compared=compared,
        diff=map_diff(after=smap, before=compared, access=access) if compared is not None else None,
        form=form,
        conflict=conflict,
        editor=_edit_url(smap),
    )
    return render(request, "web/editor_steps.html", context, status=status)
