"""Facts a question cannot do without: a price, a brand, the doctor's name, a dose."""

from __future__ import annotations

import json

import pytest
from conftest import make_settings

from bot.answer import ANSWERED, NO_ANSWER
from bot.facts import FACTS_FILE, asked_facts, missing_facts, required_facts
from bot.messages import TEXTS
from core.textnorm import content_terms, spaced_folded_words
from index.build import sync_index
from index.embedder import HashingEmbedder


def _names(question: str) -> list[str]:
    return [fact.name for fact in asked_facts(question)]


def _units(*texts: str) -> list[tuple[str, str, frozenset[str]]]:
    return [(t, spaced_folded_words(t), frozenset(content_terms(t))) for t in texts]


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("combien coute le peeling chez vous ?", ["price"]),
        ("c combien pour 1 ml ?", ["price"]),
        ("How much does a peel cost?", ["price"]),
        ("quel est le tarif d'une séance ?", ["price"]),
        ("quelle marque de gel vous injectez ?", ["brand"]),
        ("Which brand of toxin do you use?", ["brand"]),
        ("comment s'appelle le médecin qui fait les injections ?", ["doctor_name"]),
        ("What's the doctor's name?", ["doctor_name"]),
        ("combien d'unités pour le front ?", ["dose"]),
        ("how many syringes for the cheeks?", ["dose"]),
        # Not these: a count of sessions, a duration, words that only begin like "fee".
        ("c'est combien de séances ?", []),
        ("combien de temps ça dure ?", []),
        ("how much does it hurt?", []),
        ("my skin feels tight after the peel", []),
        ("crow's feet: botox or filler?", []),
        ("les marques brunes après un bouton, c'est une cicatrice ?", []),
    ],
)
def test_what_a_question_asks(question, expected):
    assert _names(question) == expected


def test_a_sentence_on_the_subject_without_the_fact_does_not_give_it():
    question = "combien coute un peeling ?"
    assert missing_facts(question, _units("Un peeling superficiel se fait en vingt minutes.")) == ["price"]
    assert missing_facts(question, _units("Un peeling superficiel : 120 € la séance.")) == []
    assert missing_facts(question, _units("Le tarif est précisé sur le devis remis en consultation.")) == []
    assert missing_facts("how much is a peel?", _units("A light peel costs $150.")) == []


def test_the_price_of_another_treatment_does_not_answer():
    """On a price list the row of another treatment gives a price, not this one's; generic words
    ("prix", "séance") and a question without any subject word ask for no match."""
    question = "combien coute une seance de toxine botulique ?"
    subject = content_terms("toxine botulique seance")
    lips = _units("Une séance d'injection des lèvres coûte 350 €.")
    assert missing_facts(question, lips, subject) == ["price"]
    toxin = _units("Une zone de toxine botulique : 250 € la séance.")
    assert missing_facts(question, toxin, subject) == []
    assert missing_facts("c'est combien la séance ?", lips, content_terms("seance")) == []


def test_names_and_doses_are_read_as_written():
    assert missing_facts("comment s'appelle le médecin ?", _units("Les soins sont faits par le Dr Martin.")) == []
    assert missing_facts("comment s'appelle le médecin ?", _units("Le médecin vous reçoit au cabinet.")) == [
        "doctor_name"
    ]
    assert missing_facts("combien de ml pour les lèvres ?", _units("On injecte en général 0,5 à 1 ml.")) == []
    assert missing_facts("combien de seringues pour les pommettes ?", _units("Il faut une à deux seringues.")) == []
    assert missing_facts("combien d'unités de toxine ?", _units("Les effets durent quatre mois.")) == ["dose"]


def test_a_brand_the_patient_names_counts_when_the_article_writes_it_as_a_name():
    question = "vous utilisez quelle marque, juvederm ou restylane ?"
    assert missing_facts(question, _units("Nous utilisons les gels Juvéderm depuis dix ans.")) == []
    assert missing_facts(question, _units("Le gel est injecté à l'aiguille fine.")) == ["brand"]


def test_only_the_best_units_are_read():
    within = required_facts().within_best_units
    units = _units(*(["Le soin dure une heure."] * within + ["Le soin coûte 90 €."]))
    assert missing_facts("combien coute le soin ?", units) == ["price"]
    assert missing_facts("combien coute le soin ?", units[1:]) == []


def test_every_fact_has_a_message_in_each_language():
    names = json.loads(FACTS_FILE.read_text(encoding="utf-8"))["facts"]
    for language in ("fr", "en"):
        for name in names:
            assert TEXTS[language][f"fact_{name}"].strip()


PRICED = (
    "---\ntitle: Le peeling\nurl: https://clinique.example/articles/peeling\n---\n"
    "## Qu'est-ce qu'un peeling ?\n\nLe peeling exfolie la peau avec un acide doux appliqué au pinceau.\n\n"
    "## Combien coûte un peeling ?\n\nUne séance de peeling superficiel coûte 120 euros.\n"
)
UNPRICED = (
    "---\ntitle: Le laser vasculaire\nurl: https://clinique.example/articles/laser\n---\n"
    "## À quoi sert le laser vasculaire ?\n\nLe laser vasculaire atténue les rougeurs et la couperose du visage.\n\n"
    "## Combien de séances de laser vasculaire ?\n\nDeux à trois séances de laser vasculaire suffisent souvent. "
    "Une séance de laser vasculaire dure une vingtaine de minutes. "
    "Les séances de laser vasculaire sont espacées de quatre semaines.\n\n"
    "## Après une séance de laser vasculaire\n\nLa couperose traitée peut rougir pendant quelques heures. "
    "Une crème apaisante aide la peau après une séance de laser vasculaire. "
    "Le soleil est à éviter deux semaines après le laser vasculaire.\n"
)


@pytest.fixture
def priced_bot(tmp_path):
    from bot.engine import Bot

    content = tmp_path / "content"
    content.mkdir()
    (content / "peeling.md").write_text(PRICED, encoding="utf-8")
    (content / "laser.md").write_text(UNPRICED, encoding="utf-8")
    settings = make_settings(tmp_path, content)
    embedder = HashingEmbedder(64)
    sync_index(settings, embedder=embedder)
    return Bot(settings, embedder=embedder)


def test_a_price_asked_of_an_article_without_one_is_refused_and_said_so(priced_bot):
    answer = priced_bot.ask("Combien coûte une séance de laser vasculaire pour la couperose ?")
    assert answer.status == NO_ANSWER
    assert answer.reason == "fact_not_in_articles"
    assert answer.trace.missing_facts == ["price"]
    assert TEXTS["fr"]["fact_price"] in answer.answer


def test_a_price_the_article_gives_is_answered(priced_bot):
    answer = priced_bot.ask("Combien coûte une séance de peeling superficiel ?")
    assert answer.status == ANSWERED, answer.reason
    assert "120 euros" in answer.answer
