"""The caution box for messages that name a serious complication, and the semantic 'happening now' escalation."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest

from bot.safety import normalise_for_rules
from bot.triage import CAUTION, CONTEXT_FILE, EMERGENCY, NORMAL, SemanticParams, TriageChecker, named_complication


@pytest.mark.parametrize(("message", "category"), [
    ("Le botulisme, ça peut vraiment arriver avec une injection esthétique ?", "toxin_spread"),
    ("Un infarctus après une injection, ça s'est déjà vu ?", "chest_pain"),
    ("How often does anaphylaxis happen with hyaluronic acid?", "anaphylaxis"),
    ("Une amie a eu une septicémie après un tatouage, comment stérilisez-vous ?", "infection"),
])
def test_a_named_complication_gets_the_box_when_no_net_alarms(message, category):
    assert named_complication(message) == category
    triage = TriageChecker(None).check(message, None)
    assert (triage.level, triage.category, triage.net) == (CAUTION, category, "named")


@pytest.mark.parametrize("message", [
    "J'ai failli faire une crise cardiaque en voyant la facture, vous faites le paiement en trois fois ?",
    "Une légère sensation de brûlure après le peeling, c'est normal ?",
    "Combien de séances de laser pour les taches ?",
])
def test_jokes_and_ordinary_after_effects_name_no_complication(message):
    assert named_complication(message) is None
    assert TriageChecker(None).check(message, None).level == NORMAL


def test_every_name_is_a_valid_pattern_on_folded_text():
    names = json.loads(CONTEXT_FILE.read_text(encoding="utf-8"))["complications"]
    for category, patterns in names.items():
        for pattern in patterns:
            assert pattern == pattern.lower() and "é" not in pattern, (category, pattern)
    assert normalise_for_rules("Œdème de Quincke").strip() == "oedeme de quincke"


def _serious(probability_logit: float, box: float, now: float) -> SemanticParams:
    # The emergency model never fires; the serious model gives sigmoid(logit) to every message.
    return SemanticParams(
        emergency_weights=(0.0, 0.0), emergency_bias=-20.0, emergency_threshold=0.5,
        serious_weights=(0.0, 0.0), serious_bias=probability_logit, serious_threshold=box, now_threshold=now,
    )


def test_happening_now_escalates_from_its_own_threshold():
    vector = np.array([1.0, 0.0], dtype=np.float32)
    message = "Ma joue est bizarre depuis une heure"
    # Serious at 0.73 (logit 1): the box from 0.7, an emergency only from the 'now' threshold.
    assert TriageChecker(_serious(1.0, box=0.7, now=0.9)).check(message, vector).level == CAUTION
    assert TriageChecker(_serious(1.0, box=0.7, now=0.6)).check(message, vector).level == EMERGENCY
    # Below the box's threshold too, the 'now' threshold alone decides.
    assert TriageChecker(_serious(1.0, box=0.9, now=0.6)).check(message, vector).level == EMERGENCY
    # 0 keeps the box's threshold, as before the two were told apart.
    params = _serious(1.0, box=0.7, now=0.0)
    assert TriageChecker(params).check(message, vector).level == EMERGENCY
    assert TriageChecker(dataclasses.replace(params, serious_threshold=0.9)).check(message, vector).level == NORMAL
