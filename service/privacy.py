"""Scrubbing obvious identifiers from patient text before anything is kept.

Patients' messages are health data. Whatever staff keep (unanswered questions,
rated answers) goes through :func:`scrub` first. Replaced by a tag:

- e-mail addresses, also written to dodge robots (``marie(at)gmail(dot)com``);
- web addresses, phone numbers, long digit runs (social security, card or file
  numbers);
- postal addresses (number and street, French postcodes and the town after
  them, "j'habite …");
- dates in figures or in words ("3 mars 1985", "March 3, 1985", "né en 1985");
- names: after a self-introduction ("je m'appelle …", "je suis Marie …"),
  after a title (M., Mme, Dr, Madame…), after a greeting or before a sign-off
  ("Bonjour Marie Dupont", "Cordialement, Marie Dupont"), "Marie Dupont ici",
  and a first name next to a surname in capitals ("Marie DUPONT").

Over-scrubbing a word is cheap (staff still see the topic); keeping a name is
not, so the rules lean towards replacing.
"""

from __future__ import annotations

import re

MAX_KEPT_CHARS = 500

# A name word: capitalised or in capitals, possibly hyphenated or with an apostrophe (Jean-Pierre, O'Neil, DUPONT).
_UP = "A-ZÀ-ÖØ-Þ"
_LOW = "a-zà-öø-ÿ"
_CAP_WORD = rf"[{_UP}][{_UP}{_LOW}]*(?:[-'][{_UP}{_LOW}][{_UP}{_LOW}]*)*\.?"
_ANY_WORD = rf"[{_UP}{_LOW}][{_UP}{_LOW}]*(?:[-'][{_UP}{_LOW}][{_UP}{_LOW}]*)*"
# Nobiliary and family particles between name words (de La Fontaine, van der Berg, d'Arc).
_PARTICLE = r"(?:(?:de|du|des|la|le|van|von|der|den|da|di|del|della|dos|ben|ibn|el|al|bin)\s+|d')"
_NAME = rf"{_CAP_WORD}(?:\s+{_PARTICLE}*{_CAP_WORD}){{0,4}}"
_NAME_PAIR = rf"{_CAP_WORD}(?:\s+{_PARTICLE}*{_CAP_WORD}){{1,4}}"
# Capitalised words that start sentences or follow greetings without being names.
_NOT_NAMES = {
    "je", "j", "le", "la", "les", "un", "une", "est", "est-ce", "merci", "bonjour", "bonsoir", "docteur",
    "madame", "monsieur", "mademoiselle", "beaucoup", "quel", "quelle", "quels", "quelles", "comment",
    "combien", "pourquoi", "quand", "puis-je", "peut-on", "pouvez-vous", "faut-il", "avez-vous", "il",
    "elle", "on", "nous", "vous", "ce", "cette", "mon", "ma", "mes", "votre", "vos", "the", "i", "what",
    "how", "why", "when", "is", "can", "do", "does", "thanks", "thank", "hello", "hi", "dear", "a", "à",
    "et", "ou", "mais", "donc", "bien", "bonne", "bon", "belle", "cordialement", "salutations", "oui", "non",
    "ok", "svp", "stp", "question", "laser", "botox", "peeling",
}
_TITLES = (
    r"(?:[Mm]onsieur|[Mm]adame|[Mm]ademoiselle|[Dd]octeur|[Pp]rofesseur|[Mm]a[iî]tre|Mister|Mrs?\.?|Ms\.?|Miss|"
    r"M\.|MM\.|Mmes?\.?|Mlles?\.?|Mme\.?|Dr\.?|Dre\.?|Pr\.?|Prof\.?|Me\.?|Sir)"
)
_INTRO = (
    r"(?:je\s+m\s*'\s*appelle|je\s+me\s+nomme|mon\s+nom\s+(?:est|c\s*'\s*est)|mon\s+pr[ée]nom\s+(?:est|c\s*'\s*est)|"
    r"my\s+name\s+is|i\s+am\s+called|moi\s+c\s*'\s*est|c\s*'\s*est\s+moi|ici\s+c\s*'\s*est|"
    r"je\s+suis|i\s+am|i\s*'\s*m|this\s+is|nom\s*:|pr[ée]nom\s*:|name\s*:|signé|sign[ée]d?)"
)
_STRONG_INTRO = (
    r"(?:je\s+m\s*'\s*appelle|je\s+me\s+nomme|mon\s+nom\s+(?:est|c\s*'\s*est)|mon\s+pr[ée]nom\s+(?:est|c\s*'\s*est)|"
    r"my\s+name\s+is|i\s+am\s+called|moi\s+c\s*'\s*est|nom\s*:|pr[ée]nom\s*:|name\s*:)"
)
_GREETING = r"(?:bonjour|bonsoir|salut|coucou|hello|hi|hey|dear|cher|chère)"
_SIGN_OFF = (
    r"(?:cordialement|bien\s+cordialement|bien\s+à\s+vous|salutations|sinc[èe]rement|merci(?:\s+beaucoup|\s+d'avance)?|"
    r"bonne\s+(?:journée|soirée)|à\s+bientôt|regards|best|thanks|thank\s+you|cheers|bises|amicalement)"
)

