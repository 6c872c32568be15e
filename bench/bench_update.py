"""How long an index update takes compared with a full build, on a large synthetic corpus.

Generates N French articles from the clinic's real ones (sections mixed across
articles, titles and URLs renamed, so each is realistic and different), builds
the index with the real default model, then times:

1. an update with nothing changed (target: at most 2 s);
2. an update after editing one article (target: at most 5 % of the full build).

Usage:
    python -m bench.bench_update [--articles 1000] [--keep DIR]

Exit code 0 when both targets are met, 1 otherwise.
"""

from __future__ import annotations

import argparse
import random
import re
import shlex
import shutil
import sys
import tempfile
import time
from pathlib import Path

from core.settings import load_settings
from index.articles import Article, load_articles
from index.build import sync_index
from index.embedder import BUNDLED_MODEL_NAME, load_embedder

ROOT = Path(__file__).resolve().parent.parent

NO_CHANGE_TARGET_S = 2.0
ONE_CHANGE_TARGET_RATIO = 0.05
ANGLES = [
    "guide pratique",
    "questions fréquentes",
    "ce qu'il faut savoir",
    "avant votre rendez-vous",
    "les points clés",
    "l'avis de nos médecins",
    "pour les peaux sensibles",
    "idées reçues",
    "en dix questions",
    "après la séance",
    "pour une première fois",
    "selon les saisons",
]
PLACES = ["Paris", "Lyon", "Bordeaux", "Nantes", "Lille", "Marseille", "Toulouse", "Strasbourg", "Rennes", "Nice"]


def _sections(article: Article) -> tuple[str, list[tuple[str, str]]]:
    """The article's introduction and its ``## `` sections as (heading, text)."""
    parts = re.split(r"^## +(.+)$", article.body, flags=re.MULTILINE)
    intro = parts[0].strip()
    sections = [(parts[i].strip(), parts[i + 1].strip()) for i in range(1, len(parts) - 1, 2)]
    return intro, [(h, t) for h, t in sections if t]


def _slug(text: str) -> str:
    import unicodedata

    folded = unicodedata.normalize("NFKD", text.lower()).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", folded).strip("-")[:50]


