"""Quality side by side: the bot as shipped against a plain dense-retrieval baseline, on one eval file.

(a) bot.engine.Bot on an index freshly built in a temporary folder, default bundled model,
    metrics from bot.evaluation.run_eval (all cases).
(b) baseline: each article body split by RecursiveCharacterTextSplitter(1000, 200) (no header
    splitting, no title prefix), the same model, FAISS IndexFlatIP; the answer is the top passage's
    article, and it never abstains nor flags an emergency.
Usage:
    .venv/bin/python -m bench.bench_quality [tests/eval/questions.jsonl]
"""

from __future__ import annotations

import logging
import os
import shlex
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
os.environ.setdefault("HF_HUB_OFFLINE", "1")

import faiss  # noqa: E402 - after HF_HUB_OFFLINE is set
import numpy as np  # noqa: E402 - after HF_HUB_OFFLINE is set
from langchain_text_splitters import RecursiveCharacterTextSplitter  # noqa: E402 - after HF_HUB_OFFLINE is set

from bench.common import machine, percentile  # noqa: E402 - after HF_HUB_OFFLINE is set
from bot.engine import Bot  # noqa: E402 - after HF_HUB_OFFLINE is set
from bot.evaluation import Case, load_cases, run_eval  # noqa: E402 - after HF_HUB_OFFLINE is set
from core.settings import load_settings  # noqa: E402 - after HF_HUB_OFFLINE is set
from index.articles import load_articles  # noqa: E402 - after HF_HUB_OFFLINE is set
from index.build import sync_index  # noqa: E402 - after HF_HUB_OFFLINE is set
from index.embedder import Embedder, load_embedder  # noqa: E402 - after HF_HUB_OFFLINE is set

FR, EN = ("fr", "near_miss"), ("en",)


def answerable(cases: list[Case], categories: tuple[str, ...]) -> list[Case]:
    return [c for c in cases if c.expected_status == "answered" and c.expected_sources and c.category in categories]


class Baseline:
    """Plain chunks, dense vectors, exact inner-product search; the top passage's article is the answer."""

    def __init__(self, content_dir: Path, embedder: Embedder) -> None:
        splitter = RecursiveCharacterTextSplitter(chunk_size=1000, chunk_overlap=200)
        articles, _ = load_articles(content_dir)
        self.sources: list[str] = []
        texts: list[str] = []
        for article in articles:
            for piece in splitter.split_text(article.body):
                self.sources.append(article.source)
                texts.append(piece)
        self.embedder = embedder
        vectors = embedder.encode_documents(texts)
        self.index = faiss.IndexFlatIP(vectors.shape[1])
        self.index.add(vectors)
        self.articles = len(articles)

    def ask(self, question: str) -> tuple[list[str], float]:
        """Distinct articles of the best passages, best first, and the latency in ms."""
        t = time.perf_counter()
        vector = self.embedder.encode_query(question).reshape(1, -1).astype(np.float32)
        _, ids = self.index.search(vector, min(self.index.ntotal, 30))
        ranked: list[str] = []
        for i in ids[0]:
            if i >= 0 and self.sources[i] not in ranked:
                ranked.append(self.sources[i])
        return ranked, (time.perf_counter() - t) * 1000


def baseline_metrics(baseline: Baseline, cases: list[Case]) -> dict[str, Any]:
    ranked: dict[str, list[str]] = {}
    latencies: list[float] = []
    for case in cases:  # every case, like the bot's latency figures
        ranked[case.id], ms = baseline.ask(case.question)
        latencies.append(ms)

    def hits(group: list[Case]) -> dict[str, Any]:
        h1 = sum(ranked[c.id][:1] != [] and ranked[c.id][0] in c.expected_sources for c in group)
        h3 = sum(bool(set(ranked[c.id][:3]) & set(c.expected_sources)) for c in group)
        return {"n": len(group), "hit@1": h1 / len(group) if group else None, "hit@3": h3 / len(group) if group else None}

    return {
        "answerable_fr": hits(answerable(cases, FR)),
        "answerable_en": hits(answerable(cases, EN)),
        "no_answer_recall": 0.0,  # never abstains
        "wrongly_abstained": 0.0,
        "emergency_recall": 0.0,  # never flags an emergency
        "near_miss_false_alarms": 0,
        "latency_ms_p50": percentile(latencies, 50),
        "latency_ms_p95": percentile(latencies, 95),
    }


