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
# The rating buttons keep one French name each and say whether they are pressed (ui/a11y.py).
LIKE_BUTTON = '#faq-chat button.faq-rating[aria-label="Réponse utile"]'
DISLIKE_BUTTON = '#faq-chat button.faq-rating[aria-label="Réponse pas utile"]'
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
    assert rated[0][1] == "utile", rated


def _ratings_of(server, question: str, expected: list[str]) -> list[str]:
    """The staff view's ratings of ``question``, polled until they equal ``expected`` (or 15 s pass)."""
    client = staff_client(server)
    deadline = time.monotonic() + 15
    seen: list[str] = []
    while time.monotonic() < deadline:
        _unanswered, feedback = client.predict(api_name="/staff_lists")
        seen = [r[1] for r in feedback["data"] if r[0] == question]
        if seen == expected:
            break
        time.sleep(0.5)
    return seen


def test_one_rating_per_answer_changed_and_undone(page, server):
    box = open_chat(page, server)
    question = "Combien de séances de laser vasculaire faut-il ?"
    ask(page, box, question)
    like, dislike = page.locator(LIKE_BUTTON).last, page.locator(DISLIKE_BUTTON).last
    expect(like).to_have_attribute("aria-pressed", "false")
    like.click()
    assert _ratings_of(server, question, ["utile"]) == ["utile"]
    expect(like).to_have_attribute("aria-pressed", "true")
    dislike.click()
    assert _ratings_of(server, question, ["pas utile"]) == ["pas utile"]
    expect(dislike).to_have_attribute("aria-pressed", "true")
    expect(like).to_have_attribute("aria-pressed", "false")
    dislike.click()  # the same button again takes the rating back
    assert _ratings_of(server, question, []) == []
    expect(dislike).to_have_attribute("aria-pressed", "false")


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


# --- accessibility (WCAG 2.2 AA) ------------------------------------------------------------

# Every WCAG 2.0, 2.1 and 2.2 rule of levels A and AA that axe-core checks (axe-core ships inside
# the axe-playwright-python package: nothing is fetched).
AXE_OPTIONS = {
    "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa"]},
    "resultTypes": ["violations"],
}
WIDTHS = {"desktop": (1366, 900), "phone": (390, 844)}
EMERGENCY_QUESTION = "j'ai du mal à respirer depuis mon injection"
# Gradio's own names, in English or as untranslated keys, that a screen reader must not read out.
GRADIO_ENGLISH = ("Like", "Dislike", "Liked", "Disliked", "Clear", "common.", "chatbot.", "Copy table data",
                  "Fullscreen", "Empty value", "Collapse", "Click to upload", "chatbot conversation", "'s message",
                  "Line number", "More tabs", "Open cell menu", "Table actions", "File upload")


def assert_no_axe_violations(page, where: str) -> None:
    axe = pytest.importorskip("axe_playwright_python.sync_playwright")
    page.wait_for_timeout(300)  # let transitions end: axe measures colours as they are drawn
    violations = axe.Axe().run(page, options=AXE_OPTIONS).response["violations"]
    found = [
        f"{v['id']} ({v['impact']}): {v['help']} — "
        + "; ".join(f"{n['target']} {n['failureSummary'].splitlines()[-1].strip()}" for n in v["nodes"][:5])
        for v in violations
    ]
    assert not found, f"axe-core on {where}:\n" + "\n".join(found)


def assert_no_english_names(page, where: str) -> None:
    """Every aria-label and title of the page is French (whatever the browser's language)."""
    names = page.evaluate(
        """() => [...document.querySelectorAll('[aria-label], [title], [aria-roledescription]')]
               .flatMap((e) => ['aria-label', 'title', 'aria-roledescription'].map((a) => e.getAttribute(a)))
               .filter(Boolean)"""
    )
    texts = page.evaluate("document.body.innerText")
    english = [n for n in names if any(word in n for word in GRADIO_ENGLISH)]
    english += [word for word in ("common.", "chatbot.") if word in texts]
    assert not english, f"names not in French on {where}: {english}"


