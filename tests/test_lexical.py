"""The keyword and n-gram indexes are built with a version, stored, checked, and only read at load."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from bot.engine import Bot
from bot.retrieval import Retriever
from index.build import sync_index
from index.embedder import HashingEmbedder
from index.lexical import LEXICAL_DIR, NGRAM_RANGE, char_wb_ngrams
from index.store import MANIFEST_FILE, VERSIONS_DIR, IndexCorrupt, IndexMismatch, check_compatible, load_current

EMB = HashingEmbedder(64)
QUESTIONS = [
    "Combien de séances de microneedling faut-il prévoir ?",
    "Est-ce que ça fait mal, les micro-aiguilles sur le visage ?",
    "Do you offer exosomes?",
    "  espaces   multiples\tet\nlignes  ",
    "ÉTÉ, œdème, naïve, ｆｕｌｌ-width, l'acide hyaluronique",
    "x",
    "",
    "🙂 ???",
]


@pytest.fixture
def settings(small_settings):
    """The small articles, indexed (version 1)."""
    return small_settings


def _forbid_builders(monkeypatch):
    """Make every builder of the keyword structures fail if called."""
    import bm25s

    import index.lexical
    import index.store

    def refuse(*args, **kwargs):
        raise AssertionError("a builder ran while loading")

    monkeypatch.setattr(bm25s.BM25, "index", refuse)
    monkeypatch.setattr(index.lexical, "fit_ngrams", refuse)
    monkeypatch.setattr(index.lexical, "write_lexical", refuse)
    monkeypatch.setattr(index.store, "write_lexical", refuse)
    monkeypatch.setattr(index.lexical, "terms_of_words", refuse)


def test_loading_and_searching_build_nothing(settings, monkeypatch):
    _forbid_builders(monkeypatch)
    loaded = load_current(settings.index_dir)
    retriever = Retriever(loaded, EMB)
    result = retriever.search("Combien de séances de microneedling ?", "fr")
    assert result.hits and result.articles
    assert any(h.keyword > 0 for h in result.hits) and any(h.ngram > 0 for h in result.hits)
    bot = Bot(settings, embedder=EMB)
    assert bot.ask("Combien de séances de microneedling faut-il prévoir ?").status in ("answered", "no_answer")


def test_the_version_stores_and_checksums_the_keyword_indexes(settings):
    loaded = load_current(settings.index_dir)
    files = loaded.manifest["files"]
    lexical = sorted(name for name in files if name.startswith(LEXICAL_DIR + "/"))
    assert f"{LEXICAL_DIR}/terms.json" in lexical
    assert any(name.startswith(f"{LEXICAL_DIR}/bm25/") for name in lexical)
    assert f"{LEXICAL_DIR}/ngram.data.npy" in lexical
    on_disk = {p.relative_to(loaded.path).as_posix() for p in (loaded.path / LEXICAL_DIR).rglob("*") if p.is_file()}
    assert on_disk == set(lexical)


def test_a_damaged_keyword_index_is_detected(settings):
    loaded = load_current(settings.index_dir)
    target = loaded.path / LEXICAL_DIR / "ngram.data.npy"
    data = bytearray(target.read_bytes())
    data[-1] ^= 0xFF
    target.write_bytes(bytes(data))
    with pytest.raises(IndexCorrupt, match="ngram.data.npy"):
        load_current(settings.index_dir, fallback=False)


def test_stored_statistics_match_the_passages(settings):
    from core.textnorm import terms_of_words, words

    loaded = load_current(settings.index_dir)
    retriever = Retriever(loaded, EMB)
    chunks = list(loaded.chunks)
    terms = [set(terms_of_words(words(c.embedding_text))) for c in chunks]
    for row, expected in enumerate(terms):
        assert retriever.chunk_terms(row) == expected
    for term in list(retriever.df)[:50]:
        assert retriever.df[term] == sum(term in t for t in terms)
        assert retriever.article_df[term] == len({c.source for c, t in zip(chunks, terms, strict=True) if term in t})
    assert retriever.corpus_words == {w for c in chunks for w in words(c.embedding_text)}
    for source in {c.source for c in chunks}:
        assert retriever.first_chunk(source) == next(c for c in chunks if c.source == source)
        assert [loaded.units[r].order for r in retriever.unit_rows(source)] == sorted(
            u.order for u in loaded.units if u.source == source
        )


def _scikit_learn_ngrams(loaded):
    """The vectorizer and passage matrix scikit-learn builds from the same passages."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    from core.textnorm import fold

    vectorizer = TfidfVectorizer(
        analyzer="char_wb", ngram_range=NGRAM_RANGE, preprocessor=fold, sublinear_tf=True, min_df=1, dtype=np.float32
    )
    return vectorizer, vectorizer.fit_transform([c.embedding_text for c in loaded.chunks]).tocsc()


