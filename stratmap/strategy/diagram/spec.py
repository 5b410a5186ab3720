"""What to draw: the map as the engine takes it, built by the web layer from one map version."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

__all__ = [
    "DEFAULT_LABELS",
    "LightStyle",
    "MapSpec",
    "ObjectiveBox",
    "Outline",
    "OutlinePerspective",
    "OutlineTheme",
    "cycles",
    "label",
    "outline",
    "sub_map",
]


@dataclass(frozen=True)
class LightStyle:
    """How a light looks."""

    key: str  # "excellent" | "good" | "fair" | "poor" | "unknown"
    symbol: str  # "★"
    label: str  # "優" or "excellent" (already in the page's language)
    colour: str  # "#1a7f37"
    lang: str = ""  # the label's language (BCP 47) where it is not the page's, so that it is read in it; else ""


@dataclass(frozen=True)
class ObjectiveBox:
    code: str
    name: str
    perspective: str | None  # perspective code, None = in the unnamed band below the perspectives
    theme: str | None  # theme code, None = spans all themes
    light: LightStyle | None = None  # None: no KPI data, drawn neutral grey without symbol
    href: str | None = None
    lang: str = ""  # the name's language (BCP 47) where it is not the drawing's; else ""


@dataclass(frozen=True)
class MapSpec:
    title: str
    mission: str
    vision: str
    values: list[str]
    labels: dict[str, str]  # captions: "mission", "vision", "values", "themes", "perspectives"
    perspectives: list[tuple[str, str]]  # (code, name) in drawing order; none: no perspective column
    themes: list[tuple[str, str]]  # (code, name) in order
    objectives: list[ObjectiveBox]
    links: list[tuple[str, str]]  # (from objective code, to objective code)
    #: The language (BCP 47) of a text that is not in the drawing's, so that it is marked and read in it (an
    #: untranslated name): by "title", "mission", "vision", "values", "theme:<code>", "perspective:<code>".
    langs: dict[str, str] = field(default_factory=dict)
    #: The drawing's own language (BCP 47), marked on the SVG so that a file saved alone still says it.
    language: str = ""


@dataclass(frozen=True)
class OutlineTheme:
    """The objectives of one theme in one perspective (``code`` "" and ``name`` "": those of no theme)."""

    code: str
    name: str
    lang: str
    objectives: list[ObjectiveBox]


@dataclass(frozen=True)
class OutlinePerspective:
    """One perspective's objectives, by theme (``code`` "" and ``name`` "": those of no perspective)."""

    code: str
    name: str
    lang: str
    themes: list[OutlineTheme]


@dataclass(frozen=True)
class Outline:
    """The map in words, for those who cannot see the drawing: its objectives by perspective and theme, in the
    drawing's order, and its cause-and-effect links as pairs of objectives."""

    perspectives: list[OutlinePerspective]
    links: list[tuple[ObjectiveBox, ObjectiveBox]]


def outline(spec: MapSpec) -> Outline:
    """What ``spec`` draws, as lists (see :class:`Outline`): perspectives top to bottom, themes left to right,
    the objectives of no perspective or no theme last; links between objectives the spec has, in its order."""
    by_code = {o.code: o for o in spec.objectives}
    perspectives = [*spec.perspectives, ("", "")]
    themes = [*spec.themes, ("", "")]
    groups = []
    for p_code, p_name in perspectives:
        in_row = [o for o in spec.objectives if (o.perspective or "") == p_code]
        parts = [
            OutlineTheme(t_code, t_name, spec.langs.get(f"theme:{t_code}", "") if t_code else "", found)
            for t_code, t_name in themes
            if (found := [o for o in in_row if (o.theme or "") == t_code])
        ]
        if parts:
            lang = spec.langs.get(f"perspective:{p_code}", "") if p_code else ""
            groups.append(OutlinePerspective(p_code, p_name, lang, parts))
    links = [(by_code[s], by_code[t]) for s, t in spec.links if s in by_code and t in by_code]
    return Outline(groups, links)


DEFAULT_LABELS = {
    "mission": "Mission",
    "vision": "Vision",
    "values": "Core values",
    "themes": "Strategic themes",
    "perspectives": "Perspectives",
}


def label(spec: MapSpec, key: str) -> str:
    """The caption ``key`` of ``spec``, in English when the spec gives none."""
    return (spec.labels or {}).get(key) or DEFAULT_LABELS[key]


def sub_map(spec: MapSpec, theme: str, title: str | None = None) -> MapSpec:
    """The part of ``spec`` that one theme draws (its 關聯圖): the theme's column and objectives, the
    cause-and-effect links among them, and only the perspectives it has objectives in."""
    objectives = [o for o in spec.objectives if o.theme == theme]
    codes = {o.code for o in objectives}
    used = {o.perspective for o in objectives}
    return MapSpec(
        title=spec.title if title is None else title,
        mission="",
        vision="",
        values=[],
        labels=spec.labels,
        perspectives=[p for p in spec.perspectives if p[0] in used],
        themes=[t for t in spec.themes if t[0] == theme],
        objectives=objectives,
        links=[(s, t) for s, t in spec.links if s in codes and t in codes],
        langs=spec.langs,
        language=spec.language,
    )


def cycles(links: Iterable[tuple[str, str]]) -> list[list[str]]:
    """The groups of objectives whose cause-and-effect links go round in a cycle (each a strongly connected set
    of more than one, in the order the links first name them). Strategy maps may have them: the editor and the
    dataset allow them, the consistency report and the editor name them."""
    pairs = list(links)
    order = list(dict.fromkeys(code for pair in pairs for code in pair))
    after: dict[str, list[str]] = {code: [] for code in order}
    for source, target in pairs:
        after[source].append(target)
    # Tarjan's algorithm, without recursion (a map may hold hundreds of objectives).
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for root in order:
        if root in index:
            continue
        work = [(root, iter(after[root]))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(after[child])))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                group = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    group.append(member)
                    if member == node:
                        break
                if len(group) > 1:
                    found.append(sorted(group, key=order.index))
    return sorted(found, key=lambda group: order.index(group[0]))