def fmt(value: Any, pct: bool = True) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, int) or not pct:
        return f"{value:.1f}" if isinstance(value, float) else str(value)
    return f"{value * 100:.1f} %"


def main() -> int:
    load_at_start = os.getloadavg()[0]
    logging.disable(logging.WARNING)
    args = [a for a in sys.argv[1:] if not a.startswith("-")]
    path = Path(args[0]) if args else ROOT / "tests" / "eval" / "questions.jsonl"
    cases = load_cases(path)
    embedder = load_embedder("")
    with tempfile.TemporaryDirectory(prefix="faqbot-quality-") as tmp:
        # Defaults as shipped: no FAQBOT_* variable of this shell leaks in.
        settings = load_settings(env={}, index_dir=Path(tmp) / "index", data_dir=Path(tmp) / "data")
        report = sync_index(settings, embedder=embedder, full=True)
        bot = Bot(settings, embedder=embedder)
        shipped = run_eval(bot, cases).metrics
    t = time.perf_counter()
    baseline = Baseline(settings.content_dir, embedder)
    base_build = time.perf_counter() - t
    base = baseline_metrics(baseline, cases)

    rows: list[tuple[str, str, str]] = []
    for lang in ("fr", "en"):
        a, b = shipped[f"answerable_{lang}"], base[f"answerable_{lang}"]
        for k in ("hit@1", "hit@3"):
            rows.append((f"{k} {lang} (n={a['n']})", fmt(a[k]), fmt(b[k])))
    for key, label in (("no_answer_recall", "no_answer recall"), ("wrongly_abstained", "wrongly abstained"),
                       ("emergency_recall", "emergency recall"), ("near_miss_false_alarms", "near-miss false alarms")):
        rows.append((label, fmt(shipped[key]), fmt(base[key])))
    for key, label in (("latency_ms_p50", "latency p50 (ms)"), ("latency_ms_p95", "latency p95 (ms)")):
        rows.append((label, fmt(shipped[key], pct=False), fmt(base[key], pct=False)))

    n_answerable = sum(c.expected_status == "answered" and bool(c.expected_sources) for c in cases)
    print(f"\n{path.name}: {len(cases)} cases, {n_answerable} answerable; {baseline.articles} articles")
    print(f"index: bot {report.chunks} passages (built in {report.seconds:.1f} s), "
          f"baseline {baseline.index.ntotal} passages (built in {base_build:.1f} s); model {embedder.name}\n")
    print(f"{'metric':<24} {'bot as shipped':>15} {'plain baseline':>15}")
    print(f"{'-' * 24} {'-' * 15} {'-' * 15}")
    for label, a_val, b_val in rows:
        print(f"{label:<24} {a_val:>15} {b_val:>15}")
    print("\nhit@1: first cited (bot) / top passage's (baseline) article is expected; hit@3: an expected article is")
    print("cited or among the top-3 retrieved (bot) / among the top-3 distinct articles (baseline). A wrongly")
    print("abstained case is a miss. Latency: per question, in process, all cases (baseline: encode + search).")
    print(f"\nmachine: {machine(load_at_start)}")
    print(f"command: cd {shlex.quote(str(ROOT))} && .venv/bin/python -m bench.bench_quality {shlex.join(sys.argv[1:])}".rstrip())
    return 0


if __name__ == "__main__":
    sys.exit(main())
