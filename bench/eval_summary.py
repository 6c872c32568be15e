"""One table of the figures that matter, from ``python -m bot eval --json`` reports.

Usage:
    python -m bench.eval_summary NAME=report.json [NAME=report.json ...]
"""

from __future__ import annotations

import json
import sys


def _get(m: dict, path: str):
    value = m
    for part in path.split("."):
        if not isinstance(value, dict) or part not in value:
            return None
        value = value[part]
    return value


ROWS = [
    ("answer_correct", "answer_correct"),
    ("quoted chars p50", "quoted_chars_p50"),
    ("French hit@1", "answerable_fr.hit@1"),
    ("French hit@3", "answerable_fr.hit@3"),
    ("English hit@3", "answerable_en.hit@3"),
    ("wrongly abstained", "wrongly_abstained"),
    ("no_answer recall", "no_answer_recall"),
    ("emergency recall", "emergency_recall"),
    ("emergency recall fr", "emergency_recall_by_lang.fr.recall"),
    ("emergency recall en", "emergency_recall_by_lang.en.recall"),
    ("false-alarm rate", "false_alarm_rate"),
    ("caution on caution cases", "caution_shown_on_caution_cases"),
    ("caution on normal cases", "caution_shown_on_normal_cases"),
    ("latency p50 ms", "latency_ms_p50"),
]


def main(argv: list[str]) -> None:
    reports = []
    for arg in argv:
        name, _, path = arg.partition("=")
        with open(path, encoding="utf-8") as fh:
            reports.append((name, json.load(fh)["metrics"]))
    print("| metric | " + " | ".join(name for name, _ in reports) + " |")
    print("|---|" + "---|" * len(reports))
    for label, path in ROWS:
        values = [_get(m, path) for _, m in reports]
        if all(v is None for v in values):
            continue
        print(f"| {label} | " + " | ".join("" if v is None else f"{v}" for v in values) + " |")


if __name__ == "__main__":
    main(sys.argv[1:])
