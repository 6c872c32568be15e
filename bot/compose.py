"""Composing a short extractive answer from the units that answer best.

The bot never writes medical content itself: it quotes, verbatim, the units
(sentences, list items, table rows) that :mod:`bot.quotes` scores most likely
to answer, each followed by the number of its source. A quoted list item comes
with the sentence that introduces it, a sentence opening on a pronoun with the
sentence it refers to, so every quote reads on its own. Quotes stay short:
a patient reads the answer, then follows the link for the whole article.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import quote

import numpy as np

from bot.answer import Citation
from bot.quotes import Candidate, QuoteModel, candidates, score
from bot.retrieval import Retrieval, Retriever
from index.units import Unit


@dataclass(frozen=True)
class SelectionSettings:
    """How many units to quote; fitted with the quote model (``bench/calibrate_quotes.py``).

    Attributes:
        keep_ratio: a further unit is quoted if its probability is at least this share of the best.
        other_article_ratio: the same for a unit of another article (a second citation).
        max_chars: quoted text stops growing past this many characters.
        max_units: at most this many chosen units (their lead-ins and referents not counted).
    """

    keep_ratio: float = 0.7
    other_article_ratio: float = 0.85
    max_chars: int = 600
    max_units: int = 3


@dataclass
class Picked:
    """A unit chosen to be quoted (``context`` units are quoted only to make it readable)."""

    source: str
    unit: Unit
    score: float
    context: bool = False

    @property
    def sentence(self) -> str:
        return self.unit.text


def select(
    ranked: list[Candidate], retriever: Retriever, max_sentences: int, settings: SelectionSettings
) -> list[Picked]:
    """The best unit, then others close to it, each with the units it needs to be understood."""
    if not ranked:
        return []

    def with_context(unit: Unit) -> list[Unit]:
        link = unit.lead if unit.lead >= 0 else unit.depends
        return [unit] if link < 0 else [retriever.unit_at(unit.source, link), unit]

    best = ranked[0]
    chosen: list[Candidate] = [best]
    used = with_context(best.unit)
    chars = sum(len(u.text) for u in used)
    for cand in ranked[1:]:
        if len(chosen) >= max_sentences:
            break
        ratio = settings.keep_ratio if cand.unit.source == best.unit.source else settings.other_article_ratio
        if cand.probability < ratio * best.probability:
            break
        needed = [u for u in with_context(cand.unit) if u not in used]
        extra = sum(len(u.text) for u in needed)
        if not needed or chars + extra > settings.max_chars:
            continue
        chosen.append(cand)
        used.extend(needed)
        chars += extra
    by_unit = {c.unit: c.probability for c in chosen}
    return [Picked(u.source, u, by_unit.get(u, 0.0), context=u not in by_unit) for u in used]


def rank_units(
    question: str, query_vector: np.ndarray, retrieval: Retrieval, retriever: Retriever, model: QuoteModel
) -> list[Candidate]:
    """Every quotable unit of the best articles, scored, best first."""
    return score(candidates(question, query_vector, retrieval, retriever), model)


def compose(
    ranked: list[Candidate],
    retriever: Retriever,
    max_sentences: int,
    settings: SelectionSettings | None = None,
    article_order: list[str] | None = None,
) -> tuple[list[Picked], list[Citation]]:
    """Choose the quoted units among ``ranked`` and build the numbered citations.

    Citations follow ``article_order`` (the retrieval's article ranking) when
    given, else the best unit's score. When units of two articles are quoted,
    the retrieval's ranking, which weighs every passage of an article, names
    the right article first more often than the single best unit does
    (BENCHMARKS.md, citation order).
    """
    settings = settings or SelectionSettings()
    picked = select(ranked, retriever, min(max_sentences, settings.max_units), settings)
    citations: list[Citation] = []
    order = list(dict.fromkeys(p.source for p in sorted(picked, key=lambda p: -p.score)))
    if article_order:
        rank = {source: i for i, source in enumerate(article_order)}
        order.sort(key=lambda source: rank.get(source, len(rank)))
    for source in order:
        mine = sorted((p for p in picked if p.source == source), key=lambda p: p.unit.order)
        chunk = retriever.first_chunk(source)
        main = max(mine, key=lambda p: p.score)
        citations.append(
            Citation(
                n=len(citations) + 1,
                source=source,
                title=chunk.title,
                url=chunk.url,
                section=main.unit.section,
                quote=join_units([p.unit for p in mine]),
                score=round(main.score, 4),
                link=text_fragment_link(chunk.url, main.unit.text),
            )
        )
    return picked, citations


def join_units(units: list[Unit]) -> str:
    """Units of one article as one quote, in article order; a gap between them shows as " … "."""
    parts: list[str] = []
    previous = None
    for unit in units:
        if previous is not None and unit.order != previous.order + 1 and unit.lead != previous.order:
            parts.append("…")
        parts.append(unit.text)
        previous = unit
    return " ".join(parts)


def answer_text(intro: str, citations: list[Citation]) -> str:
    """Intro line, then the quoted units grouped by source, each group ending with its [n]."""
    parts = [f"{c.quote} [{c.n}]" for c in citations]
    return intro + "\n\n" + "\n\n".join(parts)


_FRAGMENT_UNSAFE = re.compile(r"[-,&]")


def text_fragment_link(url: str | None, sentence: str) -> str | None:
    """The article's published address with a text fragment that scrolls to the quote.

    ``#:~:text=start,end`` with a few words from each end of the sentence: the
    page's own rendering may differ inside the sentence (links, line breaks),
    rarely at its ends. ``-``, ``,`` and ``&`` are escaped as the syntax asks.
    """
    if not url:
        return None
    words = sentence.split()
    if not words:
        return url

    def enc(text: str) -> str:
        return _FRAGMENT_UNSAFE.sub(lambda m: f"%{ord(m.group()):02X}", quote(text, safe=" ")).replace(" ", "%20")

    base = url.split("#", 1)[0]
    if len(words) <= 8:
        return f"{base}#:~:text={enc(' '.join(words))}"
    return f"{base}#:~:text={enc(' '.join(words[:4]))},{enc(' '.join(words[-4:]))}"
