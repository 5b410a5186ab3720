"""Synthetic cities in the dataset format, shaped like Taipei's, for the scale benchmark.

SYNTHETIC DATA: nothing written here describes a real organization. Every file says so in a comment at
its top and in its ``note``, and every organization's name says so (合成市1（合成資料）, "Synthetic City 1
(synthetic data)").

One city, at the default size, is what issue 13 measured: a city map with 8 themes (A–H, objectives
AC1 … AF1 in the four perspectives, KPIs AC1.1 …) and 40 bureaus' maps of 30–60 KPIs each, for each of
10 years: about 20,000 KPI-years and 120,000 plan tasks. Each KPI has one to three action plans of one
to five tasks with months, targets for its year and the two after it, and a result for every year but
the last, published; the last year is the current cycle (results missing, draft, submitted, approved or
published). A quarter of the bureaus' KPIs cite a KPI of the city's map of the same year, each bureau
theme takes over a city objective, the city's KPIs are the bureaus' (the theme group's lead bureau and
sometimes a member), and every KPI keeps a lineage across the years (a bureau's KPIs come and go a
little: some start late, some end early). Objectives are linked cause to effect (learning and finance
to process, process to customer).

Deterministic: the same shape and seed write the same bytes. Cities are ``syn1`` … ``synN`` (bureaus
``syn1-b01`` …), so two runs of different sizes share the cities they both have. Each city is a folder
of one organizations file and one file per map, as ``stratmap load FOLDER`` reads them.

    python -m stratmap.exchange.synthetic OUT [--cities N] [--bureaus 40] [--kpis 60] [--years 10]

Pure Python (PyYAML's C emitter when it is there); no Django.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

THEMES = "ABCDEFGH"
PERSPECTIVES = (("C", "顧客", "Customer"), ("P", "內部流程", "Internal Process"),
                ("L", "學習成長", "Learning and Growth"), ("F", "財務", "Financial"))  # fmt: skip
#: How an objective of each perspective is drawn toward another: learning and finance feed process,
#: process feeds the customer.
FEEDS = {"L": "P", "F": "P", "P": "C"}
THEME_NAMES = ("營造永續環境", "健全都市發展", "發展文化多元", "優化產業勞動",
               "打造安心社會", "精進教育學習", "強化數位治理", "提升財政效能")  # fmt: skip
TOPICS = ("市民服務", "環境品質", "交通安全", "產業創新", "就業媒合", "藝文活動", "觀光旅遊", "社會福利",
          "公共衛生", "教育品質", "數位治理", "資訊安全", "防災韌性", "住宅供給", "都市更新", "綠色能源",
          "資源回收", "水資源管理", "公園綠地", "食品安全", "長期照顧", "青年創業", "運動休閒", "財政效能",
          "人力培育", "採購效率", "開放資料", "市政溝通", "治安維護", "消防救災")  # fmt: skip
VERBS = ("提升", "強化", "推動", "完善", "擴大", "精進", "落實", "建構")
#: A KPI's measure: its name's ending, its unit, whether it is a percentage (kept at most 100) and its polarity.
MEASURES = (("滿意度", "%", True, "positive"), ("達成率", "%", True, "positive"), ("案件數", "件", False, "positive"),
            ("服務人次", "人次", False, "positive"), ("辦理場次", "場", False, "positive"),
            ("完成率", "%", True, "positive"), ("平均處理天數", "天", False, "negative"),
            ("事故件數", "件", False, "negative"), ("參與家數", "家", False, "positive"),
            ("預算執行率", "%", True, "positive"))  # fmt: skip
TAGS = ("非營業基金考核指標", "府級KPI", "永續發展目標")
#: The current cycle's results: (share of KPIs, status); the rest have none yet.
CYCLE = ((0.2, "draft"), (0.2, "submitted"), (0.1, "approved"), (0.2, "published"))
SYNTHETIC = "合成資料"


@dataclass(frozen=True)
class Shape:
    """How much to write: ``cities`` cities of ``bureaus`` bureaus each, whose maps hold from half of
    ``kpis`` to ``kpis`` KPIs, for the ``years`` years ending in ``last_year``."""

    cities: int = 1
    bureaus: int = 40
    kpis: int = 60
    years: int = 10
    last_year: int = 2025
    seed: int = 13

    def problems(self) -> list[str]:
        limits = {"cities": (self.cities, 1, 999), "bureaus": (self.bureaus, 1, 99), "kpis": (self.kpis, 2, 400),
                  "years": (self.years, 1, 50), "last_year": (self.last_year, 1962, 2109)}  # fmt: skip
        return [f"--{name.replace('_', '-')} {value}: expected a whole number from {low} to {high}"
                for name, (value, low, high) in limits.items() if not low <= value <= high]  # fmt: skip


@dataclass
class Written:
    """What was written, counted."""

    files: int = 0
    maps: int = 0
    kpi_years: int = 0
    results: int = 0
    plans: int = 0
    tasks: int = 0
    cites: int = 0
    bytes: int = 0
    seconds: float = 0.0

    def __str__(self) -> str:
        return (
            f"{self.files} files ({self.bytes / 2**20:.1f} MB), {self.maps} maps, {self.kpi_years:,} KPI-years, "
            f"{self.results:,} results, {self.plans:,} action plans, {self.tasks:,} tasks, {self.cites:,} cites"
        )


@dataclass
class _Kpi:
    """One KPI's lineage: the same code, name and plans in every year it is in force."""

    code: str
    name: str
    unit: str
    percent: bool
    polarity: str
    base: float
    growth: float
    lineage: str
    agencies: list[str]
    target_type: str = "ratio"
    tags: list[str] = field(default_factory=list)
    cites: str | None = None
    first: int = 0  # the index of the first and the last year it is in force
    last: int = 10_000
    plans: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class _Objective:
    code: str
    perspective: str
    name: str
    kpis: list[_Kpi] = field(default_factory=list)


