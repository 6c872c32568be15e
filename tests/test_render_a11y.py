"""What the chat's HTML says to a patient: readable texts, no raw links, no emoji boxes.

Plain string checks on ``ui/render.py``; the browser checks (axe-core, keyboard) are in
``test_browser.py``.
"""

from __future__ import annotations

import re

import pytest

from bot.answer import EMERGENCY, NO_ANSWER, Answer
from bot.messages import emergency_text, text
from core.settings import load_settings
from ui.render import EMOJI, answer_html

NESTED_BRACKETS = re.compile(r"\([^()]*\([^()]*\)[^()]*\)")


@pytest.fixture
def settings():
    return load_settings(env={})


def visible_text(html: str) -> str:
    """The text a patient reads: tags removed (attributes such as href are not read)."""
    return re.sub(r"<[^>]+>", "", html)


@pytest.mark.parametrize("reason", ["not_in_articles", "personal_medical_advice", "out_of_scope"])
@pytest.mark.parametrize("language", ["fr", "en"])
def test_refusal_links_instead_of_raw_addresses_and_no_nested_brackets(settings, reason, language):
    answer = Answer("q", NO_ANSWER, reason, language, text(reason, language, settings))
    html = answer_html(answer, settings)
    shown = visible_text(html)
    assert "http" not in shown, shown
    assert not NESTED_BRACKETS.search(shown), shown
    expected = settings.contact_url if reason == "out_of_scope" else settings.booking_url
    assert f'href="{expected}"' in html
    assert 'href="tel:0123456789"' in html


@pytest.mark.parametrize("category", [None, "suicidal", "breathing"])
@pytest.mark.parametrize("language", ["fr", "en"])
def test_emergency_reply_has_no_emoji_and_a_headline(settings, category, language):
    answer = Answer("q", EMERGENCY, "rule", language, emergency_text(category, language, settings), category=category)
    html = answer_html(answer, settings)
    assert not EMOJI.search(html), html
    assert '<p class="faq-alert-title"><strong>' in html
    assert 'role="alert"' in html


def test_caution_box_has_no_emoji(settings):
    answer = Answer(
        "q", "answered", None, "fr", "Voici ce que disent nos articles :\n\nUne phrase.",
        caution=True, caution_text="⚠️ " + text("caution", "fr", settings),
    )
    html = answer_html(answer, settings)
    assert not EMOJI.search(html)
    assert "faq-alert-title" in html and "Si cela vous arrive maintenant" in html
