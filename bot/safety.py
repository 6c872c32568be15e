"""Deterministic rules checked before any retrieval (the rules themselves are data: ``bot/data/emergency_rules.json``
and ``bot/data/request_rules.json``, each entry with examples that must and must not match).

Emergencies must never depend on a model's mood, so they are caught by
readable rules in French and English, on accent-folded text where typos of the
key words are corrected first ("respier" → "respirer"). The rules name signs
that need urgent care after an aesthetic procedure and suicidal thoughts; they
do not triage. Requests for a personal diagnosis or treatment advice are
recognised the same way and sent to a consultation.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from core.strings import bounded_edit_distance
from core.textnorm import EN_MARKERS, FR_MARKERS, fold, split_words, squeeze_repeats

DATA_DIR = Path(__file__).with_name("data")
EMERGENCY_RULES_FILE = DATA_DIR / "emergency_rules.json"
REQUEST_RULES_FILE = DATA_DIR / "request_rules.json"


class RulesFileError(ValueError):
    """A rules file that cannot be used: its name and what is wrong, in one line."""


@dataclass(frozen=True)
class Negation:
    """Words that, just before a sign, say it is absent ("pas de cloques", "no fever")."""

    before: re.Pattern[str]  # a negation, then at most one word, at the end of the text read
    word: re.Pattern[str]  # the negation alone, read on the whole text so that its exceptions see what follows

    def precedes(self, text: str, position: int) -> bool:
        """A negation stands just before ``position`` ("sans" is one in "sans fièvre", not in "sans arrêt")."""
        found = self.before.search(text, 0, position + 1)
        return found is not None and self.word.match(text, found.start()) is not None


@dataclass(frozen=True)
class Rule:
    """One rule: a name (shown to staff), its category, a test on normalised text, and examples."""

    name: str
    category: str | None
    pattern: re.Pattern[str]
    needs: tuple[re.Pattern[str], ...] = ()
    must_fire: tuple[str, ...] = ()
    must_not_fire: tuple[str, ...] = ()
    negation: Negation | None = None  # None: every mention counts
    # The pattern's alternatives that join two signs across a gap ("fièvre … rouge"), or None.
    joined: re.Pattern[str] | None = None
    # Whether the semantic model may turn this rule's alarm into a caution (the rule gate, bot/triage.py).
    gated: bool = True

    def fires(self, text: str) -> bool:
        return self._present(self.pattern, text, self.joined) and all(self._present(n, text) for n in self.needs)

    def denied(self, text: str) -> bool:
        """The rule's sign is mentioned, and only with a negation ("no fever", "pas de cloques")."""
        return self.pattern.search(text) is not None and not self._present(self.pattern, text, self.joined)

    def _present(self, pattern: re.Pattern[str], text: str, joined: re.Pattern[str] | None = None) -> bool:
        """``pattern`` matches at least once without a negation just before it.

        A match of a ``joined`` alternative names two signs: "gonflé, pas de fièvre" names one and
        denies the other, so the word that ends such a match is read for a negation too.
        """
        if self.negation is None:
            return pattern.search(text) is not None
        position = 0
        while (m := pattern.search(text, position)) is not None:
            position = m.start() + 1  # matches may overlap: a denied sign must not hide the next one
            if self.negation.precedes(text, m.start()):
                continue
            two = joined.match(text, m.start()) if joined is not None else None
            if two is not None and two.end() == m.end():
                last_word = text.rfind(" ", m.start() + 1, m.end() - 1)
                if last_word > m.start() and self.negation.precedes(text, last_word):
                    continue
            return True
        return False

    def matched(self, text: str) -> list[str]:
        """The words of normalised ``text`` that made the rule fire (its pattern's, then each need's)."""
        found = []
        for m in (p.search(text) for p in (self.pattern, *self.needs)):
            if m:  # a pattern may stop inside a word (" suicid"): the whole word is shown
                end = text.find(" ", m.end() - 1) if not text[m.end() - 1].isspace() else m.end()
                found.append(text[m.start() : end if end >= 0 else len(text)].strip())
        return list(dict.fromkeys(w for w in found if w))


@dataclass(frozen=True)
class RuleBook:
    """Everything the rules need, loaded once from the data files."""

    emergency: tuple[Rule, ...]
    requests: dict[str, Rule]
    key_words: frozenset[str]
    protected: frozenset[str]
    key_by_prefix: dict[str, tuple[str, ...]]


# A word written out in a pattern (regular-expression syntax is not a letter run of this length).
_LITERAL_WORD = re.compile(r"[a-z]{5,}")

