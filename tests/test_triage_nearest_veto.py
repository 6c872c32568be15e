"""The nearest-exemplar veto: where the linear model alone alarms but the message is nearer to an exemplar
that is not an emergency than to any emergency one, the reply is the caution box, not the alarm."""

from __future__ import annotations

import numpy as np

from bot.triage import CAUTION, EMERGENCY, SemanticParams, TriageChecker


def _unit(*values: float) -> np.ndarray:
    v = np.array(values, dtype=np.float32)
    return v / np.linalg.norm(v)


# Two exemplars: an emergency along the first axis, an ordinary message along the second.
EXEMPLARS = np.stack([_unit(1.0, 0.0), _unit(0.0, 1.0)])
IS_EMERGENCY = np.array([True, False])


def _params(margin: float) -> SemanticParams:
    """A linear model that alarms on both axes (a hyperplane reaching where no emergency exemplar is)."""
    return SemanticParams(
        emergency_weights=(20.0, 20.0), emergency_bias=-10.0, emergency_threshold=0.5,
        serious_weights=(20.0, 20.0), serious_bias=-10.0, serious_threshold=0.5,
        nearest_margin=margin, neighbour_vectors=EXEMPLARS, neighbour_emergency=IS_EMERGENCY,
    )


NEAR_ORDINARY = _unit(0.2, 1.0)
NEAR_EMERGENCY = _unit(1.0, 0.2)


def test_a_linear_alarm_nearest_an_ordinary_exemplar_becomes_a_caution():
    checker = TriageChecker(_params(0.1))
    triage = checker.check("pourquoi j'ai des pores aussi grands sur le nez ?", NEAR_ORDINARY)
    assert (triage.level, triage.net) == (CAUTION, "semantic+nearest")


def test_a_linear_alarm_nearest_an_emergency_exemplar_stays_an_emergency():
    checker = TriageChecker(_params(0.1))
    assert checker.check("ma joue change de couleur depuis tout à l'heure", NEAR_EMERGENCY).level == EMERGENCY


def test_the_margin_decides_and_zero_turns_the_veto_off():
    gap = _params(0.0).nearest_gap(NEAR_ORDINARY)
    assert gap > 0.5
    assert TriageChecker(_params(gap + 0.01)).check("une question", NEAR_ORDINARY).level == EMERGENCY
    assert TriageChecker(_params(gap - 0.01)).check("une question", NEAR_ORDINARY).level == CAUTION
    assert TriageChecker(_params(0.0)).check("une question", NEAR_ORDINARY).level == EMERGENCY


def test_the_veto_never_overrides_a_rule():
    checker = TriageChecker(_params(0.1))
    triage = checker.check("je n'arrive plus à respirer depuis l'injection", NEAR_ORDINARY)
    assert (triage.level, triage.net) == (EMERGENCY, "rules")


def test_the_shipped_calibration_keeps_a_margin_above_every_development_emergency():
    """The calibration writes twice the widest margin of a development emergency the linear model catches
    alone: a positive value, small on the cosine scale of the model (similarities sit within 0.8-1)."""
    import json
    from pathlib import Path

    values = json.loads((Path(__file__).resolve().parent.parent / "bot/data/calibration.json").read_text())
    assert 0.0 < values["sections"]["triage"]["values"]["nearest_margin"] < 0.1
