"""Deciding whether the articles answer the question.

No single score separates "answerable" from "not in our articles" (see the
measured notes in the README): the dense score of an out-of-scope question can
beat that of an English question about a French article. The decision combines
signals that do separate them — whether the question's specific terms exist in
the articles at all, whether they stand in the passage found, whether the
dense, keyword and n-gram rankings agree on the article — in a logistic model
whose weights and threshold are fitted on the eval set by
``bench/calibrate_abstention.py`` and stored in the calibration file (:mod:`bot.calibration`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from bot.retrieval import Retrieval, Retriever

FEATURES = (
    "coverage", "top_coverage", "dense_top", "ngram_top", "agreement", "margin", "foreign", "n_terms",
    "quote_top", "unit_dense_top",
)


def features(
    retrieval: Retrieval, retriever: Retriever, language: str, ranked: list | None = None
) -> dict[str, float]:
    """The abstention signals of one search, each roughly in [0, 1].

    ``ranked`` (the scored quotable units, best first) adds the answer-level
    evidence: how likely the best sentence is to answer, and how close it is
    to the question. A question whose words all exist in an article can still
    have no sentence that answers it.
    """
    q = retrieval.query
    hits = retrieval.hits
    best_unit = ranked[0] if ranked else None
    quote = {
        "quote_top": best_unit.probability if best_unit else 0.0,
        "unit_dense_top": float(best_unit.features[0]) if best_unit else 0.0,
    }
    if not hits:
        return dict.fromkeys(FEATURES, 0.0) | {"foreign": float(language != "fr")} | quote
    top_source = retrieval.articles[0][0]
    top_chunks = [h for h in hits if h.chunk.source == top_source][:3]
    present: set[str] = set()
    for h in top_chunks:
        present |= retriever.chunk_terms(h.row)
    total = 0.0
    found = 0.0
    max_idf = retriever.idf("\0")
    for term in q.terms:
        forms = q.matched.get(term, [])
        weight = max((retriever.idf(f) for f in forms), default=max_idf)
        total += weight
        if any(f in present for f in forms):
            found += weight
    agreement = sum(top_source in tops for tops in retrieval.top_by.values()) / 3
    second = retrieval.articles[1][1] if len(retrieval.articles) > 1 else 0.0
    first = retrieval.articles[0][1]
    return {
        "coverage": q.coverage,
        "top_coverage": found / total if total else 0.0,
        "dense_top": max((h.dense for h in hits), default=0.0),
        "ngram_top": max((h.ngram for h in hits), default=0.0),
        "agreement": agreement,
        "margin": (first - second) / first if first else 0.0,
        "foreign": float(language != "fr"),
        "n_terms": min(len(q.terms), 8) / 8,
        **quote,
    }


@dataclass(frozen=True)
class AbstentionModel:
    weights: dict[str, float]
    bias: float
    threshold: float

    def probability(self, feats: dict[str, float]) -> float:
        z = self.bias + sum(self.weights.get(k, 0.0) * v for k, v in feats.items())
        return 1 / (1 + math.exp(-z))

    def answerable(self, feats: dict[str, float], minimum: float = 0.0) -> tuple[bool, float]:
        """Whether to answer, and the probability; ``minimum`` raises the threshold for a question that needs more."""
        p = self.probability(feats)
        return p >= max(self.threshold, minimum), p


# Used only when no calibration file exists: a prior that trusts term coverage.
PRIOR = AbstentionModel(
    weights={"coverage": 4.0, "top_coverage": 4.0, "agreement": 2.0, "dense_top": 2.0, "ngram_top": 2.0},
    bias=-6.0,
    threshold=0.5,
)
