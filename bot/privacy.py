"""Scrubbing obvious identifiers from patient text before anything is kept.

Patients' messages are health data. Whatever staff keep (unanswered questions,
rated answers) goes through :func:`scrub` first: e-mail addresses, phone
numbers, long digit runs (social security, card or file numbers), web
addresses and self-introductions ("je m'appelle …") are replaced by a tag.
"""

from __future__ import annotations

import re

_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"), "[e-mail]"),
    (re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE), "[lien]"),
    # French and international phone numbers: 06 12 34 56 78, +33 6 12 34 56 78, 0612345678, 01.23.45.67.89
    (re.compile(r"(?:\+|00)\d{1,3}[\s.-]?\(?\d\)?(?:[\s.-]?\d{2,4}){3,5}"), "[téléphone]"),
    (re.compile(r"\b0\d(?:[\s.-]?\d{2}){4}\b"), "[téléphone]"),
    (re.compile(r"\b\d[\d\s.-]{7,}\d\b"), "[numéro]"),
    (
        re.compile(
            r"\b(je m'?\s?appelle|mon nom est|my name is|i am called|moi c'?\s?est)\s+([A-ZÀ-Ýa-zà-ÿ'-]+(?:\s+[A-ZÀ-Ý][a-zà-ÿ'-]+)?)",
            re.IGNORECASE,
        ),
        r"\1 [nom]",
    ),
    (re.compile(r"\b(n[ée]e? le|date de naissance|born on)\s*:?\s*[\d/.-]{6,10}", re.IGNORECASE), r"\1 [date]"),
    (re.compile(r"\b\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4}\b"), "[date]"),
)

MAX_KEPT_CHARS = 500


def scrub(text: str) -> str:
    """The text with identifiers replaced, cut to a length staff can read at a glance."""
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    text = re.sub(r"\s+", " ", text).strip()
    return text[:MAX_KEPT_CHARS]
