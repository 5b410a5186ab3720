"""Nothing unpublished reaches the public (issue 10, item 7).

With draft, submitted, returned and approved results (actual 777.77, narratives marked) on the
108 and 109 maps, an unpublished 111 map of the city and of 產業局 (with a published-status result
and a later target of its own), every page and download of every URL pattern is fetched as the
public: none of it shows, and every page and download is exactly what the public saw before any of
it existed (so that not even a light's colour, like the 108 theme-D deck colouring part 2's 109 map
with draft results, gives it away). The reports are also rendered through their builders with the
public's access, whatever the download view does with them.
"""

from __future__ import annotations

import hashlib
import io
import re
import zipfile
from decimal import Decimal

import pytest
from django.contrib.auth.models import AnonymousUser
from pypdf import PdfReader

from stratmap.access import SYSTEM, Access
from stratmap.core.models import Organization
from stratmap.kpis.models import Kpi, KpiLineage, KpiResult, KpiTarget
from stratmap.reports.content import report_content
from stratmap.reports.deck import render_deck
from stratmap.reports.pdf import report_html
from stratmap.reports.xlsx import scorecard_workbook
from stratmap.revisions.services import map_roll_over
from stratmap.strategy.models import StrategyMap
from tests.routes import every_url

ACTUAL = Decimal("777.77")
TARGET = Decimal("888.88")
NOTE = "洩漏標記"  # in the narratives of results the public must not read
TITLE = "未公布標記"  # in the unpublished maps
MARKS = ["777.77", "777.8", "888.88", NOTE, TITLE]
STATUSES = ["draft", "submitted", "returned", "approved"]
#: The reports built through their functions: the issue's case (108 theme D, whose part 2 is the 109
#: map), a whole map with a next year, and a bureau's map whose next year is unpublished.
#: The invented council's: a priority of its last year, and its first year, whose next is published.
REPORTS = [("taipei", 2019, "D"), ("taipei", 2020, None), ("taipei-doed", 2021, "D")]
REPORTS += [("ashcombe", 2024, "H"), ("ashcombe", 2023, None)]
#: The last map of each organization with maps, rolled over to an unpublished next year.
LAST_MAPS = [("taipei", 2021), ("taipei-doed", 2021), ("ashcombe", 2024)]
#: Decks whose download page offers to prepare them: they are made (in tests, in the request) and downloaded.
PREPARED = ["/taipei/108/report.pptx?theme=D", "/taipei/108/report.pdf?theme=D"]


def hide_things() -> None:
    """Results the public must not see, on published maps, and three unpublished maps (the council's too)."""
    for year in (2019, 2020):
        kpis = Kpi.objects.filter(objective__map__organization__code="taipei", objective__map__year=year)
        free = list(kpis.exclude(results__year=year).order_by("code"))
        assert len(free) >= 3, year  # 108's group KPIs have no result; none of 109's has
        for i, kpi in enumerate(free):
            KpiResult.objects.create(
                kpi=kpi,
                year=year,
                actual=ACTUAL,
                status=STATUSES[i % len(STATUSES)],
                # Scored in full, so that they would light their objectives on a map.
                innovation=Decimal(80),
                challenge=Decimal(80),
                contribution=Decimal(80),
                situation_analysis=NOTE,
                countermeasures=NOTE,
                innovation_note=NOTE,
            )
    for org, year in LAST_MAPS:
        smap = StrategyMap.objects.get(organization__code=org, year=year)
        rolled = map_roll_over(access=SYSTEM, smap=smap, version=smap.version)
        assert not rolled.published
        rolled.title = f"{TITLE} {rolled.title}"
        rolled.save()
        objective = rolled.objectives.order_by("order").first()
        hidden = Kpi.objects.create(objective=objective, code="ZZ9.9", name=f"{TITLE}指標", order=99)
        hidden.agencies.add(Organization.objects.get(code=org))
        # Published, but on a map the public does not read.
        KpiResult.objects.create(kpi=hidden, year=year + 1, actual=ACTUAL, status="published")
        # A later target set only by the unpublished map, in the history of a published KPI of its lineage.
        for kpi in Kpi.objects.filter(objective__map=rolled).exclude(pk=hidden.pk).order_by("pk")[:1]:
            published = Kpi.objects.get(
                objective__map__organization__code=org, objective__map__year=year, code=kpi.code
            )
            lineage = published.lineage or KpiLineage.objects.create(organization=rolled.organization, key="leak-test")
            Kpi.objects.filter(pk__in=[kpi.pk, published.pk]).update(lineage=lineage)
            KpiTarget.objects.update_or_create(kpi=kpi, year=year + 1, defaults={"value": TARGET})
    # A quarter's result approved but not published, of a quarterly KPI the public has no period figure of.
    recycling = Kpi.objects.get(objective__map__organization__code="ashcombe", objective__map__year=2024, code="E1.2")
    KpiResult.objects.create(
        kpi=recycling, year=2024, period="Q2", actual=ACTUAL, status="approved", situation_analysis=NOTE
    )


