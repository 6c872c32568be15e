"""Quotable units of an article: sentences, list items, table rows.

The bot answers by quoting an article's own sentences, so it needs to know,
for every sentence, what a patient would need beside it to understand it: a
list item ("pendant l'allaitement ;") means nothing without its lead-in
("La toxine est déconseillée :"); a sentence opening on a pronoun or "Cette
solution" needs the sentence it refers to. Units are cut here once, at build
time, from the article's Markdown body, with those links recorded; reference
lists and bibliographies are marked so they are never quoted.

The word lists this needs (pronoun openers, headings of reference sections)
are closed classes of French and English function words, kept in
``index/data/units.json``.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, fields
from functools import lru_cache
from pathlib import Path

from index.articles import Article

DATA_FILE = Path(__file__).with_name("data") / "units.json"

SENTENCE = "sentence"
ITEM = "item"
ROW = "row"
REFERENCE = "reference"

HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
BULLET = re.compile(r"^\s*(?:[-*+•·▪◦]|\d{1,2}[.)])\s+")
TABLE_RULE = re.compile(r"^\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?\s*$")
REFERENCE_LINE = re.compile(r"^\s*(?:\(\d{1,3}\)|\[\d{1,3}\]|\d{1,3}\.\s+[A-ZÀ-Ý][^.]{0,80}[–—-])")
SENTENCE_END = re.compile(r"(?<=[.!?…])\s+(?=[«\"(A-ZÀ-ÖØ-Ý0-9])")
# Markdown markup that must not show in a quote.
LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
EMPHASIS = re.compile(r"(\*\*|__|\*|_|`)(?=\S)(.+?)(?<=\S)\1")
# A standalone sentence shorter than this is a caption or a fragment, not an answer.
MIN_SENTENCE_CHARS = 20


@dataclass(frozen=True)
class Unit:
    """One quotable piece of an article.

    Attributes:
        source: the article's id.
        order: position of the unit in the article.
        section: heading path (``Titre > Sous-titre``) or None.
        text: the words as shown to patients (markup removed).
        kind: ``sentence``, ``item`` (list item), ``row`` (table row) or ``reference`` (never quoted).
        lead: order of the sentence introducing a list or table, or -1.
        depends: order of the sentence a pronoun-led sentence refers to, or -1.
    """

    source: str
    order: int
    section: str | None
    text: str
    kind: str = SENTENCE
    lead: int = -1
    depends: int = -1

    def to_dict(self) -> dict:
        # Every field is a plain value: a shallow dict, much cheaper than dataclasses.asdict's deep copy.
        return {f.name: getattr(self, f.name) for f in fields(self)}

    @classmethod
    def from_dict(cls, data: dict) -> Unit:
        return cls(**data)


@lru_cache(maxsize=1)
def _rules() -> dict:
    data = json.loads(DATA_FILE.read_text(encoding="utf-8"))
    return {
        "openers": tuple(w.lower() for w in data["dependent_openers"]),
        "reference_headings": tuple(h.lower() for h in data["reference_headings"]),
    }


def strip_markup(text: str) -> str:
    """Inline Markdown removed: links keep their text, emphasis loses its stars."""
    text = LINK.sub(r"\1", text)
    for _ in range(2):  # nested emphasis (**_x_**)
        text = EMPHASIS.sub(r"\2", text)
    text = text.replace("**", "").replace("\\", "")
    return re.sub(r"\s+", " ", text).strip()


def _is_dependent(sentence: str) -> bool:
    low = sentence.lower()
    return any(low == w or low.startswith(w + " ") or low.startswith(w + "'") for w in _rules()["openers"])


def _split_sentences(paragraph: str) -> list[str]:
    return [s.strip() for s in SENTENCE_END.split(paragraph) if s.strip()]


def _table_cells(line: str) -> list[str]:
    return [strip_markup(c) for c in line.strip().strip("|").split("|")]


def article_units(article: Article) -> list[Unit]:
    """Cut an article's Markdown body into quotable units with their links."""
    units: list[Unit] = []
    path: list[tuple[int, str]] = []
    in_references = False
    last_sentence = -1  # order of the last prose sentence in the current section
    list_lead = -1  # order of the sentence introducing the current list or table
    table_header: list[str] | None = None
    previous_kind = ""

    def section() -> str | None:
        return " > ".join(h for _, h in path) or None

    def add(text: str, kind: str, lead: int = -1, depends: int = -1) -> int:
        units.append(Unit(article.source, len(units), section(), text, kind, lead, depends))
        return len(units) - 1

    for raw in article.body.splitlines():
        line = raw.strip()
        if not line:
            if previous_kind != "item":
                table_header = None
            continue
        heading = HEADING.match(line)
        if heading:
            level, title = len(heading.group(1)), strip_markup(heading.group(2))
            path = [(lv, h) for lv, h in path if lv < level] + [(level, title)]
            in_references = title.lower().rstrip(" :") in _rules()["reference_headings"]
            last_sentence, list_lead, table_header, previous_kind = -1, -1, None, "heading"
            continue
        if in_references or REFERENCE_LINE.match(line):
            add(strip_markup(line), REFERENCE)
            previous_kind = "reference"
            continue
        if line.startswith("|"):
            if TABLE_RULE.match(line):
                continue
            cells = _table_cells(line)
            if table_header is None:
                table_header = cells
                continue
            pairs = [f"{h} : {c}" if h and h != c else c for h, c in zip(table_header, cells, strict=False) if c]
            add(" ; ".join(pairs), ROW, lead=list_lead if list_lead >= 0 else last_sentence)
            previous_kind = "item"
            continue
        bullet = BULLET.match(line)
        if bullet:
            text = strip_markup(line[bullet.end():])
            if len(text) >= 3 and any(ch.isalpha() for ch in text):
                if previous_kind != "item":
                    # A list belongs to the sentence right before it when that sentence introduces it.
                    list_lead = last_sentence if previous_kind == "sentence" else -1
                add(text, ITEM, lead=list_lead)
                previous_kind = "item"
            continue
        sentences = _split_sentences(strip_markup(line))
        for sentence in sentences:
            if not any(ch.isalpha() for ch in sentence):
                continue
            if len(sentence) < MIN_SENTENCE_CHARS and not sentence.endswith(":"):
                continue
            depends = last_sentence if _is_dependent(sentence) else -1
            last_sentence = add(sentence, SENTENCE, depends=depends)
        previous_kind = "sentence" if sentences else previous_kind
    return units


def embedding_text(unit: Unit, title: str, units: list[Unit]) -> str:
    """What the model sees for a unit: its section (the title for an article's opening), the lead-in of an item.

    The title is left out under a section: every unit of an article would share
    it and look alike to the model (measured: the answering unit ranked first for
    0.56 of the tuned questions without it, 0.54 with it).
    """
    head = unit.section or title
    body = unit.text
    if unit.lead >= 0:
        body = f"{units[unit.lead].text} {body}"
    elif unit.depends >= 0:
        body = f"{units[unit.depends].text} {body}"
    return f"{head}\n{body}"
