"""The answer-or-abstain decision (bot/abstain.py): the logistic model and its signals."""

from __future__ import annotations

import math
from types import SimpleNamespace

import numpy as np
import pytest

from bot.abstain import FEATURES, PRIOR, AbstentionModel, features
from bot.calibration import load_calibration, write_section
from index.embedder import DEFAULT_MODEL_NAME


def test_probability_is_the_logistic_of_the_weighted_sum():
    model = AbstentionModel(weights={"coverage": 2.0, "agreement": -1.0}, bias=-0.5, threshold=0.6)
    feats = {"coverage": 1.0, "agreement": 0.5, "unknown_signal": 9.0}
    z = -0.5 + 2.0 * 1.0 - 1.0 * 0.5  # signals without a weight count for nothing
    assert model.probability(feats) == pytest.approx(1 / (1 + math.exp(-z)))
    assert model.answerable(feats) == (True, pytest.approx(model.probability(feats)))
    assert model.answerable({"coverage": 0.0})[0] is False
    # A question that needs more (a patient's own situation) is held to the higher of the two thresholds.
    assert model.probability(feats) < 0.9 and model.answerable(feats, minimum=0.9)[0] is False
    assert model.answerable(feats, minimum=0.0) == model.answerable(feats)


def test_threshold_is_inclusive():
    model = AbstentionModel(weights={}, bias=0.0, threshold=0.5)
    assert model.answerable({}) == (True, 0.5)


def test_missing_calibration_file_falls_back_to_the_prior(tmp_path):
    assert load_calibration("m", tmp_path / "absent.json").abstention is PRIOR


def test_calibration_file_is_read(tmp_path):
    path = tmp_path / "calibration.json"
    write_section("abstention", {"weights": {"coverage": 3}, "bias": -1, "threshold": 0.4}, "m", [], path)
    assert load_calibration("m", path).abstention == AbstentionModel(weights={"coverage": 3}, bias=-1.0, threshold=0.4)


def test_the_shipped_model_uses_known_signals_only():
    model = load_calibration(DEFAULT_MODEL_NAME).abstention
    assert set(model.weights) <= set(FEATURES)
    assert 0 < model.threshold < 1


def _retrieval(hits, articles, terms, matched, coverage=0.5, top_by=None):
    return SimpleNamespace(
        hits=hits,
        articles=articles,
        query=SimpleNamespace(terms=terms, matched=matched, coverage=coverage),
        top_by=top_by or {},
    )


class _Retriever:
    _terms = [{"sean", "microneedling"}, {"prix"}, {"laser"}]

    def chunk_terms(self, row: int) -> set[str]:
        return self._terms[row]

    def idf(self, term: str) -> float:
        return {"sean": 1.0, "microneedling": 3.0, "laser": 2.0}.get(term, 4.0)


def _hit(row, source, dense=0.0, ngram=0.0):
    return SimpleNamespace(row=row, chunk=SimpleNamespace(source=source), dense=dense, ngram=ngram)


def test_no_hit_gives_zeros_except_language_and_answer_evidence():
    best = SimpleNamespace(probability=0.7, features=np.array([0.4, 0.0]))
    feats = features(_retrieval([], [], [], {}), _Retriever(), "en", ranked=[best])
    assert set(feats) == set(FEATURES)
    assert feats["foreign"] == 1.0 and feats["quote_top"] == 0.7 and feats["unit_dense_top"] == pytest.approx(0.4)
    assert all(feats[k] == 0.0 for k in FEATURES if k not in ("foreign", "quote_top", "unit_dense_top"))


def test_signals_of_a_search():
    hits = [_hit(0, "a.md", dense=0.8, ngram=0.3), _hit(2, "b.md", dense=0.6, ngram=0.5), _hit(1, "a.md")]
    retrieval = _retrieval(
        hits,
        articles=[("a.md", 0.4), ("b.md", 0.1)],
        terms=["sean", "microneedling", "inconnu"],
        matched={"sean": ["sean"], "microneedling": ["microneedling"]},
        coverage=0.6,
        top_by={"dense": ["a.md", "b.md"], "keyword": ["a.md"], "ngram": ["b.md"]},
    )
    feats = features(retrieval, _Retriever(), "fr")
    max_idf = _Retriever().idf("\0")
    assert feats["top_coverage"] == pytest.approx((1.0 + 3.0) / (1.0 + 3.0 + max_idf))  # the unknown term weighs most
    assert feats["coverage"] == 0.6
    assert feats["dense_top"] == 0.8 and feats["ngram_top"] == 0.5
    assert feats["agreement"] == pytest.approx(2 / 3)
    assert feats["margin"] == pytest.approx((0.4 - 0.1) / 0.4)
    assert feats["foreign"] == 0.0 and feats["n_terms"] == pytest.approx(3 / 8)
    assert feats["quote_top"] == 0.0
