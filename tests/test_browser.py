"""The real app in headless Chromium: what a patient and the staff actually see and click.

Debian's Chromium (``/usr/bin/chromium``) is driven by Playwright; no browser
is ever downloaded. Screenshots land in ``test-artifacts/`` (git-ignored).
"""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
from app_server import STAFF_PASSWORD, app_server_fixture, free_port
from conftest import skip_unless_ci

pytestmark = pytest.mark.browser

try:
    import playwright.sync_api as playwright_api
except ImportError:  # reported by the browser fixture: a skip here, a failure under CI
    playwright_api = None


def expect(locator):
    return playwright_api.expect(locator)

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
FR_QUESTION = "Pourquoi ne proposez-vous pas les exosomes ?"
TIMEOUT_MS = 20_000
# Gradio translates its own labels with the browser's language (the tests browse in French).
LIKE_BUTTON = '#faq-chat button[aria-label="J\'aime"], #faq-chat button[aria-label="Like"]'
DISLIKE_BUTTON = (
    '#faq-chat button[aria-label="Je n\'aime pas"], #faq-chat button[aria-label="Dislike"], '
    '#faq-chat button[aria-label="Disliked"]'
)
LOGIN_BUTTON = re.compile(r"^(Connexion|Login)$")

# The clinic's site that embeds the chat: another origin, allowed by FAQBOT_FRAME_ANCESTORS.
SITE_PORT = free_port()
SITE = f"http://127.0.0.1:{SITE_PORT}"
server = app_server_fixture(scope="module", extra_env={"FAQBOT_FRAME_ANCESTORS": f"'self' {SITE}"})


@pytest.fixture(scope="module")
def browser():
    if playwright_api is None:
        skip_unless_ci("playwright is not installed: scripts/setup.sh --dev installs it")
    if not Path(CHROMIUM).exists():
        skip_unless_ci(f"{CHROMIUM} is not installed: scripts/setup.sh --dev installs Debian's chromium")
    ARTIFACTS.mkdir(exist_ok=True)
    with playwright_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="fr-FR")
    context.set_default_timeout(TIMEOUT_MS)
    pg = context.new_page()
    yield pg
    context.close()


def open_chat(page, base: str):
    page.goto(base + "/")
    box = page.get_by_label("Votre question")
    box.wait_for()
    return box


def bot_messages(page):
    return page.locator('#faq-chat [data-testid="bot"]')


def user_messages(page):
    return page.locator('#faq-chat [data-testid="user"]')


def ask(page, box, text: str):
    """Type a question, press Enter and wait for the new bot message; return it."""
    before = bot_messages(page).count()
    box.fill(text)
    box.press("Enter")
    expect(bot_messages(page)).to_have_count(before + 1)
    return bot_messages(page).last


def shot(page, name: str) -> None:
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def staff_client(base: str):
    from gradio_client import Client

    return Client(base + "/staff/", auth=("staff", STAFF_PASSWORD), verbose=False)


def staff_login(page, base: str) -> None:
    """Gradio's login form (labels translated with the browser's language, so found by input type)."""
    page.goto(base + "/staff/")
    page.locator('input[type="text"]').first.fill("equipe")
    page.locator('input[type="password"]').fill(STAFF_PASSWORD)
    page.get_by_role("button", name=LOGIN_BUTTON).click()
    page.get_by_label("Question à tester").wait_for()


# --- patient chat -------------------------------------------------------------------------


def test_welcome_and_emergency_footer(page, server):
    open_chat(page, server)
    expect(bot_messages(page).first).to_contain_text("Bonjour ! Je suis l'assistant automatique")
    expect(bot_messages(page).first).to_contain_text("uniquement à partir des articles de la clinique")
    footer = page.locator("#faq-footer")
    expect(footer).to_be_visible()
    for number in ("15", "112", "3114"):
        expect(footer.locator(f'a[href="tel:{number}"]')).to_have_text(number)
    # Nothing to rate in the welcome message.
    expect(page.locator(LIKE_BUTTON).locator("visible=true")).to_have_count(0)
    shot(page, "welcome")


