"""Topics patients ask a clinic about, to notice when the articles never mention them.

A question about a treatment the clinic has not written about ("rhinoplastie",
"cryolipolyse", "veneers") or a practical matter its articles do not cover
("parking", "carte cadeau") often shares every other word with some article,
so retrieval finds a plausible but wrong passage. When the question names one
of these topics and the articles' vocabulary does not contain it, the bot says
plainly that its articles do not answer. Add an article on the topic and the
check lets the question through by itself: nothing here is an answer.
"""

from __future__ import annotations

from pathlib import Path

from core.datafiles import FOLDED_WORD, DataFileError, load_list_file, word_list
from core.textnorm import stem, words

TOPICS_FILE = Path(__file__).with_name("data") / "topics.json"


def load_topic_phrases(path: Path = TOPICS_FILE) -> list[tuple[str, ...]]:
    """The topic phrases of ``path``, each as a tuple of folded words, in file order.

    Raises:
        DataFileError: a phrase is not folded words separated by single spaces, appears
            twice, or is a single word already part of a longer phrase (a word of a longer
            phrase is not a topic alone: "lift" or "job" say nothing without the rest).
    """
    data = load_list_file(path)
    languages = data.get("phrases")
    if not isinstance(languages, dict) or not languages:
        raise DataFileError(f"{path}: 'phrases' must be an object of language -> list of phrases")
    phrases: list[tuple[str, ...]] = []
    for language in languages:
        for phrase in word_list(languages, language, path):
            parts = tuple(phrase.split(" "))
            if not all(FOLDED_WORD.fullmatch(w) for w in parts):
                raise DataFileError(f"{path}: phrases.{language}: {phrase!r} is not folded words separated by one space")
            if parts in phrases:
                raise DataFileError(f"{path}: phrases.{language}: {phrase!r} appears twice")
            phrases.append(parts)
    in_longer = {w for p in phrases if len(p) > 1 for w in p}
    for parts in phrases:
        if len(parts) == 1 and parts[0] in in_longer:
            raise DataFileError(f"{path}: {parts[0]!r} is part of a longer phrase, so it cannot be a topic alone")
    return phrases


TOPIC_PHRASES = load_topic_phrases()
# Phrases by their first word: a question is checked only against phrases that can start in it.
_BY_FIRST_WORD: dict[str, list[tuple[str, ...]]] = {}
for _phrase in TOPIC_PHRASES:
    _BY_FIRST_WORD.setdefault(_phrase[0], []).append(_phrase)


def _contains(sequence: list[str], phrase: tuple[str, ...]) -> bool:
    n = len(phrase)
    return any(tuple(sequence[i : i + n]) == phrase for i in range(len(sequence) - n + 1))


def uncovered_topics(question: str, corpus_stems: set[str], corpus_words: set[str]) -> list[str]:
    """Topics the question names that never appear in the articles.

    A phrase counts as covered when all its words occur in the articles
    (compared as folded words, or as French stems for inflected forms).
    """
    q_words = words(question)
    found: list[str] = []
    candidates = [p for w in dict.fromkeys(q_words) for p in _BY_FIRST_WORD.get(w, ())]
    for phrase in candidates:
        if not _contains(q_words, phrase):
            continue
        meaningful = [w for w in phrase if len(w) > 2 or len(phrase) == 1]
        if all(w in corpus_words or stem(w) in corpus_stems for w in meaningful):
            continue
        found.append(" ".join(phrase))
    return found
