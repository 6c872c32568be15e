"""The off-topic detector: its arithmetic, its place in the pipeline, the fitted model on its data."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pytest

from bot.domain import DomainModel, domain_from_dict

DOMAIN_SET = Path(__file__).parent / "eval" / "domain.jsonl"


def test_probability_and_threshold():
    model = DomainModel(weights=(2.0, 0.0), bias=-1.0, threshold=0.5)
    assert model.off_topic(np.array([1.0, 0.0])) == (True, pytest.approx(1 / (1 + np.exp(-1.0))))
    refused, p = model.off_topic(np.array([0.0, 1.0]))
    assert not refused and p == pytest.approx(1 / (1 + np.exp(1.0)))
    # A message without letters has no embedding: nothing to judge, nothing refused here.
    assert model.off_topic(None) == (False, 0.0)
    assert domain_from_dict({"weights": [1, 2], "bias": 0, "threshold": 0.9}) == DomainModel((1.0, 2.0), 0.0, 0.9)


def _with_domain(bot, bias: float):
    dim = bot.embedder.dimension
    bot.calibration = dataclasses.replace(bot.calibration, domain=DomainModel((0.0,) * dim, bias, 0.5))
    return bot


def test_an_off_topic_message_is_refused_before_retrieval(fake_bot):
    answer = _with_domain(fake_bot, bias=10.0).ask("Combien de séances de peeling faut-il ?")
    assert answer.status == "no_answer" and answer.reason == "off_topic"
    assert answer.citations == [] and answer.trace.off_topic_probability > 0.99
    # The same question with a model that finds it in the domain is answered from the articles.
    assert _with_domain(fake_bot, bias=-10.0).ask("Combien de séances de peeling faut-il ?").status == "answered"


def test_the_emergency_check_comes_before_the_off_topic_gate(fake_bot):
    answer = _with_domain(fake_bot, bias=10.0).ask("Je n'arrive plus à respirer depuis l'injection")
    assert answer.status == "emergency"


@pytest.mark.model
def test_fitted_model_keeps_patients_questions_and_refuses_most_off_topic_requests(real_embedder):
    from bot.calibration import load_calibration

    model = load_calibration(real_embedder.name).domain
    assert model is not None
    rows = [json.loads(line) for line in DOMAIN_SET.read_text(encoding="utf-8").splitlines() if line.strip()]
    from core.textnorm import clean_input

    vectors = [real_embedder.encode_query(clean_input(r["text"])) for r in rows]
    refused = np.array([model.off_topic(v)[0] for v in vectors])
    off = np.array([r["label"] == "off_topic" for r in rows])
    # On the data it was fitted on (not evidence of quality, a check that the right model is loaded).
    assert refused[~off].mean() <= 0.01
    assert refused[off].mean() >= 0.6