@dataclass
class _Theme:
    code: str
    name: str
    objectives: list[_Objective]
    group: str | None = None
    takes_over: str | None = None


class _Dumper(getattr(yaml, "CSafeDumper", yaml.SafeDumper)):  # type: ignore[misc]
    def ignore_aliases(self, data: object) -> bool:
        # The loader allows few aliases (*name): a value met twice is written twice.
        return True


def city_code(city: int) -> str:
    return f"syn{city}"


def bureau_code(city: int, bureau: int) -> str:
    return f"{city_code(city)}-b{bureau:02d}"


def _roc(year: int) -> int:
    return year - 1911


def _round(value: float, percent: bool) -> float:
    return min(round(value, 1), 100.0) if percent else round(value, 1)


class _City:
    """One city's structure, drawn once from its own seed, then written year by year."""

    def __init__(self, index: int, shape: Shape) -> None:
        self.index, self.shape = index, shape
        self.rng = random.Random(f"stratmap-synthetic-{shape.seed}-{index}")
        self.code = city_code(index)
        self.bureaus = [bureau_code(index, b) for b in range(1, shape.bureaus + 1)]
        self.groups = [f"{self.code}-group-{t.lower()}" for t in THEMES]
        self.leads = {group: self.bureaus[i % len(self.bureaus)] for i, group in enumerate(self.groups)}
        self.city_themes = self._city_themes()
        self.city_kpis = [k for t in self.city_themes for o in t.objectives for k in o.kpis]
        self.bureau_themes = {bureau: self._bureau_themes(b, bureau) for b, bureau in enumerate(self.bureaus)}

    # --- structure --------------------------------------------------------------------------------

    def _objectives(self, theme: str, count: int) -> list[_Objective]:
        """``count`` objectives of a theme, at least one per perspective, customer and process first."""
        counts = dict.fromkeys("CPLF", 1)
        for i in range(max(0, count - 4)):
            counts["CP"[i % 2]] += 1
        objectives = []
        for perspective, n in counts.items():
            for i in range(1, n + 1):
                name = f"{self.rng.choice(VERBS)}{self.rng.choice(TOPICS)}"
                objectives.append(_Objective(f"{theme}{perspective}{i}", perspective, name))
        return objectives

    def _kpi(self, objective: _Objective, number: int, owner: str, agencies: list[str]) -> _Kpi:
        rng = self.rng
        topic, (measure, unit, percent, polarity) = rng.choice(TOPICS), rng.choice(MEASURES)
        code = f"{objective.code}.{number}"
        base = rng.uniform(60, 95) if percent else rng.uniform(5, 5000)
        kind = "ratio" if rng.random() < 0.9 else ("at_least" if polarity == "positive" else "at_most")
        kpi = _Kpi(
            code=code,
            name=f"{topic}{measure}",
            unit=unit,
            percent=percent,
            polarity=polarity,
            base=base,
            growth=rng.uniform(-0.01, 0.04) * (1 if polarity == "positive" else -1),
            lineage=f"kpi-{code.lower().replace('.', '-')}",
            agencies=agencies,
            target_type=kind,
            tags=[rng.choice(TAGS)] if rng.random() < 0.1 else [],
        )
        for p in range(1, rng.choice((1, 2, 2, 3)) + 1):
            tasks = []
            for t in range(rng.randint(1, 5)):
                start = rng.randint(1, 12)
                months = list(range(start, min(12, start + rng.randint(0, 5)) + 1))
                tasks.append({"name": f"{rng.choice(VERBS)}{rng.choice(TOPICS)}工作項目{t + 1}", "months": months})
            quantity = rng.randint(1, 500) * 10
            kpi.plans.append(
                {
                    "code": f"{code}.{p}",
                    "name": f"{rng.choice(TOPICS)}{rng.choice(('推動', '精進', '發展'))}計畫（{owner}）",
                    "agencies": agencies[:1],
                    "tasks": tasks,
                    "outcomes": [
                        {"text": f"辦理{topic}相關服務{quantity:,}人次", "quantity": quantity, "unit": "人次"}
                    ],
                }
            )
        return kpi

    def _city_themes(self) -> list[_Theme]:
        """8 themes, each of a theme group led by a bureau: 30 KPIs a theme at the default size."""
        per_theme = max(4, self.shape.kpis // 2)
        themes = []
        for t, (code, name) in enumerate(zip(THEMES, THEME_NAMES, strict=True)):
            group = self.groups[t]
            members = self._members(t)
            objectives = self._objectives(code, max(4, per_theme // 3))
            for i in range(per_theme):
                objective = objectives[i % len(objectives)]
                agencies = [self.leads[group]]
                if members and self.rng.random() < 0.3:
                    agencies.append(self.rng.choice(members))
                kpi = self._kpi(objective, len(objective.kpis) + 1, "府級", agencies)
                kpi.lineage = f"city-{kpi.lineage}"
                objective.kpis.append(kpi)
            themes.append(_Theme(code, name, objectives, group=group))
        return themes

    def _members(self, theme: int) -> list[str]:
        lead = self.leads[self.groups[theme]]
        others = [b for b in self.bureaus if b != lead]
        return sorted(self.rng.sample(others, min(4, len(others))))

    def _bureau_themes(self, index: int, bureau: str) -> list[_Theme]:
        """From half of ``kpis`` to ``kpis`` KPIs in one to five themes, each taking over a city objective."""
        shape, rng = self.shape, self.rng
        count = rng.randint(max(1, shape.kpis // 2), shape.kpis)
        themes = []
        n_themes = min(5, max(1, count // 12))
        city_objectives = [o for t in self.city_themes for o in t.objectives]
        for t in range(n_themes):
            code = THEMES[t]
            taken = rng.choice(city_objectives)
            objectives = self._objectives(code, max(4, count // n_themes // 3))
            themes.append(_Theme(code, f"{rng.choice(VERBS)}{rng.choice(TOPICS)}", objectives, takes_over=taken.code))
        slots = [o for theme in themes for o in theme.objectives]
        for i in range(count):
            objective = slots[i % len(slots)]
            kpi = self._kpi(objective, len(objective.kpis) + 1, f"第{index + 1:02d}局", [bureau])
            if rng.random() < 0.25:
                kpi.cites = rng.choice(self.city_kpis).code
            # A few KPIs come late or go early, never an objective's first (no objective is left empty).
            if len(objective.kpis) and rng.random() < 0.1:
                if rng.random() < 0.5:
                    kpi.first = rng.randint(1, max(1, shape.years - 1))
                else:
                    kpi.last = rng.randint(0, max(0, shape.years - 2))
            objective.kpis.append(kpi)
        return themes

    # --- files ------------------------------------------------------------------------------------

    def organizations(self) -> dict[str, Any]:
        n = self.index
        orgs: list[dict[str, Any]] = [
            {
                "code": self.code,
                "name": f"合成市{n}（{SYNTHETIC}）",
                "short_name": f"合成市{n}",
                "name_en": f"Synthetic City {n} (synthetic data)",
                "kind": "city",
            }
        ]
        for b, bureau in enumerate(self.bureaus, start=1):
            orgs.append(
                {
                    "code": bureau,
                    "name": f"合成市{n}第{b:02d}局（{SYNTHETIC}）",
                    "short_name": f"第{b:02d}局",
                    "name_en": f"Synthetic City {n} Bureau {b:02d} (synthetic data)",
                    "kind": "bureau",
                    "parent": self.code,
                }
            )
        for t, group in enumerate(self.groups):
            letter = THEMES[t]
            orgs.append(
                {
                    "code": group,
                    "name": f"合成市{n}{THEME_NAMES[t]}（{letter}）組（{SYNTHETIC}）",
                    "short_name": f"{letter}組",
                    "name_en": f"Synthetic City {n} theme group {letter} (synthetic data)",
                    "kind": "theme_group",
                    "parent": self.code,
                    "lead": self.leads[group],
                    "members": self._members(t),
                }
            )
        return {"format": "stratmap/1", "organizations": orgs}

    def maps(self) -> Iterator[tuple[str, dict[str, Any], dict[str, int]]]:
        """(file name, document, counts) of every map: the city's then its bureaus', year by year."""
        first = self.shape.last_year - self.shape.years + 1
        for y in range(self.shape.years):
            year = first + y
            yield f"{self.code}-{year}.yaml", *self._map(self.code, f"合成市{self.index}", self.city_themes, y, year)
            for b, bureau in enumerate(self.bureaus, start=1):
                name = f"合成市{self.index}第{b:02d}局"
                yield f"{bureau}-{year}.yaml", *self._map(bureau, name, self.bureau_themes[bureau], y, year)

    def _map(
        self, org: str, name: str, themes: list[_Theme], y: int, year: int
    ) -> tuple[dict[str, Any], dict[str, int]]:
        rng = random.Random(f"stratmap-synthetic-{self.shape.seed}-{org}-{year}")
        current = year == self.shape.last_year
        counts = dict.fromkeys(("kpi_years", "results", "plans", "tasks", "cites"), 0)
        theme_blocks: list[dict[str, Any]] = []
        links: list[dict[str, str]] = []
        for theme in themes:
            objective_blocks = []
            in_force = [o for o in theme.objectives if any(k.first <= y <= k.last for k in o.kpis)]
            for objective in in_force:
                kpis = []
                for kpi in objective.kpis:
                    if kpi.first <= y <= kpi.last:
                        kpis.append(self._kpi_block(kpi, rng, y, year, current, counts))
                objective_blocks.append(
                    {
                        "code": objective.code,
                        "name": objective.name,
                        "perspective": objective.perspective,
                        "outcomes": [{"text": f"{_roc(year)}年度{objective.name}目標達成"}],
                        "kpis": kpis,
                    }
                )
            codes = {o.code: o.perspective for o in in_force}
            for objective in in_force:
                toward = [c for c, p in codes.items() if p == FEEDS.get(objective.perspective)]
                if toward:
                    links.append({"from": objective.code, "to": toward[len(links) % len(toward)]})
            block: dict[str, Any] = {"code": theme.code, "name": theme.name}
            if theme.group:
                block["group"] = theme.group
            if theme.takes_over:
                block["takes_over"] = theme.takes_over
                block["takes_over_printed"] = f"對應府級{theme.takes_over}"
            block["objectives"] = objective_blocks
            theme_blocks.append(block)
        document = {
            "format": "stratmap/1",
            "organization": org,
            "year": year,
            "version": {
                "label": f"{_roc(year)}年度（{SYNTHETIC}）",
                "in_force": True,
                "published": True,
                "source": f"stratmap.exchange.synthetic, seed {self.shape.seed} ({SYNTHETIC})",
            },
            "title": f"{name}{_roc(year)}年度策略地圖（{SYNTHETIC}）",
            "mission": "為市民服務，替城市創新（合成）",
            "vision": "成為宜居永續城市（合成）",
            "values": ["正直誠信", "團隊合作", "創新卓越", "開放共享"],
            "note": f"SYNTHETIC DATA ({SYNTHETIC}) written by stratmap.exchange.synthetic for the scale "
            "benchmark: not a real organization's map.",
            "perspectives": [{"code": c, "name": n, "name_en": e} for c, n, e in PERSPECTIVES],
            "themes": theme_blocks,
            "links": links,
        }
        return document, counts

    def _kpi_block(
        self, kpi: _Kpi, rng: random.Random, y: int, year: int, current: bool, counts: dict[str, int]
    ) -> dict[str, Any]:
        def target(at: int) -> float:
            return _round(kpi.base * (1 + kpi.growth) ** at, kpi.percent)

        block: dict[str, Any] = {"code": kpi.code, "name": kpi.name, "unit": kpi.unit}
        if kpi.polarity != "positive":
            block["polarity"] = kpi.polarity
        if kpi.target_type != "ratio":
            block["target_type"] = kpi.target_type
        block["agencies"] = kpi.agencies
        if kpi.tags:
            block["tags"] = kpi.tags
        if kpi.cites:
            block["cites"] = kpi.cites
            block["cites_printed"] = f"府級KPI：{kpi.cites}"
            counts["cites"] += 1
        block["lineage"] = kpi.lineage
        block["targets"] = {year + i: target(y + i) for i in range(3)}
        status = None
        if not current:
            status = "published"
        else:
            draw, floor = rng.random(), 0.0
            for share, name in CYCLE:
                floor += share
                if draw < floor:
                    status = name
                    break
        if status:
            block["results"] = {year: self._result(kpi, rng, target(y), status)}
            counts["results"] += 1
        block["action_plans"] = kpi.plans
        counts["kpi_years"] += 1
        counts["plans"] += len(kpi.plans)
        counts["tasks"] += sum(len(p["tasks"]) for p in kpi.plans)
        return block

    @staticmethod
    def _result(kpi: _Kpi, rng: random.Random, target: float, status: str) -> dict[str, Any]:
        if rng.random() < 0.02:
            return {"unknown_reason": "主計資料尚未發布（合成）", "unknown_kind": "not_released", "status": status}
        actual = _round(target * rng.uniform(0.8, 1.2), kpi.percent)
        result: dict[str, Any] = {"actual": actual}
        for part in ("innovation", "challenge", "contribution"):
            result[part] = rng.randint(70, 95)
        if rng.random() < 0.3:
            result["innovation_note"] = f"{kpi.name}導入新作法，擴大服務對象並整合跨局處資源（合成說明）。"
        short = actual < target if kpi.polarity == "positive" else actual > target
        if short:
            result["situation_analysis"] = "受外部環境影響，執行進度較預期落後（合成說明）。"
            result["countermeasures"] = "滾動檢討執行方式，加強跨機關協調（合成說明）。"
        result["status"] = status
        return result


def header(what: str, shape: Shape) -> str:
    return (
        f"# SYNTHETIC DATA ({SYNTHETIC}): {what}, written by stratmap.exchange.synthetic (seed {shape.seed})\n"
        "# for `stratmap benchmark-scale`. No real organization; names, codes and figures are invented.\n"
    )


def write(folder: Path, shape: Shape) -> Written:
    """Write ``shape.cities`` synthetic cities under ``folder``, a folder of files per city; return the counts."""
    started = time.perf_counter()
    written = Written()
    for index in range(1, shape.cities + 1):
        city = _City(index, shape)
        where = folder / city.code
        where.mkdir(parents=True, exist_ok=True)
        written.bytes += _dump(where / "organizations.yaml", city.organizations(), header("organizations", shape))
        written.files += 1
        for name, document, counts in city.maps():
            what = f"the map of {document['organization']} for {document['year']}"
            written.bytes += _dump(where / name, document, header(what, shape))
            written.files += 1
            written.maps += 1
            for key, value in counts.items():
                setattr(written, key, getattr(written, key) + value)
    written.seconds = time.perf_counter() - started
    return written


def _dump(path: Path, document: dict[str, Any], comment: str) -> int:
    dumped = yaml.dump(
        document, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=120, default_flow_style=None
    )
    text = comment + dumped
    data = text.encode("utf-8")
    path.write_bytes(data)
    return len(data)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m stratmap.exchange.synthetic", description=__doc__.split("\n\n")[0] if __doc__ else None
    )
    parser.add_argument("folder", type=Path, help="where to write: a folder per city")
    defaults = Shape()
    for name in ("cities", "bureaus", "kpis", "years", "last_year", "seed"):
        parser.add_argument(f"--{name.replace('_', '-')}", type=int, default=getattr(defaults, name))
    args = parser.parse_args(argv)
    shape = Shape(**{name: getattr(args, name) for name in ("cities", "bureaus", "kpis", "years", "last_year", "seed")})
    if problems := shape.problems():
        parser.error("; ".join(problems))
    written = write(args.folder, shape)
    print(f"wrote {written} to {args.folder} in {written.seconds:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