# A gap of any words inside a pattern ("[a-z ]{0,40}", ".{0,40}"): the pattern joins two signs.
_GAP = re.compile(r"\{0,\d+\}|\.\*|\.\+")


def _expand(patterns: list[str], groups: dict[str, list[str]], where: str) -> list[str]:
    parts: list[str] = []
    for pattern in patterns:
        if pattern.startswith("@"):
            if pattern[1:] not in groups:
                raise RulesFileError(f"{where}: unknown group {pattern!r}")
            parts.extend(groups[pattern[1:]])
        else:
            parts.append(pattern)
    return parts


def _union(parts: list[str], where: str) -> re.Pattern[str]:
    if not parts:
        raise RulesFileError(f"{where}: no pattern")
    try:
        return re.compile("|".join(f"(?:{p})" for p in parts))
    except re.error as exc:
        raise RulesFileError(f"{where}: bad regular expression ({exc})") from exc


def _compile(patterns: list[str], groups: dict[str, list[str]], where: str) -> re.Pattern[str]:
    return _union(_expand(patterns, groups, where), where)


def _negation(words: list[str], where: str) -> Negation | None:
    """How a negation just before a sign is recognised (None: no negation words)."""
    if not words:
        return None
    alternatives = "(?:^| )(?:" + "|".join(f"(?:{w})" for w in words) + ")"
    try:
        return Negation(before=re.compile(alternatives + r"(?: [a-z0-9]+)? ?$"), word=re.compile(alternatives))
    except re.error as exc:
        raise RulesFileError(f"{where}: negations: {exc}") from exc


def _rule(
    entry: dict, groups: dict[str, list[str]], where: str, fire: str = "must_fire",
    negation: Negation | None = None,
) -> Rule:
    miss = "must_not_fire" if fire == "must_fire" else "must_not_match"
    if not entry.get(fire) or not entry.get(miss):
        raise RulesFileError(f"{where}: needs examples in '{fire}' and '{miss}'")
    parts = _expand(entry.get("patterns", []), groups, where)
    joined = [p for p in parts if _GAP.search(p)]
    return Rule(
        name=entry.get("name", ""),
        category=entry.get("category"),
        pattern=_union(parts, where),
        needs=tuple(_compile(group, groups, f"{where} needs") for group in entry.get("needs", [])),
        must_fire=tuple(entry[fire]),
        must_not_fire=tuple(entry[miss]),
        negation=negation,
        joined=_union(joined, where) if joined else None,
        gated=bool(entry.get("gated", True)),
    )


