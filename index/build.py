"""Building and updating the index.

A full build and an incremental update are the same procedure: load the
articles, reuse the chunks and vectors of every article whose sha256 has not
changed, embed the rest, and write a new version. A full build simply reuses
nothing. That is why an update gives the same index as a full build of the same
content.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
from filelock import FileLock, Timeout

from core.settings import Settings
from index.articles import READING_SCHEME, Article, LoadFailure, load_articles
from index.chunking import Chunk, chunk_article, chunk_size_for_model
from index.embedder import Embedder, load_embedder
from index.lexical import LEXICAL_SCHEME
from index.store import (
    MANIFEST_FILE,
    UNITS_SCHEME,
    VERSIONS_DIR,
    IndexCorrupt,
    IndexMissing,
    IndexProblem,
    LoadedIndex,
    append_history,
    current_version_name,
    load_current,
    now_iso,
    write_version,
)
from index.units import Unit, article_units, embedding_text

log = logging.getLogger(__name__)
LOCK_FILE = ".lock"


class IndexBusy(IndexProblem):
    """Another process is writing the index."""


class UpdateAborted(IndexProblem):
    """``strict`` was asked and some articles failed: the live index was kept."""


class ShrinkRefused(IndexProblem):
    """The new version would hold no article, or lose more than half of them: the live index was kept.

    An emptied or unmounted content folder must not become the live index (and
    the next restart's index); ``allow_shrink`` says the loss is intended.
    """


def shrink_problem(before: int, after: int) -> str | None:
    """Why a version going from ``before`` to ``after`` articles must not go live, or None."""
    if after == 0:
        return f"the new index would hold 0 articles instead of {before}"
    if before and before - after > before / 2:
        return f"the new index would hold {after} articles instead of {before} (more than half removed)"
    return None


@dataclass
class UpdateReport:
    """What a build or an update did, as printed by the CLI and kept in the history."""

    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    failed: list[dict] = field(default_factory=list)
    kept_previous: list[str] = field(default_factory=list)
    chunks_embedded: int = 0
    units_embedded: int = 0
    seconds: float = 0.0
    version: int | None = None
    written: bool = False
    articles: int = 0
    chunks: int = 0
    full_rebuild_reason: str | None = None

    def to_dict(self) -> dict:
        return asdict(self)


def load_sources(settings: Settings) -> tuple[list[Article], list[LoadFailure]]:
    """The content folder, plus the website's pages when sitemaps or feeds are configured.

    Every build and update reads the same sources, so a scheduled update never
    drops the website's pages because it forgot where they came from.
    """
    if settings.sitemap_urls or settings.feed_urls:
        from index.web import load_all_sources

        return load_all_sources(settings, settings.sitemap_urls, settings.feed_urls)
    return load_articles(settings.content_dir)


def index_lock(index_dir: Path, wait_seconds: float = 0.0) -> FileLock:
    """The lock that makes sure only one process writes ``index_dir`` at a time."""
    index_dir.mkdir(parents=True, exist_ok=True)
    return FileLock(str(index_dir / LOCK_FILE), timeout=wait_seconds)


def _reusable_previous(
    settings: Settings, embedder: Embedder, full: bool
) -> tuple[LoadedIndex | None, str | None]:
    """The live index if its vectors may be reused, else None and the reason."""
    if full:
        return None, "full build requested"
    try:
        prev = load_current(settings.index_dir)
    except IndexMissing:
        return None, "no index yet"
    except IndexCorrupt as exc:
        return None, f"previous index unusable: {exc}"
    chunking = prev.manifest.get("chunking", {})
    if prev.manifest.get("model") != embedder.name or prev.manifest.get("dimension") != embedder.dimension:
        return None, f"model changed ({prev.manifest.get('model')} -> {embedder.name})"
    if chunking.get("requested_chars") != settings.chunk_chars or chunking.get("overlap") != settings.chunk_overlap:
        return None, "chunking settings changed"
    if prev.manifest.get("units_scheme") != UNITS_SCHEME:
        return None, "index built by an older release"
    if prev.manifest.get("reading_scheme", 1) != READING_SCHEME:
        return None, "articles are read differently by this release"
    return prev, None


def sync_index(
    settings: Settings,
    *,
    embedder: Embedder | None = None,
    full: bool = False,
    strict: bool = False,
    progress: bool = False,
    articles: tuple[list[Article], list[LoadFailure]] | None = None,
    wait_for_lock: float = 0.0,
    allow_shrink: bool = False,
) -> UpdateReport:
    """Bring the index in ``settings.index_dir`` in line with the articles.

    Args:
        settings: where the content and the index live, model and chunking.
        embedder: the model to use (loaded from settings when None).
        full: re-embed everything instead of reusing unchanged articles.
        strict: abort, keeping the live index, if any article fails to load.
        progress: show a progress bar while embedding.
        articles: already loaded articles and failures (website sources);
            read from ``settings.content_dir`` when None.
        wait_for_lock: seconds to wait for another writer before giving up.
        allow_shrink: make the new version live even if it holds no article or
            lost more than half of them (refused otherwise, and recorded in the history).

    Raises:
        IndexBusy: another process holds the lock.
        UpdateAborted: strict mode and some article failed.
        ShrinkRefused: the new version would be empty or lose more than half the articles.
    """
    started = time.perf_counter()
    lock = index_lock(settings.index_dir, wait_for_lock)
    try:
        lock.acquire()
    except Timeout:
        raise IndexBusy(
            f"another build or update is running on {settings.index_dir}; try again when it ends"
        ) from None
    try:
        return _sync_locked(settings, embedder, full, strict, progress, articles, started, allow_shrink)
    finally:
        lock.release()


def _live_article_count(index_dir: Path) -> int:
    """How many articles the live version holds, from its manifest alone (0 when there is none)."""
    name = current_version_name(index_dir)
    try:
        manifest = json.loads((index_dir / VERSIONS_DIR / str(name) / MANIFEST_FILE).read_text(encoding="utf-8"))
        return len(manifest.get("articles", {}))
    except (OSError, ValueError, AttributeError):
        return 0


def _sync_locked(settings, embedder, full, strict, progress, articles, started, allow_shrink=False) -> UpdateReport:
    loaded, failures = articles if articles is not None else load_sources(settings)
    embedder = embedder or load_embedder(settings.embedding_model)
    prev, reason = _reusable_previous(settings, embedder, full)
    report = UpdateReport(full_rebuild_reason=reason)
    report.failed = [{"source": f.source, "error": f.error} for f in failures]
    if strict and failures:
        names = ", ".join(f.source for f in failures)
        raise UpdateAborted(f"{len(failures)} article(s) failed ({names}); the live index was kept")

    prev_articles: dict[str, dict] = prev.manifest.get("articles", {}) if prev else {}
    prev_chunks: dict[str, list[int]] = {}
    if prev:
        for row, chunk in enumerate(prev.chunks):
            prev_chunks.setdefault(chunk.source, []).append(row)
    prev_vectors = prev.vectors() if prev else None
    prev_units: dict[str, list[int]] = {}
    if prev:
        for row, unit in enumerate(prev.units):
            prev_units.setdefault(unit.source, []).append(row)
    titles: dict[str, str] = {}
    new_units: dict[str, list[Unit]] = {}

    effective_chars = chunk_size_for_model(settings.chunk_chars, embedder.max_seq_length)
    by_source: dict[str, tuple[list[Chunk], np.ndarray | None]] = {}
    meta: dict[str, dict] = {}
    for article in loaded:
        old = prev_articles.get(article.source)
        if old and old.get("sha256") == article.sha256 and article.source in prev_chunks:
            rows = prev_chunks[article.source]
            by_source[article.source] = ([prev.chunks[r] for r in rows], prev_vectors[rows])
        else:
            (report.changed if old else report.added).append(article.source)
            by_source[article.source] = (chunk_article(article, effective_chars, settings.chunk_overlap), None)
            new_units[article.source] = article_units(article)
        titles[article.source] = article.title
        meta[article.source] = {
            "sha256": article.sha256,
            "title": article.title,
            "url": article.url,
            "updated": article.updated,
            "lang": article.lang,
        }
    # A broken article that was indexed before keeps its last good version, unless
    # another article now claims its URL (citations must stay unambiguous).
    claimed_urls = {a.url for a in loaded if a.url}
    for failure in failures:
        if prev_articles.get(failure.source, {}).get("url") in claimed_urls:
            continue
        if failure.source in prev_articles and failure.source in prev_chunks:
            rows = prev_chunks[failure.source]
            by_source[failure.source] = ([prev.chunks[r] for r in rows], prev_vectors[rows])
            meta[failure.source] = prev_articles[failure.source]
            report.kept_previous.append(failure.source)
    report.removed = sorted(set(prev_articles) - set(by_source))

    # A version written before the keyword indexes were stored is rewritten even
    # when no article changed: its vectors are reused, only those indexes are built.
    current_format = prev is not None and prev.manifest.get("lexical_scheme") == LEXICAL_SCHEME
    if prev and current_format and not (report.added or report.changed or report.removed):
        report.version = prev.version
        report.articles = len(prev_articles)
        report.chunks = len(prev.chunks)
        report.seconds = round(time.perf_counter() - started, 3)
        if report.failed:
            # Nothing to write, but staff should still see which articles keep failing.
            append_history(settings.index_dir, {"time": now_iso(), **report.to_dict()})
        return report

    if not allow_shrink:
        before = len(prev_articles) if prev else _live_article_count(settings.index_dir)
        problem = shrink_problem(before, len(by_source))
        if problem:
            message = (
                f"{problem}; the live index was kept. Check the content folder, or run "
                "`python -m index update --allow-shrink` if the articles were removed on purpose"
            )
            append_history(settings.index_dir, {"time": now_iso(), **report.to_dict(), "error": message})
            log.error("update refused", extra={"error": message})
            raise ShrinkRefused(message)

    to_embed = [c for src in sorted(by_source) if by_source[src][1] is None for c in by_source[src][0]]
    unit_texts = [
        embedding_text(u, titles[src], new_units[src]) for src in sorted(new_units) for u in new_units[src]
    ]
    texts = [c.embedding_text for c in to_embed] + unit_texts
    encoded = embedder.encode_documents(texts, batch_size=settings.embed_batch_size, progress=progress)
    new_vectors, new_unit_vectors = encoded[: len(to_embed)], encoded[len(to_embed) :]
    report.chunks_embedded = len(to_embed)
    report.units_embedded = len(unit_texts)

    chunks: list[Chunk] = []
    parts: list[np.ndarray] = []
    cursor = 0
    for src in sorted(by_source):
        src_chunks, vectors = by_source[src]
        if vectors is None:
            vectors = new_vectors[cursor : cursor + len(src_chunks)]
            cursor += len(src_chunks)
        meta[src]["chunks"] = len(src_chunks)
        chunks.extend(src_chunks)
        parts.append(vectors)
    all_vectors = np.concatenate(parts) if parts else np.zeros((0, embedder.dimension), dtype=np.float32)
    units, unit_vectors = _assemble_units(by_source, new_units, new_unit_vectors, prev, prev_units, embedder.dimension)

    manifest = {
        "model": embedder.name,
        "dimension": embedder.dimension,
        "chunking": {
            "splitter": "markdown-headers+recursive",
            "requested_chars": settings.chunk_chars,
            "effective_chars": effective_chars,
            "overlap": settings.chunk_overlap,
        },
        "content_dir": str(settings.content_dir),
        "reading_scheme": READING_SCHEME,
        "articles": meta,
    }
    manifest["build_seconds"] = round(time.perf_counter() - started, 3)
    path = write_version(
        settings.index_dir, chunks, all_vectors, manifest, keep=settings.keep_versions,
        units=units, unit_vectors=unit_vectors,
    )
    report.version = int(path.name[1:])
    report.written = True
    report.articles = len(meta)
    report.chunks = len(chunks)
    report.seconds = round(time.perf_counter() - started, 3)
    append_history(settings.index_dir, {"time": now_iso(), **report.to_dict()})
    log.info("index written", extra={"version": report.version, "chunks": report.chunks})
    return report


def _assemble_units(
    by_source: dict, new_units: dict[str, list[Unit]], new_vectors: np.ndarray, prev, prev_rows: dict[str, list[int]],
    dimension: int,
) -> tuple[list[Unit], np.ndarray]:
    """Units of every indexed article in source order: new ones just embedded, the others reused."""
    units: list[Unit] = []
    parts: list[np.ndarray] = []
    cursor = 0
    for src in sorted(by_source):
        if src in new_units:
            mine = new_units[src]
            parts.append(new_vectors[cursor : cursor + len(mine)])
            cursor += len(mine)
        else:
            rows = prev_rows.get(src, [])
            mine = [prev.units[r] for r in rows]
            parts.append(prev.unit_vectors[rows] if rows else np.zeros((0, dimension), np.float32))
        units.extend(mine)
    vectors = np.concatenate(parts) if parts else np.zeros((0, dimension), dtype=np.float32)
    return units, np.ascontiguousarray(vectors, dtype=np.float32)
