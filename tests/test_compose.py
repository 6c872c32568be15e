"""Choosing the quoted units and building the numbered citations (bot/compose.py), on hand-made units."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from bot.compose import SelectionSettings, answer_text, compose, join_units, select, text_fragment_link
from bot.quotes import Candidate
from index.units import Unit

A = [
    Unit("a.md", 0, "Séances", "Le microneedling se fait en trois séances."),
    Unit("a.md", 1, "Séances", "Elles sont espacées d'un mois."),
    Unit("a.md", 2, "Suites", "Voici les suites habituelles :"),
    Unit("a.md", 3, "Suites", "une rougeur de quelques heures", kind="item", lead=2),
    Unit("a.md", 4, "Suites", "Cette rougeur disparaît vite.", depends=3),
    Unit("a.md", 5, "Prix", "Le tarif est donné en consultation."),
]
B = [Unit("b.md", 0, None, "Le laser demande deux séances.")]


def _retriever():
    units = {(u.source, u.order): u for u in A + B}
    first = {
        "a.md": SimpleNamespace(title="Le microneedling", url="https://clinique.example/microneedling"),
        "b.md": SimpleNamespace(title="Le laser", url=None),
    }
    return SimpleNamespace(unit_at=lambda source, order: units[(source, order)], first_chunk=first.__getitem__)


def _cand(unit: Unit, probability: float) -> Candidate:
    return Candidate(row=0, unit=unit, features=np.zeros(2), probability=probability)


def test_nothing_ranked_nothing_picked():
    assert select([], _retriever(), 3, SelectionSettings()) == []


def test_units_close_to_the_best_are_kept_until_one_falls_below_the_ratio():
    ranked = [_cand(A[0], 0.9), _cand(A[1], 0.7), _cand(A[5], 0.5), _cand(A[0 + 1], 0.69)]
    picked = select(ranked, _retriever(), 4, SelectionSettings(keep_ratio=0.7))
    assert [p.unit for p in picked] == [A[0], A[1]]  # 0.5 < 0.7 * 0.9 stops the list
    assert [p.score for p in picked] == [0.9, 0.7]


def test_another_article_needs_a_higher_ratio():
    ranked = [_cand(A[0], 1.0), _cand(B[0], 0.8)]
    assert len(select(ranked, _retriever(), 3, SelectionSettings(keep_ratio=0.7, other_article_ratio=0.85))) == 1
    assert len(select(ranked, _retriever(), 3, SelectionSettings(keep_ratio=0.7, other_article_ratio=0.75))) == 2


def test_a_list_item_comes_with_its_lead_in_and_a_pronoun_with_its_referent():
    picked = select([_cand(A[3], 0.9)], _retriever(), 3, SelectionSettings())
    assert [(p.unit.order, p.context) for p in picked] == [(2, True), (3, False)]
    picked = select([_cand(A[4], 0.9)], _retriever(), 3, SelectionSettings())
    assert [(p.unit.order, p.context, p.score) for p in picked] == [(3, True, 0.0), (4, False, 0.9)]


def test_a_unit_over_the_character_budget_is_skipped_not_the_rest():
    ranked = [_cand(A[0], 0.9), _cand(A[3], 0.85), _cand(A[1], 0.8)]
    budget = len(A[0].text) + len(A[1].text)
    picked = select(ranked, _retriever(), 3, SelectionSettings(max_chars=budget))
    assert [p.unit.order for p in picked] == [0, 1]


def test_at_most_max_sentences_chosen():
    ranked = [_cand(A[0], 0.9), _cand(A[1], 0.9), _cand(A[5], 0.9)]
    assert len(select(ranked, _retriever(), 2, SelectionSettings())) == 2


def test_citations_numbered_best_first_with_quotes_in_article_order():
    ranked = [_cand(B[0], 0.95), _cand(A[5], 0.9), _cand(A[0], 0.88)]
    picked, citations = compose(ranked, _retriever(), 3, SelectionSettings(other_article_ratio=0.5))
    assert [c.source for c in citations] == ["b.md", "a.md"] and [c.n for c in citations] == [1, 2]
    a = citations[1]
    assert a.quote == f"{A[0].text} … {A[5].text}"  # a gap between orders 0 and 5
    assert a.section == "Prix" and a.score == 0.9  # the section of the article's best unit
    assert a.title == "Le microneedling" and a.link.startswith("https://clinique.example/microneedling#:~:text=")
    assert citations[0].link is None  # no address, no link
    assert answer_text("Voici :", citations) == f"Voici :\n\n{B[0].text} [1]\n\n{a.quote} [2]"


def test_max_units_caps_the_caller_limit():
    ranked = [_cand(A[0], 0.9), _cand(A[1], 0.9), _cand(A[5], 0.9)]
    picked, _ = compose(ranked, _retriever(), 5, SelectionSettings(max_units=1))
    assert len(picked) == 1


def test_join_units_marks_gaps_but_not_a_list_after_its_lead():
    assert join_units([A[0], A[1]]) == f"{A[0].text} {A[1].text}"
    assert join_units([A[2], A[3]]) == f"{A[2].text} {A[3].text}"
    assert join_units([A[1], A[3]]) == f"{A[1].text} … {A[3].text}"


@pytest.mark.parametrize(
    "sentence, fragment",
    [
        ("Trois séances suffisent.", "#:~:text=Trois%20s%C3%A9ances%20suffisent."),
        ("Un acide doux, peu irritant & sûr", "#:~:text=Un%20acide%20doux%2C%20peu%20irritant%20%26%20s%C3%BBr"),
        ("Le peeling doux renouvelle la surface de la peau grâce à un acide léger",
         "#:~:text=Le%20peeling%20doux%20renouvelle,%C3%A0%20un%20acide%20l%C3%A9ger"),
        ("Le rendez-vous", "#:~:text=Le%20rendez%2Dvous"),
    ],
)
def test_text_fragment_link(sentence, fragment):
    assert text_fragment_link("https://clinique.example/p#ancien", sentence) == "https://clinique.example/p" + fragment


def test_text_fragment_link_without_address_or_words():
    assert text_fragment_link(None, "Une phrase.") is None
    assert text_fragment_link("https://clinique.example/p", "   ") == "https://clinique.example/p"