def sized_page(browser, width: int, height: int, locale: str = "fr-FR"):
    context = browser.new_context(viewport={"width": width, "height": height}, locale=locale)
    context.set_default_timeout(TIMEOUT_MS)
    return context, context.new_page()


@pytest.mark.parametrize("size", WIDTHS)
def test_axe_patient_chat(browser, server, size):
    """No axe-core violation on the chat: at rest, after an answer and after an emergency reply."""
    width, height = WIDTHS[size]
    context, pg = sized_page(browser, width, height)
    try:
        box = open_chat(pg, server)
        assert_no_axe_violations(pg, f"/ at {width} px")
        shot(pg, f"a11y-chat-{width}")
        ask(pg, box, FR_QUESTION)
        pg.locator(".faq-answer").last.wait_for()
        assert_no_axe_violations(pg, f"/ after an answer at {width} px")
        shot(pg, f"a11y-answer-{width}")
        ask(pg, box, EMERGENCY_QUESTION)
        pg.locator(".faq-emergency").last.wait_for()
        assert_no_axe_violations(pg, f"/ after an emergency reply at {width} px")
        pg.screenshot(path=str(ARTIFACTS / f"a11y-emergency-{width}.png"))
        assert_no_english_names(pg, f"/ at {width} px")
    finally:
        context.close()


@pytest.mark.parametrize("size", WIDTHS)
def test_axe_article_page(browser, server, size):
    width, height = WIDTHS[size]
    context, pg = sized_page(browser, width, height)
    try:
        pg.goto(server + "/articles/exosomes.md")
        expect(pg.locator("h1")).to_be_visible()
        assert_no_axe_violations(pg, f"an article page at {width} px")
        shot(pg, f"a11y-article-{width}")
    finally:
        context.close()


@pytest.mark.parametrize("size", WIDTHS)
def test_axe_staff_login_page(browser, server, size):
    """The staff view before signing in: Gradio's login page, given a title by the app."""
    width, height = WIDTHS[size]
    context, pg = sized_page(browser, width, height)
    try:
        pg.goto(server.rstrip("/") + "/staff/")
        expect(pg.get_by_role("button").first).to_be_visible(timeout=30000)
        assert pg.title().startswith("Vue équipe")
        assert_no_axe_violations(pg, f"/staff/ login page at {width} px")
    finally:
        context.close()


@pytest.mark.parametrize("size", WIDTHS)
def test_axe_staff_view(browser, server, size):
    """The staff view, logged in: every tab, and the trace of a question."""
    width, height = WIDTHS[size]
    context, pg = sized_page(browser, width, height)
    try:
        staff_login(pg, server)
        assert_no_axe_violations(pg, f"/staff/ at {width} px")
        pg.get_by_label("Question à tester").fill(FR_QUESTION)
        pg.get_by_role("button", name="Voir la réponse et sa trace").click()
        expect(pg.locator(".faq-answer").last).to_be_visible()
        assert_no_axe_violations(pg, f"/staff/ with a trace at {width} px")
        shot(pg, f"a11y-staff-{width}")
        for tab in ("Réponses aux patients", "À vérifier", "Mes tests", "Questions sans réponse", "Avis des patients",
                    "Évaluation", "Index"):
            more = pg.get_by_role("button", name="Autres onglets")
            if more.count() and more.is_visible():  # on a phone the other tabs are behind this menu
                more.click()
                pg.get_by_role("button", name=tab, exact=True).last.click()
            else:
                pg.get_by_role("tab", name=tab).click()
            pg.wait_for_timeout(500)
            assert_no_axe_violations(pg, f"/staff/ tab {tab!r} at {width} px")
            assert_no_english_names(pg, f"/staff/ tab {tab!r}")
    finally:
        context.close()