_MONTHS_FR = (
    r"janv(?:ier|\.)?|f[ée]vr(?:ier|\.)?|mars|avr(?:il|\.)?|mai|juin|juil(?:let|\.)?|ao[uû]t|"
    r"sept(?:embre|\.)?|oct(?:obre|\.)?|nov(?:embre|\.)?|d[ée]c(?:embre|\.)?"
)
_MONTHS_EN = (
    r"january|february|march|april|may|june|july|august|september|october|november|december|"
    r"jan\.?|feb\.?|mar\.?|apr\.?|jun\.?|jul\.?|aug\.?|sept?\.?|oct\.?|nov\.?|dec\.?"
)
_MONTH = rf"(?:{_MONTHS_FR}|{_MONTHS_EN})"
_DAY = r"(?:[12]\d|3[01]|0?[1-9])(?:er|e|ème|st|nd|rd|th)?"
_STREET = (
    r"(?:rue|avenue|av\.|bd|boulevard|blvd|place|pl\.|all[ée]e|chemin|ch\.|impasse|imp\.|quai|cours|route|rte|square|"
    r"passage|esplanade|rond-point|faubourg|fbg|voie|villa|cit[ée]|r[ée]sidence|lotissement|hameau|lieu-dit|"
    r"street|st\.?|road|rd\.?|lane|drive|way)"
)
_AT = r"(?:\s*[\(\[\{<]\s*(?:at|arobase|@)\s*[\)\]\}>]\s*|\s+(?:at|arobase|chez)\s+|\s*@\s*)"
_DOT = r"(?:\s*[\(\[\{<]\s*(?:dot|point|\.)\s*[\)\]\}>]\s*|\s+(?:dot|point)\s+|\.)"
# Possessive and anchored at the start of a run: no quadratic backtracking on "a.a.a.a…".
_EMAIL_LOCAL = rf"(?<![\w.+-])[\w+-]++(?:{_DOT}[\w+-]++)*+"

_I = re.IGNORECASE


def _sub(pattern: str, replacement, flags: int = 0) -> tuple[re.Pattern[str], object]:
    return re.compile(pattern, flags), replacement


def _is_ordinary(words: str) -> bool:
    return any(w.rstrip(".").lower() in _NOT_NAMES for w in re.split(r"[\s,]+", words.strip()) if w)


def _names(prefix: str, name: str, post: str = "", flags: int = 0, check: str = "first"):
    """Replace the name that follows ``prefix`` (and precedes ``post``) unless it is an ordinary word."""

    def replace(match: re.Match[str]) -> str:
        found = match.group("name")
        words = found.split()[:1] if check == "first" else found.split()
        if check != "none" and _is_ordinary(" ".join(words)):
            return match.group(0)
        return match.group("pre") + "[nom]" + (match.group("post") if post else "")

    pattern = rf"(?P<pre>{prefix})(?P<name>{name})" + (rf"(?P<post>{post})" if post else "")
    return re.compile(pattern, flags), replace


# After "je m'appelle", lower-case words are a name too, but not the words that carry on the sentence.
_NOT_NAME_LOWER = (
    r"(?!(?:et|and|j|je|i|mais|but|ai|suis|voudrais|veux|souhaite|aimerais|habite|ma|mon|mes|le|la|les|un|une|"
    r"de|du|des|pour|sur|avec|depuis|ici|here|from|of|with|question|à|a|au|est|is|in|en|ou|or|qui|que|who)\b)"
)
_LOWER_NAME = rf"{_ANY_WORD}(?:\s+(?:{_PARTICLE}*{_CAP_WORD}|{_NOT_NAME_LOWER}{_ANY_WORD})){{0,3}}"
_AFTER_TITLE = r"(?:(?<=\.)\s*|\s+)"

