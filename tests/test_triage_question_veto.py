"""The question-likeness veto: the semantic net alone does not give the emergency message to what reads
as a patient's ordinary question; the rules still do."""

from __future__ import annotations

import numpy as np

from bot.triage import CAUTION, EMERGENCY, SemanticParams, TriageChecker


def _params(question_veto: float) -> SemanticParams:
    """An emergency model that fires on the first dimension; a question model that reads the second
    dimension as an ordinary question (probability of an emergency near 0 there, near 1 on the first)."""
    return SemanticParams(
        emergency_weights=(20.0, 20.0), emergency_bias=-10.0, emergency_threshold=0.5,
        serious_weights=(20.0, 20.0), serious_bias=-10.0, serious_threshold=0.5,
        question_weights=(20.0, -20.0), question_bias=0.0, question_veto=question_veto,
    )


QUESTION = np.array([0.0, 1.0], dtype=np.float32)
EMERGENCY_LIKE = np.array([1.0, 0.0], dtype=np.float32)


def test_a_semantic_alarm_on_what_reads_as_an_ordinary_question_becomes_a_caution():
    checker = TriageChecker(_params(0.25))
    text = "ca dure combien de temps le rdv pour les levres ? je voudrais le caser sur ma pause dej"
    triage = checker.check(text, QUESTION)
    assert (triage.level, triage.net) == (CAUTION, "semantic+question")
    assert checker.check(text, EMERGENCY_LIKE).level == EMERGENCY


def test_without_the_veto_the_semantic_net_alarms():
    checker = TriageChecker(_params(0.0))
    assert checker.check("une petite question sur mon rendez-vous de jeudi", QUESTION).level == EMERGENCY


def test_the_veto_never_overrides_a_rule():
    """A sign a rule names, said to happen now, is an emergency however the message is phrased."""
    checker = TriageChecker(_params(0.25))
    triage = checker.check("je n'arrive plus à respirer depuis l'injection, c'est normal ?", QUESTION)
    assert (triage.level, triage.net) == (EMERGENCY, "rules")


def test_the_shipped_calibration_keeps_the_veto_below_every_development_emergency():
    """The calibration sets the veto at half the lowest probability of a development emergency caught by
    the semantic net alone; the value written must keep that margin (0 < veto < 0.5)."""
    import json
    from pathlib import Path

    values = json.loads((Path(__file__).resolve().parent.parent / "bot/data/calibration.json").read_text())
    triage = values["sections"]["triage"]["values"]
    assert 0.0 < triage["question_veto"] < 0.5
    assert len(triage["question_weights"]) == len(triage["emergency_weights"])
