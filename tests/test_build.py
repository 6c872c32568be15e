"""Building and updating: only what changed is re-embedded, and an update equals a full build."""

from __future__ import annotations

import shutil

import numpy as np
import pytest
from conftest import copy_index, make_settings

from index.build import IndexBusy, UpdateAborted, index_lock, sync_index
from index.embedder import HashingEmbedder
from index.store import HISTORY_FILE, current_version_name, list_versions, load_current, read_history

EMB = HashingEmbedder(64)

NEW_ARTICLE = (
    "---\ntitle: La mésothérapie du visage\nurl: https://clinique.example/articles/meso-visage\n---\n"
    "## Principe\n\nDes micro-injections de vitamines hydratent la peau du visage.\n"
)
BROKEN = "---\ntitle: [cassé\n---\nTexte.\n"


class CountingEmbedder(HashingEmbedder):
    """The hashing embedder, remembering every text it was asked to embed."""

    def __init__(self) -> None:
        super().__init__(64)
        self.embedded: list[str] = []

    def encode_documents(self, texts, batch_size=64, progress=False):
        self.embedded.extend(texts)
        return super().encode_documents(texts, batch_size, progress)


@pytest.fixture
def settings(tmp_path, small_content):
    return make_settings(tmp_path, small_content)


@pytest.fixture
def indexed(settings, small_indexes):
    """``settings`` with the small articles indexed (version 1), for tests that start from a first build."""
    return copy_index(small_indexes(1), settings)


def _history_lines(settings) -> int:
    path = settings.index_dir / HISTORY_FILE
    return len(path.read_text(encoding="utf-8").splitlines()) if path.exists() else 0


def test_first_build_reports_everything_added(settings):
    report = sync_index(settings, embedder=EMB, full=True)
    assert report.written
    assert report.version == 1
    assert report.articles == 2
    assert report.chunks == report.chunks_embedded == len(load_current(settings.index_dir).chunks)
    assert report.failed == []
    assert read_history(settings.index_dir)[0]["version"] == 1


def test_update_with_nothing_changed_writes_nothing(indexed):
    settings = indexed
    history_before = _history_lines(settings)
    emb = CountingEmbedder()
    report = sync_index(settings, embedder=emb)
    assert not report.written
    assert report.version == 1
    assert report.added == report.changed == report.removed == []
    assert report.chunks_embedded == 0
    assert emb.embedded == []
    assert list_versions(settings.index_dir) == ["v000001"]
    assert current_version_name(settings.index_dir) == "v000001"
    assert _history_lines(settings) == history_before


def test_update_after_edit_reembeds_only_that_article(indexed, small_content):
    settings = indexed
    old = load_current(settings.index_dir)
    old_peeling = [(c.id, c.text) for c in old.chunks if c.source == "peeling.md"]
    path = small_content / "laser.md"
    path.write_text(
        path.read_text(encoding="utf-8") + "\n## Est-ce douloureux ?\n\nLa séance de laser picote à peine.\n",
        encoding="utf-8",
    )
    emb = CountingEmbedder()
    report = sync_index(settings, embedder=emb)
    new = load_current(settings.index_dir)
    laser_chunks = [c for c in new.chunks if c.source == "laser.md"]
    assert report.written and report.version == 2 == new.version
    assert report.changed == ["laser.md"]
    assert report.added == [] and report.removed == []
    assert report.chunks_embedded == len(laser_chunks)
    assert report.units_embedded == len([u for u in new.units if u.source == "laser.md"]) > 0
    assert len(emb.embedded) == report.chunks_embedded + report.units_embedded
    assert {c.embedding_text for c in laser_chunks} <= set(emb.embedded)
    assert not any("peeling" in text.lower() for text in emb.embedded)
    assert any("picote à peine" in c.text for c in laser_chunks)
    # The untouched article kept its chunks and vectors.
    assert [(c.id, c.text) for c in new.chunks if c.source == "peeling.md"] == old_peeling
    old_rows = [i for i, c in enumerate(old.chunks) if c.source == "peeling.md"]
    new_rows = [i for i, c in enumerate(new.chunks) if c.source == "peeling.md"]
    np.testing.assert_array_equal(old.vectors()[old_rows], new.vectors()[new_rows])


