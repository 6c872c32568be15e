"""Every rule in the rules files keeps its promises: its must_fire examples fire it, its must_not_fire ones do not.

The examples live next to the rules (``bot/data/emergency_rules.json``, ``bot/data/request_rules.json``), so
a rule cannot be added or edited without saying what it is for and what it must leave alone.
"""

from __future__ import annotations

import json

import pytest

from bot.safety import RulesFileError, emergency_rule, load_rule_book, normalise_for_rules

BOOK = load_rule_book()
EMERGENCY_CASES = [(r.name, text, True) for r in BOOK.emergency for text in r.must_fire] + [
    (r.name, text, False) for r in BOOK.emergency for text in r.must_not_fire
]
REQUEST_CASES = [(name, text, True) for name, r in BOOK.requests.items() for text in r.must_fire] + [
    (name, text, False) for name, r in BOOK.requests.items() for text in r.must_not_fire
]


@pytest.mark.parametrize(("name", "text", "fires"), EMERGENCY_CASES)
def test_emergency_rule_examples(name, text, fires):
    rule = next(r for r in BOOK.emergency if r.name == name)
    assert rule.fires(normalise_for_rules(text)) is fires


@pytest.mark.parametrize(("name", "text", "fires"), REQUEST_CASES)
def test_request_rule_examples(name, text, fires):
    assert BOOK.requests[name].fires(normalise_for_rules(text)) is fires


def test_no_must_not_fire_example_raises_any_emergency_rule():
    for rule in BOOK.emergency:
        for text in rule.must_not_fire:
            assert emergency_rule(text) is None, (rule.name, text)


def test_every_rule_has_a_category_and_examples():
    assert len(BOOK.emergency) >= 10
    for rule in BOOK.emergency:
        assert rule.category and len(rule.must_fire) >= 2 and rule.must_not_fire


def _write(tmp_path, rules: list[dict]):
    from bot.safety import EMERGENCY_RULES_FILE, REQUEST_RULES_FILE

    data = json.loads(EMERGENCY_RULES_FILE.read_text(encoding="utf-8"))
    data["rules"] = rules
    path = tmp_path / "emergency_rules.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path, REQUEST_RULES_FILE


@pytest.mark.parametrize(
    ("rules", "message"),
    [
        ([{"name": "x", "category": "burn", "patterns": [" a("], "must_fire": ["a"], "must_not_fire": ["b"]}], "bad regular expression"),
        ([{"name": "x", "category": "burn", "patterns": [" a "], "must_fire": ["a"]}], "must_not_fire"),
        ([{"name": "x", "category": "burn", "patterns": ["@nowhere"], "must_fire": ["a"], "must_not_fire": ["b"]}], "unknown group"),
        ([{"name": "x", "patterns": [" a "], "must_fire": ["a"], "must_not_fire": ["b"]}], "category"),
    ],
)
def test_a_broken_rules_file_is_refused_with_its_name(tmp_path, rules, message):
    path, requests = _write(tmp_path, rules)
    with pytest.raises(RulesFileError, match=message) as info:
        load_rule_book(path, requests)
    assert "emergency_rules.json" in str(info.value)


def test_a_word_the_rules_read_is_never_corrected_into_another():
    """Typo correction must not rewrite a real word a pattern names ("blanched" is one edit from
    "blanche"): every word of every emergency pattern reads back as written."""
    import re

    book = load_rule_book()
    words = {w for rule in book.emergency for p in (rule.pattern, *rule.needs) for w in re.findall(r"[a-z]{5,}", p.pattern)}
    assert len(words) > 200
    changed = [w for w in sorted(words) if normalise_for_rules(w).strip() != w]
    assert changed == []
    assert emergency_rule("got my lips done, the corner is blotchy and blanched and it's throbbing") == "skin_colour_change"


def test_an_elision_typed_without_its_apostrophe_is_read_as_two_words_in_french():
    """"linjection", "jetouffe": the rules read the word after the elision; an English word that happens to
    begin with one of those letters ("sending") is left alone."""
    from bot.safety import emergency_rule, normalise_for_rules

    assert " l injection " in normalise_for_rules("ma lèvre est toute blanche depuis linjection")
    assert emergency_rule("jetouffe depuis le soin") == "breathing_or_throat"
    assert " sending " in normalise_for_rules("I'm sending it all to you tomorrow")
    assert emergency_rule("I'm sending it all to you tomorrow") is None
