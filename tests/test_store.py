"""The index on disk: round trip, versions, compatibility checks, damage and rollback."""

from __future__ import annotations

import hashlib
import json

import numpy as np
import pytest
from conftest import copy_index, make_settings

from index.articles import load_articles
from index.build import sync_index
from index.chunking import chunk_article
from index.embedder import HashingEmbedder
from index.store import (
    CURRENT_FILE,
    FAISS_FILE,
    MANIFEST_FILE,
    VERSIONS_DIR,
    IndexCorrupt,
    IndexMismatch,
    IndexMissing,
    check_compatible,
    current_version_name,
    list_versions,
    load_current,
    rollback,
)

EMB = HashingEmbedder(64)


@pytest.fixture
def settings(tmp_path, small_content):
    return make_settings(tmp_path, small_content)


@pytest.fixture
def indexed(settings, small_indexes):
    """Give ``settings`` the index that ``builds`` full builds leave: a copy, for tests that start from it."""

    def index_after(builds: int = 1):
        return copy_index(small_indexes(builds), settings)

    return index_after


def _build(settings, times: int = 1):
    reports = [sync_index(settings, embedder=EMB, full=True) for _ in range(times)]
    return reports[-1]


def test_build_then_load_round_trip(settings, small_content):
    report = _build(settings)
    loaded = load_current(settings.index_dir)
    articles, failures = load_articles(small_content)
    assert failures == []
    expected = [c for a in sorted(articles, key=lambda a: a.source) for c in chunk_article(a, 500, 80)]
    assert [(c.id, c.text, c.section, c.title) for c in loaded.chunks] == [
        (c.id, c.text, c.section, c.title) for c in expected
    ]
    assert loaded.faiss_index.ntotal == len(loaded.chunks) == report.chunks
    # Stored vectors are the embedder's vectors of the chunks' embedding text.
    np.testing.assert_allclose(
        loaded.vectors(), EMB.encode_documents([c.embedding_text for c in expected]), atol=1e-6
    )
    m = loaded.manifest
    assert m["model"] == "hashing-64"
    assert m["dimension"] == 64
    assert m["chunking"]["requested_chars"] == 500
    assert m["chunking"]["overlap"] == 80
    assert m["chunking"]["effective_chars"] == 500
    assert m["version"] == 1 == loaded.version == report.version
    assert m["index_type"] == "flat"
    assert m["built_at"]
    assert m["chunk_count"] == len(loaded.chunks)
    assert set(m["articles"]) == {"laser.md", "peeling.md"}
    for source, meta in m["articles"].items():
        assert meta["sha256"] == hashlib.sha256((small_content / source).read_bytes()).hexdigest()
        assert meta["chunks"] == sum(c.source == source for c in loaded.chunks)
    assert m["articles"]["peeling.md"]["title"] == "Le peeling doux"
    assert loaded.warnings == []


def test_search_finds_the_right_chunk(settings, indexed):
    indexed()
    loaded = load_current(settings.index_dir)
    query = EMB.encode_query("Deux à trois séances de laser vasculaire suffisent souvent.")
    _, rows = loaded.faiss_index.search(query[None, :], 1)
    assert loaded.chunks[rows[0][0]].source == "laser.md"


def test_missing_index_raises(tmp_path):
    with pytest.raises(IndexMissing):
        load_current(tmp_path / "empty-index")


def test_versions_folder_and_current_switch(settings):
    _build(settings)
    assert list_versions(settings.index_dir) == ["v000001"]
    assert current_version_name(settings.index_dir) == "v000001"
    _build(settings)
    assert list_versions(settings.index_dir) == ["v000001", "v000002"]
    assert (settings.index_dir / CURRENT_FILE).read_text().strip() == "v000002"
    assert load_current(settings.index_dir).version == 2
    assert not list((settings.index_dir / VERSIONS_DIR).glob(".tmp-*"))


def test_keep_versions_prunes_old_ones(tmp_path, small_content):
    settings = make_settings(tmp_path, small_content, keep_versions=2)
    _build(settings, times=4)
    assert list_versions(settings.index_dir) == ["v000003", "v000004"]
    assert current_version_name(settings.index_dir) == "v000004"


def test_check_compatible_accepts_same_settings(settings, indexed):
    indexed()
    check_compatible(load_current(settings.index_dir).manifest, "hashing-64", 500, 80)


