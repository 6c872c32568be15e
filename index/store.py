"""The index on disk: versioned folders, a manifest, and an atomic switch.

Layout under the index folder::

    versions/v000007/  manifest.json  faiss.index  chunks.jsonl  units.jsonl  unit_vectors.npy
                       chunks.offsets.npy  units.offsets.npy  lexical/ (keyword and n-gram indexes)
    CURRENT            name of the live version (replaced with os.replace)
    history.jsonl      one line per build or update, for the staff view
    .lock              held by the one process that writes

A version is written under a temporary name, flushed to disk, renamed, and only
then named in ``CURRENT``; a reader therefore sees the old index or the new
one, never half of one. The manifest lists every file's sha256, so a truncated
or damaged version is detected at load and the previous one is used instead.

Everything a replica needs is in the version: loading it reads files and
builds nothing. Passages and units are read line by line on demand (their byte
offsets are stored), so are the rows of the large arrays (``index/rowfile.py``), and the keyword and
n-gram indexes are the ones the writer built (``index/lexical.py``).
"""

from __future__ import annotations

import io
import json
import logging
import os
import shutil
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import faiss
import numpy as np

from index.articles import sha256_bytes
from index.chunking import Chunk
from index.lexical import LEXICAL_DIR, LEXICAL_SCHEME, LexicalIndex, file_sha256, write_lexical
from index.rowfile import LineFile, NpyRows
from index.units import Unit

log = logging.getLogger(__name__)

INDEX_FORMAT = 1
CURRENT_FILE = "CURRENT"
VERSIONS_DIR = "versions"
FAISS_FILE = "faiss.index"
CHUNKS_FILE = "chunks.jsonl"
# The quotable units (sentences, list items) of every article and their vectors.
UNITS_FILE = "units.jsonl"
UNIT_VECTORS_FILE = "unit_vectors.npy"
# What the answer composer needs; a version without it was built by an older release.
UNITS_SCHEME = 2
# Byte offset of every line of chunks.jsonl / units.jsonl (and the end): a line is read when asked for.
CHUNK_OFFSETS_FILE = "chunks.offsets.npy"
UNIT_OFFSETS_FILE = "units.offsets.npy"
# Passages and units kept parsed per version (a few MB at most).
RECORD_CACHE = 8192
MANIFEST_FILE = "manifest.json"
HISTORY_FILE = "history.jsonl"
# Below this many vectors exact search is both exact and fast enough (< 2 ms).
HNSW_THRESHOLD = 50_000
# Measured with bench/bench_scale.py at 100k vectors and real questions: 96 gives
# recall@10 0.84, 512 gives about 0.97 for under 1 ms a search.
HNSW_EF_SEARCH = 512


def now_iso() -> str:
    """Local time with its offset, as recorded in manifests and the update history."""
    return time.strftime("%Y-%m-%dT%H:%M:%S%z")


class IndexProblem(RuntimeError):
    """Base for index problems that a user must act on."""


class IndexMissing(IndexProblem):
    pass


class IndexCorrupt(IndexProblem):
    pass


class IndexMismatch(IndexProblem):
    """The index was built with another model or chunking than the settings ask for."""


class JsonlRecords(Sequence):
    """The lines of a JSON Lines file as a read-only sequence, each parsed when it is read.

    The byte offsets of its lines come from the version and a line is read
    with ``pread`` when asked for (:mod:`index.rowfile` says why not a memory
    map), so opening it costs the same at 100 passages and at 100,000.
    """

    def __init__(self, path: Path, offsets: np.ndarray, factory: Callable[[dict], Any]) -> None:
        self._offsets = offsets
        self._factory = factory
        # An answer reads the same passages and units several times; records are frozen, so shared.
        self._read = lru_cache(maxsize=RECORD_CACHE)(self._parse)
        self._lines = LineFile(path)
        if len(offsets) == 0 or int(offsets[-1]) != self._lines.size:
            raise IndexCorrupt(f"{path.parent.name}: the line offsets of {path.name} do not match the file")

    def __len__(self) -> int:
        return len(self._offsets) - 1

    def __getitem__(self, i):
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        n = len(self)
        if i < 0:
            i += n
        if not 0 <= i < n:
            raise IndexError("record index out of range")
        return self._read(i)

    def _parse(self, i: int):
        return self._factory(json.loads(self._lines.read(int(self._offsets[i]), int(self._offsets[i + 1]))))

    def __iter__(self) -> Iterator:
        for i in range(len(self)):
            yield self[i]

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Sequence) and list(self) == list(other)

    __hash__ = None  # type: ignore[assignment]


