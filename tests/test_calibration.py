"""The one calibration file: complete for the default model, in step with its data, honest about a mismatch."""

from __future__ import annotations

import json

import pytest

from bot.calibration import (
    CALIBRATION_FILE,
    SECTIONS,
    CalibrationError,
    load_calibration,
    read_file,
    stale_data,
    write_section,
)
from index.embedder import DEFAULT_MODEL_NAME


def test_every_section_is_fitted_for_the_default_model():
    model = DEFAULT_MODEL_NAME
    sections = read_file()["sections"]
    assert set(sections) == set(SECTIONS)
    assert {s["embedding_model"] for s in sections.values()} == {model}
    calibration = load_calibration(model)
    assert calibration.fitted and calibration.problems == () and calibration.triage is not None


def test_the_data_it_was_fitted_on_has_not_changed_since():
    # Editing an eval set, the exemplar bank or the rules without re-running the calibration commands fails here.
    assert stale_data() == []


def test_another_model_gets_defaults_and_a_clear_problem():
    calibration = load_calibration("my-clinic-model")
    assert not calibration.fitted and calibration.triage is None
    assert len(calibration.problems) == len(SECTIONS)
    assert all("fitted with" in p and "bench.calibrate_" in p for p in calibration.problems)


def test_writing_a_section_keeps_the_others_and_records_its_data(tmp_path):
    path = tmp_path / "calibration.json"
    path.write_text(CALIBRATION_FILE.read_text(encoding="utf-8"), encoding="utf-8")
    data_file = tmp_path / "cases.jsonl"
    data_file.write_text("{}\n", encoding="utf-8")
    write_section("abstention", {"weights": {"coverage": 1.0}, "bias": 0.0, "threshold": 0.5}, "m", [data_file], path)
    sections = json.loads(path.read_text(encoding="utf-8"))["sections"]
    assert sections["abstention"]["embedding_model"] == "m"
    assert str(data_file) in sections["abstention"]["fingerprint"]
    assert sections["quotes"] == read_file()["sections"]["quotes"]
    data_file.write_text("{}\n{}\n", encoding="utf-8")
    assert stale_data(path) == [f"abstention: {data_file}"]


def test_a_broken_file_is_refused_with_its_name(tmp_path):
    path = tmp_path / "calibration.json"
    path.write_text("{not json", encoding="utf-8")
    with pytest.raises(CalibrationError, match="calibration.json"):
        load_calibration("x", path)
