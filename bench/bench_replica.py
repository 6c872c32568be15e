"""One replica as it starts: time to the first answer, resident memory, ``ask`` latency.

Run in a fresh process by ``bench/bench_scale.py`` (or by hand) on an existing
index; prints one JSON line. Nothing is imported before the clock starts but
the standard library, so the start-up time is what a replica pays.

Usage:
    python -m bench.bench_replica INDEX_DIR [--queries 200] [--spawned-at UNIX_TIME]
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def percentile(values: list[float], pct: float) -> float:
    """Nearest-rank percentile (as bench/common.py); NaN for no values."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(pct / 100 * (len(ordered) - 1))))] if ordered else float("nan")


def vm_mb(key: str) -> float:
    """A line of /proc/self/status (VmRSS: resident now, VmHWM: peak resident), in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1]) / 1024
    return 0.0


def replica(index_dir: Path, queries: int, spawned_at: float) -> None:
    """One replica: start, answer a first question, then ``queries`` more; print one JSON line."""
    t_import = time.time()
    from bot.engine import Bot
    from core.settings import load_settings

    settings = load_settings(env={}, index_dir=index_dir, data_dir=index_dir.parent / "data")
    t_bot = time.time()
    bot = Bot(settings)
    loaded_at = time.time()
    first = bot.ask("Combien de séances de microneedling faut-il prévoir ?")
    first_answer = time.time()
    # CPU seconds of the process (all threads) to its first answer: what the start costs, whatever else runs.
    cpu = os.times()
    first_answer_cpu = cpu.user + cpu.system
    load_rss = vm_mb("VmRSS")
    from bot.evaluation import load_cases

    cases = load_cases(ROOT / "tests" / "eval" / "questions.jsonl")
    questions = [c.question for c in cases if c.expected_status == "answered"]
    questions = (questions * (queries // len(questions) + 1))[:queries]
    parts: dict[str, list[float]] = {"embed_ms": [], "search_ms": [], "fusion_ms": [], "compose_ms": [], "total_ms": []}
    for q in questions:
        timings = dict(bot.ask(q).trace.timings)
        if "search_ms" not in timings:
            continue
        # Choosing the sentences: scoring every unit, then composing the quote.
        timings["compose_ms"] = timings.get("rank_ms", 0.0) + timings.get("compose_ms", 0.0)
        for key in parts:
            parts[key].append(timings.get(key, 0.0))
    row = {
        "chunks": len(bot.retriever.loaded.chunks), "index": bot.index_manifest["index_type"],
        "interpreter_s": t_import - spawned_at, "imports_s": t_bot - t_import, "bot_s": loaded_at - t_bot,
        "first_answer_s": first_answer - spawned_at, "first_answer_cpu_s": first_answer_cpu,
        "first_status": first.status,
        "rss_loaded_mb": load_rss, "rss_after_mb": vm_mb("VmRSS"), "rss_peak_mb": vm_mb("VmHWM"),
        # Of the resident memory after the questions: the process's own (anonymous) memory, and pages of
        # memory-mapped index files (page cache, shared by replicas on one machine, reclaimable).
        "rss_anon_after_mb": vm_mb("RssAnon"), "rss_file_after_mb": vm_mb("RssFile"),
        "answered_by_retrieval": len(parts["total_ms"]),
    }
    for key, values in parts.items():
        row[f"{key}_p50"] = percentile(values, 50)
        row[f"{key}_p95"] = percentile(values, 95)
    print(json.dumps(row))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("index_dir", type=Path)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--spawned-at", type=float, help="when the parent started this process (default: now)")
    args = parser.parse_args()
    replica(args.index_dir, args.queries, args.spawned_at or time.time())


if __name__ == "__main__":
    main()