def test_update_shows_added_and_removed(indexed, small_content):
    settings = indexed
    (small_content / "meso.md").write_text(NEW_ARTICLE, encoding="utf-8")
    (small_content / "peeling.md").unlink()
    report = sync_index(settings, embedder=EMB)
    assert report.added == ["meso.md"]
    assert report.removed == ["peeling.md"]
    assert report.changed == []
    loaded = load_current(settings.index_dir)
    assert {c.source for c in loaded.chunks} == {"laser.md", "meso.md"}
    assert set(loaded.manifest["articles"]) == {"laser.md", "meso.md"}
    assert report.chunks_embedded == sum(c.source == "meso.md" for c in loaded.chunks)


def test_update_equals_full_build(tmp_path, content_dir, hashing_index):
    """Edit, add and remove articles: an update gives the index a full build would give."""
    inc = make_settings(tmp_path / "inc", content_dir)
    shutil.copytree(hashing_index, inc.index_dir)  # a full build of these articles
    lasers = content_dir / "lasers.md"
    lasers.write_text(
        lasers.read_text(encoding="utf-8").replace(
            "Une consultation médicale est toujours réalisée", "Une consultation médicale approfondie est toujours réalisée"
        ),
        encoding="utf-8",
    )
    (content_dir / "soins").mkdir()
    (content_dir / "soins" / "meso-visage.md").write_text(NEW_ARTICLE, encoding="utf-8")
    (content_dir / "exosomes.md").unlink()
    report = sync_index(inc, embedder=EMB)
    assert report.changed == ["lasers.md"]
    assert report.added == ["soins/meso-visage.md"]
    assert report.removed == ["exosomes.md"]

    full = make_settings(tmp_path / "full", content_dir)
    sync_index(full, embedder=EMB, full=True)
    a, b = load_current(inc.index_dir), load_current(full.index_dir)
    assert [(c.id, c.text, c.section) for c in a.chunks] == [(c.id, c.text, c.section) for c in b.chunks]
    assert a.manifest["articles"] == b.manifest["articles"]
    np.testing.assert_allclose(a.vectors(), b.vectors(), atol=1e-6)
    for question in [
        "Une consultation est-elle nécessaire avant un laser ?",
        "micro-injections de vitamines pour le visage",
        "combien de temps dure la toxine botulique ?",
    ]:
        q = EMB.encode_query(question)[None, :]
        _, rows_a = a.faiss_index.search(q, 5)
        _, rows_b = b.faiss_index.search(q, 5)
        assert [a.chunks[r].id for r in rows_a[0]] == [b.chunks[r].id for r in rows_b[0]]


def test_broken_article_keeps_previous_chunks(indexed, small_content):
    settings = indexed
    old = load_current(settings.index_dir)
    old_laser = [(c.id, c.text) for c in old.chunks if c.source == "laser.md"]
    old_sha = old.manifest["articles"]["laser.md"]["sha256"]
    (small_content / "laser.md").write_text(BROKEN, encoding="utf-8")
    # Something else changes too, so that a new version is written.
    (small_content / "meso.md").write_text(NEW_ARTICLE, encoding="utf-8")
    report = sync_index(settings, embedder=EMB)
    assert report.kept_previous == ["laser.md"]
    assert [f["source"] for f in report.failed] == ["laser.md"]
    assert "laser.md" not in report.removed and "laser.md" not in report.changed
    assert report.written
    new = load_current(settings.index_dir)
    assert [(c.id, c.text) for c in new.chunks if c.source == "laser.md"] == old_laser
    assert new.manifest["articles"]["laser.md"]["sha256"] == old_sha


def test_broken_article_alone_keeps_the_live_version(indexed, small_content):
    settings = indexed
    (small_content / "laser.md").write_text(BROKEN, encoding="utf-8")
    report = sync_index(settings, embedder=EMB)
    assert report.kept_previous == ["laser.md"]
    assert report.version == 1
    assert {c.source for c in load_current(settings.index_dir).chunks} == {"laser.md", "peeling.md"}


def test_strict_update_with_broken_article_aborts(indexed, small_content):
    settings = indexed
    (small_content / "laser.md").write_text(BROKEN, encoding="utf-8")
    (small_content / "meso.md").write_text(NEW_ARTICLE, encoding="utf-8")
    history_before = _history_lines(settings)
    with pytest.raises(UpdateAborted, match="laser.md"):
        sync_index(settings, embedder=EMB, strict=True)
    assert list_versions(settings.index_dir) == ["v000001"]
    assert current_version_name(settings.index_dir) == "v000001"
    assert _history_lines(settings) == history_before
    # The lock was released: a normal update still runs.
    assert sync_index(settings, embedder=EMB).version == 2


