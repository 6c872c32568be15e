"""Retrieval alone on the eval set: hit@1 / hit@3 of the article ranking, per retriever and fused.

Shows what each part of the hybrid buys. Usage:
    python -m bench.retrieval_report [tests/eval/questions.jsonl] [--misses]
"""

from __future__ import annotations

import sys
from pathlib import Path

from bot.engine import Bot
from bot.evaluation import load_cases
from core.settings import load_settings
from core.textnorm import clean_input, detect_language


def main() -> None:
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    path = Path(args[0]) if args else Path("tests/eval/questions.jsonl")
    show_misses = "--misses" in sys.argv
    bot = Bot(load_settings())
    cases = [c for c in load_cases(path) if c.expected_status == "answered" and c.expected_sources]
    groups: dict[str, list[tuple[list[str], set[str]]]] = {}
    for case in cases:
        q = clean_input(case.question)
        lang = detect_language(q)
        r = bot.retriever.search(q, lang)
        expected = set(case.expected_sources)
        fused = [s for s, _ in r.articles]
        for name, top in list(r.top_by.items()) + [("fused", fused)]:
            groups.setdefault(name, []).append((top, expected))
            groups.setdefault(f"{name}:{case.category}", []).append((top, expected))
        if show_misses and fused[:1] and fused[0] not in expected:
            print(f"MISS {case.id:<12} got {fused[:3]} want {sorted(expected)} :: {case.question[:80]}")
    print(f"{'retriever':<26} {'n':>4} {'hit@1':>6} {'hit@3':>6}")
    for name in sorted(groups):
        rows = groups[name]
        h1 = sum(bool(top[:1]) and top[0] in exp for top, exp in rows) / len(rows)
        h3 = sum(bool(set(top[:3]) & exp) for top, exp in rows) / len(rows)
        print(f"{name:<26} {len(rows):>4} {h1:>6.3f} {h3:>6.3f}")


if __name__ == "__main__":
    main()
