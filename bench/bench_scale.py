"""Start-up, memory and ``ask`` latency at 1k, 10k and 100k chunks, and exact versus HNSW search.

Synthetic corpora are derived from the real index: each synthetic chunk mixes
sentences of two real chunks under a renamed article, and its vector mixes
their real vectors plus noise (embedding 100k texts would take the whole CPU
for half an hour and search time does not depend on where a vector came from).
Questions come from the eval set; the query embedding is the real model's.

Each size is measured in a fresh process, as a replica starts: the time from
the process start to its first answer, its resident memory after loading and
after the questions, and ``ask`` p50/p95. The command line's own wall times
(``python -m index stats``, ``python -m bot ask``) are measured on the same index.

Usage:
    python -m bench.bench_scale [--sizes 1000 10000 100000] [--queries 200] [--keep DIR] [--no-compare]
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from bench.common import cpu_name, machine, percentile, rss_mb
from bot.evaluation import load_cases
from core.settings import load_settings
from index.build import sync_index
from index.chunking import Chunk
from index.embedder import load_embedder
from index.store import load_current, make_faiss_index, write_version
from index.units import SENTENCE_END, Unit

ROOT = Path(__file__).resolve().parent.parent


def split_sentences(text: str) -> list[str]:
    return [x.strip() for x in SENTENCE_END.split(text.replace("\n", " ")) if len(x.strip()) >= 20]


def synthetic(
    base: list[Chunk], vectors: np.ndarray, n: int, seed: int = 0
) -> tuple[list[Chunk], np.ndarray, list[Unit], np.ndarray]:
    """``n`` passages mixing sentences of two real ones, and their sentences as quotable units.

    A passage's vector mixes the two real vectors plus noise; each unit's vector is
    its passage's vector plus more noise (about five units a passage, as in the real articles).
    """
    rng = np.random.default_rng(seed)
    sentences = [split_sentences(c.text) or [c.text] for c in base]
    chunks: list[Chunk] = []
    out = np.empty((n, vectors.shape[1]), dtype=np.float32)
    per_article = 12
    for i in range(n):
        a, b = rng.integers(0, len(base), size=2)
        doc = i // per_article
        text = " ".join(sentences[a][: 2] + sentences[b][-2:])
        source = f"synth/{doc:06d}-{Path(base[a].source).stem}.md"
        chunks.append(
            Chunk(id=f"{source}#{i % per_article}", source=source, title=f"{base[a].title} ({doc})",
                  section=base[a].section, text=text, url=None, position=i % per_article)
        )
        v = 0.7 * vectors[a] + 0.3 * vectors[b] + rng.normal(0, 0.02, vectors.shape[1])
        out[i] = v / np.linalg.norm(v)
    units: list[Unit] = []
    unit_vectors: list[np.ndarray] = []
    order: dict[str, int] = {}
    for chunk, v in zip(chunks, out, strict=True):
        for sentence in split_sentences(chunk.text):
            k = order.get(chunk.source, 0)
            order[chunk.source] = k + 1
            units.append(Unit(chunk.source, k, chunk.section, sentence))
            u = v + rng.normal(0, 0.05, v.shape[0])
            unit_vectors.append(u / np.linalg.norm(u))
    return chunks, out, units, np.asarray(unit_vectors, dtype=np.float32)


def write_size(n: int, base, vectors, embedder, workdir: Path) -> tuple[Path, float]:
    """Write a synthetic index of ``n`` passages as the index writer would; return its folder and seconds."""
    chunks, vecs, units, unit_vecs = synthetic(base, vectors, n)
    settings = load_settings(env={}, index_dir=workdir / f"index-{n}", data_dir=workdir / "data")
    manifest = {
        "model": embedder.name, "dimension": embedder.dimension,
        "chunking": {"requested_chars": settings.chunk_chars, "overlap": settings.chunk_overlap},
        "articles": {},
    }
    t = time.perf_counter()
    write_version(settings.index_dir, chunks, vecs, manifest, units=units, unit_vectors=unit_vecs)
    return settings.index_dir, time.perf_counter() - t


def run_size(index_dir: Path, queries: int) -> dict:
    """Start a replica in a fresh process on ``index_dir``; its figures."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("FAQBOT_")}
    out = subprocess.run(
        [sys.executable, "-m", "bench.bench_replica", str(index_dir), "--queries", str(queries),
         "--spawned-at", repr(time.time())],
        cwd=ROOT, env=env, capture_output=True, text=True, check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def cli_seconds(args: list[str], index_dir: Path, runs: int = 3) -> float:
    """Best wall time of ``python -m ...`` on ``index_dir`` (best of ``runs``: a shared machine adds noise)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("FAQBOT_")}
    env["FAQBOT_INDEX_DIR"] = str(index_dir)
    best = float("inf")
    for _ in range(runs):
        t = time.perf_counter()
        subprocess.run([sys.executable, "-m", *args], cwd=ROOT, env=env, capture_output=True, check=True)
        best = min(best, time.perf_counter() - t)
    return best


def exact_vs_hnsw(vectors: np.ndarray, queries: np.ndarray) -> list[dict]:
    import faiss

    rows = []
    exact = faiss.IndexFlatIP(vectors.shape[1])
    exact.add(vectors)
    _, truth = exact.search(queries, 10)
    for name in ("flat", "hnsw32"):
        gc.collect()
        before = rss_mb()
        t = time.perf_counter()
        if name == "flat":
            index = faiss.IndexFlatIP(vectors.shape[1])
            index.add(vectors)
        else:
            index, _ = make_faiss_index(vectors, vectors.shape[1])  # HNSW at this size
        build = time.perf_counter() - t
        memory = rss_mb() - before
        times = []
        found = []
        for q in queries:
            t = time.perf_counter()
            _, ids = index.search(q.reshape(1, -1), 10)
            times.append((time.perf_counter() - t) * 1000)
            found.append(ids[0])
        recall = np.mean([len(set(f) & set(g)) / 10 for f, g in zip(found, truth, strict=True)])
        rows.append({"index": name, "build_s": build, "memory_mb": memory, "p50_ms": percentile(times, 50),
                     "p95_ms": percentile(times, 95), "recall@10": float(recall)})
    return rows


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000, 100000])
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--keep", type=Path, help="write the synthetic indexes here and keep them (for bench_app.py)")
    parser.add_argument("--no-compare", action="store_true", help="skip exact versus approximate search")
    parser.add_argument("--cli-runs", type=int, default=3, help="runs of each command; the best is kept")
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    load_at_start = os.getloadavg()[0]
    embedder = load_embedder("")
    cases = load_cases(ROOT / "tests" / "eval" / "questions.jsonl")
    questions = [c.question for c in cases if c.expected_status == "answered"]
    questions = (questions * (args.queries // len(questions) + 1))[: args.queries]
    with tempfile.TemporaryDirectory() as tmp:
        work = args.keep.resolve() if args.keep else Path(tmp)
        base_settings = load_settings(env={}, index_dir=Path(tmp) / "base", data_dir=Path(tmp) / "data")
        sync_index(base_settings, embedder=embedder, full=True)
        base = load_current(base_settings.index_dir)
        base_vectors = base.vectors()
        t = time.perf_counter()
        for _ in range(50):
            embedder.encode_query("Combien de séances de microneedling faut-il prévoir ?")
        floor_ms = (time.perf_counter() - t) / 50 * 1000
        print(f"machine: {cpu_name()}, {os.cpu_count()} cores; query embedding alone: {floor_ms:.1f} ms", flush=True)
        print(f"{'chunks':>7} {'index':>6} {'write s':>7} {'start s':>7} {'of which load':>13} {'RSS MB':>7} "
              f"{'RSS after':>9} {'peak':>6} {'embed p50':>9} {'search p50':>10} {'fusion p50':>10} "
              f"{'compose p50':>11} {'ask p50':>8} {'ask p95':>8} {'stats s':>7} {'bot ask s':>9}", flush=True)
        for n in args.sizes:
            index_dir, write_s = write_size(n, base.chunks, base_vectors, embedder, work)
            gc.collect()
            r = run_size(index_dir, args.queries)
            stats_s = cli_seconds(["index", "stats"], index_dir, args.cli_runs)
            question = "Combien de séances de microneedling faut-il prévoir ?"
            ask_s = cli_seconds(["bot", "ask", question, "--json"], index_dir, args.cli_runs)
            print(f"{r['chunks']:>7} {r['index']:>6} {write_s:>7.1f} {r['first_answer_s']:>7.2f} {r['bot_s']:>13.2f} "
                  f"{r['rss_loaded_mb']:>7.0f} {r['rss_after_mb']:>9.0f} {r['rss_peak_mb']:>6.0f} "
                  f"{r['embed_ms_p50']:>9.1f} {r['search_ms_p50']:>10.1f} {r['fusion_ms_p50']:>10.1f} "
                  f"{r['compose_ms_p50']:>11.1f} {r['total_ms_p50']:>8.1f} {r['total_ms_p95']:>8.1f} "
                  f"{stats_s:>7.2f} {ask_s:>9.2f}", flush=True)
            if not args.keep:
                import shutil

                shutil.rmtree(index_dir, ignore_errors=True)
        if not args.no_compare:
            big = max(args.sizes)
            _, vecs, _, _ = synthetic(base.chunks, base_vectors, big, seed=1)
            qv = np.stack([embedder.encode_query(q) for q in questions[:200]])
            print(f"\nexact vs approximate search at {big} vectors (dense search only)")
            print(f"{'index':>7} {'build s':>8} {'mem MB':>7} {'p50 ms':>7} {'p95 ms':>7} {'recall@10':>9}")
            for r in exact_vs_hnsw(vecs, qv):
                print(f"{r['index']:>7} {r['build_s']:>8.1f} {r['memory_mb']:>7.0f} {r['p50_ms']:>7.2f} "
                      f"{r['p95_ms']:>7.2f} {r['recall@10']:>9.3f}")
    print("\nstart s: process start to the first answer; of which load: creating the Bot (model, index, retriever);"
          " RSS: resident memory after the first answer, after the questions, and at its peak;"
          f" stats s / bot ask s: best of {args.cli_runs} wall times of `python -m index stats` / `python -m bot ask`")
    print(f"machine: {machine(load_at_start)}")
    print(f"command: python -m bench.bench_scale {' '.join(sys.argv[1:])}")


if __name__ == "__main__":
    main()
