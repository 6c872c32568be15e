"""Composing a short extractive answer from the best passages.

The bot never writes medical content itself: it picks, from the passages that
retrieval ranked best, the few sentences that share the most with the question
and quotes them verbatim, each followed by the number of its source. Passages
far below the best one are left out, and sentences of the same article share
one citation.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from bot.answer import Citation
from bot.retrieval import Hit, Retrieval, Retriever
from bot.textnorm import content_terms

SENTENCE_END = re.compile(r"(?<=[.!?…])\s+(?=[«\"(A-ZÀ-ÖØ-Ý0-9])")
MIN_SENTENCE_CHARS = 25
# An article is cited only if its fused score is at least this share of the best one.
KEEP_ARTICLE_RATIO = 0.8
# A second article's sentence must score at least this share of the best sentence.
KEEP_SENTENCE_RATIO = 0.6


@dataclass
class Picked:
    source: str
    hit: Hit
    sentence: str
    score: float
    order: tuple[int, int]


def split_sentences(text: str) -> list[str]:
    """Sentences of a passage; list items count as sentences, heading lines are dropped."""
    out: list[str] = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        line = re.sub(r"^(?:[-*•]|\d+[.)])\s+", "", line)
        out.extend(s.strip() for s in SENTENCE_END.split(line) if s.strip())
    return [s for s in out if len(s) >= MIN_SENTENCE_CHARS and any(ch.isalpha() for ch in s)]


# How much a sentence's section heading counts next to the sentence itself: a
# sentence under "Comment annuler un rendez-vous ?" answers "comment annuler"
# better than the page's introduction that merely mentions cancelling.
HEADING_WEIGHT = 0.3


def _score_sentences(
    sentences: list[str], retrieval: Retrieval, retriever: Retriever, question: str, headings: list[str] | None = None
) -> np.ndarray:
    """Idf-weighted share of the question's terms in each sentence (and its heading), plus n-gram similarity."""
    q = retrieval.query
    weights = {f: retriever.idf(f) for forms in q.matched.values() for f in forms}
    total = sum(max((weights[f] for f in forms), default=0.0) for forms in q.matched.values()) or 1.0

    def share(text: str) -> float:
        terms = set(content_terms(text))
        hit = sum(max((weights[f] for f in forms if f in terms), default=0.0) for forms in q.matched.values())
        return hit / total

    scores = np.zeros(len(sentences))
    heading_share: dict[str, float] = {}
    for i, sentence in enumerate(sentences):
        scores[i] = share(sentence)
        if headings and headings[i]:
            if headings[i] not in heading_share:
                heading_share[headings[i]] = share(headings[i])
            scores[i] += HEADING_WEIGHT * heading_share[headings[i]]
    if sentences:
        qv = retriever.ngrams.transform([question])
        sv = retriever.ngrams.transform(sentences)
        scores += 0.5 * (sv @ qv.T).toarray().ravel()
    return scores


def compose(
    question: str, retrieval: Retrieval, retriever: Retriever, max_citations: int, max_sentences: int
) -> tuple[list[Picked], list[Citation]]:
    """Choose the quoted sentences and build the numbered citations, most relevant first."""
    if not retrieval.articles:
        return [], []
    best = retrieval.articles[0][1]
    kept = [s for s, score in retrieval.articles[:max_citations] if score >= KEEP_ARTICLE_RATIO * best]
    picked: list[Picked] = []
    best_sentence = 0.0
    for rank, source in enumerate(kept):
        hits = [h for h in retrieval.hits if h.chunk.source == source][:2]
        candidates: list[tuple[str, Hit, tuple[int, int]]] = []
        for h in hits:
            for j, sentence in enumerate(split_sentences(h.chunk.text)):
                if all(sentence != c[0] for c in candidates):
                    candidates.append((sentence, h, (h.chunk.position, j)))
        if not candidates:
            continue
        scores = _score_sentences(
            [c[0] for c in candidates], retrieval, retriever, question, [c[1].chunk.section or "" for c in candidates]
        )
        order = np.argsort(-scores)
        if rank == 0:
            best_sentence = float(scores[order[0]])
            take = [i for i in order[:2] if scores[i] >= 0.5 * best_sentence] or [int(order[0])]
        else:
            if scores[order[0]] < KEEP_SENTENCE_RATIO * best_sentence or len(picked) >= max_sentences:
                continue
            take = [int(order[0])]
        for i in take[: max_sentences - len(picked)]:
            sentence, hit, pos = candidates[i]
            picked.append(Picked(source, hit, sentence, float(scores[i]), pos))
    citations: list[Citation] = []
    for source in dict.fromkeys(p.source for p in picked):
        mine = sorted((p for p in picked if p.source == source), key=lambda p: p.order)
        first = mine[0].hit.chunk
        citations.append(
            Citation(
                n=len(citations) + 1,
                source=source,
                title=first.title,
                url=first.url,
                section=max(mine, key=lambda p: p.score).hit.chunk.section,
                quote=" … ".join(p.sentence for p in mine),
                score=round(max(p.hit.fused for p in mine), 4),
            )
        )
    return picked, citations


def answer_text(intro: str, picked: list[Picked], citations: list[Citation]) -> str:
    """Intro line, then the quoted sentences grouped by source, each with its [n]."""
    number = {c.source: c.n for c in citations}
    parts = []
    for c in citations:
        mine = sorted((p for p in picked if p.source == c.source), key=lambda p: p.order)
        parts.append(" ".join(f"{p.sentence} [{number[c.source]}]" for p in mine))
    return intro + "\n\n" + "\n\n".join(parts)
