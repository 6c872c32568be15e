"""Deciding whether the articles answer the question.

No single score separates "answerable" from "not in our articles" (see the
measured notes in the README): the dense score of an out-of-scope question can
beat that of an English question about a French article. The decision combines
signals that do separate them — whether the question's specific terms exist in
the articles at all, whether they stand in the passage found, whether the
dense, keyword and n-gram rankings agree on the article — in a logistic model
whose weights and threshold are fitted on the eval sets by
``bench/calibrate_abstention.py`` and stored in the calibration file (:mod:`bot.calibration`).

Beside those few signals, the model reads how the question's embedding meets the best sentence's,
dimension by dimension (their elementwise product, a diagonal bilinear form): the similarity the
embedding model gives weighs every dimension alike, while whether a sentence *answers* a question
("do you offer tattoo removal?" against a sentence on lasers) lives in some dimensions more than
others. Fitted across several clinics' articles and checked on a clinic left out each time, it raised the
share of unanswerable questions refused at the same 2 % of wrong refusals (BENCHMARKS.md).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.retrieval import Retrieval, Retriever

if TYPE_CHECKING:
    import numpy as np

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


# The products of two unit vectors' dimensions are about 1/384 each: scaled so that their weights are
# regularised on the same footing as the other signals' (all roughly in [0, 1]).
INTERACTION_SCALE = 30.0


def interaction(query_vector: np.ndarray | None, ranked: list, retriever: Retriever) -> np.ndarray | None:
    """The question's and the best-scored sentence's embeddings multiplied dimension by dimension
    (scaled), or None when there is no sentence or no unit vectors."""
    vectors = retriever.loaded.unit_vectors
    if query_vector is None or not ranked or vectors is None:
        return None
    return INTERACTION_SCALE * query_vector.astype("float64") * vectors[ranked[0].row].astype("float64")


@dataclass(frozen=True)
class AbstentionModel:
    weights: dict[str, float]
    bias: float
    threshold: float
    # One weight per embedding dimension for :func:`interaction` (empty: not fitted, or another model).
    interaction_weights: tuple[float, ...] = ()
    # The product's mean contribution over the questions it was fitted on: what stands in for it when
    # there is no product to read (no sentence found, or an embedder whose dimensions are not the model's).
    interaction_mean: float = 0.0

    def interaction_term(self, pair: np.ndarray | None) -> float:
        """What the question/sentence product adds to the log-odds (its fitted mean when unreadable)."""
        if pair is None or len(self.interaction_weights) != len(pair):
            return self.interaction_mean
        return float(pair @ self.interaction_weights)

    def probability(self, feats: dict[str, float], match: float | None = None) -> float:
        """``match``: the question/sentence product's term, from :meth:`interaction_term` (its mean when None)."""
        term = self.interaction_mean if match is None else match
        z = self.bias + sum(self.weights.get(k, 0.0) * v for k, v in feats.items()) + term
        return 1 / (1 + math.exp(-max(-50.0, min(50.0, z))))

    def answerable(self, feats: dict[str, float], minimum: float = 0.0, match: float | None = None) -> tuple[bool, float]:
        """Whether to answer, and the probability; ``minimum`` raises the threshold for a question that needs more."""
        p = self.probability(feats, match)
        return p >= max(self.threshold, minimum), p


# Used only when no calibration file exists: a prior that trusts term coverage.
PRIOR = AbstentionModel(
    weights={"coverage": 4.0, "top_coverage": 4.0, "agreement": 2.0, "dense_top": 2.0, "ngram_top": 2.0},
    bias=-6.0,
    threshold=0.5,
)
