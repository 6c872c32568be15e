"""What the hand-written lists still buy now that the model is multilingual.

Runs the eval files with each list switched off in turn — the English→French
glossary, the French synonyms, the topic list of treatments the articles never
mention, the question-type cues — and prints answer_correct, hit@1 and
no_answer recall beside the full pipeline. A list stays only where it helps on
sets it was not written for (README, "Hand-written lists").

Usage:
    python -m bench.ablate_lists INDEX_DIR:EVAL_FILE [INDEX_DIR:EVAL_FILE ...]
"""

from __future__ import annotations

import sys
from contextlib import contextmanager
from pathlib import Path

import bot.quotes as quotes
import bot.retrieval as retrieval
from bot.engine import Bot
from bot.evaluation import load_cases, run_eval
from core.settings import load_settings


@contextmanager
def switched_off(name: str):
    saved = {}
    if name == "glossary":
        saved["EN_FR"] = dict(retrieval.EN_FR)
        retrieval.EN_FR.clear()
    elif name == "synonyms":
        saved["FR_SYNONYMS"] = dict(retrieval.FR_SYNONYMS)
        retrieval.FR_SYNONYMS.clear()
    elif name == "topics":
        saved["uncovered"] = retrieval.uncovered_topics
        retrieval.uncovered_topics = lambda *args: []
    elif name == "question_types":
        saved["asked"] = quotes.asked_types
        quotes.asked_types = lambda question: []
    try:
        yield
    finally:
        retrieval.EN_FR.update(saved.get("EN_FR", {}))
        retrieval.FR_SYNONYMS.update(saved.get("FR_SYNONYMS", {}))
        if "uncovered" in saved:
            retrieval.uncovered_topics = saved["uncovered"]
        if "asked" in saved:
            quotes.asked_types = saved["asked"]


def main(argv: list[str]) -> None:
    print("| set | lists | answer_correct | hit@1 | no_answer recall | wrongly abstained |")
    print("|---|---|---|---|---|---|")
    for pair in argv:
        index_dir, _, eval_file = pair.partition(":")
        bot = Bot(load_settings(index_dir=Path(index_dir)))
        cases = load_cases(Path(eval_file))
        for name in ("all", "glossary", "synonyms", "topics", "question_types"):
            with switched_off(name):
                m = run_eval(bot, cases).metrics
            label = "all on" if name == "all" else f"without {name}"
            print(f"| {Path(eval_file).name} | {label} | {m['answer_correct']} | {m['answerable']['hit@1']} "
                  f"| {m['no_answer_recall']} | {m['wrongly_abstained']} |", flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