def test_ngram_query_is_scikit_learns_transform_bit_for_bit(settings):
    loaded = load_current(settings.index_dir)
    texts = [c.embedding_text for c in loaded.chunks]
    vectorizer, matrix = _scikit_learn_ngrams(loaded)
    lexical = loaded.lexical
    for question in QUESTIONS + texts[:5] + [t[::-1] for t in texts[:3]]:
        assert char_wb_ngrams(question) == vectorizer.build_analyzer()(question)
        expected = vectorizer.transform([question])
        got = lexical.ngram_query(question)
        np.testing.assert_array_equal(got.indices, expected.indices)
        np.testing.assert_array_equal(got.data, expected.data)
        scores = lexical.ngram_scores_at(got, np.arange(lexical.n_rows))
        if expected.nnz:
            # Summed in double, then rounded: within a float32 rounding of scikit-learn's float32 sums.
            want = np.asarray(matrix[:, expected.indices] @ expected.data).ravel()
            np.testing.assert_allclose(scores, want, rtol=1e-6, atol=1e-7)


def test_the_stored_ngram_matrix_is_scikit_learns_fit_transform_bit_for_bit(settings):
    from index.lexical import NGRAM_DATA, NGRAM_IDF, NGRAM_INDICES, NGRAM_INDPTR, NGRAM_VOCAB

    loaded = load_current(settings.index_dir)
    vectorizer, matrix = _scikit_learn_ngrams(loaded)
    matrix = matrix.tocsr()
    matrix.sort_indices()
    folder = loaded.path / LEXICAL_DIR
    assert np.load(folder / NGRAM_VOCAB).tolist() == vectorizer.get_feature_names_out().tolist()
    np.testing.assert_array_equal(np.load(folder / NGRAM_IDF), vectorizer.idf_)
    assert np.load(folder / NGRAM_IDF).dtype == vectorizer.idf_.dtype
    np.testing.assert_array_equal(np.load(folder / NGRAM_INDPTR), matrix.indptr)
    np.testing.assert_array_equal(np.load(folder / NGRAM_INDICES), matrix.indices)
    np.testing.assert_array_equal(np.load(folder / NGRAM_DATA), matrix.data)


def test_ngram_scores_at_some_passages_equal_scikit_learns_there(settings):
    loaded = load_current(settings.index_dir)
    lexical = loaded.lexical
    vectorizer, matrix = _scikit_learn_ngrams(loaded)
    rng = np.random.default_rng(0)
    n = lexical.n_rows
    for question in QUESTIONS:
        query = lexical.ngram_query(question)
        expected = vectorizer.transform([question])
        full = np.asarray(matrix[:, expected.indices] @ expected.data).ravel()
        rows = rng.choice(n, size=min(n, 7), replace=False)  # unsorted, as the searches return them
        np.testing.assert_allclose(lexical.ngram_scores_at(query, rows), full[rows], rtol=1e-6, atol=1e-7)
        repeated = np.r_[rows[:2], rows[:2]]
        np.testing.assert_allclose(lexical.ngram_scores_at(query, repeated), full[repeated], rtol=1e-6, atol=1e-7)
        assert lexical.ngram_scores_at(query, np.array([], dtype=np.int64)).shape == (0,)
    assert lexical.ngram_scores_at(lexical.ngram_query("zzqx"), np.arange(n)).sum() == 0


def test_an_index_of_an_older_release_is_refused_then_updated_without_embedding(settings):
    loaded = load_current(settings.index_dir)
    manifest_path = loaded.path / MANIFEST_FILE
    manifest = json.loads(manifest_path.read_text())
    manifest.pop("lexical_scheme")
    manifest_path.write_text(json.dumps(manifest))
    old = load_current(settings.index_dir)
    assert old.lexical is None
    with pytest.raises(IndexMismatch, match="rebuild"):
        check_compatible(old.manifest, "hashing-64", 500, 80)
    with pytest.raises(IndexMismatch, match="index update"):
        Bot(settings, embedder=EMB)

    class Counting(HashingEmbedder):
        texts = 0

        def encode_documents(self, texts, batch_size=64, progress=False):
            Counting.texts += len(texts)
            return super().encode_documents(texts, batch_size, progress)

    report = sync_index(settings, embedder=Counting(64))
    assert report.written and Counting.texts == 0
    upgraded = load_current(settings.index_dir)
    assert upgraded.version == old.version + 1 and upgraded.lexical is not None
    np.testing.assert_array_equal(upgraded.vectors(), old.vectors())
    assert Bot(settings, embedder=EMB).retriever.loaded.version == upgraded.version
    # Nothing left to do afterwards.
    assert not sync_index(settings, embedder=Counting(64)).written