@lru_cache(maxsize=4)
def load_rule_book(emergency_file: Path = EMERGENCY_RULES_FILE, request_file: Path = REQUEST_RULES_FILE) -> RuleBook:
    """Read and check both rules files (a clear :class:`RulesFileError` names the file and the entry)."""
    try:
        em = json.loads(emergency_file.read_text(encoding="utf-8"))
        rq = json.loads(request_file.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise RulesFileError(f"cannot read the rules: {exc}") from exc
    groups = em.get("groups", {})
    negation = _negation(em.get("negations", []), emergency_file.name)
    rules, names = [], set()
    for number, entry in enumerate(em.get("rules", []), 1):
        where = f"{emergency_file.name} rule {number} ({entry.get('name', '?')})"
        if not entry.get("name") or entry["name"] in names or not entry.get("category"):
            raise RulesFileError(f"{where}: needs a unique 'name' and a 'category'")
        names.add(entry["name"])
        rules.append(_rule(entry, groups, where, negation=negation))
    requests = {
        name: _rule({"name": name, **entry}, {}, f"{request_file.name} {name}", fire="must_match")
        for name, entry in rq.get("requests", {}).items()
    }
    for needed in ("personal_advice", "personal_situation", "injection", "off_topic_task", "small_talk"):
        if needed not in requests:
            raise RulesFileError(f"{request_file.name}: missing '{needed}'")
    key_words = em["key_words"]["correct"]
    # A word the rules themselves read is never "corrected" into a neighbour: "blanched" is one edit
    # from "blanche", and the correction made " blanched" unmatchable.
    written = {w for rule in rules for p in (rule.pattern, *rule.needs) for w in _LITERAL_WORD.findall(p.pattern)}
    by_prefix: dict[str, list[str]] = {}
    for word in dict.fromkeys(key_words):
        by_prefix.setdefault(word[:2], []).append(word)
    return RuleBook(
        emergency=tuple(rules),
        requests=requests,
        key_words=frozenset(key_words),
        protected=frozenset(em["key_words"]["protected"]) | frozenset(written),
        key_by_prefix={k: tuple(v) for k, v in by_prefix.items()},
    )


@lru_cache(maxsize=4)
def normalise_for_rules(text: str) -> str:
    """Folded, punctuation-free text where near-misses of key words are corrected.

    One message is read by every rule and request check (five calls for one question); the few
    latest results are kept so the typo correction runs once (1.2 ms a question). Only a handful:
    patients' messages are not held in memory longer than needed.
    """
    book = load_rule_book()
    # "can't" → "cant", "don't" → "dont"; French elisions ("j'ai") become two words.
    folded = re.sub(r"n't\b", "nt", fold(text))
    out = []
    tokens = split_words(folded)
    # The stop words alone tell English from French here: the language model would cost the rules' import.
    french = sum(t in FR_MARKERS for t in tokens) >= sum(t in EN_MARKERS for t in tokens)
    for token in tokens:
        token = squeeze_repeats(token)
        glued = _glued_elision(token, book) if french else None
        if glued:
            # "linjection", "jetouffe": an elision typed without its apostrophe; the rules read the word.
            out.append(token[0])
            token = glued
        if len(token) >= 5 and token not in book.key_words and token not in book.protected:
            limit = 1 if len(token) < 8 else 2
            for key in book.key_by_prefix.get(token[:2], ()):
                if bounded_edit_distance(token, key, limit) <= limit:
                    token = key
                    break
        out.append(token)
    return " " + " ".join(out) + " "


_ELIDED = frozenset("ldjmnst")


def _glued_elision(token: str, book: RuleBook) -> str | None:
    """The word after a French elision typed without its apostrophe ("linjection" → "injection"), when
    that word is one the rules read and the token itself is not; else None. Read in French messages
    only: "sending" is not "s'ending"."""
    if len(token) < 5 or token[0] not in _ELIDED or token[1] not in "aeiouyh":
        return None
    if token in book.key_words or token in book.protected:
        return None
    rest = token[1:]
    return rest if rest in book.key_words or rest in book.protected else None


def emergency_rule(text: str, norm: str | None = None) -> str | None:
    """Name of the first emergency rule that fires, or None (``norm``: the text already normalised)."""
    norm = normalise_for_rules(text) if norm is None else norm
    for rule in load_rule_book().emergency:
        if rule.fires(norm):
            return rule.name
    return None


def emergency_words(text: str, rule_name: str) -> list[str]:
    """The words that made the rule ``rule_name`` fire on ``text``, as the patient wrote them when
    they can be found again (else folded, as the rules read them)."""
    rule = _emergency_rule_named(rule_name)
    if rule is None:
        return []
    return [_as_written(text, phrase) for phrase in rule.matched(normalise_for_rules(text))]


def _as_written(text: str, phrase: str) -> str:
    """``levre est devenue toute blanche`` found back as ``lèvre est devenue toute blanche`` in ``text``."""
    spans = [(m.start(), m.end(), fold(m.group(0))) for m in re.finditer(r"\w+", text)]
    wanted = phrase.split()
    for i in range(len(spans) - len(wanted) + 1):
        if [w for _, _, w in spans[i : i + len(wanted)]] == wanted:
            return text[spans[i][0] : spans[i + len(wanted) - 1][1]]
    return phrase


def denied_sign(norm: str) -> str | None:
    """Name of a rule whose sign the normalised message mentions only to deny it ("no droopy
    eyelids", "pas de fièvre"), or None: the patient says the alarming sign is absent."""
    for rule in load_rule_book().emergency:
        if rule.denied(norm):
            return rule.name
    return None


def _emergency_rule_named(name: str | None) -> Rule | None:
    return next((rule for rule in load_rule_book().emergency if rule.name == name), None)


def rule_category(name: str | None) -> str | None:
    """The emergency message's category for a rule's name."""
    rule = _emergency_rule_named(name)
    return rule.category if rule else None


def rule_is_gated(name: str | None) -> bool:
    """Whether the rule gate may soften this rule's alarm (``"gated": false`` in the rules file: never)."""
    rule = _emergency_rule_named(name)
    return rule is None or rule.gated


def _request(kind: str, text: str) -> bool:
    return load_rule_book().requests[kind].fires(normalise_for_rules(text))


def asks_personal_advice(text: str) -> bool:
    return _request("personal_advice", text)


def tells_personal_situation(text: str) -> bool:
    """The patient names their own medication or treatment and asks whether a care is possible."""
    return _request("personal_situation", text)


def is_prompt_injection(text: str) -> bool:
    return _request("injection", text)


def is_off_topic_task(text: str) -> bool:
    return _request("off_topic_task", text)


def is_small_talk(text: str) -> bool:
    return _request("small_talk", text)
