"""The eval set as a regression test on the real model.

The promises that must never regress are asserted exactly (every emergency
caught, no false alarm on normal after-effects); retrieval and abstention get
a little slack below the figures printed by ``python -m bot eval``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.evaluation import load_cases, run_eval

EVAL = Path(__file__).parent / "eval"


@pytest.fixture(scope="module")
def report(real_bot):
    return run_eval(real_bot, load_cases(EVAL / "questions.jsonl"))["metrics"]


@pytest.mark.model
def test_every_emergency_is_caught_and_no_false_alarm(report):
    assert report["emergency_recall"] == 1.0
    assert report["emergency_false_alarms"] == 0
    assert report["near_miss_false_alarms"] == 0


@pytest.mark.model
def test_retrieval_and_abstention_hold(report):
    assert report["answerable_fr"]["hit@1"] >= 0.85
    assert report["answerable_fr"]["hit@3"] >= 0.90
    assert report["answerable_en"]["hit@3"] >= 0.80
    assert report["no_answer_recall"] >= 0.85
    assert report["wrongly_abstained"] <= 0.06


@pytest.mark.model
def test_holdout_emergencies(real_bot):
    metrics = run_eval(real_bot, load_cases(EVAL / "holdout.jsonl"))["metrics"]
    assert metrics["emergency_recall"] == 1.0
    assert metrics["near_miss_false_alarms"] == 0