# --- what a response says, comparable across runs -----------------------------------------------------


def office_text(data: bytes) -> str:
    """The XML of an Office file (and of the workbooks embedded in it), without its timestamps."""
    parts = []
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        for name in sorted(z.namelist()):
            if name.startswith("docProps/"):
                continue
            body = z.read(name)
            if name.endswith(".xlsx"):
                parts.append(f"{name}:\n{office_text(body)}")
            elif name.endswith((".xml", ".rels")):
                parts.append(f"{name}:\n{body.decode('utf-8')}")
            else:  # a picture: the strategy map with its lights is one
                parts.append(f"{name}: {hashlib.sha256(body).hexdigest()}")
    return "\n".join(parts)


def pdf_text(data: bytes) -> str:
    """A PDF as comparable text: its page count and a digest of all of it but its dates.

    WeasyPrint makes the same bytes of the same content, so equal digests mean that nothing, not a
    word nor a light's colour, differs; reading its words back (pypdf: 15 s for the theme deck) would
    prove less.
    """
    pages = len(PdfReader(io.BytesIO(data)).pages)
    undated = re.sub(rb"/(CreationDate|ModDate) \([^)]*\)", b"", data)
    return f"{pages} pages, sha256 {hashlib.sha256(undated).hexdigest()}"


def said(response) -> str:
    if response.status_code in (301, 302):
        return f"{response.status_code} {response['Location']}"
    kind = response.get("Content-Type", "")
    data = b"".join(response.streaming_content) if response.streaming else response.content
    if "officedocument" in kind:
        text = office_text(data)
    elif kind.startswith("application/pdf"):
        text = pdf_text(data)
    else:
        # What changes from one request to the next whatever the data: the CSRF token, the CSP nonce.
        text = re.sub(r'(name="csrfmiddlewaretoken" value|nonce)="[^"]*"', "", data.decode("utf-8"))
    return f"{response.status_code} {kind}\n{text}"


def fetch_all(client, urls: list[str]) -> dict[str, str]:
    said_to = {url: said(client.get(url)) for url in urls}
    for url in PREPARED:  # the deck's page offers to prepare it: have it made, then download it
        client.post(url)
        said_to[f"{url} (prepared)"] = said(client.get(url))
    return said_to


def marked(text: str) -> list[str]:
    return [mark for mark in MARKS if mark in text]


def test_no_page_or_download_shows_the_public_anything_unpublished(demo, client):
    before_urls = [u for urls in every_url().values() for u in urls]
    before = fetch_all(client, before_urls)
    assert not {u: marked(t) for u, t in before.items() if marked(t)}  # the demo holds no marks

    hide_things()
    urls = every_url()
    assert all(urls.values()), f"URL patterns not rendered here: {[n for n, u in urls.items() if not u]}"
    after = fetch_all(client, [u for group in urls.values() for u in group])

    assert {u: marked(t) for u, t in after.items() if marked(t)} == {}
    changed = sorted(u for u in before if after[u] != before[u])
    assert changed == [], "the public sees these differently once unpublished data exists"
    assert all(not after[f"{u} (prepared)"].startswith("200 text/html") for u in PREPARED), "not made"
    unpublished = [u for u in after if u not in before]
    assert unpublished and all(after[u].startswith(("404", "302 /accounts/login/")) for u in unpublished)


def test_the_reports_built_for_the_public_show_nothing_unpublished(demo):
    """Through the builders, as a background worker would render them with the public's access."""
    public = Access(AnonymousUser())

    def render() -> dict[str, str]:
        out = {}
        for org, year, theme in REPORTS:
            content = report_content(org, year, theme, access=public)
            deck = io.BytesIO()
            render_deck(content).save(deck)
            out[f"deck {org} {year} {theme}"] = office_text(deck.getvalue())
            if content.next is not None:
                lights = [(o.code, o.light and o.light.key) for o in content.next.spec.objectives]
                out[f"next year's lights {org} {year} {theme}"] = repr(lights)
            # What the PDF is printed from: its words, and the maps' SVG with their lights.
            out[f"pdf html {org} {year} {theme}"] = report_html(content)
        for org, year in (("taipei", 2019), ("taipei", 2020), ("taipei-doed", 2021), ("ashcombe", 2024)):
            book = io.BytesIO()
            scorecard_workbook(org, year, access=public, language="zh-hant").save(book)
            out[f"xlsx {org} {year}"] = office_text(book.getvalue())
        return out

    before = render()
    hide_things()
    after = render()
    assert {k: marked(v) for k, v in after.items() if marked(v)} == {}
    assert sorted(k for k in before if after[k] != before[k]) == []


@pytest.mark.parametrize(("org", "year"), LAST_MAPS)
def test_the_unpublished_next_year_is_left_out_of_the_publics_report_but_not_an_insiders(demo, org, year):
    hide_things()
    assert report_content(org, year, access=Access(AnonymousUser())).next is None
    assert report_content(org, year, access=SYSTEM).next.map.year == year + 1
