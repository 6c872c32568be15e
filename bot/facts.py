"""Facts a question cannot do without: a price, a brand, the doctor's name, a dose.

The quote scorer finds the sentences most likely to answer, but a question on
what lip filler costs still finds the lip-filler article's best sentences when
the article gives no price, and the answer then quotes aftercare beside the
question. For these few kinds of fact, an answer without the fact is no
answer: when none of the best-scored units gives it, the bot says so. The
kinds, how a question asks for each and how a sentence gives it are data
(``bot/data/required_facts.json``); BENCHMARKS.md has the measurement.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from itertools import islice
from pathlib import Path

from core.textnorm import content_terms, spaced_folded_words

FACTS_FILE = Path(__file__).with_name("data") / "required_facts.json"
# A capitalised word inside a text (not its first): a product or a person's name.
_NAME = re.compile(r"(?<=[\w,;:(] )[A-ZÀ-Ý][\w'’-]{3,}")


@dataclass(frozen=True)
class RequiredFact:
    name: str
    asks: re.Pattern[str]
    gives: re.Pattern[str] | None
    gives_raw: re.Pattern[str] | None
    echo_names: bool
    # Search terms (stems) that name the fact rather than its subject: "prix", "séance".
    generic: frozenset[str] = frozenset()


@dataclass(frozen=True)
class RequiredFacts:
    facts: tuple[RequiredFact, ...]
    within_best_units: int


def _either(patterns: list[str], words: bool) -> re.Pattern[str] | None:
    if not patterns:
        return None
    if words:  # folded text: every pattern is whole words ("fee" is not in "feels" nor "feet")
        return re.compile("|".join(rf"(?:(?<![a-z0-9]){p}(?![a-z0-9]))" for p in patterns))
    return re.compile("|".join(f"(?:{p})" for p in patterns))


@lru_cache(maxsize=1)
def required_facts(path: Path = FACTS_FILE) -> RequiredFacts:
    """The kinds of fact from the data file, compiled; a malformed file fails loudly at load."""
    data = json.loads(path.read_text(encoding="utf-8"))
    try:
        facts = tuple(
            RequiredFact(
                name=name,
                asks=_either(spec["asks"], words=True) or re.compile(r"(?!)"),
                gives=_either(spec.get("gives", []), words=True),
                gives_raw=_either(spec.get("gives_raw", []), words=False),
                echo_names=bool(spec.get("echo_names", False)),
                generic=frozenset(content_terms(" ".join(spec.get("generic", [])))),
            )
            for name, spec in data["facts"].items()
        )
        within = int(data["within_best_units"])
    except (KeyError, TypeError, ValueError, re.error) as exc:
        raise ValueError(f"{path}: {exc}") from exc
    if within < 1:
        raise ValueError(f"{path}: within_best_units must be at least 1")
    return RequiredFacts(facts, within)


def asked_facts(question: str) -> list[RequiredFact]:
    """The required kinds of fact the question asks for."""
    folded = spaced_folded_words(question)
    return [fact for fact in required_facts().facts if fact.asks.search(folded)]


def _gives(fact: RequiredFact, text: str, folded: str, question_words: set[str]) -> bool:
    if fact.gives is not None and fact.gives.search(folded):
        return True
    if fact.gives_raw is not None and fact.gives_raw.search(text):
        return True
    if fact.echo_names:
        return any(spaced_folded_words(name).strip() in question_words for name in _NAME.findall(text))
    return False


def missing_facts(
    question: str, units: Iterable[tuple[str, str, frozenset[str]]], subject: Iterable[str] = ()
) -> list[str]:
    """The required facts the question asks for that none of ``units`` gives.

    Args:
        question: the patient's message (cleaned).
        units: ``(text, folded text, search terms)`` of the best-scored units, best first; only the
            first ``within_best_units`` are read.
        subject: the question's search terms in the articles' vocabulary. A unit gives a fact only
            if it holds one of them besides the fact's generic words: the price of another treatment
            on the same page ("une injection des lèvres coûte…") does not say what this one costs.
    """
    asked = asked_facts(question)
    if not asked:
        return []
    best = list(islice(units, required_facts().within_best_units))
    question_words = set(spaced_folded_words(question).split())
    subject = set(subject)
    missing = []
    for fact in asked:
        about = subject - fact.generic
        if not any(
            _gives(fact, text, folded, question_words) and (not about or about & terms)
            for text, folded, terms in best
        ):
            missing.append(fact.name)
    return missing
