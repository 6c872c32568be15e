"""Copy a triage or eval file with every message split by invisible characters.

Each message gets ``--count`` characters (zero-width space, soft hyphen, word joiner,
bidi marks, BOM…) inserted at random positions inside its words, seeded so the copy
is reproducible. Run ``python -m bot eval`` on the copy: the figures must match the
original's, since the bot removes these characters before any check.

Usage:
    python -m bench.invisible_split tests/eval/blind/redteam.jsonl /tmp/redteam-invisible.jsonl --count 3
"""

from __future__ import annotations

import argparse
import json
import random
from pathlib import Path

INVISIBLE = ["\u200b", "\u200c", "\u200d", "\u00ad", "\u2060", "\u200e", "\u200f", "\u202a", "\u202c", "\ufeff", "\u2066", "\u2069"]


def split(text: str, count: int, rng: random.Random) -> str:
    inside = [i for i in range(1, len(text)) if text[i - 1].isalpha() and text[i].isalpha()]
    for position in sorted(rng.sample(inside, min(count, len(inside))), reverse=True):
        text = text[:position] + rng.choice(INVISIBLE) + text[position:]
    return text


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", type=Path)
    parser.add_argument("target", type=Path)
    parser.add_argument("--count", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    lines = []
    for line in args.source.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        row = json.loads(line)
        key = "text" if "text" in row else "question"
        row[key] = split(row[key], args.count, rng)
        lines.append(json.dumps(row, ensure_ascii=False))
    args.target.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"wrote {len(lines)} messages to {args.target}")


if __name__ == "__main__":
    main()
