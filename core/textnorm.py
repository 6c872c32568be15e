"""Normalising patient text for matching: accents, SMS spelling, stems, language.

Patients type without accents, in SMS spelling ("c koi", "pk", "rdv"), with
typos, and sometimes in English about French articles. Every keyword matcher
in the bot sees text through these functions, so the articles and the
questions meet in the same form. The SMS spellings and stop words are data
files in ``core/data/``, checked when they load (``core/datafiles.py``).
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from pathlib import Path

import Stemmer

from core.datafiles import load_list_file, word_list, word_map

WORD = re.compile(r"[a-z0-9]+")
MARKUP = re.compile(r"<[^>]{0,200}>|&[a-z]+;|\w+=\S*")
WORD_WITH_ELISION = re.compile(r"[a-z0-9]+(?:'[a-z0-9]+)*")
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u2028\u2029]")
# Invisible format characters (zero-width spaces and joiners, soft hyphen, word
# joiner, bidi marks and controls, BOM): removed without a trace, so a word
# split by one reads as the word.
INVISIBLE = re.compile(
    "[\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180e\u200b-\u200f\u202a-\u202e"
    "\u2060-\u2064\u2066-\u206f\u3164\ufe00-\ufe0f\ufeff\uffa0]"
)
SURROGATE = re.compile("[\ud800-\udfff]")
# Letters of other scripts that look like Latin ones, as typed to dodge filters or by mistake.
CONFUSABLES = str.maketrans({
    "а": "a", "е": "e", "о": "o", "р": "p", "с": "c", "у": "y", "х": "x", "і": "i", "ј": "j", "ѕ": "s",
    "А": "A", "В": "B", "Е": "E", "К": "K", "М": "M", "Н": "H", "О": "O", "Р": "P", "С": "C", "Т": "T",
    "Х": "X", "Ι": "I", "Ο": "O", "ο": "o", "α": "a", "ν": "v",
})

DATA_DIR = Path(__file__).with_name("data")
# SMS and chat spellings seen in French patient messages, folded (core/data/sms.json).
SMS: dict[str, str] = word_map(load_list_file(DATA_DIR / "sms.json"), "entries", DATA_DIR / "sms.json")
_stop_words = load_list_file(DATA_DIR / "stop_words.json")
FR_STOP = set(word_list(_stop_words, "fr", DATA_DIR / "stop_words.json"))
EN_STOP = set(word_list(_stop_words, "en", DATA_DIR / "stop_words.json"))
# Function words of other languages patients write in: not search terms either.
OTHER_STOP = set(word_list(_stop_words, "other", DATA_DIR / "stop_words.json"))
FR_MARKERS = FR_STOP - EN_STOP - {"a", "on", "as", "me", "son", "sur"}
EN_MARKERS = EN_STOP - FR_STOP - {"a", "on", "as", "me", "son", "an", "i"}

_stemmer_fr = Stemmer.Stemmer("french")


def clean_input(text: str) -> str:
    """Text as every check sees it: one canonical form whatever the keyboard or the trick.

    Lone surrogates become spaces (never an exception), compatibility forms are
    unified (NFKC: full-width letters, ligatures, non-breaking spaces),
    invisible format characters vanish, look-alike letters of other scripts
    become Latin ones, control characters become spaces.
    """
    text = SURROGATE.sub(" ", text)
    text = INVISIBLE.sub("", text)
    text = unicodedata.normalize("NFKC", text).translate(CONFUSABLES)
    text = INVISIBLE.sub("", text)
    text = CONTROL.sub(" ", text)
    return re.sub(r"\s+", " ", text).strip()


@lru_cache(maxsize=65536)
def fold(text: str) -> str:
    """Lower case, no accents, ligatures spelled out, curly quotes straightened."""
    text = text.lower().replace("œ", "oe").replace("æ", "ae").replace("’", "'").replace("ß", "ss")
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def split_words(folded: str) -> list[str]:
    """Words of folded text, SMS spellings expanded (``c koi`` → ``c est quoi``).

    Elided words are split but never expanded: the ``c`` of ``c'est`` is not SMS.
    """
    out: list[str] = []
    for token in WORD_WITH_ELISION.findall(folded):
        if "'" in token:
            out.extend(part for part in token.split("'") if part)
        else:
            out.extend(SMS.get(token, token).split())
    return out


def words(text: str) -> list[str]:
    """Folded words of any text, SMS spellings expanded."""
    return split_words(fold(text))


def squeeze_repeats(word: str) -> str:
    """``coooool`` → ``col``: three or more repeated letters are a typing habit, not spelling."""
    return re.sub(r"(.)\1{2,}", r"\1", word)


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    return _stemmer_fr.stemWord(word)


def content_terms(text: str) -> list[str]:
    """Stemmed words of a text without stop words: what keyword search matches on."""
    return terms_of_words(words(text))


def terms_of_words(ws: list[str]) -> list[str]:
    """:func:`content_terms` for text already split with :func:`words`."""
    return [
        stem(squeeze_repeats(w)) for w in ws if len(w) > 1 and w not in FR_STOP and w not in EN_STOP and w not in OTHER_STOP
    ]


def letters_ratio(text: str) -> float:
    if not text:
        return 0.0
    return sum(ch.isalpha() for ch in text) / len(text)


_langid = None


def _identifier():
    global _langid
    if _langid is None:
        from py3langid.langid import MODEL_FILE, LanguageIdentifier

        _langid = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
        _langid.set_languages(["fr", "en", "es", "de", "it", "pt", "nl", "ar", "ru", "zh", "ja", "pl", "ro", "tr"])
    return _langid


def _langid_rank(text: str) -> tuple[str, float]:
    lang, probability = _identifier().classify(text)
    return lang, float(probability)


def _langid_classify(text: str) -> str:
    return _langid_rank(text)[0]


def detect_language(text: str) -> str:
    """``fr``, ``en`` or another ISO code; French when nothing tells.

    Stop words decide between French and English (reliable on short, misspelt
    questions); a character n-gram model names other languages.
    """
    # Markup typed into the chat says nothing about the patient's language.
    text = MARKUP.sub(" ", text)
    ws = words(text)
    if not ws:
        return "fr"
    if len(ws) >= 4:
        # Long enough for the n-gram model to tell Spanish or Italian from French,
        # which share many short words with it.
        guess, probability = _langid_rank(text)
        if guess not in ("fr", "en") and probability >= 0.9:
            return guess
    fr = sum(w in FR_MARKERS for w in ws)
    en = sum(w in EN_MARKERS for w in ws)
    if fr > en:
        return "fr"
    if en > fr:
        return "en"
    if not any(ch.isalpha() for ch in text):
        return "fr"
    guess = _langid_classify(text)
    if guess in ("fr", "en"):
        return guess
    # A guess on a few words with no stop word at all is noise ("microneedling retinol").
    return guess if len(ws) >= 3 else "fr"


def spaced_folded_words(text: str) -> str:
    """Folded words joined by single spaces, with a space at each end: patterns can match whole words."""
    return " " + " ".join(split_words(fold(text))) + " "
