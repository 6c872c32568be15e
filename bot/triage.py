"""Is the patient in danger now? Two independent nets, either of which can raise the alarm.

(a) Readable rules (:mod:`bot.safety`) name the signs in French and English.
    A rule that fires on a message that reads as a general question, a
    hypothetical, the past or someone else's story, with nothing saying it is
    happening now, gives ``caution`` instead: answer from the articles, with a
    box telling the patient what to do if it ever happens.
(b) A semantic detector reads the question's embedding, the one retrieval
    uses anyway: two logistic models over the 384 numbers, fitted on a bank of
    exemplars (``bot/data/emergency_bank.jsonl``: emergencies by category,
    cautions and ordinary look-alikes, in French and English), with thresholds
    chosen on a development set (``bench/calibrate_triage.py``), never on the
    red-team set. It catches phrasings no rule lists, in a dot product (no
    start-up cost, well under a millisecond). Beside the linear models, the
    nearest exemplars vote: a message whose few closest exemplars are all
    emergencies is one (a matrix product over ~1,400 stored vectors). A third linear model tells a
    patient's ordinary question to the clinic from an emergency: where the semantic net alone alarms
    on what it reads as an ordinary question, the reply is the answer with the caution box.

The result has three levels: ``emergency`` (the fixed message, nothing else),
``caution`` (answer plus the box), ``normal``.
"""

from __future__ import annotations

import json
import logging
import math
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from bot.safety import denied_sign, emergency_rule, normalise_for_rules, rule_category, rule_is_gated

if TYPE_CHECKING:  # numpy is loaded by whoever computes the vector; the rules alone do not need it
    import numpy as np

log = logging.getLogger(__name__)

DATA_DIR = Path(__file__).with_name("data")
BANK_FILE = DATA_DIR / "emergency_bank.jsonl"
CONTEXT_FILE = DATA_DIR / "triage_context.json"

EMERGENCY, CAUTION, NORMAL = "emergency", "caution", "normal"
# Ways a message keeps a complication away from the present, in the order they are looked for.
DISTANCES = ("hypothetical", "general", "past", "someone_else")
# The first half of a French negation after a subject ("je ne", "on n'", folded to "je n").
_NE = re.compile(r"( (?:je|tu|il|elle|on|ca)) (?:ne|n)(?= )")


@dataclass(frozen=True)
class Triage:
    """What the safety check decided, and why (shown to staff, never stored with the message)."""

    level: str = NORMAL
    category: str | None = None
    rule: str | None = None
    net: str | None = None  # "rules", "semantic" or None
    score: float = 0.0


