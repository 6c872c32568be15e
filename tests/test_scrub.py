"""Scrubbing identifiers (service/privacy.py), one kind of identifier at a time."""

from __future__ import annotations

import pytest

from service.privacy import MAX_KEPT_CHARS, scrub


@pytest.mark.parametrize(
    "text, tag, gone",
    [
        ("mon numéro 06 12 34 56 78 merci", "[téléphone]", "06 12"),
        ("appelez le +33 6 12 34 56 78", "[téléphone]", "+33"),
        ("tél 01.23.45.67.89", "[téléphone]", "01.23"),
        ("écrivez à marie.dupont@example.fr", "[e-mail]", "marie.dupont"),
        ("voir https://exemple.fr/page?id=3", "[lien]", "exemple.fr"),
        ("ma carte vitale 1 85 05 78 006 084 36", "[numéro]", "006 084"),
        ("né le 03/05/1985", "[date]", "1985"),
        ("j'habite 12 rue des Lilas, au 2e", "[adresse]", "Lilas"),
        ("je m'appelle Marie", "[nom]", "Marie"),
    ],
)
def test_each_identifier_becomes_its_tag(text, tag, gone):
    kept = scrub(text)
    assert tag in kept and gone not in kept, kept


@pytest.mark.parametrize(
    "text",
    [
        "Combien de séances de microneedling faut-il ?",
        "Le laser est-il possible sur une peau bronzée ?",
        "Peut-on faire 3 séances en 6 semaines pour 120 € ?",
        "Quelles suites après un peeling ?",
    ],
)
def test_ordinary_questions_are_kept_as_they_are(text):
    assert scrub(text) == text


def test_curly_apostrophes_and_spaces_do_not_hide_a_name():
    assert "Dupont" not in scrub("je m’appelle Marie\u00a0Dupont")


def test_kept_text_is_short_and_on_one_line():
    kept = scrub("Bonjour,\n\nune question   sur le laser. " + "mot " * 400)
    assert len(kept) <= MAX_KEPT_CHARS and "\n" not in kept and "  " not in kept


def test_several_name_tags_in_a_row_become_one():
    assert scrub("Cordialement, Marie Dupont") == "Cordialement, [nom]"
