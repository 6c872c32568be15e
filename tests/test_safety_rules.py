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
