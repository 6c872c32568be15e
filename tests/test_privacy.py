"""What the staff store keeps of a patient's message: identifiers replaced by tags."""

from __future__ import annotations

import pytest

from bot.answer import EMERGENCY, NO_ANSWER, Answer
from service.privacy import scrub
from service.staff_sqlite import SQLiteStaffStore as StaffStore

# (message, what must not survive, what must survive)
LEAKS = [
    ("je m’appelle Marie Dupont, le laser fait-il mal ?", ["Marie", "Dupont"], ["laser"]),
    ("Je m'appelle marie dupont et j'ai une question", ["marie", "dupont"], ["question"]),
    (
        "Je suis Marie Dupont, j'habite 12 rue des Lilas 69003 Lyon, faites-vous le peeling ?",
        ["Marie", "Dupont", "12 rue", "Lilas", "69003", "Lyon"],
        ["peeling"],
    ),
    ("Madame Marie Dupont souhaite un rendez-vous", ["Marie", "Dupont"], ["rendez-vous"]),
    ("Mme DUPONT Marie, est-ce remboursé ?", ["DUPONT", "Marie"], ["remboursé"]),
    ("M. Martin voudrait savoir le prix", ["Martin"], ["prix"]),
    ("Dr Bernard m'a conseillé le laser", ["Bernard"], ["laser"]),
    ("Marie Dupont ici, combien de séances ?", ["Marie", "Dupont"], ["séances"]),
    ("Question (urgente) Marie Dupont ici", ["Marie", "Dupont"], ["urgente"]),
    ("Bonjour Marie Dupont, le botox dure combien ?", ["Marie", "Dupont"], ["botox"]),
    ("Le botox dure combien ? Cordialement, Marie Dupont", ["Marie", "Dupont"], ["botox"]),
    ("Merci beaucoup. Jean-Pierre de La Fontaine", ["Jean-Pierre", "Fontaine"], ["Merci"]),
    ("Je m'appelle Jean-Pierre de La Fontaine", ["Jean", "Pierre", "La Fontaine", "Fontaine"], []),
    ("née le 3 mars 1985, puis-je faire un peeling ?", ["3 mars", "1985"], ["peeling"]),
    ("je suis né le 1er janvier 1990", ["janvier", "1990"], []),
    ("I was born on March 3, 1985", ["March 3", "1985"], []),
    ("mon rendez-vous du 12 septembre", ["12 septembre"], ["rendez-vous"]),
    ("écrivez à marie.dupont(at)gmail(dot)com", ["marie.dupont", "gmail"], ["écrivez"]),
    ("marie.dupont [at] gmail [dot] com svp", ["marie.dupont", "gmail"], ["svp"]),
    ("marie dot dupont at gmail dot com", ["dupont", "gmail"], []),
    ("mon mail: marie.dupont arobase gmail point com", ["marie.dupont", "gmail"], []),
    ("my name is John Smith and I live at 221B Baker Street", ["John", "Smith", "Baker"], []),
    ("j'habite au 5 bis avenue Jean Jaurès, 75019 Paris", ["Jaurès", "75019", "Paris"], []),
    ("mon adresse : 3, allée des Roses 33000 Bordeaux", ["Roses", "33000", "Bordeaux"], []),
]


@pytest.mark.parametrize(("message", "gone", "kept"), LEAKS)
def test_scrub_removes_identifiers(message, gone, kept):
    clean = scrub(message)
    for piece in gone:
        assert piece not in clean, (message, clean)
    for piece in kept:
        assert piece in clean, (message, clean)


@pytest.mark.parametrize(
    "message",
    [
        "Combien de séances de microneedling faut-il prévoir ?",
        "Le laser est-il possible sur une peau bronzée ?",
        "Je suis enceinte, puis-je faire un peeling ?",
        "Bonjour, le Botox est-il douloureux ?",
        "Pourquoi ne proposez-vous pas les exosomes ?",
        "Faut-il attendre 3 semaines entre deux séances ?",
        "Merci beaucoup pour votre réponse",
        "Le prix est-il de 15000 euros ?",
    ],
)
def test_scrub_leaves_ordinary_questions_alone(message):
    assert scrub(message) == message


def test_emergencies_are_never_kept(tmp_path):
    store = StaffStore(tmp_path / "staff.sqlite3")
    message = "je pense au suicide depuis mon injection"
    store.record_unanswered(message, "suicidal_thoughts", "fr", status=EMERGENCY)
    store.record_feedback(message, EMERGENCY, [], liked=False)
    assert store.unanswered_groups() == []
    assert store.feedback_rows() == []


def test_service_does_not_keep_a_rated_emergency(fake_bot):
    from service.clinic import ClinicService

    service = ClinicService(fake_bot.settings, bot=fake_bot)
    answer = service.ask("j'ai du mal à respirer depuis mon injection", "client")
    assert answer.status == EMERGENCY
    service.feedback(answer.question, answer.status, [], liked=False)
    no = Answer("Quel temps fera-t-il demain ?", NO_ANSWER, "out_of_scope", "fr", "")
    service.feedback(no.question, no.status, [], liked=False)
    assert [r["question"] for r in service.store.feedback_rows()] == ["Quel temps fera-t-il demain ?"]


def test_scrub_takes_linear_time_on_long_runs():
    import time

    started = time.perf_counter()
    for text in ("a." * 1000, "Jean-" * 400, "a" * 1999 + "@", "x dot " * 300):
        scrub(text)
    assert time.perf_counter() - started < 0.25