def test_french_answer_links_to_the_quote_on_the_published_page(page, server):
    box = open_chat(page, server)
    ask(page, box, FR_QUESTION)
    answer = page.locator(".faq-answer").last
    answer.wait_for()
    expect(answer).to_contain_text("Voici ce que disent nos articles")
    # The article's published address, with a text fragment that scrolls to the quote.
    links = answer.locator('a[href^="https://clinique.example/articles/exosomes#:~:text="]')
    expect(links.first).to_be_visible()
    shot(page, "answer-fr")

    # The app keeps its own copy of every article, for articles without an address.
    page.goto(server + "/articles/exosomes.md")
    expect(page.locator("h1")).to_have_text("Les exosomes en médecine esthétique : où en est-on ?")
    shot(page, "article")


def test_example_button_asks_its_question(page, server):
    open_chat(page, server)
    before = bot_messages(page).count()
    example = "Combien de séances de microneedling faut-il prévoir ?"
    page.get_by_role("button", name=example).click()
    expect(bot_messages(page)).to_have_count(before + 1)
    expect(user_messages(page).last).to_have_text(example)
    expect(bot_messages(page).last.locator(".faq-answer, .faq-no-answer")).to_have_count(1)


def test_thumbs_up_is_recorded_for_staff(page, server):
    box = open_chat(page, server)
    question = "Le laser est-il possible sur une peau bronzée ?"
    ask(page, box, question)
    like = page.locator(LIKE_BUTTON).last
    expect(page.locator(LIKE_BUTTON).locator("visible=true")).to_have_count(1)
    like.click()
    client = staff_client(server)
    deadline = time.monotonic() + 15
    rated = []
    while time.monotonic() < deadline:
        _unanswered, feedback = client.predict(api_name="/staff_lists")
        rated = [r for r in feedback["data"] if r[0] == question]
        if rated:
            break
        time.sleep(0.5)
    assert rated, f"no feedback recorded for {question!r}: {feedback['data']}"
    assert rated[0][1].startswith("👍"), rated


def _ratings_of(server, question: str, expected: list[str]) -> list[str]:
    """The staff view's ratings of ``question``, polled until they equal ``expected`` (or 15 s pass)."""
    client = staff_client(server)
    deadline = time.monotonic() + 15
    seen: list[str] = []
    while time.monotonic() < deadline:
        _unanswered, feedback = client.predict(api_name="/staff_lists")
        seen = [r[1].split()[0] for r in feedback["data"] if r[0] == question]
        if seen == expected:
            break
        time.sleep(0.5)
    return seen


def test_one_rating_per_answer_changed_and_undone(page, server):
    box = open_chat(page, server)
    question = "Combien de séances de laser vasculaire faut-il ?"
    ask(page, box, question)
    page.locator(LIKE_BUTTON).last.click()
    assert _ratings_of(server, question, ["👍"]) == ["👍"]
    page.locator(DISLIKE_BUTTON).last.click()
    assert _ratings_of(server, question, ["👎"]) == ["👎"]
    page.locator(DISLIKE_BUTTON).last.click()  # the same button again takes the rating back
    assert _ratings_of(server, question, []) == []


def test_typed_html_is_shown_as_text_and_never_run(page, server):
    box = open_chat(page, server)
    for text in ('<img src=x onerror="window.__xss=1">', "<script>window.__xss=2</script>"):
        ask(page, box, text)
        expect(user_messages(page).last).to_contain_text(text)
    page.wait_for_timeout(300)
    assert page.evaluate("window.__xss") is None
    assert page.locator("#faq-chat img[src='x']").count() == 0
    shot(page, "xss")


