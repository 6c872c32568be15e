"""Choosing the sentences that answer: scoring every quotable unit of the best articles.

Retrieval finds the right article far more often than the right sentence: the
article's definition or introduction repeats the question's words, while the
sentence that answers ("Trois à quatre séances…") may share none of them. So
every unit (sentence, list item, table row) of the best articles is scored
with several signals, combined by a logistic model fitted on the tuned eval
sets (``bench/calibrate_quotes.py``, stored in the calibration file, :mod:`bot.calibration`):

- the embedding model's query/passage similarity with the unit (units are
  embedded at build time, in context: title, section, lead-in);
- the share of the question's specific terms in the unit and in its heading,
  weighted once by their rarity in the corpus and once by their rarity among
  the candidate units: the treatment's name is rare in the corpus but in
  every unit of its article, so only the second weighting tells the sentence
  on pain from the one on contraindications that also names the treatment;
- how far the unit's similarity stands above its own article's other units
  (every unit is embedded with its article's title, which lifts them all);
- the kind of fact asked for (how many, how long, how much, reimbursed, can
  I, why) against what the unit contains (numbers, durations, prices,
  negations and conditions), from ``bot/data/question_types.json``;
- where the unit stands: its article's rank, a heading phrased as a question,
  a list item, a lead-in ending with ":", an article's opening sentences.
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from bot.retrieval import Retrieval, Retriever
from core.textnorm import spaced_folded_words
from index.units import ITEM, REFERENCE, ROW, Unit

TYPES_FILE = Path(__file__).with_name("data") / "question_types.json"
BASE_FEATURES = (
    "dense", "dense_gap", "dense_in_article", "lex", "lex_heading", "lex_context", "lex_local", "article_share",
    "top_article", "section_dense", "type_asked", "type_match", "is_item", "is_lead", "is_intro", "heading_question", "length",
)
# The articles whose every unit is a candidate: the best few, not the whole corpus.
CANDIDATE_ARTICLES = 3
# An article is a candidate if its score is at least this share of the best one.
CANDIDATE_ARTICLE_RATIO = 0.5


@dataclass(frozen=True)
class QuoteModel:
    """Logistic weights over :func:`feature_names`, and the model they were fitted with."""

    weights: dict[str, float]
    bias: float
    embedding_model: str = ""

    def probability(self, feats: np.ndarray) -> np.ndarray:
        w = np.array([self.weights.get(name, 0.0) for name in feature_names()], dtype=np.float64)
        return 1 / (1 + np.exp(-(feats @ w + self.bias)))


# Used when no fitted model matches the index's embedding model: similarity and term overlap.
PRIOR = QuoteModel(
    weights={"dense": 6.0, "dense_gap": 6.0, "lex": 2.0, "lex_heading": 1.0, "type_match": 1.0, "top_article": 0.5},
    bias=-4.0,
)


@dataclass(frozen=True)
class _QuestionType:
    asks: re.Pattern[str]
    gives: re.Pattern[str]


@lru_cache(maxsize=1)
def question_types() -> dict[str, _QuestionType]:
    data = json.loads(TYPES_FILE.read_text(encoding="utf-8"))["types"]

    def compile_all(patterns: list[str]) -> re.Pattern[str]:
        return re.compile("|".join(rf"(?:(?<![a-z0-9]){p})" for p in patterns))

    return {name: _QuestionType(compile_all(t["asks"]), compile_all(t["gives"])) for name, t in data.items()}


def feature_names() -> tuple[str, ...]:
    """The scorer's features: the base ones, then one per question type (asked and given)."""
    return BASE_FEATURES + tuple(f"type_{name}" for name in question_types())


def asked_types(question: str) -> list[str]:
    """The kinds of fact a question asks for (``quantity``, ``duration``…)."""
    folded = spaced_folded_words(question)
    return [name for name, t in question_types().items() if t.asks.search(folded)]


@dataclass
class Candidate:
    """A unit of one of the best articles, with its features and probability of answering."""

    row: int
    unit: Unit
    features: np.ndarray
    probability: float = 0.0


def candidate_rows(retrieval: Retrieval, retriever: Retriever) -> list[tuple[int, int, float]]:
    """``(unit row, article rank, article share)`` for every quotable unit of the best articles."""
    if not retrieval.articles:
        return []
    best = retrieval.articles[0][1] or 1.0
    rows: list[tuple[int, int, float]] = []
    for rank, (source, score) in enumerate(retrieval.articles[:CANDIDATE_ARTICLES]):
        share = score / best
        if rank and share < CANDIDATE_ARTICLE_RATIO:
            continue
        for row in retriever.unit_rows(source):
            if retriever.loaded.units[row].kind != REFERENCE:
                rows.append((row, rank, share))
    return rows