def _jsonl(records: Sequence, to_dict: Callable[[Any], dict]) -> tuple[bytes, np.ndarray]:
    """Records as JSON Lines, with the byte offset of each line and of the end."""
    lines = [(json.dumps(to_dict(r), ensure_ascii=False) + "\n").encode("utf-8") for r in records]
    offsets = np.zeros(len(lines) + 1, dtype=np.int64)
    offsets[1:] = np.cumsum([len(line) for line in lines], dtype=np.int64)
    return b"".join(lines), offsets


def _npy_bytes(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, np.ascontiguousarray(array), allow_pickle=False)
    return buffer.getvalue()


@dataclass
class LoadedIndex:
    """A version loaded for reading: its manifest, chunks, FAISS index and stored keyword indexes.

    ``chunks`` and ``units`` are sequences read on demand (lists when built in
    memory); ``unit_vectors`` reads its rows on demand; ``lexical`` is None for a
    version written before the keyword indexes were stored.
    """

    path: Path
    manifest: dict
    chunks: Sequence[Chunk]
    faiss_index: faiss.Index
    warnings: list[str] = field(default_factory=list)
    units: Sequence[Unit] = field(default_factory=list)
    unit_vectors: np.ndarray | NpyRows | None = None
    lexical: LexicalIndex | None = None

    @property
    def version(self) -> int:
        return int(self.manifest["version"])

    def vectors(self) -> np.ndarray:
        """All stored vectors, in chunk order (used to reuse them on update)."""
        n = self.faiss_index.ntotal
        if n == 0:
            return np.zeros((0, int(self.manifest["dimension"])), dtype=np.float32)
        return self.faiss_index.reconstruct_n(0, n)


