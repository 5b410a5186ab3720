"""Text of one language left unmarked on a page of the other (WCAG 3.1.2, issue 17 item 5): English on a Chinese
page outside an element whose ``lang`` says English, Chinese on an English page outside one that says Chinese.

A page mixes the interface's words, the data's (a council's English names on a Chinese page) and what reads the
same in either language (numbers, codes, acronyms, file names). A test cannot tell the interface from the data,
so it asks the one thing both owe the reader: a run of the other language carries its ``lang``. What may stand
unmarked is listed below, short and on purpose:

- **numbers, dates, codes**: any token with a digit (DP5.1, Q2, 2024/25, H1.1.1) and one or two capitals alone
  (a theme's D, a TOWS quadrant's SO);
- **addresses**: URLs and e-mail addresses;
- **file and field names**: a token joining words with ``.`` or ``_`` (scorecard.csv, organization_code), an
  extension (.xlsx), and anything inside ``<code>`` (machine names are in no language);
- **names in no language**: an element marked ``translate="no"`` (a user name, an agency's code);
- **text of no stated language**: inside ``lang=""`` (HTML's "unknown"), such as the field of a free note that
  people write in either language;
- **acronyms, units and product names** used as they are in Chinese text: :data:`NEUTRAL`;
- **a single Latin word inside a Chinese sentence** (Bravo職涯4年計畫, E化, MICE, ICT): a loanword of the Chinese
  text, read in it; two English words in a row in a Chinese text are English, and must be marked.
"""

from __future__ import annotations

import re
from itertools import pairwise

from lxml import html as lxml_html

#: Acronyms, units and product names that read the same on a Chinese page (KPI, PDF, ...): the short list.
NEUTRAL = frozenset(
    {"stratmap", "KPI", "KSF", "PDF", "CSV", "JSON", "API", "ODF", "OpenDocument", "TOWS", "SWOT", "SVG", "Excel"}
    | {"PowerPoint"}
)
CHINESE = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uf900-\ufaff\uff00-\uff1e\uff20-\uffef]")
TOKEN = re.compile(r"(?:https?://|www\.)\S+|[\w.+-]+@[\w-]+\.[\w.]+|\.?[A-Za-z][A-Za-z0-9'’._/-]*")
#: What lies between two words of one English run.
BETWEEN_WORDS = re.compile(r"[\s,&'’-]*")
#: Elements whose text is not read as the page's: scripts, machine names.
NOT_TEXT = {"script", "style", "template", "code"}
#: The attributes a screen reader says (an attribute cannot hold a ``<span lang>``: the element's own ``lang``).
SAID = ("aria-label", "alt", "placeholder", "title")


def _neutral(token: str) -> bool:
    token = token.rstrip(".")
    return (
        "://" in token
        or token.startswith("www.")
        or "@" in token
        or any(c.isdigit() for c in token)
        or re.fullmatch(r"[A-Z]{1,2}", token) is not None
        or re.fullmatch(r"\w*(?:[._]\w+)+", token) is not None
        or token in NEUTRAL
    )


def english_in(text: str) -> bool:
    """Whether ``text``, on a Chinese page, holds English that should be marked (see the module's list)."""
    words = [m for m in TOKEN.finditer(text) if not _neutral(m.group())]
    if not words:
        return False
    if not CHINESE.search(text):
        return True
    return any(BETWEEN_WORDS.fullmatch(text[one.end() : two.start()]) for one, two in pairwise(words))


def chinese_in(text: str) -> bool:
    """Whether ``text``, on an English page, holds Chinese (its characters, full-width punctuation; the
    full-width ？ is the unknown light's symbol, in no language)."""
    return CHINESE.search(text) is not None


def _lang(element) -> str | None:
    """The language an element is in, as the nearest ``lang`` says it ("" unknown), None where none says."""
    for each in (element, *element.iterancestors()):
        if each.get("lang") is not None:
            return str(each.get("lang")).lower()
    return None


def unmarked(content: bytes | str, language: str) -> list[str]:
    """The texts of a page (its HTML) in the other language than ``language`` ("zh-hant" or "en") that no element
    marks with their language, each as ``tag: text`` (``tag@attribute: text`` for what an attribute says);
    hidden text (``aria-hidden``, ``hidden``) is left out, as no one reads it, and so is what a ``role="img"`` draws
    (a chart's axis): a screen reader says the image's label, which is checked, not its parts."""
    chinese_page = language.lower().startswith("zh")
    other, found_in = ("en", english_in) if chinese_page else ("zh", chinese_in)
    body = lxml_html.fromstring(content).find("body")
    found: list[str] = []
    for element in body.iter() if body is not None else ():
        if not isinstance(element.tag, str):
            continue
        chain = (element, *element.iterancestors())
        if any(
            e.tag in NOT_TEXT
            or e.get("translate") == "no"
            or e.get("aria-hidden") == "true"
            or e.get("hidden") is not None
            for e in chain
        ):
            continue
        lang = _lang(element)
        if lang == "" or (lang or "").startswith(other):
            continue
        texts = [element.text, *(child.tail for child in element)]
        if any(e.get("role") == "img" for e in element.iterancestors()):
            texts = []
        found += [f"{element.tag}: {' '.join(t.split())[:100]}" for t in texts if t and found_in(t)]
        found += [
            f"{element.tag}@{a}: {element.get(a)[:100]}" for a in SAID if element.get(a) and found_in(element.get(a))
        ]
    return list(dict.fromkeys(found))