@dataclass(frozen=True)
class SemanticParams:
    """The detector: two linear models over the query embedding, fitted by ``bench/calibrate_triage.py`` (``triage`` section of the calibration file).

    Attributes:
        emergency_weights / emergency_bias / emergency_threshold: emergency now vs anything else.
        serious_weights / serious_bias / serious_threshold: a serious complication (now or not) vs
            an ordinary message; adds the caution box when the emergency model does not fire.
        now_threshold: the same probability from which a message that places itself in the present
            ("depuis une heure", "right now") is an emergency. Chosen apart from the box's threshold,
            with the emergency threshold's objective: one value for both traded the alarms on normal
            after-effects told in the present against the boxes on general questions. 0: the box's.
        categories: one centroid per category (mean exemplar embedding), to name the category.
        rule_gate: a rule's alarm becomes a caution when the emergency model gives the message less
            than this probability: the rules read words, the model reads how the message is framed
            ("what are the signs of...?", "years ago", "if one day..."), which the rules' time and person
            markers cannot list. 0 turns the gate off. Chosen on the development sets like the thresholds.
    """

    emergency_weights: tuple[float, ...]
    emergency_bias: float
    emergency_threshold: float
    serious_weights: tuple[float, ...]
    serious_bias: float
    serious_threshold: float
    now_threshold: float = 0.0
    categories: dict[str, tuple[float, ...]] = field(default_factory=dict)
    rule_gate: float = 0.0
    # Nearest exemplars: when the ``neighbours`` closest training messages are all emergencies (the
    # farthest of them at least ``neighbour_similarity`` away), the message is one too. A linear model
    # draws one boundary for every category; neighbours follow the bank where a category is a small
    # island (indirect suicidal messages, a symptom described in other words). 0 turns it off; chosen
    # on the development sets by the calibration command.
    neighbours: int = 0
    neighbour_similarity: float = 0.0
    # The other way round: the linear model's alarm is withdrawn when at least this many of the same
    # nearest exemplars are not emergencies (a normal after-effect told like a complication). 0: off;
    # chosen on the development sets, allowed only where it loses no emergency there.
    neighbour_veto: int = 0
    # A third linear model: a patient's ordinary question to the clinic (the answer sets' questions) vs
    # an emergency (the bank's). Where the semantic net alone alarms on a message this model reads as an
    # ordinary question with less than ``question_veto`` probability of an emergency, the reply is the
    # caution box with the answer, not the alarm ("j'hésite à vous appeler pour un petit doute…",
    # "mon teint est tout gris avec la fatigue, ce soin est pour moi ?"). The veto is set by the
    # calibration at half the lowest probability of any development emergency the semantic net catches
    # alone, so none of them is lost. 0: off.
    question_weights: tuple[float, ...] = ()
    question_bias: float = 0.0
    question_veto: float = 0.0
    # Where the linear model alone alarms but the message's nearest exemplar that is not an emergency is
    # nearer than its nearest emergency by at least this cosine margin, the reply is the caution box with
    # the answer: a hyperplane extends into regions no emergency exemplar reaches ("pourquoi j'ai des
    # pores aussi énormes ?" read as a vascular occlusion), the nearest exemplars say what the message
    # resembles. The calibration sets it at twice the largest such margin of any development
    # emergency the linear model catches alone, so none of them is lost. 0: off.
    nearest_margin: float = 0.0
    neighbour_vectors: np.ndarray | None = field(default=None, compare=False, repr=False)
    neighbour_emergency: np.ndarray | None = field(default=None, compare=False, repr=False)

    def emergency_probability(self, vector: np.ndarray) -> float:
        return _sigmoid(float(vector @ self.emergency_weights) + self.emergency_bias)

    def serious_probability(self, vector: np.ndarray) -> float:
        return _sigmoid(float(vector @ self.serious_weights) + self.serious_bias)

    def _nearest(self, vector: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
        """Emergency labels and similarities of the ``neighbours`` nearest exemplars (None when off)."""
        if self.neighbours <= 0 or self.neighbour_vectors is None or self.neighbour_emergency is None:
            return None
        import numpy as np

        similarities = self.neighbour_vectors @ vector
        nearest = np.argpartition(-similarities, self.neighbours - 1)[: self.neighbours]
        return self.neighbour_emergency[nearest], similarities[nearest]

    def neighbours_say_emergency(self, vector: np.ndarray) -> bool:
        found = self._nearest(vector)
        return found is not None and bool(found[0].all() and found[1].min() >= self.neighbour_similarity)

    def neighbours_say_not_emergency(self, vector: np.ndarray) -> bool:
        found = self._nearest(vector) if self.neighbour_veto > 0 else None
        return found is not None and int((~found[0]).sum()) >= self.neighbour_veto

    def nearer_to_non_emergency(self, vector: np.ndarray) -> bool:
        """The nearest exemplar that is not an emergency beats the nearest emergency by ``nearest_margin``."""
        if self.nearest_margin <= 0 or self.neighbour_vectors is None or self.neighbour_emergency is None:
            return False
        return self.nearest_gap(vector) >= self.nearest_margin

    def nearest_gap(self, vector: np.ndarray) -> float:
        """Similarity of the nearest non-emergency exemplar minus that of the nearest emergency one."""
        assert self.neighbour_vectors is not None and self.neighbour_emergency is not None
        similarities = self.neighbour_vectors @ vector
        return float(similarities[~self.neighbour_emergency].max() - similarities[self.neighbour_emergency].max())

    def question_probability(self, vector: np.ndarray) -> float:
        """Probability that the message is an emergency rather than an ordinary question (1 without the model)."""
        if not self.question_weights:
            return 1.0
        return _sigmoid(float(vector @ self.question_weights) + self.question_bias)

    def reads_as_a_question(self, vector: np.ndarray) -> bool:
        return self.question_veto > 0 and self.question_probability(vector) < self.question_veto

    def category(self, vector: np.ndarray) -> str | None:
        if not self.categories:
            return None
        return max(self.categories, key=lambda c: float(vector @ self.categories[c]))


def _sigmoid(z: float) -> float:
    return 1 / (1 + math.exp(-max(-50.0, min(50.0, z))))


def load_bank(path: Path = BANK_FILE) -> list[dict]:
    """The exemplars, checked: each has a text and a label emergency/caution/normal."""
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    for number, row in enumerate(rows, 1):
        if row.get("label") not in (EMERGENCY, CAUTION, NORMAL) or not row.get("text"):
            raise ValueError(f"{path.name} line {number}: needs 'text' and a label emergency/caution/normal")
    return rows


@lru_cache(maxsize=1)
def _context_data() -> dict:
    """The markers file, read once for the three pattern sets compiled from it."""
    return json.loads(CONTEXT_FILE.read_text(encoding="utf-8"))


@lru_cache(maxsize=1)
def _context() -> dict[str, re.Pattern[str]]:
    data = _context_data()
    return {
        name: re.compile("|".join(f"(?: {p} )" for p in patterns))
        for name, patterns in data["markers"].items()
    }


@lru_cache(maxsize=1)
def _condition_words() -> re.Pattern[str]:
    """The opening of a condition ("si un jour j'", "if my") with the (at most three) words after it."""
    data = _context_data()
    return re.compile("|".join(f"(?: {p}( [a-z]+){{1,3}}(?= ))" for p in data["markers"]["condition"]))


@lru_cache(maxsize=1)
def _complications() -> dict[str, re.Pattern[str]]:
    data = _context_data()
    return {
        category: re.compile("|".join(f"(?: {p} )" for p in patterns))
        for category, patterns in data.get("complications", {}).items()
    }


def named_complication(text: str) -> str | None:
    """The category of the first serious complication a message names ("nécrose", "AVC"), or None."""
    return _named(normalise_for_rules(text))


def _named(norm: str) -> str | None:
    for category, pattern in _complications().items():
        if pattern.search(norm):
            return category
    return None


def not_happening_now(text: str) -> str | None:
    """The kind of distance a message takes from the present (``figure_of_speech``, ``general``,
    ``hypothetical``, ``past``, ``someone_else``), or None when it says nothing of the sort or says "now"."""
    return _distance(normalise_for_rules(text))


def _distance(norm: str) -> str | None:
    markers = _context()
    if markers["figure_of_speech"].search(norm):
        return "figure_of_speech"
    if _now(norm):
        return None
    for kind in DISTANCES:
        if markers[kind].search(norm) or (kind == "hypothetical" and markers["condition"].search(norm)):
            return kind
    if markers["recovered"].search(norm):
        return "past"  # "tout est rentré dans l'ordre", "it's all gone now": the complication is over
    return None


def _now(norm: str) -> bool:
    """A "now" marker outside the phrases that say a complication is over: the "maintenant" of "elle
    va bien maintenant" or the "now" of "she's fine now" places the recovery, not a sign, in the present."""
    markers = _context()
    present = markers["recovered"].sub("  ", norm)
    # "si j'ai mal pendant la séance", "if I feel dizzy": a present-tense verb that opens a condition
    # imagines the sign; the condition's first words are not read for "now".
    present = _condition_words().sub("  ", present)
    # French negation wraps the verb ("je ne sens plus rien", "je ne vois plus"); spoken French drops
    # the "ne" ("je sens plus rien"): the markers name the verb once, read with and without it.
    return bool(markers["now"].search(present) or markers["now"].search(_NE.sub(r"\1", present)))


def load_neighbours(path: Path, sha256: str) -> tuple[np.ndarray, np.ndarray]:
    """The exemplars' vectors and emergency labels written by the calibration command, checked against its digest."""
    import hashlib

    import numpy as np

    if not path.is_file():
        raise ValueError(f"{path.name} is missing: run python -m bench.calibrate_triage --write")
    data = path.read_bytes()
    if hashlib.sha256(data).hexdigest() != sha256:
        raise ValueError(f"{path.name} is not the file the calibration wrote (digest differs): run python -m bench.calibrate_triage --write")
    with np.load(path) as arrays:
        return arrays["vectors"].astype(np.float32), arrays["emergency"].astype(bool)


def params_from_dict(params: dict, data_dir: Path = DATA_DIR) -> SemanticParams:
    """The detector's parameters from the ``triage`` section of the calibration file."""
    vectors = emergency = None
    if int(params.get("neighbours", 0)) > 0 or float(params.get("nearest_margin", 0.0)) > 0:
        vectors, emergency = load_neighbours(data_dir / params["neighbour_file"], params["neighbour_sha256"])
    return SemanticParams(
        emergency_weights=tuple(params["emergency_weights"]),
        emergency_bias=float(params["emergency_bias"]),
        emergency_threshold=float(params["emergency_threshold"]),
        serious_weights=tuple(params["serious_weights"]),
        serious_bias=float(params["serious_bias"]),
        serious_threshold=float(params["serious_threshold"]),
        now_threshold=float(params.get("now_threshold", 0.0)),
        categories={k: tuple(v) for k, v in params.get("categories", {}).items()},
        rule_gate=float(params.get("rule_gate", 0.0)),
        neighbours=int(params.get("neighbours", 0)),
        neighbour_similarity=float(params.get("neighbour_similarity", 0.0)),
        neighbour_veto=int(params.get("neighbour_veto", 0)),
        question_weights=tuple(params.get("question_weights", ())),
        question_bias=float(params.get("question_bias", 0.0)),
        question_veto=float(params.get("question_veto", 0.0)),
        nearest_margin=float(params.get("nearest_margin", 0.0)),
        neighbour_vectors=vectors,
        neighbour_emergency=emergency,
    )


def says_now(text: str) -> bool:
    """The message places itself in the present ("depuis une heure", "cet après-midi", "right now")
    and takes no distance from it (no general question, hypothetical, past or other person)."""
    return _says_now(normalise_for_rules(text))


def _says_now(norm: str) -> bool:
    markers = _context()
    if not _now(norm):
        return False
    return not any(markers[k].search(norm) for k in ("figure_of_speech", *DISTANCES))


def _reassured(norm: str) -> bool:
    """The message says the alarming signs are absent or over ("pas de douleur", "no blisters", "it's
    gone", "she's fine now"), or names a sign a rule knows only to deny it ("no fever", "pas de cloques")."""
    markers = _context()
    return bool(markers["reassured"].search(norm) or markers["recovered"].search(norm) or denied_sign(norm))


class TriageChecker:
    """Both nets; built once per process."""

    def __init__(self, params: SemanticParams | None) -> None:
        self.params = params

    def semantic(
        self, vector: np.ndarray | None, params: SemanticParams | None = None
    ) -> tuple[str, str | None, float, str | None]:
        """``(level, category, emergency probability, net)`` from the question's embedding."""
        params = params or self.params
        if params is None or vector is None:
            return NORMAL, None, 0.0, None
        p_emergency = params.emergency_probability(vector)
        if p_emergency >= params.emergency_threshold and not params.neighbours_say_not_emergency(vector):
            return EMERGENCY, params.category(vector), p_emergency, "semantic"
        if params.neighbours_say_emergency(vector):
            return EMERGENCY, params.category(vector), p_emergency, "neighbours"
        if params.serious_probability(vector) >= params.serious_threshold:
            return CAUTION, params.category(vector), p_emergency, "semantic"
        return NORMAL, None, p_emergency, None

    def check(self, text: str, vector: np.ndarray | None, params: SemanticParams | None = None) -> Triage:
        """Triage one cleaned message (``vector``: its query embedding, or None when not computed)."""
        norm = normalise_for_rules(text)
        # An idiom ("morte de rire", "the wait is killing me") disarms the danger words it holds, not
        # the rest of the message: the rules read the message without it.
        idiom = _context()["figure_of_speech"]
        has_idiom = idiom.search(norm) is not None
        literal = idiom.sub("  ", norm) if has_idiom else norm
        rule = emergency_rule(text, literal)
        level, category, p, net = self.semantic(vector, params)
        distance = _distance(literal) if rule else None
        params = params or self.params
        gated = (
            rule is not None and vector is not None and params is not None and p < params.rule_gate
            and rule_is_gated(rule)
        )
        if rule and distance is None and not gated:
            return Triage(EMERGENCY, rule_category(rule) or category, rule, "rules", p)
        if level in (EMERGENCY, CAUTION) and (not rule or distance) and _reassured(norm):
            # The patient says the alarming signs are absent or over: the semantic net alone does not
            # raise the alarm, nor does it over a rule that read the story as someone else's or past
            # ("ma collègue avait du mal à avaler…, elle est guérie maintenant"); the caution box
            # still says what to do if it happens now.
            return Triage(CAUTION, category, None, "semantic+reassured", p)
        if level == EMERGENCY and not rule and params is not None and vector is not None and params.reads_as_a_question(vector):
            # The semantic net alone, on what reads as a patient's ordinary question: answered, with the box.
            return Triage(CAUTION, category, None, "semantic+question", p)
        if level == EMERGENCY and net == "semantic" and not rule and params is not None and vector is not None and params.nearer_to_non_emergency(vector):
            # The linear model alone, on a message whose nearest exemplars are not emergencies.
            return Triage(CAUTION, category, None, "semantic+nearest", p)
        if level == EMERGENCY and not rule and has_idiom:
            # The idiom's danger words pull the embedding towards an emergency; with no sign left for a
            # rule, the semantic net alone gives the caution box, not the alarm.
            return Triage(CAUTION, category, None, "semantic+idiom", p)
        if level == EMERGENCY:
            return Triage(EMERGENCY, category, None, net, p)
        if params is not None and vector is not None:
            serious = params.serious_probability(vector)
            if serious >= (params.now_threshold or params.serious_threshold) and _says_now(norm):
                # A serious complication (semantic net) said to be happening now (time markers).
                return Triage(EMERGENCY, category or params.category(vector), None, "semantic+now", p)
        if rule:
            return Triage(CAUTION, rule_category(rule) or category, rule, "rules", p)
        if level == CAUTION:
            return Triage(CAUTION, category, None, "semantic", p)
        named = _named(norm)
        if named:
            # Neither net alarms, but the message names a serious complication ("le risque de nécrose ?"):
            # answered, with what to do if it happens now.
            return Triage(CAUTION, named, None, "named", p)
        return Triage(NORMAL, None, None, None, p)