_PATTERNS: tuple[tuple[re.Pattern[str], object], ...] = (
    # E-mails, plain and obfuscated: the local part, an "at", a domain with at least one "dot".
    _sub(r"(?<![\w.+-])[\w.+-]++@[\w-]+(?:\.[\w-]+)+", "[e-mail]"),
    _sub(rf"{_EMAIL_LOCAL}{_AT}[\w-]+(?:{_DOT}[\w-]+)*{_DOT}(?:com|fr|net|org|eu|be|ch|ca|io|info|me|uk|de|es|it)\b",
         "[e-mail]", _I),
    _sub(r"(?:https?://|www\.)\S+", "[lien]", _I),
    # French and international phone numbers: 06 12 34 56 78, +33 6 12 34 56 78, 0612345678, 01.23.45.67.89
    _sub(r"(?:\+|00)\d{1,3}[\s.-]?\(?\d\)?(?:[\s.-]?\d{2,4}){3,5}", "[téléphone]"),
    _sub(r"\b0\d(?:[\s.-]?\d{2}){4}\b", "[téléphone]"),
    _sub(r"\b\d[\d\s.-]{7,}\d\b", "[numéro]"),
    # Dates in figures and in words, birth years.
    _sub(r"\b\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4}\b", "[date]"),
    _sub(rf"\b{_DAY}\s+(?:de\s+|of\s+)?(?:{_MONTH})(?:\s*,?\s*(?:19|20)?\d{{2}})?(?![\w])", "[date]", _I),
    _sub(rf"\b(?:{_MONTH})\s+{_DAY}(?:\s*,?\s*(?:19|20)\d{{2}})?\b", "[date]", _I),
    _sub(rf"\b(?:{_MONTH})\s+(?:19|20)\d{{2}}\b", "[date]", _I),
    _sub(r"\b(n[ée]e?s?|born|date\s+de\s+naissance)(\s*:?\s*(?:le|en|in|on|the)?\s*)(?:19|20)\d{2}\b", r"\1\2[date]", _I),
    # Postal addresses: number (bis, ter) and street, then the rest of the street name.
    _sub(
        rf"\b\d{{1,4}}\s*[a-zA-Z]?(?:\s*(?:bis|ter|quater))?\s*,?\s+{_STREET}\s+[^,;:!?\n()\d]{{1,40}}?"
        rf"(?=\s*(?:[,;:!?\n()]|\d{{5}}\b|$|\s(?:et|and|à|a|pour|depuis|mais|est|donc)\s))",
        "[adresse]",
        _I,
    ),
    _sub(rf"\b\d{{1,4}}[A-Za-z]?\s+(?:{_CAP_WORD}\s+){{1,3}}(?:Street|St\.?|Road|Rd\.?|Avenue|Ave\.?|Lane|Drive|Way)\b",
         "[adresse]"),
    # French postcodes, with the town after them.
    _sub(rf"\b(?:[0-8]\d|9[0-8]|2[AB])\d{{3}}\b(?!\s*(?:€|euros?|eur|\$|ml|mg|unités|km|m\b))(?:\s+{_NAME})?",
         "[adresse]"),
    # "j'habite …", "I live in …": the place, up to the next punctuation.
    _sub(r"\b(j\s*'\s*habite|je\s+vis|je\s+r[ée]side|domicili[ée]e?|mon\s+adresse(?:\s+est)?|i\s+live)"
         r"(\s*:?\s*(?:à|a|au|aux|en|dans|sur|in|at|on)?\s*)(?!\[adresse\])[^,;:!?.\n]{2,60}",
         r"\1\2[adresse]", _I),
    # Names: after a self-introduction (any case after "je m'appelle"), a title, a greeting,
    # before a sign-off or "ici", a first name next to a surname in capitals.
    _names(rf"\b(?i:{_STRONG_INTRO})\s*", rf"(?i:{_LOWER_NAME})", check="none"),
    _names(rf"\b(?i:{_INTRO})\s+", _NAME),
    _names(rf"(?<![\w])(?:{_TITLES}){_AFTER_TITLE}", _NAME),
    _names(rf"\b(?i:{_GREETING})\s*,?\s+", _NAME),
    _names(rf"\b(?i:{_SIGN_OFF})\s*[,.!]?\s*", _NAME_PAIR),
    _names(r"(?<![\w'-])", _NAME_PAIR, r"\s*,?\s+(?i:ici|here|speaking)\b", check="all"),
    _names(r"", rf"\b[{_UP}][{_LOW}]+(?:-[{_UP}][{_LOW}]+)?\s+[{_UP}]{{2,}}(?:-[{_UP}]{{2,}})?\b", check="all"),
    _names(r"", rf"\b[{_UP}]{{2,}}(?:-[{_UP}]{{2,}})?\s+[{_UP}][{_LOW}]+(?:-[{_UP}][{_LOW}]+)?\b", check="all"),
    # A signature closing the message: a name pair after the last sentence.
    _names(r"(?<=[.!?,])\s*", _NAME_PAIR, r"\s*[.!]?\s*$", check="all"),
)

_QUOTES = str.maketrans({"’": "'", "‘": "'", "ʼ": "'", "´": "'", "`": "'", "＇": "'", "\u00a0": " ", "\u202f": " "})


def scrub(text: str) -> str:
    """The text with identifiers replaced, cut to a length staff can read at a glance."""
    # Regular expressions on a bounded text: nothing past what is kept can leak anyway.
    text = text[: MAX_KEPT_CHARS * 4].translate(_QUOTES)
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    text = re.sub(r"(?:\[nom\][\s,]*){2,}", "[nom] ", text)
    text = re.sub(r"\s+", " ", text).strip()
    return text[:MAX_KEPT_CHARS]