def make_faiss_index(vectors: np.ndarray, dimension: int) -> tuple[faiss.Index, str]:
    """Exact inner-product search for small corpora, HNSW for large ones."""
    if len(vectors) >= HNSW_THRESHOLD:
        index = faiss.IndexHNSWFlat(dimension, 32, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = 80
        index.hnsw.efSearch = HNSW_EF_SEARCH
        kind = "hnsw32"
    else:
        index = faiss.IndexFlatIP(dimension)
        kind = "flat"
    if len(vectors):
        index.add(np.ascontiguousarray(vectors, dtype=np.float32))
    return index, kind


def _fsync_write(path: Path, data: bytes) -> None:
    with open(path, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def list_versions(index_dir: Path) -> list[str]:
    """Finished version folders, oldest first (temporary folders are ignored)."""
    root = index_dir / VERSIONS_DIR
    if not root.is_dir():
        return []
    return sorted(p.name for p in root.iterdir() if p.is_dir() and p.name.startswith("v"))


def current_version_name(index_dir: Path) -> str | None:
    try:
        name = (index_dir / CURRENT_FILE).read_text().strip()
    except FileNotFoundError:
        return None
    return name or None


def next_version_number(index_dir: Path) -> int:
    versions = list_versions(index_dir)
    return int(versions[-1][1:]) + 1 if versions else 1


def write_version(
    index_dir: Path,
    chunks: list[Chunk],
    vectors: np.ndarray,
    manifest: dict,
    keep: int = 3,
    units: list[Unit] | None = None,
    unit_vectors: np.ndarray | None = None,
) -> Path:
    """Write a complete new version and make it the live one in one atomic step.

    Args:
        index_dir: the index folder (created if needed).
        chunks: chunks in the same order as ``vectors``.
        vectors: normalised float32 vectors, one row per chunk.
        manifest: model, dimension, chunking and articles; files and version are added here.
        keep: how many versions to keep on disk (the live one included).
        units: the articles' quotable units, in the same order as ``unit_vectors``.
        unit_vectors: normalised float32 vectors, one row per unit.

    Returns:
        The folder of the new live version.
    """
    root = index_dir / VERSIONS_DIR
    root.mkdir(parents=True, exist_ok=True)
    number = next_version_number(index_dir)
    tmp = root / f".tmp-{uuid.uuid4().hex}"
    tmp.mkdir()
    try:
        dimension = int(manifest["dimension"])
        index, kind = make_faiss_index(vectors, dimension)
        faiss_bytes = faiss.serialize_index(index).tobytes()
        chunk_bytes, chunk_offsets = _jsonl(chunks, Chunk.to_dict)
        offset_bytes = _npy_bytes(chunk_offsets)
        _fsync_write(tmp / FAISS_FILE, faiss_bytes)
        _fsync_write(tmp / CHUNKS_FILE, chunk_bytes)
        _fsync_write(tmp / CHUNK_OFFSETS_FILE, offset_bytes)
        files = {
            FAISS_FILE: sha256_bytes(faiss_bytes),
            CHUNKS_FILE: sha256_bytes(chunk_bytes),
            CHUNK_OFFSETS_FILE: sha256_bytes(offset_bytes),
        }
        del faiss_bytes, chunk_bytes
        if units is not None:
            unit_bytes, unit_offsets = _jsonl(units, Unit.to_dict)
            matrix = unit_vectors if unit_vectors is not None else np.zeros((0, dimension), np.float32)
            vector_bytes = _npy_bytes(np.asarray(matrix, dtype=np.float32))
            offset_bytes = _npy_bytes(unit_offsets)
            _fsync_write(tmp / UNITS_FILE, unit_bytes)
            _fsync_write(tmp / UNIT_VECTORS_FILE, vector_bytes)
            _fsync_write(tmp / UNIT_OFFSETS_FILE, offset_bytes)
            files[UNITS_FILE] = sha256_bytes(unit_bytes)
            files[UNIT_VECTORS_FILE] = sha256_bytes(vector_bytes)
            files[UNIT_OFFSETS_FILE] = sha256_bytes(offset_bytes)
            del unit_bytes, vector_bytes
        # The keyword and n-gram indexes a replica loads instead of building them.
        files.update(write_lexical(tmp / LEXICAL_DIR, chunks, units or []))
        full = dict(manifest)
        full.update(
            index_format=INDEX_FORMAT,
            version=number,
            index_type=kind,
            chunk_count=len(chunks),
            files=files,
        )
        if units is not None:
            full.update(units_scheme=UNITS_SCHEME, unit_count=len(units))
        full.update(lexical_scheme=LEXICAL_SCHEME)
        full.setdefault("built_at", now_iso())
        _fsync_write(tmp / MANIFEST_FILE, json.dumps(full, ensure_ascii=False, indent=2).encode())
        final = root / f"v{number:06d}"
        os.rename(tmp, final)
        _fsync_dir(root)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    switch_current(index_dir, final.name)
    prune_versions(index_dir, keep)
    return final


def switch_current(index_dir: Path, name: str) -> None:
    """Point ``CURRENT`` at ``name`` atomically (write aside, then rename over)."""
    tmp = index_dir / f".{CURRENT_FILE}.{uuid.uuid4().hex}"
    _fsync_write(tmp, (name + "\n").encode())
    os.replace(tmp, index_dir / CURRENT_FILE)
    _fsync_dir(index_dir)


def prune_versions(index_dir: Path, keep: int) -> None:
    """Delete old versions beyond ``keep`` and temporary leftovers of killed writers."""
    root = index_dir / VERSIONS_DIR
    live = current_version_name(index_dir)
    for leftover in root.glob(".tmp-*"):
        shutil.rmtree(leftover, ignore_errors=True)
    # A writer killed while switching leaves its pointer draft behind.
    for draft in index_dir.glob(f".{CURRENT_FILE}.*"):
        draft.unlink(missing_ok=True)
    versions = list_versions(index_dir)
    for name in versions[: max(0, len(versions) - max(keep, 1))]:
        if name != live:
            shutil.rmtree(root / name, ignore_errors=True)


def load_version(path: Path) -> LoadedIndex:
    """Verify one version folder and open it for reading, or raise IndexCorrupt.

    Every file the manifest lists is checked against its sha256 (read in
    blocks, not kept in memory); then the files are opened, not rebuilt.
    """
    try:
        manifest = json.loads((path / MANIFEST_FILE).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise IndexCorrupt(f"{path.name}: manifest.json is missing") from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise IndexCorrupt(f"{path.name}: manifest.json is not valid JSON ({exc})") from None
    if not isinstance(manifest, dict):
        raise IndexCorrupt(f"{path.name}: manifest.json is not an object")
    if manifest.get("index_format") != INDEX_FORMAT:
        raise IndexCorrupt(f"{path.name}: unknown index format {manifest.get('index_format')!r}")
    files = manifest.get("files", {})
    for name, expected in files.items():
        try:
            actual = file_sha256(path / name)
        except (FileNotFoundError, IsADirectoryError):
            raise IndexCorrupt(f"{path.name}: {name} is missing") from None
        if actual != expected:
            raise IndexCorrupt(f"{path.name}: {name} is damaged (checksum mismatch)")
    if FAISS_FILE not in files or CHUNKS_FILE not in files:
        raise IndexCorrupt(f"{path.name}: manifest does not list the index files")
    index = faiss.read_index(str(path / FAISS_FILE))
    if hasattr(index, "hnsw"):
        index.hnsw.efSearch = HNSW_EF_SEARCH
    chunks = _records(path, CHUNKS_FILE, CHUNK_OFFSETS_FILE, files, Chunk.from_dict)
    if len(chunks) != index.ntotal:
        raise IndexCorrupt(f"{path.name}: {len(chunks)} chunks but {index.ntotal} vectors")
    if not chunks:
        # Nothing to search: the bot cannot serve it, so it is treated like a damaged version.
        raise IndexCorrupt(f"{path.name}: holds no passages (built from an empty content folder?)")
    loaded = LoadedIndex(path=path, manifest=manifest, chunks=chunks, faiss_index=index)
    if UNITS_FILE in files and UNIT_VECTORS_FILE in files:
        loaded.units = _records(path, UNITS_FILE, UNIT_OFFSETS_FILE, files, Unit.from_dict)
        try:
            loaded.unit_vectors = NpyRows(path / UNIT_VECTORS_FILE)
        except ValueError as exc:
            raise IndexCorrupt(f"{path.name}: {UNIT_VECTORS_FILE} is not readable ({exc})") from None
        if len(loaded.units) != len(loaded.unit_vectors):
            raise IndexCorrupt(f"{path.name}: {len(loaded.units)} units but {len(loaded.unit_vectors)} vectors")
    if manifest.get("lexical_scheme") == LEXICAL_SCHEME:
        try:
            loaded.lexical = LexicalIndex(path / LEXICAL_DIR)
        except (ValueError, OSError) as exc:
            raise IndexCorrupt(f"{path.name}: the keyword index is not readable ({exc})") from None
        if loaded.lexical.n_rows != len(chunks):
            raise IndexCorrupt(f"{path.name}: keyword index of {loaded.lexical.n_rows} passages for {len(chunks)}")
    return loaded


def _records(path: Path, name: str, offsets_name: str, files: dict, factory: Callable[[dict], Any]) -> Sequence:
    """A JSON Lines file of the version: read on demand with its offsets, or whole for an older version."""
    if offsets_name in files:
        try:
            offsets = np.load(path / offsets_name, allow_pickle=False)
        except ValueError as exc:
            raise IndexCorrupt(f"{path.name}: {offsets_name} is not readable ({exc})") from None
        return JsonlRecords(path / name, offsets, factory)
    text = (path / name).read_bytes().decode("utf-8")
    return [factory(json.loads(line)) for line in text.splitlines() if line.strip()]


def load_current(index_dir: Path, fallback: bool = True) -> LoadedIndex:
    """Load the live version; if it is damaged, the newest older one that loads.

    Raises:
        IndexMissing: there is no index in ``index_dir``.
        IndexCorrupt: no version loads (or the live one does not and fallback is off).
    """
    live = current_version_name(index_dir)
    versions = list_versions(index_dir)
    if live is None or live not in versions:
        if not versions:
            raise IndexMissing(
                f"no index in {index_dir}: build one with `python -m index build`"
            )
        live = versions[-1]
    candidates = [live] + ([v for v in reversed(versions) if v != live] if fallback else [])
    problems: list[str] = []
    for name in candidates:
        try:
            loaded = load_version(index_dir / VERSIONS_DIR / name)
        except Exception as exc:  # whatever stops a version from loading makes it unusable
            if not isinstance(exc, IndexCorrupt):
                exc = IndexCorrupt(f"{name}: cannot be loaded ({type(exc).__name__}: {exc})")
            log.error("index version unusable", extra={"version": name, "error": str(exc)})
            problems.append(str(exc))
            continue
        loaded.warnings = [f"{p}; using {name} instead" for p in problems]
        return loaded
    raise IndexCorrupt("no usable index version: " + "; ".join(problems) + ". Rebuild with `python -m index build`.")


def check_compatible(manifest: dict, model_name: str, chunk_chars: int, chunk_overlap: int) -> None:
    """Refuse an index built with another model or chunking than the one configured."""
    built = manifest.get("model")
    if built != model_name:
        raise IndexMismatch(
            f"the index was built with model {built!r} but the settings use {model_name!r}; "
            "rebuild it with `python -m index build`"
        )
    if manifest.get("units_scheme") != UNITS_SCHEME:
        raise IndexMismatch(
            "the index was built by an older release (no quotable sentences stored); "
            "rebuild it with `python -m index build`"
        )
    if manifest.get("lexical_scheme") != LEXICAL_SCHEME:
        raise IndexMismatch(
            "the index was built by an older release (no stored keyword index); rebuild it with "
            "`python -m index update`, which reuses its vectors and takes seconds, or `python -m index build`"
        )
    chunking = manifest.get("chunking", {})
    if chunking.get("requested_chars") != chunk_chars or chunking.get("overlap") != chunk_overlap:
        raise IndexMismatch(
            f"the index was built with chunks of {chunking.get('requested_chars')}/{chunking.get('overlap')} "
            f"characters but the settings ask for {chunk_chars}/{chunk_overlap}; "
            "rebuild it with `python -m index build`"
        )


def rollback(index_dir: Path) -> str:
    """Make the version before the live one live again; return its name."""
    live = current_version_name(index_dir)
    versions = list_versions(index_dir)
    older = [v for v in versions if live is None or v < live]
    if not older:
        raise IndexMissing("no earlier version to roll back to")
    for name in reversed(older):
        try:
            load_version(index_dir / VERSIONS_DIR / name)
        except IndexCorrupt:
            continue
        switch_current(index_dir, name)
        return name
    raise IndexCorrupt("no earlier version loads")


def append_history(index_dir: Path, entry: dict) -> None:
    index_dir.mkdir(parents=True, exist_ok=True)
    with open(index_dir / HISTORY_FILE, "a", encoding="utf-8") as fh:
        fh.write(json.dumps(entry, ensure_ascii=False) + "\n")


def read_history(index_dir: Path, limit: int = 50) -> list[dict]:
    try:
        lines = (index_dir / HISTORY_FILE).read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        return []
    out = []
    for line in lines[-limit:]:
        try:
            out.append(json.loads(line))
        except ValueError:
            continue
    return list(reversed(out))