def test_passages_are_read_on_demand(settings):
    loaded = load_current(settings.index_dir)
    assert not isinstance(loaded.chunks, list)
    assert loaded.chunks[-1] == list(loaded.chunks)[-1]
    assert loaded.chunks[1:3] == [loaded.chunks[1], loaded.chunks[2]]
    with pytest.raises(IndexError):
        loaded.chunks[len(loaded.chunks)]
    assert not isinstance(loaded.unit_vectors, np.ndarray)
    np.testing.assert_array_equal(loaded.unit_vectors[[3, 1, 2, 3]], np.asarray(loaded.unit_vectors)[[3, 1, 2, 3]])


def test_answering_maps_no_file_of_the_version(settings):
    """Rows are read, not memory-mapped: the kernel would count whole files in the process's memory."""
    bot = Bot(settings, embedder=EMB)
    for question in QUESTIONS:
        bot.ask(question)
    version = str(bot.retriever.loaded.path)
    mapped = [line for line in Path("/proc/self/maps").read_text().splitlines() if version in line]
    assert not mapped


def test_versions_hold_the_files_they_list(settings):
    for version in (settings.index_dir / VERSIONS_DIR).iterdir():
        manifest = json.loads((version / MANIFEST_FILE).read_text())
        assert manifest["lexical_scheme"] >= 1
        for name in manifest["files"]:
            assert (version / name).is_file()


def test_app_start_reads_only_the_manifest_and_upgrades_an_older_index(settings, monkeypatch):
    import index.store
    from service.clinic import ensure_index

    def refuse(path):
        raise AssertionError("the version was loaded twice at start")

    with monkeypatch.context() as m:
        m.setattr(index.store, "load_version", refuse)
        assert ensure_index(settings, progress=False) is None
    live = load_current(settings.index_dir)
    manifest = json.loads((live.path / MANIFEST_FILE).read_text())
    manifest.pop("lexical_scheme")
    (live.path / MANIFEST_FILE).write_text(json.dumps(manifest))
    monkeypatch.setattr("index.build.load_embedder", lambda name: EMB)
    report = ensure_index(settings, progress=False)
    assert report is not None and report.written and report.chunks_embedded == report.units_embedded == 0
    assert load_current(settings.index_dir).lexical is not None


def test_stored_bm25_scores_are_bm25s_scores(settings):
    import bm25s

    from index.lexical import BM25_DIR

    loaded = load_current(settings.index_dir)
    folder = loaded.path / LEXICAL_DIR / BM25_DIR
    reference = bm25s.BM25.load(folder, mmap=True, show_progress=False)
    stored = loaded.lexical.bm25
    assert stored.num_docs == len(loaded.chunks)
    tokens = [t for t, column in reference.vocab_dict.items() if column < len(reference.scores["indptr"]) - 1]
    assert set(tokens) >= set(loaded.lexical.df)
    for token in tokens:
        np.testing.assert_array_equal(stored.get_scores([token]), reference.get_scores([token]))
    assert not stored.get_scores(["mot-absent-du-corpus"]).any()


def test_a_replica_imports_no_builder_and_no_model_library(settings):
    import subprocess
    import sys

    code = (
        "import sys, json; from core.settings import load_settings; from bot.engine import Bot; "
        "from index.embedder import HashingEmbedder; "
        f"bot = Bot(load_settings(index_dir={str(settings.index_dir)!r}), embedder=HashingEmbedder(64)); "
        "bot.ask('Combien de séances de microneedling ?'); "
        "print(json.dumps(sorted(m for m in ('torch', 'sentence_transformers', 'transformers', 'sklearn', 'scipy', "
        "'bm25s', 'langchain_text_splitters') if m in sys.modules)))"
    )
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    out = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True, check=True)
    assert json.loads(out.stdout.strip().splitlines()[-1]) == []


def test_another_languages_function_word_that_is_a_french_word_stays_a_search_term():
    """Spanish 'dos' (two) and Portuguese 'os' (the) are French words for the back and bones: a
    question about 'l'hydrafacial pour le dos' must keep the area it asks about."""
    from core.textnorm import content_terms

    assert "dos" in content_terms("vous faites l'hydrafacial pour le dos ?")
    assert "os" in content_terms("perte de masse des os du visage")
    assert content_terms("puedo hacer el tratamiento para los labios") == content_terms("tratamiento labios")
