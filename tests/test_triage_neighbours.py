"""The nearest-exemplar vote of the semantic triage: its arithmetic, its stored exemplars, its place in the check."""

from __future__ import annotations

import dataclasses
import hashlib
import io

import numpy as np
import pytest

from bot.triage import EMERGENCY, NORMAL, SemanticParams, TriageChecker, load_neighbours, params_from_dict


def _unit(*xs: float) -> np.ndarray:
    v = np.array(xs, dtype=np.float32)
    return v / np.linalg.norm(v)


# Three emergencies close together around the first axis, one ordinary message on the second.
VECTORS = np.stack([_unit(1, 0.05, 0), _unit(1, 0, 0.05), _unit(1, -0.05, 0), _unit(0, 1, 0)])
EMERGENCY_LABELS = np.array([True, True, True, False])


def _params(k: int, similarity: float = 0.0) -> SemanticParams:
    # Linear models that never fire on their own: only the neighbours can raise the alarm.
    return SemanticParams(
        emergency_weights=(0.0, 0.0, 0.0), emergency_bias=-20.0, emergency_threshold=0.5,
        serious_weights=(0.0, 0.0, 0.0), serious_bias=-20.0, serious_threshold=0.5,
        neighbours=k, neighbour_similarity=similarity, neighbour_vectors=VECTORS, neighbour_emergency=EMERGENCY_LABELS,
    )


def test_all_nearest_emergencies_raise_the_alarm():
    near = _unit(1, 0.01, 0.01)
    assert _params(3).neighbours_say_emergency(near)
    # Among four neighbours one is ordinary: no alarm.
    assert not _params(4).neighbours_say_emergency(near)
    # Close enough in rank, not in distance.
    assert not _params(3, similarity=0.9999).neighbours_say_emergency(_unit(1, 0.3, 0.3))
    assert not _params(0).neighbours_say_emergency(near)


def test_mostly_ordinary_neighbours_withdraw_the_linear_alarm():
    # A linear model that fires on everything near the second axis, where the exemplar is ordinary.
    firing = dataclasses.replace(
        _params(1), emergency_weights=(0.0, 40.0, 0.0), emergency_bias=-20.0, neighbour_similarity=1.1,
    )
    ordinary_like = _unit(0.05, 1, 0)
    assert TriageChecker(firing).check("x", ordinary_like).level == EMERGENCY
    vetoed = dataclasses.replace(firing, neighbour_veto=1)
    assert vetoed.neighbours_say_not_emergency(ordinary_like)
    assert TriageChecker(vetoed).check("x", ordinary_like).level == NORMAL
    # Near the emergencies the veto does not apply.
    assert not vetoed.neighbours_say_not_emergency(_unit(1, 0.01, 0.01))


def test_the_check_names_the_net_that_fired():
    checker = TriageChecker(_params(3))
    triage = checker.check("ma lèvre est bizarre", _unit(1, 0.01, 0.01))
    assert (triage.level, triage.net) == (EMERGENCY, "neighbours")
    assert checker.check("ma lèvre est bizarre", _unit(0.1, 1, 0)).level == NORMAL


def _write(tmp_path, vectors=VECTORS, labels=EMERGENCY_LABELS):
    buffer = io.BytesIO()
    np.savez_compressed(buffer, vectors=vectors.astype(np.float16), emergency=labels)
    path = tmp_path / "neighbours.npz"
    path.write_bytes(buffer.getvalue())
    return path, hashlib.sha256(buffer.getvalue()).hexdigest()


def test_stored_exemplars_load_and_a_changed_file_is_refused(tmp_path):
    path, digest = _write(tmp_path)
    vectors, labels = load_neighbours(path, digest)
    assert vectors.dtype == np.float32 and vectors.shape == (4, 3) and labels.tolist() == EMERGENCY_LABELS.tolist()
    values = {
        "emergency_weights": [0, 0, 0], "emergency_bias": -20, "emergency_threshold": 0.5,
        "serious_weights": [0, 0, 0], "serious_bias": -20, "serious_threshold": 0.5,
        "neighbours": 3, "neighbour_similarity": 0.0, "neighbour_file": path.name, "neighbour_sha256": digest,
    }
    assert params_from_dict(values, tmp_path).neighbours_say_emergency(_unit(1, 0.01, 0.01))
    _write(tmp_path, labels=np.array([True, False, True, False]))
    with pytest.raises(ValueError, match="neighbours.npz.*calibrate_triage"):
        params_from_dict(values, tmp_path)
    path.unlink()
    with pytest.raises(ValueError, match="neighbours.npz is missing"):
        params_from_dict(values, tmp_path)


def test_the_shipped_calibration_finds_its_exemplars():
    from bot.calibration import load_calibration
    from index.embedder import DEFAULT_MODEL_NAME

    triage = load_calibration(DEFAULT_MODEL_NAME).triage
    assert triage is not None
    if triage.neighbours:
        assert triage.neighbour_vectors is not None and triage.neighbour_vectors.shape[1] == len(triage.emergency_weights)
        assert triage.neighbour_emergency is not None and len(triage.neighbour_emergency) == len(triage.neighbour_vectors)


def test_a_patient_who_says_the_signs_are_absent_gets_a_caution_not_the_alarm():
    """The semantic net alone does not raise the alarm when the message says the signs are absent or over."""
    from bot.triage import CAUTION

    checker = TriageChecker(_params(3))
    near = _unit(1, 0.01, 0.01)  # all three nearest exemplars are emergencies
    assert checker.check("mes lèvres sont gonflées ce matin", near).level == EMERGENCY
    for text in ("mes lèvres sont gonflées ce matin, pas de douleur", "lips swollen this morning, no pain, normal colour",
                 "j'avais des fourmillements dans la lèvre, c'est parti"):
        triage = checker.check(text, near)
        assert (triage.level, triage.net) == (CAUTION, "semantic+reassured"), text
    # A rule that fires on a sign which is not negated still raises the alarm.
    assert checker.check("pas de douleur mais la peau de ma lèvre devient blanche après l'injection", near).level == EMERGENCY
    # "It's gone" only reassures when the thing itself is gone, not a redness that has gone past a line.
    assert checker.check("the redness has gone past the line I drew, it's gone way further", near).level == EMERGENCY
