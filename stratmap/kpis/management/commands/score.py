"""``stratmap score --org CODE --year YEAR [--period 2024-Q3] [--theme D] [--format table|json|csv]``."""

from __future__ import annotations

import json
from decimal import ROUND_HALF_UP, Decimal

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from stratmap.access import SYSTEM
from stratmap.core.commands import org_and_year, period_option
from stratmap.core.names import local_name
from stratmap.core.spreadsheet import SafeDictWriter
from stratmap.core.years import format_year
from stratmap.kpis.presenters import derived_text, points_text, summary_sentence, target_text
from stratmap.kpis.scoring import Policy, Role, Rollup
from stratmap.kpis.selectors import Scorecard, ScoredKpi, scorecard
from stratmap.strategy.models import StrategyMap
from stratmap.text import text_table, truncate

ROLLUP_LEVELS = {
    "organization": gettext_lazy("organization"),
    "theme": gettext_lazy("strategic theme"),
    "perspective": gettext_lazy("perspective"),
    "objective": gettext_lazy("strategic objective"),
    "agency": gettext_lazy("agency"),
    # By the weights of objectives and themes; empty where none has a weight (kpis.selectors.GROUP_WEIGHT_LEVELS).
    "objective_points": gettext_lazy("objective, of its weight"),
    "theme_points": gettext_lazy("theme, of its weight"),
    "organization_by_objective": gettext_lazy("organization, by objective weights"),
    "organization_by_theme": gettext_lazy("organization, by theme weights"),
}


def weights_record(card: Scorecard) -> dict:
    """The weights of the map's objectives and themes scored, and the total declared; empty when none is given."""
    objectives = {row.kpi.objective.code: row.kpi.objective.weight for row in card.rows}
    themes = {
        row.kpi.objective.theme.code: row.kpi.objective.theme.weight for row in card.rows if row.kpi.objective.theme
    }
    record = {
        "declared": rounded(card.map.weights_declared, 4),
        "objectives": {code: rounded(weight, 4) for code, weight in objectives.items() if weight is not None},
        "themes": {code: rounded(weight, 4) for code, weight in themes.items() if weight is not None},
    }
    given = record["declared"] is not None or record["objectives"] or record["themes"]
    return record if given else {}


def rounded(value: Decimal | None, places: int) -> float | None:
    if value is None:
        return None
    return float(value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP))


def plain(value: Decimal | None) -> str:
    return "" if value is None else format(value.normalize(), "f")


def kpi_record(row: ScoredKpi) -> dict:
    """One KPI as the JSON and CSV forms give it."""
    s = row.score
    style = row.kpi.objective.map.organization.year_style
    with translation.override("en"):
        derived = {
            # The periods the year's (or the year to date's) actual and target were made of; empty: as entered.
            "actual_from": [style.period_key(p) for p in row.actual_from],
            "target_from": [style.period_key(p) for p in row.target_from],
            "actual_derived": derived_text(row.actual_from, style),
            "target_derived": derived_text(row.target_from, style),
        }
    return {
        "code": row.kpi.code,
        "name": row.kpi.name,
        "theme": s.kpi.theme,
        "perspective": s.kpi.perspective,
        "objective": s.kpi.objective,
        "agencies": list(s.kpi.agencies),
        "polarity": s.kpi.polarity,
        "target_type": s.kpi.target_type,
        "stages": [rounded(v, 4) for v in s.kpi.stages],
        "baseline": rounded(s.kpi.baseline, 4),
        "target": rounded(s.kpi.target, 4),
        "target_upper": rounded(s.kpi.target_upper, 4),
        "weight": rounded(s.kpi.weight, 4),
        "method": s.method,
        "actual": rounded(s.kpi.actual, 4),
        "rate": rounded(s.rate.percent, 1),
        "met": s.met,
        "score_reported": rounded(s.score_reported, 2),
        "score_computed": rounded(s.score_computed, 2),
        "light": s.light.key,
        "light_reported": (row.result.light_reported or None) if row.result else None,
        "unknown_reason": s.unknown_reason,
        "flag": s.flag,
        "aggregation": row.kpi.aggregation or None,
        **derived,
    }


