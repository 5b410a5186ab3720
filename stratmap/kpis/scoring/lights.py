"""Light sets: the levels an agency rates with, as data.

Taipei rates with ★優 ●良 ▲可 ╳差 and ？不明; a council with Green, Amber and Red; a central agency
with 綠, 黃, 紅 and 白. None of them is code: a light set is a list of levels, each with its key
(what is stored and written in datasets), symbol, name in every language it has, colour and role.
Rated levels are listed best first; one level says "unknown"; one may say "data only". Never
colour alone: every level has a symbol and a name as well.
"""

from __future__ import annotations

import enum
import re
import unicodedata
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field

Names = tuple[tuple[str, str], ...]
_COLOUR = re.compile(r"#[0-9a-fA-F]{6}")


class Role(enum.StrEnum):
    """What a level means to the engine."""

    RATED = "rated"  # a rating, ordered best first within its set
    UNKNOWN = "unknown"  # a rated KPI whose data is missing
    DATA_ONLY = "data_only"  # a KPI that is shown and charted but not rated


def names(mapping: Mapping[str, str]) -> Names:
    """Names by language, as a hashable value (a level is a dictionary key in the rollups)."""
    return tuple(mapping.items())


def pick(options: Names, language: str | None) -> str:
    """The text for ``language``: the exact language, then its primary subtag ("zh" for "zh-hant"),
    then English, then the first there is; "" when there is none."""
    if not options:
        return ""
    wanted = (language or "en").lower()
    table = {lang.lower(): text for lang, text in options}
    for candidate in (wanted, wanted.split("-")[0], "en"):
        if candidate in table:
            return table[candidate]
    # A name given for "zh-hant" also serves a reader asking for "zh".
    for lang, text in table.items():
        if lang.split("-")[0] == wanted.split("-")[0]:
            return text
    return options[0][1]


def _wide(text: str) -> bool:
    """Whether ``text`` starts with a wide (CJK) character, which is written right after the symbol."""
    return bool(text) and unicodedata.east_asian_width(text[0]) in "WF"


@dataclass(frozen=True, slots=True)
class Level:
    """One level of a light set: its key, symbol, names by language, colour and role."""

    key: str
    symbol: str
    names: Names
    colour: str
    role: Role = Role.RATED

    def label(self, language: str | None) -> str:
        """The name in ``language`` (優 for Chinese, excellent for English); the key when it has none."""
        return pick(self.names, language) or self.key

    def text(self, language: str | None) -> str:
        """Symbol and name as one piece of text: 「★優」 in Chinese, "★ excellent" in English."""
        label = self.label(language)
        return f"{self.symbol}{label}" if _wide(label) else f"{self.symbol} {label}"

    @property
    def rated(self) -> bool:
        return self.role is Role.RATED


#: The level of a KPI shown without a rating when its set has no level of its own for that.
DATA_ONLY = Level("data_only", "◇", names({"zh": "僅監測", "en": "data only"}), "#57606a", Role.DATA_ONLY)
#: The unknown level of a set that lacks one (such a set is refused by :meth:`LightSet.problems`).
UNKNOWN = Level("unknown", "？", names({"zh": "不明", "en": "unknown"}), "#6e7781", Role.UNKNOWN)


class Problem(str):
    """An objection of the engine to a light set or a policy: its English text, with the template and the
    values it was made of, so that a reader's language can say it too (``kpis.presenters.PROBLEMS``)."""

    template: str
    values: dict[str, str]

    def __new__(cls, template: str, **values: object) -> Problem:
        texts = {name: str(value) for name, value in values.items()}
        made = super().__new__(cls, template.format(**texts))
        made.template, made.values = template, texts
        return made


# The templates of the objections to a light set (each value given already written, a key as repr()).
NO_RATED_LEVEL = "must have at least one rated level"
ROLE_TWICE = "must have at most one level of role {role} (got {count})"
NO_UNKNOWN_LEVEL = "must have a level of role unknown"
EMPTY_KEY = "must not be empty"
KEY_TWICE = "{key} is used by an earlier level"
NO_SYMBOL = "must not be empty: a light is never colour alone"
NO_NAME = "must name the level in at least one language"
NOT_A_COLOUR = "must be a colour like #1a7f37 (got {colour})"
NOT_A_LEVEL = "{key} is not a level of the light set {set} (its levels: {levels})"
LIGHT_SET_PROBLEMS = (
    NO_RATED_LEVEL,
    ROLE_TWICE,
    NO_UNKNOWN_LEVEL,
    EMPTY_KEY,
    KEY_TWICE,
    NO_SYMBOL,
    NO_NAME,
    NOT_A_COLOUR,
    NOT_A_LEVEL,
)


class LightSetError(ValueError):
    """A light set that cannot be used; the message names the level and what is wrong."""


