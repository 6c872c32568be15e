"""Every fitted value of the answering pipeline, in one file tied to the embedding model and to its data.

``bot/data/calibration.json`` has one section per calibration command:

- ``quotes`` (``bench/calibrate_quotes.py``): fusion weights, the quote scorer, the quote selection;
- ``abstention`` (``bench/calibrate_abstention.py``): the answerable-or-not model and its threshold;
- ``triage`` (``bench/calibrate_triage.py``): the semantic emergency detector, its thresholds, the rule gate;
- ``domain`` (``bench/calibrate_domain.py``): the off-topic detector and its threshold.

Each section records the embedding model it was fitted with and a fingerprint (SHA-256) of the data files
it was fitted on. Scores of another model are on another scale: when the index's model differs, the bot
says so (``Calibration.problems`` and the logs) and falls back to neutral defaults, with the
semantic emergency net off (the rules still run), rather than apply values fitted for something else.
The fast tests' hashing embedder borrows the fitted abstention model silently (its other sections
are defaults, its semantic net off), so the fast tests exercise the same refusals.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from bot.abstain import PRIOR as ABSTENTION_PRIOR
from bot.abstain import AbstentionModel
from bot.compose import SelectionSettings
from bot.domain import DomainModel, domain_from_dict
from bot.quotes import PRIOR, QuoteModel
from bot.retrieval import FusionSettings
from bot.triage import SemanticParams, params_from_dict

log = logging.getLogger(__name__)

CALIBRATION_FILE = Path(__file__).with_name("data") / "calibration.json"
SECTIONS = ("quotes", "abstention", "triage", "domain")
TEST_EMBEDDER_PREFIX = "hashing-"


class CalibrationError(ValueError):
    """The calibration file cannot be read or is missing a value; the message names the file and the key."""


@dataclass(frozen=True)
class Calibration:
    quote_model: QuoteModel = PRIOR
    selection: SelectionSettings = field(default_factory=SelectionSettings)
    fusion: FusionSettings = field(default_factory=FusionSettings)
    abstention: AbstentionModel = ABSTENTION_PRIOR
    triage: SemanticParams | None = None
    domain: DomainModel | None = None
    fitted: bool = False
    problems: tuple[str, ...] = ()


def fingerprint(paths: list[Path]) -> dict[str, str]:
    """SHA-256 of each data file, keyed by its path relative to the project when it is inside it."""
    root = Path(__file__).resolve().parent.parent
    out = {}
    for path in paths:
        path = Path(path).resolve()
        key = path.relative_to(root).as_posix() if path.is_relative_to(root) else str(path)
        out[key] = hashlib.sha256(path.read_bytes()).hexdigest()
    return out


def read_file(path: Path = CALIBRATION_FILE) -> dict:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {"sections": {}}
    except (OSError, json.JSONDecodeError) as exc:
        raise CalibrationError(f"{path.name}: cannot be read ({exc})") from exc
    if not isinstance(data.get("sections"), dict):
        raise CalibrationError(f"{path.name}: no 'sections'")
    return data


def write_section(
    name: str, values: dict, embedding_model: str, fitted_on: list[Path], path: Path = CALIBRATION_FILE
) -> None:
    """Replace one section (the others stay), with its model, date and the fingerprint of its data."""
    if name not in SECTIONS:
        raise CalibrationError(f"unknown calibration section {name!r}")
    data = read_file(path)
    data["about"] = "Fitted values of the answering pipeline; written by the bench/calibrate_*.py commands."
    data["sections"][name] = {
        "embedding_model": embedding_model,
        "date": dt.date.today().isoformat(),
        "fingerprint": fingerprint(fitted_on),
        "values": values,
    }
    path.write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


def stale_data(path: Path = CALIBRATION_FILE) -> list[str]:
    """Data files that changed since the section fitted on them (missing files are not counted)."""
    root = Path(__file__).resolve().parent.parent
    stale = []
    for name, section in read_file(path)["sections"].items():
        for key, digest in section.get("fingerprint", {}).items():
            file = root / key if not Path(key).is_absolute() else Path(key)
            if file.exists() and hashlib.sha256(file.read_bytes()).hexdigest() != digest:
                stale.append(f"{name}: {key}")
    return stale


@lru_cache(maxsize=8)
def load_calibration(embedding_model: str, path: Path = CALIBRATION_FILE) -> Calibration:
    """The values fitted for ``embedding_model``; defaults (and a problem said once in the logs) otherwise."""
    sections = read_file(path)["sections"]
    testing = embedding_model.startswith(TEST_EMBEDDER_PREFIX)
    problems = []
    usable = {}
    for name in SECTIONS:
        section = sections.get(name)
        if section is None:
            problems.append(f"{name}: not calibrated")
        elif section.get("embedding_model") != embedding_model and not testing:
            problems.append(
                f"{name}: fitted with {section.get('embedding_model')}, not {embedding_model}: "
                f"run python -m bench.calibrate_{name} --write"
            )
        elif not testing or name == "abstention":
            # The test embedder uses the fitted abstention model only, as the fast tests expect.
            usable[name] = section["values"]
    if problems and not testing:
        log.warning("calibration sections missing or fitted for another model; their defaults are used", extra={"problems": problems})
    try:
        quotes = usable.get("quotes")
        abstention = usable.get("abstention")
        triage = usable.get("triage")
        domain = usable.get("domain")
        return Calibration(
            quote_model=QuoteModel(dict(quotes["weights"]), float(quotes["bias"]), embedding_model) if quotes else PRIOR,
            selection=SelectionSettings(**quotes["selection"]) if quotes else SelectionSettings(),
            fusion=FusionSettings(**quotes["fusion"]) if quotes else FusionSettings(),
            abstention=AbstentionModel(
                weights=dict(abstention["weights"]), bias=float(abstention["bias"]), threshold=float(abstention["threshold"]),
                # The question/sentence product reads the fitted model's dimensions: not the test embedder's.
                interaction_weights=() if testing else tuple(abstention.get("interaction_weights", ())),
                interaction_mean=float(abstention.get("interaction_mean", 0.0)),
            ) if abstention else ABSTENTION_PRIOR,
            # The test embedder has no semantic net: its vectors carry no meaning to read danger from.
            triage=params_from_dict(triage, path.parent) if triage and not testing else None,
            domain=domain_from_dict(domain) if domain and not testing else None,
            fitted=bool(usable),
            problems=tuple(problems),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise CalibrationError(f"{path.name}: a value is missing or wrong ({exc})") from exc
