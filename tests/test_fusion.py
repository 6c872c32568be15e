"""Reciprocal-rank fusion and article scores (bot/retrieval.py), on rankings given by hand."""

from __future__ import annotations

import numpy as np
import pytest

from bot.retrieval import FusionSettings, Retriever
from index.chunking import Chunk


def _chunks(*sources: str) -> list[Chunk]:
    return [Chunk(id=f"c{i}", source=s, title=s, section=None, text=f"texte {i}") for i, s in enumerate(sources)]


def _fuser(chunks: list[Chunk], fusion: FusionSettings) -> Retriever:
    """A retriever with only what fusion reads (no index is built)."""
    retriever = object.__new__(Retriever)
    retriever.chunks = chunks
    retriever.fusion = fusion
    return retriever


def test_rrf_adds_weighted_reciprocal_ranks():
    fusion = FusionSettings(rrf_k=5.0, weights={"dense": 1.0, "keyword": 1.0, "ngram": 0.5})
    hits = _fuser(_chunks("a", "b", "c"), fusion)._fuse(
        {"dense": [(0, 0.9), (1, 0.8)], "keyword": [(1, 7.0)], "ngram": [(2, 0.4), (0, 0.3)]}
    )
    fused = {h.row: h.fused for h in hits}
    assert fused[0] == pytest.approx(1 / 6 + 0.5 / 7)
    assert fused[1] == pytest.approx(1 / 7 + 1 / 6)
    assert fused[2] == pytest.approx(0.5 / 6)
    assert [h.row for h in hits] == [1, 0, 2]  # agreement of two rankings beats one first place


def test_each_hit_keeps_its_scores_and_ranks():
    hits = _fuser(_chunks("a", "b"), FusionSettings())._fuse({"dense": [(1, 0.8)], "keyword": [(0, 3.0), (1, 2.0)]})
    by_row = {h.row: h for h in hits}
    assert by_row[1].dense == 0.8 and by_row[1].keyword == 2.0 and by_row[1].ranks == {"dense": 1, "keyword": 2}
    assert by_row[0].dense == 0.0 and by_row[0].ranks == {"keyword": 1}


def test_a_ranking_without_weight_only_records_ranks():
    hits = _fuser(_chunks("a"), FusionSettings(weights={"dense": 1.0}))._fuse({"ngram": [(0, 0.5)]})
    assert hits[0].fused == 0.0 and hits[0].ranks == {"ngram": 1}


# --- article scores over a real (tiny) index, with the three rankings replaced -----------------


class _Dense:
    def __init__(self, rows: list[int]) -> None:
        self.rows = rows

    def search(self, vector, k):
        rows = np.array([self.rows[:k]])
        return np.linspace(0.9, 0.5, rows.shape[1])[None, :], rows


@pytest.fixture
def five_articles(tmp_path):
    from conftest import make_settings

    from index.build import sync_index
    from index.embedder import HashingEmbedder
    from index.store import load_current

    content = tmp_path / "five"
    content.mkdir()
    for name in "abcde":
        (content / f"{name}.md").write_text(
            f"---\ntitle: Article {name}\n---\n## Une\n\nPremière phrase {name}.\n\n## Deux\n\nSeconde phrase {name}.\n",
            encoding="utf-8",
        )
    settings = make_settings(tmp_path, content)
    sync_index(settings, embedder=HashingEmbedder(64), full=True)
    return Retriever(load_current(settings.index_dir), HashingEmbedder(64))


def _rig(retriever: Retriever, dense: list[int], keyword: dict[int, float], ngram: dict[int, float]) -> None:
    n = len(retriever.chunks)

    def scores(values: dict[int, float]) -> np.ndarray:
        out = np.zeros(n, dtype=np.float32)
        for row, value in values.items():
            out[row] = value
        return out

    retriever.loaded.faiss_index = _Dense(dense)
    retriever.keyword_scores = lambda tokens: scores(keyword)
    retriever.ngram_scores_at = lambda qv, rows: scores(ngram)[rows]


def _rows(retriever: Retriever, source: str) -> list[int]:
    return [i for i, c in enumerate(retriever.chunks) if c.source == source]


def test_an_article_scores_its_best_chunk_plus_a_share_of_its_second(five_articles):
    r = five_articles
    a, b = _rows(r, "a.md"), _rows(r, "b.md")
    _rig(r, dense=[a[0], b[0], a[1]], keyword={}, ngram={})
    result = r.search("phrase", "fr", vector=np.zeros(64, dtype=np.float32))
    scores = dict(result.articles)
    k = r.fusion.rrf_k
    assert scores["a.md"] == pytest.approx(1 / (k + 1) + r.fusion.second_chunk / (k + 3))
    assert scores["b.md"] == pytest.approx(1 / (k + 2))
    assert result.articles[0][0] == "a.md"


def test_the_dense_first_article_is_never_pushed_below_third(five_articles):
    r = five_articles
    rows = {s: _rows(r, f"{s}.md") for s in "abcde"}
    # The dense ranking puts e first; keyword and n-grams agree on a, b, c, d.
    others = {rows[s][0]: 10.0 - i for i, s in enumerate("abcd")}
    _rig(r, dense=[rows["e"][0]] + [rows[s][1] for s in "abcd"], keyword=others, ngram=others)
    result = r.search("phrase", "fr", vector=np.zeros(64, dtype=np.float32))
    order = [src for src, _ in result.articles]
    assert order.index("e.md") == 2
    assert result.articles[2][1] > result.articles[3][1]


def test_a_french_question_reads_an_english_loanword_the_articles_never_use(tmp_path):
    """"Un filler" in a French question is searched as the articles' "acide hyaluronique"; a word the
    articles know only through a typo-close form is marked fuzzy."""
    from conftest import make_settings

    from index.build import sync_index
    from index.embedder import HashingEmbedder
    from index.store import load_current

    content = tmp_path / "loan"
    content.mkdir()
    (content / "ah.md").write_text(
        "---\ntitle: Acide hyaluronique\n---\n## Durée\n\nL'acide hyaluronique dure de six à douze mois.\n",
        encoding="utf-8",
    )
    settings = make_settings(tmp_path, content)
    sync_index(settings, embedder=HashingEmbedder(64), full=True)
    r = Retriever(load_current(settings.index_dir), HashingEmbedder(64))
    q = r.analyse("un filler ça dure combien de temps ?", "fr")
    assert "acid" in q.matched["fill"] and "fill" not in q.unknown
    typo = r.analyse("l'acide hyaluronik dure combien ?", "fr")
    assert typo.fuzzy and typo.fuzzy <= set(typo.matched)
