"""Full build throughput against the embedding model's own throughput on this CPU.

The content folder is copied N times (articles renamed) so the build has enough
chunks to measure; the floor is the same texts encoded directly by the model
with the same batch size. Peak memory is the process's maximum resident size.

Usage:
    python -m bench.bench_build [--copies 10]
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import tempfile
import time
from pathlib import Path

from core.settings import load_settings
from index.build import sync_index
from index.embedder import load_embedder
from index.store import load_current

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--copies", type=int, default=10)
    args = parser.parse_args()
    embedder = load_embedder("")
    embedder.encode_documents(["échauffement du modèle"] * 8)
    with tempfile.TemporaryDirectory() as tmp:
        content = Path(tmp) / "content"
        for i in range(args.copies):
            target = content / f"copie-{i:02d}"
            shutil.copytree(ROOT / "content", target)
            for md in target.glob("*.md"):
                text = md.read_text(encoding="utf-8").replace('url: "https://clinique.example/articles/',
                                                               f'url: "https://clinique.example/{i}/')
                md.write_text(text.replace('title: "', f'title: "({i}) ', 1), encoding="utf-8")
        settings = load_settings(env={}, content_dir=content, index_dir=Path(tmp) / "index")
        started = time.perf_counter()
        report = sync_index(settings, embedder=embedder, full=True)
        build_s = time.perf_counter() - started
        texts = [c.embedding_text for c in load_current(settings.index_dir).chunks]
        started = time.perf_counter()
        embedder._model.encode(texts, batch_size=settings.embed_batch_size, normalize_embeddings=True)
        raw_s = time.perf_counter() - started
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"machine: {os.cpu_count()} cores")
    print(f"{'articles':>8} {'chunks':>7} {'build s':>8} {'chunks/s':>9} {'model only s':>13} {'model chunks/s':>15} "
          f"{'ratio':>6} {'peak MB':>8}")
    print(f"{report.articles:>8} {report.chunks:>7} {build_s:>8.1f} {report.chunks / build_s:>9.1f} {raw_s:>13.1f} "
          f"{len(texts) / raw_s:>15.1f} {build_s / raw_s:>6.2f} {peak_mb:>8.0f}")
    print(f"command: python -m bench.bench_build --copies {args.copies}")


if __name__ == "__main__":
    main()