def rollup_record(level: str, r: Rollup) -> dict:
    return {
        "level": level,
        "key": r.key,
        "count": r.count,
        "met": r.met,
        "not_met": r.not_met,
        "unknown": r.unknown,
        "data_only": r.data_only,
        "lights": r.light_counts,
        "light": r.light.key,
        "average": rounded(r.average, 2),
        "weighted_average": rounded(r.weighted_average, 2),
        "points": rounded(r.points, 2),
        "possible": rounded(r.possible, 4),
    }


def policy_record(policy: Policy) -> dict:
    """Everything the scores were worked out with: the method, its light set, weights, thresholds and bands."""
    return {
        "key": policy.key or None,  # the named rating policy's, None for a map's own composite or the default
        "method": policy.method,
        "lights": {
            "key": policy.lights.key,
            "levels": [
                {
                    "key": level.key,
                    "symbol": level.symbol,
                    "names": dict(level.names),
                    "colour": level.colour,
                    "role": level.role.value,
                }
                for level in policy.lights
            ],
        },
        **{name: float(getattr(policy, name)) for name in (*Policy.WEIGHTS, "achievement_cap", "flag_tolerance")},
        "thresholds": {key: float(minimum) for key, minimum in policy.thresholds},
        "bands": [{"level": b.level, "within": rounded(b.within, 4)} for b in policy.bands],
        "tolerance": policy.tolerance,
        "objective_rule": policy.objective_rule,
    }


