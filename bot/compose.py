"""Composing a short extractive answer from the best passages.

The bot never writes medical content itself: it picks, from the passages that
retrieval ranked best, the few sentences that share the most with the question
and quotes them verbatim, each followed by the number of its source. Passages
far below the best one are left out, and sentences of the same article share
one citation.
"""

from __future__ import annotations

import re
import weakref
from dataclasses import dataclass

import numpy as np
from scipy import sparse

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


@dataclass
class _ChunkSentences:
    """A chunk's quotable sentences with what scoring needs, computed once per chunk."""

    sentences: list[str]
    terms: list[frozenset[str]]
    ngrams: sparse.csr_matrix
    heading_terms: frozenset[str]


# Per loaded index (weakly held, so a replaced index is freed): chunk row -> sentences.
_SENTENCE_CACHE: weakref.WeakKeyDictionary[Retriever, dict[int, _ChunkSentences]] = weakref.WeakKeyDictionary()


def _chunk_sentences(retriever: Retriever, hit: Hit) -> _ChunkSentences:
    cache = _SENTENCE_CACHE.setdefault(retriever, {})
    found = cache.get(hit.row)
    if found is None:
        sentences = split_sentences(hit.chunk.text)
        found = _ChunkSentences(
            sentences=sentences,
            terms=[frozenset(content_terms(x)) for x in sentences],
            ngrams=retriever.ngrams.transform(sentences) if sentences else sparse.csr_matrix((0, 1)),
            heading_terms=frozenset(content_terms(hit.chunk.section or "")),
        )
        if len(cache) < 50_000:
            cache[hit.row] = found
    return found


def _score_sentences(
    data: list[tuple[_ChunkSentences, int]], retrieval: Retrieval, retriever: Retriever, question: str
) -> np.ndarray:
    """Idf-weighted share of the question's terms in each sentence (and its heading), plus n-gram similarity."""
    q = retrieval.query
    weights = {f: retriever.idf(f) for forms in q.matched.values() for f in forms}
    total = sum(max((weights[f] for f in forms), default=0.0) for forms in q.matched.values()) or 1.0

    def share(terms: frozenset[str]) -> float:
        hit = sum(max((weights[f] for f in forms if f in terms), default=0.0) for forms in q.matched.values())
        return hit / total

    scores = np.array([share(info.terms[j]) + HEADING_WEIGHT * share(info.heading_terms) for info, j in data])
    if data:
        qv = retrieval.ngram_query if retrieval.ngram_query is not None else retriever.ngrams.transform([question])
        rows = sparse.vstack([info.ngrams[j] for info, j in data])
        scores += 0.5 * (rows @ qv.T).toarray().ravel()
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
        data: list[tuple[_ChunkSentences, int]] = []
        for h in hits:
            info = _chunk_sentences(retriever, h)
            for j, sentence in enumerate(info.sentences):
                if all(sentence != c[0] for c in candidates):
                    candidates.append((sentence, h, (h.chunk.position, j)))
                    data.append((info, j))
        if not candidates:
            continue
        scores = _score_sentences(data, retrieval, retriever, question)
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