def test_emergency_box_is_an_alert(page, server):
    box = open_chat(page, server)
    ask(page, box, "j'ai du mal à respirer depuis mon injection")
    alert = page.locator('.faq-emergency[role="alert"]').last
    expect(alert).to_be_visible()
    for number in ("15", "112", "3114"):
        expect(alert.locator(f'a[href="tel:{number}"]').first).to_be_visible()
    shot(page, "emergency")


def test_phone_width(browser, server):
    context = browser.new_context(viewport={"width": 375, "height": 800}, is_mobile=True, has_touch=True)
    context.set_default_timeout(TIMEOUT_MS)
    pg = context.new_page()
    try:
        box = open_chat(pg, server)
        ask(pg, box, FR_QUESTION)
        answer = pg.locator(".faq-answer").last
        expect(answer).to_be_visible()
        answer.scroll_into_view_if_needed()
        pg.screenshot(path=str(ARTIFACTS / "phone-375.png"))
        width = pg.evaluate("document.documentElement.scrollWidth")
        assert width <= 380, f"the chat scrolls sideways on a phone: {width}px wide"
    finally:
        context.close()


def test_embed_example(page, server, tmp_path):
    """The clinic's site (an allowed origin) frames the chat; a page from anywhere else cannot."""
    import functools
    import http.server
    import threading

    source = (ROOT / "examples" / "embed.html").read_text(encoding="utf-8")
    assert "http://127.0.0.1:7860/" in source
    embed = tmp_path / "embed.html"
    embed.write_text(source.replace("http://127.0.0.1:7860/", server + "/"), encoding="utf-8")
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(tmp_path))
    site = http.server.ThreadingHTTPServer(("127.0.0.1", SITE_PORT), handler)
    threading.Thread(target=site.serve_forever, daemon=True).start()
    try:
        page.goto(f"{SITE}/embed.html")
        frame = page.frame_locator("iframe.faq-frame")
        expect(frame.get_by_label("Votre question")).to_be_visible()
        shot(page, "embed")
    finally:
        site.shutdown()
        site.server_close()
    page.goto(embed.as_uri())  # not an allowed ancestor: the browser refuses to show the chat
    page.wait_for_timeout(1500)
    expect(page.frame_locator("iframe.faq-frame").get_by_label("Votre question")).to_have_count(0)


# --- staff view ---------------------------------------------------------------------------


def test_staff_login_and_trace(page, server):
    page.goto(server + "/staff/")
    expect(page.locator('input[type="password"]')).to_be_visible()
    expect(page.get_by_label("Question à tester")).to_have_count(0)
    staff_login(page, server)
    expect(page.get_by_role("tab", name="Tester une question")).to_be_visible()
    page.get_by_label("Question à tester").fill(FR_QUESTION)
    page.get_by_role("button", name="Voir la réponse et sa trace").click()
    expect(page.locator(".faq-answer").last).to_be_visible()
    expect(page.locator(".staff-decision")).to_contain_text("Répondu : l'article")
    expect(page.locator(".staff-passages").filter(has_text="exosomes.md")).to_be_visible()
    shot(page, "staff-trace")


def test_staff_lists_show_patient_text_literally(page, server):
    from gradio_client import Client

    payload = '<img src=x onerror="window.__xss=3"> tarif du parking ?'
    Client(server, verbose=False).predict(payload, api_name="/ask")
    staff_login(page, server)
    page.get_by_role("tab", name="Réponses aux patients").click()
    page.get_by_role("button", name="Actualiser la liste").first.click()
    row = page.locator('[role="gridcell"]').filter(has_text="tarif du parking").filter(visible=True)
    expect(row.first).to_be_visible()
    expect(row.first).to_contain_text('<img src=x onerror="window.__xss=3">')
    page.wait_for_timeout(300)
    assert page.evaluate("window.__xss") is None
    shot(page, "staff-lists")


def test_page_language_is_french(page, server):
    """Screen readers pick their voice from the page's language."""
    open_chat(page, server)
    page.wait_for_function("document.documentElement.lang === 'fr'", timeout=15000)