def test_gradio_labels_are_french_in_an_english_browser(browser, server):
    """The page is French: Gradio's own labels are too, whatever the browser's language."""
    context, pg = sized_page(browser, 1366, 900, locale="en-US")
    try:
        box = open_chat(pg, server)
        ask(pg, box, FR_QUESTION)
        like = pg.locator(LIKE_BUTTON).last
        expect(like).to_be_visible()
        like.click()
        expect(like).to_have_attribute("aria-pressed", "true")
        expect(pg.locator('#faq-chat button[aria-label="Effacer la conversation"]')).to_have_count(1)
        expect(pg.locator('[role="log"]')).to_have_attribute("aria-label", "Conversation avec l'assistant")
        pg.wait_for_function("document.documentElement.lang === 'fr'")
        assert_no_english_names(pg, "/ in an English browser")
    finally:
        context.close()


def _luminance(rgb: tuple[float, ...]) -> float:
    def channel(c: float) -> float:
        c /= 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(c) for c in rgb[:3])
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: str, b: str) -> float:
    """WCAG contrast ratio of two CSS ``rgb(…)`` colours."""
    la, lb = (_luminance(tuple(float(x) for x in re.findall(r"[\d.]+", c)[:3])) for c in (a, b))
    return (max(la, lb) + 0.05) / (min(la, lb) + 0.05)


def test_contrast_of_placeholder_boundaries_and_focus_ring(page, server):
    """What axe-core does not measure: placeholder, control boundary and focus indicator contrasts."""
    box = open_chat(page, server)
    style = page.evaluate(
        """() => {
            const box = document.querySelector('#faq-question textarea');
            const s = getComputedStyle(box), p = getComputedStyle(box, '::placeholder');
            return {placeholder: p.color, background: s.backgroundColor, border: s.borderTopColor};
        }"""
    )
    page_background = "rgb(255, 255, 255)"
    assert contrast(style["placeholder"], style["background"]) >= 4.5, style
    assert contrast(style["border"], page_background) >= 3, style
    box.focus()
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Tab")  # focused from the keyboard: :focus-visible applies
    ring = page.evaluate(
        "(() => { const s = getComputedStyle(document.activeElement);"
        " return {tag: document.activeElement.tagName, color: s.outlineColor, style: s.outlineStyle,"
        " width: parseFloat(s.outlineWidth)}; })()"
    )
    assert ring["tag"] == "TEXTAREA", ring
    assert ring["style"] != "none" and ring["width"] >= 2, ring
    assert contrast(ring["color"], page_background) >= 3, ring


def _focus_is_visible(page) -> bool:
    return page.evaluate(
        """() => { const s = getComputedStyle(document.activeElement);
                   return (s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2) || s.boxShadow !== 'none'; }"""
    )


def _active(page) -> dict:
    return page.evaluate(
        """() => { const e = document.activeElement;
                   return {tag: e.tagName, label: e.getAttribute('aria-label') || '', text: (e.innerText || '').trim(),
                           href: e.getAttribute('href') || '', rating: e.classList.contains('faq-rating'),
                           inAnswer: !!e.closest('.faq-answer')}; }"""
    )


