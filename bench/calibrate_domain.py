"""Fit the off-topic detector; write the ``domain`` section of ``bot/data/calibration.json``.

A logistic regression over the question's embedding separates patients' questions from everyday
off-topic requests. In the domain: the answerable questions of every answer set no longer blind
(1,300 questions over eight clinics' articles) and the ``in_domain`` lines of ``tests/eval/domain.jsonl``;
off the domain: its ``off_topic`` lines. With the answerable questions of three sets only (445 messages in
the domain), the held-out file's off-topic requests were refused for 0.28 at 0.7 % of its in-domain ones;
with all of them, 0.39 at the same 0.7 %: the more of the domain the model sees, the nearer to it the
threshold can sit. The
threshold is chosen on 5-fold out-of-fold probabilities as the lowest one that refuses at most
``MAX_FALSE_REFUSAL`` of the in-domain messages, so the figures printed are honest estimates; the
blind sets are never read here.

Usage:
    python -m bench.calibrate_domain [--write]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from bench.query_cache import CachedEmbedder
from bot.calibration import CALIBRATION_FILE, write_section
from bot.evaluation import load_cases
from core.textnorm import clean_input
from index.embedder import load_embedder

ROOT = Path(__file__).resolve().parent.parent
DOMAIN = ROOT / "tests/eval/domain.jsonl"
# Written later by another author and never fitted on: requests framed around a visit ("a restaurant
# near the clinic", "un petit poème sur le botox") and everyday questions that stay in the domain.
# Its figures are printed as a held-out check of the detector.
HELD_OUT = ROOT / "tests/eval/domain2.jsonl"
ANSWERABLE = [
    ROOT / "tests/eval/questions.jsonl", ROOT / "tests/eval/calibration.jsonl", ROOT / "tests/eval/holdout.jsonl",
    ROOT / "tests/eval/corpus3/questions.jsonl",
    *(ROOT / f"tests/eval/blind/holdout{n}.jsonl" for n in range(2, 10)),
    *(ROOT / f"tests/eval/blind/corpus{n}/questions.jsonl" for n in (2, 4, 5, 6, 7, 8)),
]
# A patient's question refused as off-topic is worse than an off-topic request answered with a
# quote (which the abstention model may still refuse): the budget is kept small.
MAX_FALSE_REFUSAL = 0.005
REGULARISATION_C = 100.0


def _labelled(path: Path) -> tuple[list[str], list[bool]]:
    """The messages of a domain file and whether each one is off-topic."""
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [r["text"] for r in rows], [r["label"] == "off_topic" for r in rows]


def main() -> None:
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true")
    args = parser.parse_args()
    embedder = CachedEmbedder(load_embedder(""))
    texts, labels = _labelled(DOMAIN)
    for path in ANSWERABLE:
        for case in load_cases(path):
            if case.expected_status == "answered":
                texts.append(case.question)
                labels.append(False)
    def embed(messages: list[str]) -> np.ndarray:
        return np.stack([embedder.encode_query(clean_input(t)) for t in messages])

    x = embed(texts)
    y = np.array(labels)
    print(f"{len(y)} messages: {int(y.sum())} off-topic, {int((~y).sum())} in the domain")

    def model() -> LogisticRegression:
        return LogisticRegression(C=REGULARISATION_C, class_weight="balanced", max_iter=5000)

    oof = np.zeros(len(y))
    for train, test in StratifiedKFold(5, shuffle=True, random_state=0).split(x, y):
        oof[test] = model().fit(x[train], y[train]).predict_proba(x[test])[:, 1]
    inside = np.sort(oof[~y])[::-1]
    allowed = int(np.floor(MAX_FALSE_REFUSAL * len(inside)))
    threshold = float(inside[allowed]) + 1e-6
    refused = oof >= threshold
    print(f"threshold {threshold:.4f} (cross-validated): off-topic refused {refused[y].mean():.3f}, "
          f"in-domain refused {refused[~y].mean():.4f}")
    final = model().fit(x, y)
    held_texts, held_labels = _labelled(HELD_OUT)
    held_y = np.array(held_labels)
    held_p = final.predict_proba(embed(held_texts))[:, 1]
    print(f"held out ({HELD_OUT.name}, {len(held_y)} messages): off-topic refused {(held_p[held_y] >= threshold).mean():.3f}, "
          f"in-domain refused {(held_p[~held_y] >= threshold).mean():.4f}")
    if args.write:
        values = {
            "weights": [round(float(w), 6) for w in final.coef_[0]],
            "bias": round(float(final.intercept_[0]), 6),
            "threshold": round(threshold, 6),
            "cv_off_topic_refused": round(float(refused[y].mean()), 4),
            "cv_in_domain_refused": round(float(refused[~y].mean()), 4),
        }
        write_section("domain", values, embedder.name, [DOMAIN, *ANSWERABLE])
        print(f"wrote the domain section of {CALIBRATION_FILE}")


if __name__ == "__main__":
    main()
