"""``python -m bot``: ask the bot a question or run an eval set.

Exit codes: 0 done; 2 the index or the eval file cannot be used.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bot", description="Ask the clinic's FAQ bot.")
    sub = parser.add_subparsers(dest="command", required=True)
    ask = sub.add_parser("ask", help="answer one question")
    ask.add_argument("question")
    ev = sub.add_parser("eval", help="run an eval set (JSONL) and print the metrics")
    ev.add_argument("file", type=Path)
    for p in (ask, ev):
        p.add_argument("--index-dir", type=Path, help="index folder (FAQBOT_INDEX_DIR, default var/index)")
        p.add_argument("--model", help="embedding model name or path (FAQBOT_EMBEDDING_MODEL)")
        p.add_argument("--json", action="store_true", help="print one JSON object")
    ask.add_argument("--trace", action="store_true", help="with --json, add what is behind the answer")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    from core.logs import setup_logging
    from core.settings import load_settings

    setup_logging()
    try:
        settings = load_settings(index_dir=args.index_dir, embedding_model=args.model)
        bot = _load_bot(settings)
    except Exception as exc:  # one clear line instead of a traceback
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.command == "ask":
        answer = bot.ask(args.question)
        if args.json:
            print(json.dumps(answer.to_dict(with_trace=args.trace), ensure_ascii=False))
        else:
            print(_human(answer))
        return 0
    from bot.evaluation import EvalFileError, format_table, load_cases, run_eval

    try:
        cases = load_cases(args.file)
    except EvalFileError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    report = run_eval(bot, cases)
    print(json.dumps(report.to_dict(), ensure_ascii=False) if args.json else format_table(report))
    return 0


def _load_bot(settings):
    from bot.engine import Bot

    return Bot(settings)


def _human(answer) -> str:
    lines = [answer.answer]
    if answer.citations:
        lines += ["", "Sources:"]
        for c in answer.citations:
            where = c.title + (f" — {c.section}" if c.section else "")
            lines.append(f"[{c.n}] {where} ({c.url or c.source})")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