def test_second_writer_gets_index_busy(indexed):
    settings = indexed
    with index_lock(settings.index_dir), pytest.raises(IndexBusy):
        sync_index(settings, embedder=EMB, full=True)
    assert list_versions(settings.index_dir) == ["v000001"]
    # Once released, writing works again.
    assert sync_index(settings, embedder=EMB, full=True).version == 2


def test_model_change_forces_full_reembed(indexed):
    settings = indexed
    emb = HashingEmbedder(32)
    report = sync_index(settings, embedder=emb)
    assert report.written
    assert "model changed" in (report.full_rebuild_reason or "")
    assert report.chunks_embedded == report.chunks
    assert load_current(settings.index_dir).manifest["dimension"] == 32


def test_a_new_way_of_reading_articles_rebuilds_the_index_in_full(indexed, monkeypatch):
    import index.build as build

    settings = indexed
    assert load_current(settings.index_dir).manifest["reading_scheme"] == build.READING_SCHEME
    newer = build.READING_SCHEME + 1
    monkeypatch.setattr(build, "READING_SCHEME", newer)
    report = sync_index(settings, embedder=EMB)
    assert report.written
    assert "read differently" in (report.full_rebuild_reason or "")
    assert report.chunks_embedded == report.chunks
    assert load_current(settings.index_dir).manifest["reading_scheme"] == newer


def test_update_from_empty_index_dir_builds(tmp_path, small_content):
    settings = make_settings(tmp_path, small_content)
    shutil.rmtree(settings.index_dir, ignore_errors=True)
    report = sync_index(settings, embedder=EMB)
    assert report.added == ["laser.md", "peeling.md"]
    assert report.version == 1


# --- a build that would empty or halve the index is not made live --------------------------


def test_update_on_an_empty_content_folder_keeps_the_live_version(settings, small_content):
    from index.build import ShrinkRefused

    first = sync_index(settings, embedder=EMB, full=True)
    for path in small_content.iterdir():
        path.unlink()
    with pytest.raises(ShrinkRefused, match="0 articles instead of 2"):
        sync_index(settings, embedder=EMB)
    assert current_version_name(settings.index_dir) == f"v{first.version:06d}"
    assert list_versions(settings.index_dir) == [f"v{first.version:06d}"]
    last = read_history(settings.index_dir)[0]
    assert last["written"] is False and "0 articles instead of 2" in last["error"]


def test_losing_more_than_half_the_articles_needs_allow_shrink(indexed_settings, content_dir):
    from index.build import ShrinkRefused

    settings = indexed_settings  # the real articles, indexed
    before = len(load_current(settings.index_dir).manifest["articles"])
    files = sorted(content_dir.glob("*.md"))
    for path in files[: len(files) // 2 + 1]:
        path.unlink()
    with pytest.raises(ShrinkRefused):
        sync_index(settings, embedder=EMB)
    with pytest.raises(ShrinkRefused):
        sync_index(settings, embedder=EMB, full=True)
    report = sync_index(settings, embedder=EMB, allow_shrink=True)
    assert report.written and report.articles < before / 2


def test_losing_half_or_less_is_an_ordinary_update(indexed, small_content):
    settings = indexed
    (small_content / "peeling.md").unlink()
    assert sync_index(settings, embedder=EMB).articles == 1


def test_first_build_of_an_empty_folder_is_refused(tmp_path):
    from index.build import ShrinkRefused

    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(ShrinkRefused, match="0 articles"):
        sync_index(make_settings(tmp_path, empty), embedder=EMB, full=True)


def test_cli_update_refuses_to_shrink_without_the_flag(tmp_path, small_content, monkeypatch, capsys):
    from index.__main__ import main

    monkeypatch.setenv("FAQBOT_EMBEDDING_MODEL", "hashing-64")
    args = ["--content", str(small_content), "--index-dir", str(tmp_path / "index")]
    assert main(["build", *args]) == 0
    for path in small_content.iterdir():
        path.unlink()
    assert main(["update", *args]) == 2
    assert "--allow-shrink" in capsys.readouterr().err
    assert main(["update", *args, "--allow-shrink"]) == 0