def generate_articles(count: int, target: Path, seed: int = 7) -> list[str]:
    """Write ``count`` synthetic articles into ``target``; return their file names."""
    real, failures = load_articles(ROOT / "content")
    if failures or not real:
        raise SystemExit(f"cannot read the real articles: {failures}")
    parsed = [(a, *_sections(a)) for a in real]
    pool = [(a.title, h, t) for a, _, secs in parsed for h, t in secs]
    rng = random.Random(seed)
    target.mkdir(parents=True, exist_ok=True)
    names = []
    for i in range(count):
        base, intro, own = parsed[i % len(parsed)]
        angle = ANGLES[(i // len(parsed)) % len(ANGLES)]
        place = PLACES[rng.randrange(len(PLACES))]
        title = f"{base.title.split(' :')[0]} : {angle} ({place}, fiche {i + 1})"
        kept = rng.sample(own, k=max(2, min(len(own), rng.randint(3, 5))))
        borrowed = [(h, t) for _, h, t in rng.sample(pool, k=rng.randint(1, 3)) if (h, t) not in kept]
        sections = kept + borrowed
        rng.shuffle(sections)
        lines = [
            "---",
            f'title: "{title}"',
            f'url: "https://clinique.example/articles/{i + 1:05d}-{_slug(title)}"',
            f"updated: 2026-{1 + i % 12:02d}-{1 + i % 28:02d}",
            "lang: fr",
            "---",
            f"# {title}",
            "",
            intro,
            "",
            f"Cette fiche répond aux questions posées le plus souvent à notre équipe de {place}.",
        ]
        for heading, text in sections:
            lines += ["", f"## {heading}", "", text]
        name = f"{i + 1:05d}-{_slug(base.title)}.md"
        (target / name).write_text("\n".join(lines) + "\n", encoding="utf-8")
        names.append(name)
    return names


def _timed(func):
    started = time.perf_counter()
    result = func()
    return result, time.perf_counter() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=1000, help="number of synthetic articles (default 1000)")
    parser.add_argument("--keep", type=Path, help="write content and index here and keep them (default: a temp folder)")
    args = parser.parse_args(argv)
    if args.articles < 1:
        parser.error("--articles must be at least 1")

    if args.keep:
        base = args.keep.resolve()
        if base.exists() and any(base.iterdir()):
            parser.error(f"--keep folder is not empty: {base}")
        base.mkdir(parents=True, exist_ok=True)
    else:
        base = Path(tempfile.mkdtemp(prefix="bench-update-"))
    try:
        return _run(args.articles, base, args)
    finally:
        if not args.keep:
            shutil.rmtree(base, ignore_errors=True)


def _run(count: int, base: Path, args) -> int:
    content = base / "content"
    names, gen_s = _timed(lambda: generate_articles(count, content))
    size_mb = sum((content / n).stat().st_size for n in names) / 1e6
    print(f"generated {count} articles ({size_mb:.1f} MB) in {gen_s:.1f} s under {content}", flush=True)

    settings = load_settings(
        env={}, content_dir=content, index_dir=base / "index", data_dir=base / "data", embedding_model=""
    )
    embedder, load_s = _timed(lambda: load_embedder(""))
    print(f"loaded {BUNDLED_MODEL_NAME} in {load_s:.1f} s; full build running...", flush=True)

    full, full_s = _timed(lambda: sync_index(settings, embedder=embedder, full=True))
    assert full.written and not full.failed, full.failed
    print(f"full build: {full.articles} articles, {full.chunks} chunks in {full_s:.1f} s", flush=True)

    same, same_s = _timed(lambda: sync_index(settings, embedder=embedder))
    assert not same.written and same.chunks_embedded == 0, same.to_dict()

    edited = content / names[len(names) // 2]
    edited.write_text(
        edited.read_text(encoding="utf-8")
        + "\n## Une nouvelle question\n\nLa clinique a ajouté cette réponse pour mesurer le temps d'une mise à jour.\n",
        encoding="utf-8",
    )
    one, one_s = _timed(lambda: sync_index(settings, embedder=embedder))
    assert one.written and one.changed == [edited.name], one.to_dict()

    ratio = one_s / full_s
    rows = [
        ("articles (N)", f"{full.articles}"),
        ("chunks", f"{full.chunks}"),
        ("full build (s)", f"{full_s:.2f}"),
        ("no-change update (s)", f"{same_s:.2f}   target <= {NO_CHANGE_TARGET_S:.0f} s"),
        ("one-change update (s)", f"{one_s:.2f}   {one.chunks_embedded} chunks embedded"),
        ("one-change / full", f"{ratio:.2%}   target <= {ONE_CHANGE_TARGET_RATIO:.0%}"),
    ]
    print()
    print(f"model {BUNDLED_MODEL_NAME} (loaded once, {load_s:.1f} s, not counted)")
    width = max(len(k) for k, _ in rows)
    for key, value in rows:
        print(f"  {key:<{width}}  {value}")
    ok_same = same_s <= NO_CHANGE_TARGET_S
    ok_one = ratio <= ONE_CHANGE_TARGET_RATIO
    print(f"  {'no-change target':<{width}}  {'met' if ok_same else 'MISSED'}")
    print(f"  {'one-change target':<{width}}  {'met' if ok_one else 'MISSED'}")
    if args.keep:
        print(f"content and index kept in {base}")
    python = Path(sys.executable)
    try:
        python_arg = str(python.relative_to(ROOT))
    except ValueError:
        python_arg = str(python)
    cmd = [python_arg, "-m", "bench.bench_update", "--articles", str(count)]
    print(f"reproduce: cd {shlex.quote(str(ROOT))} && {shlex.join(cmd)}")
    return 0 if ok_same and ok_one else 1


if __name__ == "__main__":
    sys.exit(main())