class Command(BaseCommand):
    help = "Score an organization's KPIs for a year: rates, totals, lights, and rollups."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--org", required=True, help="organization code, e.g. taipei")
        parser.add_argument("--year", required=True, help="ROC (108) or AD (2019) year")
        parser.add_argument(
            "--period",
            help="the year to date at a period of the year: 2024-Q3, 2024-H1, 2024-05 (a month), or Q3, H1",
        )
        parser.add_argument("--theme", help="only this theme, e.g. D")
        parser.add_argument("--format", choices=["table", "json", "csv"], default="table")
        parser.add_argument("--language", choices=["zh-hant", "en"], help="language of the table (default zh-hant)")

    def handle(
        self,
        *args,
        org: str,
        year: str,
        theme: str | None,
        format: str,
        language: str | None,
        period: str | None = None,
        **options,
    ):
        ad_year = org_and_year(org, year)
        chosen = period_option(org, ad_year, period) if period else None
        try:
            card = scorecard(organization=org, year=ad_year, theme=theme, access=SYSTEM, period=chosen)
        except StrategyMap.DoesNotExist:
            raise CommandError(f"{org} has no map in force for {year}") from None
        if theme and not card.rows and not card.map.themes.filter(code=theme).exists():
            raise CommandError(f"--theme: the {year} map of {org} has no theme {theme!r}")
        with translation.override(language or translation.get_language() or "zh-hant"):
            getattr(self, f"write_{format}")(card)

    def write_json(self, card: Scorecard) -> None:
        data = {
            "organization": card.map.organization.code,
            "year": card.year,
            # The stored year is the AD year the organization's year starts in; the label is how it reads.
            "year_label": format_year(card.year, "en", card.map.organization.year_style),
            "year_start_month": card.map.organization.year_start_month,
            "theme": card.theme,
            # None: the whole year; else the year to date at this period.
            "period": card.map.organization.year_style.period_key(card.period) if card.period else None,
            "policy": policy_record(card.policy),
            **({"weights": weights} if (weights := weights_record(card)) else {}),
            "kpis": [kpi_record(row) for row in card.rows],
            "rollups": [rollup_record(level, r) for level in ROLLUP_LEVELS for r in card.rollups[level].values()],
            "summary": {lang: self.summary(card, lang) for lang in ("zh", "en")},
        }
        self.stdout.write(json.dumps(data, ensure_ascii=False, indent=2))

    def write_csv(self, card: Scorecard) -> None:
        records = [kpi_record(row) for row in card.rows]
        fields = list(records[0]) if records else list(kpi_record.__annotations__)
        writer = SafeDictWriter(self.stdout, fieldnames=fields, lineterminator="\n")  # names open in Excel
        writer.writeheader()
        for record in records:
            writer.writerow({**record, "agencies": " ".join(record["agencies"])})

    def summary(self, card: Scorecard, language: str) -> str:
        (org_rollup,) = card.rollups["organization"].values()
        style = card.map.organization.year_style
        return summary_sentence(org_rollup, card.year, card.theme, language, style=style, period=card.period)

    def write_table(self, card: Scorecard) -> None:
        language = translation.get_language()
        headers = [
            _("code"), _("name"), _("target"), _("actual"), _("rate %"), _("computed"),
            _("reported"), _("light"), _("met"), _("flag"),
        ]  # fmt: skip
        rows = []
        for row in card.rows:
            s = row.score
            light = s.light.text(language)
            met = {True: _("yes"), False: _("no"), None: "?"}[s.met]
            upper = s.kpi.target_upper  # a range reads "−1 to 1": "-1" alone would say the target is −1
            rows.append(
                [
                    row.kpi.code,
                    truncate(row.kpi.name, 24),
                    plain(s.kpi.target) if upper is None else target_text(s.kpi.target, upper),
                    plain(s.kpi.actual),
                    "" if s.rate.percent is None else f"{rounded(s.rate.percent, 1):.1f}",
                    "" if s.score_computed is None else f"{rounded(s.score_computed, 2):.2f}",
                    "" if s.score_reported is None else plain(s.score_reported),
                    light,
                    met,
                    "!" if s.flag else "",
                ]
            )
        year = format_year(card.year, style=card.map.organization.year_style)
        if card.period:
            year = card.map.organization.year_style.period_label(card.period) + " " + _("year to date")
        title = f"{local_name(card.map.organization, full=True)} {year}" + (f" {card.theme}" if card.theme else "")
        self.stdout.write(title)
        self.stdout.write(text_table(headers, rows, right={2, 3, 4, 5, 6}))
        unknown = [row for row in card.rows if row.score.light.role is Role.UNKNOWN and row.score.unknown_reason]
        if unknown:
            self.stdout.write("\n" + _("unknown:"))
            for row in unknown:
                self.stdout.write(f"  {row.kpi.code}: {row.score.unknown_reason}")
        self.stdout.write("")
        roll_headers = [_("level"), _("group"), _("KPIs"), _("met"), _("not met"), _("lights"), _("average")]
        # the weighted columns only where something has a weight: Taipei's table stays as it was
        weighted = any(r.points is not None for level in ROLLUP_LEVELS for r in card.rollups[level].values())
        if weighted:
            roll_headers += [_("weighted average"), _("points")]
        roll_rows = []
        for level in ROLLUP_LEVELS:
            for r in card.rollups[level].values():
                lights = " ".join(f"{light.symbol}{r.lights[light]}" for light in r.light_set if r.lights[light])
                average = "" if r.average is None else f"{rounded(r.average, 2):.2f}"
                roll_rows.append(
                    [
                        str(ROLLUP_LEVELS[level]),
                        str(r.key) or "-",
                        str(r.count),
                        str(r.met),
                        ",".join(r.not_met),
                        lights,
                        average,
                    ]
                )
                if weighted:
                    average = "" if r.weighted_average is None else f"{rounded(r.weighted_average, 2):.2f}"
                    roll_rows[-1] += [average, points_text(r)]
        self.stdout.write(text_table(roll_headers, roll_rows, right={2, 3, 6, 7, 8}))
        self.stdout.write("\n" + self.summary(card, language))