@dataclass(frozen=True)
class LightSet:
    """The levels an agency rates with: rated ones best first, one unknown, at most one data-only."""

    key: str
    levels: tuple[Level, ...]
    names: Names = ()
    rated: tuple[Level, ...] = field(init=False, repr=False, compare=False)
    unknown: Level = field(init=False, repr=False, compare=False)
    data_only: Level = field(init=False, repr=False, compare=False)
    _by_key: dict[str, Level] = field(init=False, repr=False, compare=False)
    _rank: dict[Level, int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        rated = tuple(level for level in self.levels if level.role is Role.RATED)
        unknown = next((level for level in self.levels if level.role is Role.UNKNOWN), UNKNOWN)
        data_only = next((level for level in self.levels if level.role is Role.DATA_ONLY), DATA_ONLY)
        # A frozen dataclass computes its derived fields once, here.
        object.__setattr__(self, "rated", rated)
        object.__setattr__(self, "unknown", unknown)
        object.__setattr__(self, "data_only", data_only)
        object.__setattr__(self, "_by_key", {level.key: level for level in (*self.levels, unknown, data_only)})
        object.__setattr__(self, "_rank", {level: i for i, level in enumerate(rated)})

    def __iter__(self) -> Iterator[Level]:
        """Every level a KPI can get: the rated ones best first, then unknown, then data-only."""
        return iter((*self.rated, self.unknown, self.data_only))

    def label(self, language: str | None) -> str:
        return pick(self.names, language) or self.key

    def get(self, key: str) -> Level:
        """The level with ``key``; a :class:`LightSetError` naming the set's keys when there is none."""
        try:
            return self._by_key[key]
        except KeyError:
            raise LightSetError(
                Problem(NOT_A_LEVEL, key=repr(key), set=repr(self.key), levels=", ".join(self._by_key))
            ) from None

    def rank(self, level: Level) -> int:
        """0 for the best rated level, 1 for the next …; unknown and data-only come after all of them."""
        return self._rank.get(level, len(self.rated) + (level.role is Role.DATA_ONLY))

    def worst(self, levels: Iterable[Level]) -> Level:
        """The worst rated level among ``levels``; unknown when none is rated."""
        rated = [level for level in levels if level.role is Role.RATED]
        return max(rated, key=self.rank) if rated else self.unknown

    def problems(self) -> list[tuple[str, Problem]]:
        """(where, what is wrong) for every rule the set breaks; empty when usable."""
        out: list[tuple[str, Problem]] = []
        if not self.rated:
            out.append(("levels", Problem(NO_RATED_LEVEL)))
        for role in (Role.UNKNOWN, Role.DATA_ONLY):
            count = sum(level.role is role for level in self.levels)
            if count > 1:
                out.append(("levels", Problem(ROLE_TWICE, role=role.value, count=count)))
        if not any(level.role is Role.UNKNOWN for level in self.levels):
            out.append(("levels", Problem(NO_UNKNOWN_LEVEL)))
        seen: set[str] = set()
        for i, level in enumerate(self.levels):
            where = f"levels[{i}]"
            if not level.key:
                out.append((f"{where}.key", Problem(EMPTY_KEY)))
            elif level.key in seen:
                out.append((f"{where}.key", Problem(KEY_TWICE, key=repr(level.key))))
            seen.add(level.key)
            if not level.symbol:
                out.append((f"{where}.symbol", Problem(NO_SYMBOL)))
            if not level.names:
                out.append((f"{where}.names", Problem(NO_NAME)))
            if not _COLOUR.fullmatch(level.colour):
                out.append((f"{where}.colour", Problem(NOT_A_COLOUR, colour=repr(level.colour))))
        return out

    def validated(self) -> LightSet:
        problems = self.problems()
        if problems:
            raise LightSetError("; ".join(f"{where} {why}" for where, why in problems))
        return self


def _level(key: str, symbol: str, zh: str, en: str, colour: str, role: Role = Role.RATED) -> Level:
    return Level(key, symbol, names({"zh": zh, "en": en}), colour, role)


#: Taipei City Government's key (the reference documents): the default.
TAIPEI_LIGHTS = LightSet(
    "taipei",
    (
        _level("excellent", "★", "優", "excellent", "#1a7f37"),
        _level("good", "●", "良", "good", "#0969da"),
        _level("fair", "▲", "可", "fair", "#9a6700"),
        _level("poor", "╳", "差", "poor", "#cf222e"),
        _level("unknown", "？", "不明", "unknown", "#6e7781", Role.UNKNOWN),
    ),
    names({"zh": "臺北市燈號", "en": "Taipei lights"}),
)

#: A Red/Amber/Green key as English-speaking councils use it (a template, not any council's own).
RAG_LIGHTS = LightSet(
    "rag",
    (
        _level("green", "✓", "綠", "Green", "#1a7f37"),
        _level("amber", "!", "黃", "Amber", "#9a6700"),
        _level("red", "×", "紅", "Red", "#cf222e"),
        _level("not_available", "?", "無資料", "N/A", "#6e7781", Role.UNKNOWN),
        _level("data_only", "◇", "僅監測", "Data only", "#57606a", Role.DATA_ONLY),
    ),
    names({"zh": "紅黃綠燈號", "en": "Red/Amber/Green"}),
)

#: The green/yellow/red/white lights of Taiwanese central-government assessments (a template).
TAIWAN_LIGHTS = LightSet(
    "tw-gov",
    (
        _level("green", "●", "綠", "green", "#1a7f37"),
        _level("yellow", "▲", "黃", "yellow", "#9a6700"),
        _level("red", "■", "紅", "red", "#cf222e"),
        _level("white", "○", "白", "white (not assessable)", "#6e7781", Role.UNKNOWN),
    ),
    names({"zh": "綠黃紅白燈號", "en": "green/yellow/red/white"}),
)

#: The light sets every installation has; an organization's own are data in its datasets.
BUILT_IN: dict[str, LightSet] = {s.key: s for s in (TAIPEI_LIGHTS, RAG_LIGHTS, TAIWAN_LIGHTS)}
