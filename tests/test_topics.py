"""Topics the articles never mention (bot/topics.py)."""

from __future__ import annotations

from bot.topics import TOPIC_PHRASES, uncovered_topics
from core.textnorm import stem

CORPUS_WORDS = {"laser", "peeling", "microneedling", "seances", "chirurgie", "visage", "mutuelle"}
CORPUS_STEMS = {stem(w) for w in CORPUS_WORDS}


def test_a_topic_the_articles_never_mention_is_reported():
    assert uncovered_topics("Faites-vous la rhinoplastie ?", CORPUS_STEMS, CORPUS_WORDS) == ["rhinoplastie"]
    assert uncovered_topics("Do you do a nose job?", CORPUS_STEMS, CORPUS_WORDS) == ["nose job"]


def test_a_question_without_topic_gives_nothing():
    assert uncovered_topics("Combien de séances de laser ?", CORPUS_STEMS, CORPUS_WORDS) == []


def test_a_phrase_matches_only_with_its_words_in_order():
    assert uncovered_topics("un job pour mon nez", CORPUS_STEMS, CORPUS_WORDS) == []
    assert uncovered_topics("la greffe de cheveux", CORPUS_STEMS, CORPUS_WORDS) == ["greffe de cheveux"]


def test_a_word_of_a_longer_phrase_is_not_a_topic_alone():
    assert ("lift",) not in TOPIC_PHRASES and ("face", "lift") in TOPIC_PHRASES
    assert uncovered_topics("is the lift included?", CORPUS_STEMS, CORPUS_WORDS) == []


def test_a_topic_the_articles_cover_lets_the_question_through():
    words = CORPUS_WORDS | {"cryolipolyse"}
    assert uncovered_topics("La cryolipolyse est-elle efficace ?", CORPUS_STEMS, CORPUS_WORDS) == ["cryolipolyse"]
    assert uncovered_topics("La cryolipolyse est-elle efficace ?", CORPUS_STEMS, words) == []
    # Covered through a stem too (an inflected form in the articles).
    assert uncovered_topics("Les varices ?", CORPUS_STEMS | {stem("varice")}, CORPUS_WORDS) == []


def test_short_words_of_a_phrase_need_not_appear():
    # "refaire le nez": "le" is not looked for in the articles, "refaire" and "nez" are.
    assert uncovered_topics("refaire le nez", CORPUS_STEMS, CORPUS_WORDS | {"refaire"}) == ["refaire le nez"]
    assert uncovered_topics("refaire le nez", CORPUS_STEMS, CORPUS_WORDS | {"refaire", "nez"}) == []


def test_accents_and_case_do_not_matter():
    assert uncovered_topics("Et la RADIOFRÉQUENCE ?", CORPUS_STEMS, CORPUS_WORDS) == ["radiofrequence"]