@pytest.mark.parametrize(
    "model, chars, overlap",
    [("hashing-32", 500, 80), ("bundled:all-MiniLM-L6-v2", 500, 80), ("hashing-64", 400, 80), ("hashing-64", 500, 50)],
)
def test_check_compatible_refuses_other_model_or_chunking(settings, indexed, model, chars, overlap):
    indexed()
    manifest = load_current(settings.index_dir).manifest
    with pytest.raises(IndexMismatch, match="rebuild"):
        check_compatible(manifest, model, chars, overlap)


def test_bot_refuses_index_built_with_another_embedder(settings, indexed):
    from bot.engine import Bot

    indexed()
    with pytest.raises(IndexMismatch, match="rebuild"):
        Bot(settings, embedder=HashingEmbedder(32))


def test_bot_refuses_index_built_with_other_chunking(tmp_path, small_content):
    from bot.engine import Bot

    _build(make_settings(tmp_path, small_content, chunk_chars=300))
    with pytest.raises(IndexMismatch, match="rebuild"):
        Bot(make_settings(tmp_path, small_content), embedder=EMB)


def _damage_faiss(version_dir):
    path = version_dir / FAISS_FILE
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data[: len(data) - 7]))


def _damage_manifest(version_dir):
    (version_dir / MANIFEST_FILE).write_text('{"version": 2, "model": ', encoding="utf-8")


@pytest.mark.parametrize("damage", [_damage_faiss, _damage_manifest], ids=["faiss", "manifest"])
def test_damaged_live_version(settings, indexed, damage):
    indexed(builds=2)
    damage(settings.index_dir / VERSIONS_DIR / "v000002")
    with pytest.raises(IndexCorrupt):
        load_current(settings.index_dir, fallback=False)
    loaded = load_current(settings.index_dir, fallback=True)
    assert loaded.version == 1
    assert loaded.path.name == "v000001"
    assert loaded.warnings
    assert "v000002" in loaded.warnings[0]
    assert len(loaded.chunks) == loaded.faiss_index.ntotal > 0


def test_missing_faiss_file_is_corrupt(settings, indexed):
    indexed()
    (settings.index_dir / VERSIONS_DIR / "v000001" / FAISS_FILE).unlink()
    with pytest.raises(IndexCorrupt, match="faiss.index"):
        load_current(settings.index_dir)


def test_no_usable_version_says_rebuild(settings, indexed):
    indexed()
    _damage_manifest(settings.index_dir / VERSIONS_DIR / "v000001")
    with pytest.raises(IndexCorrupt, match="[Rr]ebuild"):
        load_current(settings.index_dir, fallback=True)


def test_rollback_switches_to_previous_version(settings, indexed):
    indexed(builds=3)
    assert rollback(settings.index_dir) == "v000002"
    assert current_version_name(settings.index_dir) == "v000002"
    assert load_current(settings.index_dir).version == 2
    assert rollback(settings.index_dir) == "v000001"
    assert load_current(settings.index_dir).version == 1
    with pytest.raises(IndexMissing):
        rollback(settings.index_dir)


def test_rollback_skips_damaged_version(settings, indexed):
    indexed(builds=3)
    _damage_faiss(settings.index_dir / VERSIONS_DIR / "v000002")
    assert rollback(settings.index_dir) == "v000001"
    assert load_current(settings.index_dir, fallback=False).version == 1


def test_manifest_is_plain_json(settings, indexed):
    indexed()
    manifest = json.loads((settings.index_dir / VERSIONS_DIR / "v000001" / MANIFEST_FILE).read_text("utf-8"))
    assert manifest["files"][FAISS_FILE] == hashlib.sha256(
        (settings.index_dir / VERSIONS_DIR / "v000001" / FAISS_FILE).read_bytes()
    ).hexdigest()


def test_a_version_that_cannot_be_served_falls_back_to_the_previous_one(tmp_path, small_content):
    """An empty version is treated like a damaged one, also by the bot."""
    from bot.engine import Bot
    from index.store import write_version

    settings = make_settings(tmp_path, small_content)
    sync_index(settings, embedder=EMB, full=True)
    first = load_current(settings.index_dir)
    manifest = {k: v for k, v in first.manifest.items() if k not in ("version", "files", "built_at")}
    write_version(settings.index_dir, [], np.zeros((0, EMB.dimension), dtype=np.float32), {**manifest, "articles": {}})
    assert current_version_name(settings.index_dir) == "v000002"
    loaded = load_current(settings.index_dir)
    assert loaded.version == 1
    assert "v000002" in loaded.warnings[0] and "no passages" in loaded.warnings[0]
    bot = Bot(settings, embedder=EMB)
    assert bot.index_manifest["version"] == 1
