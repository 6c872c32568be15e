"""Chunking: section paths, sizes, and what gets embedded."""

from __future__ import annotations

import pytest

from index.articles import Article
from index.chunking import CHARS_PER_TOKEN, Chunk, chunk_article, chunk_size_for_model

TOLERANCE = 10

LONG_PARAGRAPH = " ".join(
    f"La phrase numéro {i} décrit une étape du soin et ses suites habituelles." for i in range(40)
)

BODY = f"""Introduction générale sur le soin, avant toute section.

## Avant le soin

### Consultation

Le médecin examine la peau et vérifie les contre-indications.

### Préparation

Il faut éviter le soleil la semaine précédente.

## Après le soin

{LONG_PARAGRAPH}
"""


@pytest.fixture
def article() -> Article:
    return Article(
        source="soins/peeling.md",
        title="Le peeling moyen",
        body=BODY,
        url="https://clinique.example/peeling",
        lang="fr",
        sha256="x",
    )


def test_chunks_keep_title_source_url_and_section_path(article):
    chunks = chunk_article(article, 300, 40)
    assert chunks
    assert all(c.title == "Le peeling moyen" for c in chunks)
    assert all(c.source == "soins/peeling.md" for c in chunks)
    assert all(c.url == "https://clinique.example/peeling" for c in chunks)
    by_text = {c.text: c.section for c in chunks}
    assert by_text["Introduction générale sur le soin, avant toute section."] is None
    assert by_text["Le médecin examine la peau et vérifie les contre-indications."] == "Avant le soin > Consultation"
    assert by_text["Il faut éviter le soleil la semaine précédente."] == "Avant le soin > Préparation"
    assert {c.section for c in chunks if "phrase numéro" in c.text} == {"Après le soin"}


def test_chunks_do_not_cross_sections(article):
    for chunk in chunk_article(article, 300, 40):
        if "phrase numéro" in chunk.text:
            assert "soleil" not in chunk.text and "médecin" not in chunk.text


def test_ids_and_positions_are_sequential(article):
    chunks = chunk_article(article, 300, 40)
    assert [c.position for c in chunks] == list(range(len(chunks)))
    assert [c.id for c in chunks] == [f"soins/peeling.md#{i}" for i in range(len(chunks))]


@pytest.mark.parametrize("size", [150, 300, 500])
def test_no_chunk_longer_than_chunk_size(article, size):
    chunks = chunk_article(article, size, 40)
    assert max(len(c.text) for c in chunks) <= size + TOLERANCE
    # The long section really was split, and nothing was lost.
    long_chunks = [c for c in chunks if "phrase numéro" in c.text]
    assert len(long_chunks) >= len(LONG_PARAGRAPH) // size
    joined = " ".join(c.text for c in long_chunks)
    for i in (0, 17, 39):
        assert f"La phrase numéro {i} décrit" in joined


def test_heading_repeating_title_is_not_a_section():
    art = Article(source="a.md", title="Titre", body="# Titre\n\n## Partie\n\nUn texte de la partie.\n", sha256="x")
    chunks = chunk_article(art, 500, 80)
    assert [c.section for c in chunks] == ["Partie"]


def test_embedding_text_starts_with_title(article):
    for chunk in chunk_article(article, 300, 40):
        assert chunk.embedding_text.startswith(chunk.title)
        assert chunk.embedding_text.endswith(chunk.text)
        if chunk.section:
            assert chunk.embedding_text.splitlines()[0] == f"{chunk.title} — {chunk.section}"
        else:
            assert chunk.embedding_text.splitlines()[0] == chunk.title


def test_chunk_round_trips_through_dict(article):
    chunk = chunk_article(article, 300, 40)[1]
    assert Chunk.from_dict(chunk.to_dict()) == chunk


def test_chunk_size_for_model_caps_by_window():
    assert chunk_size_for_model(500, None) == 500
    assert chunk_size_for_model(500, 0) == 500
    assert chunk_size_for_model(500, 128) == int(128 * CHARS_PER_TOKEN)
    assert chunk_size_for_model(500, 128) < 500
    assert chunk_size_for_model(200, 512) == 200  # a window larger than asked changes nothing
    assert chunk_size_for_model(500, 10) == 120  # never absurdly small