def candidates(
    question: str, query_vector: np.ndarray, retrieval: Retrieval, retriever: Retriever
) -> list[Candidate]:
    """Every candidate unit with its feature vector (probabilities not yet set)."""
    rows = candidate_rows(retrieval, retriever)
    if not rows or retriever.loaded.unit_vectors is None:
        return []
    units = retriever.loaded.units
    matrix = retriever.loaded.unit_vectors[[r for r, _, _ in rows]]
    dense = matrix @ query_vector.astype(np.float32)
    dense_max = float(dense.max())
    q = retrieval.query
    weights = {f: retriever.idf(f) for forms in q.matched.values() for f in forms}
    total = sum(max((weights[f] for f in forms), default=0.0) for forms in q.matched.values()) or 1.0

    # Each form's question terms: a unit's share reads only the forms it holds (a set intersection),
    # not every form of every term (the scoring of a question's few hundred units spent half its time here).
    owners: dict[str, list[str]] = {}
    for term, forms in q.matched.items():
        for f in forms:
            owners.setdefault(f, []).append(term)
    all_forms = frozenset(owners)

    def best_weights(terms: frozenset[str] | set[str]) -> dict[str, float]:
        best: dict[str, float] = {}
        for f in all_forms.intersection(terms):
            w = weights[f]
            for term in owners[f]:
                if term not in best or w > best[term]:
                    best[term] = w
        return best

    def share(best: dict[str, float]) -> float:
        """The weighted share of the question's terms among those ``best`` (from :func:`best_weights`) holds."""
        return sum(best.get(term, 0.0) for term in q.matched) / total if best else 0.0

    section_dense: dict[tuple[str, str | None], float] = {}
    for hit in retrieval.hits:
        key = (hit.chunk.source, hit.chunk.section)
        section_dense[key] = max(section_dense.get(key, 0.0), hit.dense)
    types = asked_types(question)
    kinds = question_types()
    read = [retriever.unit_words(row) for row, _, _ in rows]
    term_sets = [w.terms | w.heading for w in read]
    held = [best_weights(terms) for terms in term_sets]
    present = [[term for term in q.matched if term in best] for best in held]
    local = _local_weights(q.matched, present)
    local_total = sum(local.values()) or 1.0
    by_article: dict[str, list[float]] = {}
    for (row, _, _), d in zip(rows, dense, strict=True):
        by_article.setdefault(units[row].source, []).append(float(d))
    article_mean = {source: float(np.mean(ds)) for source, ds in by_article.items()}
    out: list[Candidate] = []
    for i, (row, rank, article_share) in enumerate(rows):
        unit = units[row]
        words = read[i]
        given = {t for t in types if _gives(t, words.folded)}
        matched = len(given)
        first_in_article = unit.section is None or unit.order < 2
        feats = np.array(
            [
                float(dense[i]),
                float(dense[i]) - dense_max,
                float(dense[i]) - article_mean[unit.source],
                share(best_weights(words.terms)),
                share(best_weights(words.heading)),
                # A unit's topic is often only in its heading ("… nous préférons attendre avant de les intégrer").
                share(held[i]),
                sum(local[term] for term in present[i]) / local_total,
                article_share,
                float(rank == 0),
                section_dense.get((unit.source, unit.section), 0.0),
                float(bool(types)),
                matched / len(types) if types else 0.0,
                float(unit.kind in (ITEM, ROW)),
                float(unit.text.rstrip().endswith(":")),
                float(first_in_article),
                float((unit.section or "").rstrip().endswith("?")),
                math.log1p(len(unit.text)) / 6,
                *(float(t in given) for t in kinds),
            ],
            dtype=np.float64,
        )
        out.append(Candidate(row, unit, feats))
    return out


@lru_cache(maxsize=20_000)
def _gives(kind: str, folded: str) -> bool:
    """Whether a unit's folded text holds the kind of fact ``kind`` (the same units come back question
    after question; bounded like the retriever's cache of units' words, whose strings it shares)."""
    return question_types()[kind].gives.search(folded) is not None


def _local_weights(matched: dict[str, list[str]], present: list[list[str]]) -> dict[str, float]:
    """Each question term's rarity among the candidate units (idf over them; ``present``: the terms each
    unit holds); 0 for a term none of them has."""
    df = Counter(term for terms in present for term in terms)
    return {term: math.log(1 + len(present) / df[term]) if df[term] else 0.0 for term in matched}


def score(cands: list[Candidate], model: QuoteModel) -> list[Candidate]:
    """Set each candidate's probability of answering; return them best first."""
    if not cands:
        return []
    probabilities = model.probability(np.stack([c.features for c in cands]))
    for c, p in zip(cands, probabilities, strict=True):
        c.probability = float(p)
    return sorted(cands, key=lambda c: -c.probability)
