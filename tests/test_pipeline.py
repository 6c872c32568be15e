"""The declared pipeline: one order of steps, shared by answering, calibration and evaluation."""

from __future__ import annotations

import dataclasses

import pytest

from bot.answer import ANSWERED, EMERGENCY, NO_ANSWER
from bot.domain import DomainModel

QUESTION = "Combien de séances de peeling faut-il ?"


def test_the_steps_are_declared_in_order(fake_bot):
    names = [name for name, _ in fake_bot.steps()]
    assert names == ["triage", "readable", "rules", "off_topic", "topics", "retrieve", "rank", "abstain", "compose"]


def test_ask_is_the_whole_run(fake_bot):
    turn = fake_bot.run(QUESTION)
    assert turn.answer is not None and turn.answer.status == ANSWERED and turn.stopped_by == "compose"
    assert turn.answer.trace is turn.trace and turn.trace.retrieved_articles
    asked = fake_bot.ask(QUESTION)
    assert (asked.status, asked.answer) == (turn.answer.status, turn.answer.answer)


def test_running_until_a_step_gives_its_evidence_and_no_answer(fake_bot):
    turn = fake_bot.run(QUESTION, until="retrieve")
    assert turn.answer is None and turn.retrieval is not None and turn.ranked == []
    turn = fake_bot.run(QUESTION, until="rank")
    assert turn.answer is None and turn.ranked and set(turn.features) >= {"coverage", "quote_top"}
    with pytest.raises(ValueError, match="unknown step 'search'.*triage, readable"):
        fake_bot.run(QUESTION, until="search")


def test_a_gate_that_concludes_stops_the_run_and_says_which(fake_bot):
    turn = fake_bot.run("Je n'arrive plus à respirer depuis l'injection", until="rank")
    assert turn.answer.status == EMERGENCY and turn.stopped_by == "triage" and turn.retrieval is None
    turn = fake_bot.run("", until="rank")
    assert turn.answer.reason == "invalid_input" and turn.stopped_by == "read"


def test_a_skipped_gate_lets_the_question_through(fake_bot):
    dim = fake_bot.embedder.dimension
    fake_bot.calibration = dataclasses.replace(fake_bot.calibration, domain=DomainModel((0.0,) * dim, 10.0, 0.5))
    assert fake_bot.run(QUESTION).answer.reason == "off_topic"
    turn = fake_bot.run(QUESTION, until="rank", skip=("off_topic",))
    assert turn.answer is None and turn.features


def test_caution_is_added_whatever_step_concludes(fake_bot):
    risk = "quels sont les risques de nécrose après une injection d'acide hyaluronique ?"
    assert fake_bot.ask(risk).caution
    # Refused by a later gate, the same message still carries the box saying what to do if it happens.
    dim = fake_bot.embedder.dimension
    fake_bot.calibration = dataclasses.replace(fake_bot.calibration, domain=DomainModel((0.0,) * dim, 10.0, 0.5))
    refused = fake_bot.ask(risk)
    assert refused.status == NO_ANSWER and refused.reason == "off_topic"
    assert refused.caution and "15" in refused.caution_text


def test_the_trace_keeps_the_time_spent_embedding_the_question(fake_bot):
    timings = fake_bot.ask(QUESTION).trace.timings
    assert timings["embed_ms"] > 0 and {"search_ms", "rank_ms", "compose_ms", "total_ms"} <= set(timings)
