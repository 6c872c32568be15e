"""The eval set as a regression test on the real model.

The promises that must never regress are asserted exactly (every emergency
caught, no false alarm on normal after-effects); retrieval and abstention get
a little slack below the figures printed by ``python -m bot eval``.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from conftest import CONTENT, SEED, skip_unless_ci

from bot.evaluation import answer_contains_quote, load_cases, run_eval

EVAL = Path(__file__).parent / "eval"


@pytest.fixture(scope="module")
def report(real_bot):
    return run_eval(real_bot, load_cases(EVAL / "questions.jsonl")).metrics


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
    metrics = run_eval(real_bot, load_cases(EVAL / "holdout.jsonl")).metrics
    assert metrics["emergency_recall"] == 1.0
    assert metrics["near_miss_false_alarms"] == 0


@pytest.mark.model
def test_answers_quote_the_answering_sentence(report):
    """Measured on the tuned set (0.79 when written); the blind sets are reported by `bot eval`."""
    assert report["answer_correct"] >= 0.72
    assert report["quoted_chars_p50"] <= 600


@pytest.mark.model
def test_why_no_exosomes_is_answered_from_the_clinic_real_page(tmp_path, real_index, real_embedder):
    """The clinic's scraped page, among the other articles, answers with its conclusion.

    The folder holds the seed page in place of the project's own exosomes article (two
    articles on one subject would each be a right answer).
    """
    from bot.engine import Bot
    from index.build import sync_index

    if not SEED.exists():
        skip_unless_ci(f"the clinic's seed page is not here: {SEED}")
    content = tmp_path / "content"
    shutil.copytree(CONTENT, content)
    (content / "exosomes.md").unlink()
    shutil.copy(SEED, content / SEED.name)
    # Start from the shared real index: only the changed articles are embedded.
    shutil.copytree(real_index.index_dir, tmp_path / "index")
    settings = real_index.with_overrides(content_dir=content, index_dir=tmp_path / "index", data_dir=tmp_path / "data")
    sync_index(settings, embedder=real_embedder)
    answer = Bot(settings, embedder=real_embedder).ask("Pourquoi ne proposez-vous pas les exosomes ?")
    assert answer.status == "answered", answer.reason
    assert answer.citations[0].source == SEED.name, [c.source for c in answer.citations]
    assert answer_contains_quote(answer.answer, ("attendre des données plus robustes",)), answer.answer