def test_keyboard_only_walk(page, server):
    """Tab to the question box, type, Enter; then reach the answer's citation link and the rating buttons."""
    page.goto(server + "/")
    page.get_by_label("Votre question").wait_for()
    # Start from the top of the page, as after loading it (the question box has autofocus).
    page.evaluate("document.body.setAttribute('tabindex', '-1'); document.body.focus()")
    for _ in range(40):
        page.keyboard.press("Tab")
        assert _focus_is_visible(page), f"focus not visible on {_active(page)}"
        if _active(page)["tag"] == "TEXTAREA":
            break
    else:
        pytest.fail("the question box is not reachable with Tab")
    before = bot_messages(page).count()
    page.keyboard.type(FR_QUESTION)
    page.keyboard.press("Enter")
    expect(bot_messages(page)).to_have_count(before + 1)
    page.locator(".faq-answer").last.wait_for()
    shot(page, "keyboard-answer")
    # The reply sits above the question box: Shift+Tab walks back through it.
    seen = []
    for _ in range(30):
        page.keyboard.press("Shift+Tab")
        active = _active(page)
        seen.append(active)
        assert _focus_is_visible(page), f"focus not visible on {active}"
        if active["inAnswer"] and active["href"].startswith("https://clinique.example/articles/"):
            break
    ratings = [a["label"] for a in seen if a["rating"]]
    assert ratings == ["Réponse utile", "Réponse pas utile"], seen
    assert seen[-1]["inAnswer"] and seen[-1]["href"], f"no citation link reached: {seen}"
    shot(page, "keyboard-citation")
    # Back to the "useful" button and press it with the keyboard.
    for _ in range(len(seen)):
        page.keyboard.press("Tab")
        if _active(page)["label"] == "Réponse utile":
            break
    page.keyboard.press("Enter")
    expect(page.locator(LIKE_BUTTON).last).to_have_attribute("aria-pressed", "true")


def test_phone_first_screen_and_nothing_over_the_newest_reply(browser, server):
    """390 × 844: emergency numbers without scrolling; the chat's label and buttons never cover a reply."""
    context, pg = sized_page(browser, 390, 844)
    try:
        box = open_chat(pg, server)
        urgent = pg.locator("#faq-urgent")
        for link in (urgent.locator('a[href="tel:15"]'), urgent.locator('a[href="tel:112"]'),
                     urgent.locator('a[href^="tel:0"]')):
            rect = link.bounding_box()
            assert rect and rect["y"] >= 0 and rect["y"] + rect["height"] <= 844, rect
            assert rect["width"] >= 24 and rect["height"] >= 24, rect
        ask(pg, box, EMERGENCY_QUESTION)
        headline = pg.locator(".faq-emergency .faq-alert-title").last
        expect(headline).to_be_visible()
        pg.wait_for_timeout(400)
        pg.screenshot(path=str(ARTIFACTS / "a11y-phone-emergency.png"))
        check = pg.evaluate(
            """() => {
                const log = document.querySelector('#faq-chat [role="log"]').getBoundingClientRect();
                const head = [...document.querySelectorAll('.faq-emergency .faq-alert-title')].pop();
                const h = head.getBoundingClientRect();
                const over = (r) => !(r.bottom <= log.top || r.top >= log.bottom || r.right <= log.left || r.left >= log.right);
                const floating = [...document.querySelectorAll('#faq-chat [data-testid="block-label"], #faq-chat .icon-button-wrapper.top-panel')]
                    .filter((e) => e.getClientRects().length && over(e.getBoundingClientRect()));
                const hit = document.elementFromPoint(h.left + Math.min(20, h.width / 2), h.top + h.height / 2);
                return {headlineInLog: h.top >= log.top - 1 && h.top < log.bottom, covered: !head.contains(hit),
                        floating: floating.map((e) => e.className)};
            }"""
        )
        assert check == {"headlineInLog": True, "covered": False, "floating": []}, check
    finally:
        context.close()


def test_targets_are_at_least_24_px(page, server):
    box = open_chat(page, server)
    ask(page, box, FR_QUESTION)
    page.locator(".faq-answer").last.wait_for()
    small = page.evaluate(
        """() => [...document.querySelectorAll('#faq-chat button, .faq-sources a, .faq-answer summary, #faq-urgent a, #faq-footer a')]
               .filter((e) => e.getClientRects().length)
               .map((e) => { const r = e.getBoundingClientRect(); return [e.getAttribute('aria-label') || e.innerText, r.width, r.height]; })
               .filter(([, w, h]) => w < 24 || h < 24)"""
    )
    assert not small, small
