"""The staff view in headless Chromium, task by task, as clinic staff would do them:
find a patient's answer, grade it, keep it as a test, re-run the tests after an
article changed and see what got worse, roll the index back and see it get
better; group the unanswered questions and try one; a patient's comment.

Screenshots at 1366 px wide land in ``test-artifacts/``.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from app_server import CONTENT, STAFF_PASSWORD, running_app

pytestmark = pytest.mark.browser

playwright_api = pytest.importorskip("playwright.sync_api")
expect = playwright_api.expect

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-quic"]
TIMEOUT_MS = 30_000
LIKE_BUTTON = '#faq-chat button.faq-rating[aria-label="Réponse utile"]'
DISLIKE_BUTTON = '#faq-chat button.faq-rating[aria-label="Réponse pas utile"]'
REPLIES = "#faq-chat .faq-answer, #faq-chat .faq-no-answer, #faq-chat .faq-emergency"
SESSIONS = "Combien de séances de microneedling faut-il prévoir ?"
SESSIONS_QUOTE = "Le nombre de séances de microneedling dépend du problème traité"
ARTICLE = "microneedling-medical.md"



@pytest.fixture(scope="module")
def content_copy(tmp_path_factory) -> Path:
    """The articles the app reads: a copy the tests may edit (to change an answer, then roll back)."""
    copy = tmp_path_factory.mktemp("staff") / "content"
    shutil.copytree(CONTENT, copy)
    return copy


@pytest.fixture(scope="module")
def server(content_copy):
    try:
        with running_app(content_dir=content_copy) as url:
            yield url
    except RuntimeError as exc:
        pytest.fail(str(exc), pytrace=False)


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is not installed")
    ARTIFACTS.mkdir(exist_ok=True)
    with playwright_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()


@pytest.fixture
def page(browser):
    # The width of a clinic's laptop screen.
    context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="fr-FR")
    context.set_default_timeout(TIMEOUT_MS)
    pg = context.new_page()
    yield pg
    context.close()


def shot(page, name: str) -> None:
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def login(page, base: str) -> None:
    page.goto(base + "/staff/")
    page.locator('input[type="text"]').first.fill("equipe")
    page.locator('input[type="password"]').fill(STAFF_PASSWORD)
    page.get_by_role("button", name="Connexion").or_(page.get_by_role("button", name="Login")).click()
    page.get_by_label("Question à tester").wait_for()


TAB_IDS = {"Tester une question": "tester", "Réponses aux patients": "log", "À vérifier": "queue",
           "Mes tests": "mytests", "Questions sans réponse": "gaps", "Avis des patients": "ratings",
           "Évaluation": "eval", "Index": "index"}


def tab_panel(page, name: str):
    return page.locator(f"#staff-tab-{TAB_IDS[name]}")


def open_tab(page, name: str):
    page.get_by_role("tab", name=name).click()
    return tab_panel(page, name)


def patient_asks(page, base: str, question: str, reload: bool = True) -> None:
    if reload:
        page.goto(base + "/")
    box = page.get_by_label("Votre question")
    replies = page.locator(REPLIES)
    before = replies.count()
    box.fill(question)
    box.press("Enter")
    expect(replies).to_have_count(before + 1)


def choose(page, panel, label: str, option: str) -> None:
    """Pick ``option`` (a part of its text) in the Gradio drop-down labelled ``label``."""
    panel.get_by_label(label).click()
    page.get_by_role("option").filter(has_text=option).first.click()


def row(panel, text: str):
    return panel.locator('[role="gridcell"]').filter(has_text=text).filter(visible=True).first


def result_row(panel, question: str, text: str):
    """A table row holding ``question`` and ``text`` (the changes or the results of a run)."""
    return panel.locator('[role="row"]').filter(has_text=question).filter(has_text=text).filter(visible=True).first


def rerun_tests(page):
    panel = open_tab(page, "Mes tests")
    panel.get_by_role("button", name="Relancer mes tests").click()
    return panel


def edit_article(content: Path, remove: str) -> str:
    """Remove the paragraph holding ``remove`` from the article; return the article as it was."""
    path = content / ARTICLE
    text = path.read_text(encoding="utf-8")
    start = text.index(remove)
    path.write_text(text[:start] + text[text.index("\n", start):], encoding="utf-8")
    return text


@pytest.mark.timeout(900)  # two index updates and three runs of the tests on a shared machine
def test_grade_an_answer_keep_it_as_a_test_and_follow_it_through_an_article_change(page, server, content_copy):
    patient_asks(page, server, SESSIONS)
    login(page, server)

    # 1. Find the patient's answer in the log and read why it was given.
    panel = open_tab(page, "Réponses aux patients")
    panel.get_by_role("button", name="Actualiser la liste").click()
    row(panel, SESSIONS).click()
    expect(panel.locator(".staff-decision")).to_contain_text("Répondu : l'article « Le microneedling médical")
    expect(panel.locator(".staff-decision")).to_contain_text("confiance")
    expect(panel.locator(".staff-reply")).to_contain_text("Le nombre de séances de microneedling")
    expect(panel.locator(".staff-passages mark").first).to_be_visible()
    expect(panel.get_by_text("answerable_probability")).to_have_count(0)  # behind "Détails techniques"
    shot(page, "staff-log-answer")

    # 2. Grade it and keep it as a test, with the passage that must be quoted.
    panel.get_by_label("Acceptable").check()
    panel.get_by_label("Note (facultative)").fill("Juste, mais pourrait donner un nombre.")
    panel.get_by_role("button", name="Enregistrer l'avis").click()
    expect(panel.get_by_text("Avis « Acceptable » enregistré.")).to_be_visible()
    expect(panel.get_by_label("Article attendu")).to_have_value(f"Le microneedling médical : principe, déroulement et suites ({ARTICLE})")
    choose(page, panel, "Extrait attendu", SESSIONS_QUOTE)
    panel.get_by_role("button", name="Enregistrer dans Mes tests").click()
    expect(panel.get_by_text("enregistré dans « Mes tests »")).to_be_visible()
    panel.get_by_role("button", name="Actualiser la liste").click()
    expect(row(panel, "Acceptable")).to_be_visible()

    # 3. Run "Mes tests": the new test passes.
    tests = rerun_tests(page)
    expect(result_row(tests, SESSIONS, "réussi")).to_be_visible()

    # 4. The article loses its answer; after an update the test got worse.
    original = edit_article(content_copy, SESSIONS_QUOTE)
    index = open_tab(page, "Index")
    index.get_by_role("button", name="Réindexer maintenant").click()
    expect(index.get_by_text("Index mis à jour : nouvelle version")).to_be_visible(timeout=120_000)
    tests = rerun_tests(page)
    expect(tests.get_by_text(re.compile(r"[1-9]\d* dégradé\(s\)"))).to_be_visible()
    expect(result_row(tests, SESSIONS, "dégradé")).to_be_visible()
    expect(result_row(tests, SESSIONS, "l'extrait attendu n'est pas cité")).to_be_visible()
    shot(page, "staff-my-tests-worse")

    # 5. Roll the index back (with a confirmation): the test is better again.
    index = open_tab(page, "Index")
    index.get_by_role("button", name="Revenir à la version précédente").click()
    expect(index.get_by_text("Confirmer ?")).to_be_visible()
    shot(page, "staff-rollback-confirm")
    index.get_by_role("button", name="Oui, revenir à la version précédente").click()
    expect(index.get_by_text("est de nouveau en service")).to_be_visible()
    expect(row(index, "retour à la version")).to_be_visible()
    tests = rerun_tests(page)
    expect(tests.get_by_text(re.compile(r"[1-9]\d* amélioré\(s\)"))).to_be_visible()
    expect(result_row(tests, SESSIONS, "amélioré")).to_be_visible()
    (content_copy / ARTICLE).write_text(original, encoding="utf-8")  # the next update keeps the answer
    shot(page, "staff-my-tests-better")


def test_grade_in_the_tester_and_save_a_no_answer_test(page, server):
    login(page, server)
    panel = open_tab(page, "Tester une question")
    panel.get_by_label("Question à tester").fill("Faites-vous la rhinoplastie ?")
    panel.get_by_role("button", name="Voir la réponse et sa trace").click()
    expect(panel.locator(".staff-decision")).to_have_text(
        "Pas de réponse : « rhinoplastie » n'apparaît dans aucun article")
    panel.get_by_label("Bon", exact=True).check()
    panel.get_by_role("button", name="Enregistrer l'avis").click()
    expect(panel.get_by_text("Avis « Bon » enregistré.")).to_be_visible()
    expect(panel.get_by_label("Ne pas répondre")).to_be_checked()
    panel.get_by_role("button", name="Enregistrer dans Mes tests").click()
    expect(panel.get_by_text("enregistré dans « Mes tests »")).to_be_visible()
    shot(page, "staff-tester")
    tests = open_tab(page, "Mes tests")
    expect(row(tests, "Faites-vous la rhinoplastie ?")).to_be_visible()
    # The grade given in the tester is listed with the team's other grades.
    tests.get_by_text("Avis de l'équipe donnés dans l'onglet de test").click()
    tests.get_by_role("button", name="Afficher les avis").click()
    review = tests.locator('[role="row"]').filter(has_text="Faites-vous la rhinoplastie ?").filter(has_text="Bon")
    expect(review.filter(visible=True).first).to_be_visible()
    shot(page, "staff-tester-graded")


def test_group_unanswered_questions_mark_one_done_and_try_it(page, server):
    from gradio_client import Client

    patient = Client(server, verbose=False)
    for question in ("Proposez-vous la rhinoplastie médicale ?", "Faites-vous la rhinoplastie ?",
                     "Vendez-vous des cartes cadeaux ?", "Bonjour"):
        patient.predict(question, api_name="/ask")
    login(page, server)
    panel = open_tab(page, "Questions sans réponse")
    panel.get_by_role("button", name="Regrouper les questions").click()
    expect(panel.get_by_text(re.compile(r"Politesse : [1-9]"))).to_be_visible()
    group = row(panel, "rhinoplastie")
    expect(group).to_be_visible()
    # Both ways of asking about rhinoplasty make one group of two patients.
    rhino = panel.locator('[role="row"]').filter(has_text="rhinoplastie").filter(visible=True).first
    expect(rhino.locator('[role="gridcell"]').nth(1)).to_have_text(re.compile(r"^\s*([2-9]|\d\d+)\s*$"))
    expect(row(panel, "Vendez-vous des cartes cadeaux ?")).to_be_visible()
    shot(page, "staff-gaps")
    group.click()
    panel.get_by_role("button", name="Marquer comme traité").click()
    expect(panel.get_by_text("Groupe marqué comme traité.")).to_be_visible()
    expect(row(panel, "traité")).to_be_visible()
    panel.get_by_role("button", name="Tester cette question").click()
    tester = tab_panel(page, "Tester une question")
    expect(tester.get_by_label("Question à tester")).to_have_value(re.compile("rhinoplast"))
    expect(tester.locator(".staff-decision")).to_contain_text("Pas de réponse")


def test_patient_comment_reaches_staff_and_emergencies_cannot_be_rated(page, server):
    patient_asks(page, server, "Le laser est-il possible sur une peau bronzée ?")
    page.locator(DISLIKE_BUTTON).last.click()
    page.get_by_label("Un commentaire sur cette réponse ?").fill("Je voulais savoir combien de temps attendre.")
    page.get_by_role("button", name="Envoyer le commentaire").click()
    expect(page.get_by_text("Merci pour votre commentaire.")).to_be_visible()
    before = page.locator(LIKE_BUTTON).locator("visible=true").count()
    patient_asks(page, server, "j'ai du mal à respirer depuis mon injection", reload=False)
    expect(page.locator(".faq-emergency").last).to_be_visible()
    expect(page.locator(LIKE_BUTTON).locator("visible=true")).to_have_count(before)
    shot(page, "patient-comment-and-emergency")
    login(page, server)
    panel = open_tab(page, "Avis des patients")
    panel.get_by_role("button", name="Actualiser les avis").click()
    expect(row(panel, "combien de temps attendre")).to_be_visible()
    queue = open_tab(page, "À vérifier")
    queue.get_by_role("button", name="Actualiser la liste").click()
    expect(row(queue, "peau bronzée")).to_be_visible()
    shot(page, "staff-review-queue")


def test_index_update_errors_show_in_a_banner_with_the_file_name(page, server, content_copy):
    broken = content_copy / "zz-vide.md"
    broken.write_text("", encoding="utf-8")
    try:
        login(page, server)
        index = open_tab(page, "Index")
        index.get_by_role("button", name="Réindexer maintenant").click()
        expect(index.get_by_text("Articles ignorés : « zz-vide.md » : fichier vide")).to_be_visible(timeout=120_000)
        expect(page.locator("#staff-banner")).to_contain_text("« zz-vide.md » : fichier vide")
        expect(row(index, "oui").or_(row(index, "non"))).to_be_visible()
        shot(page, "staff-index-banner")
    finally:
        broken.unlink()



def test_upload_a_spreadsheet_of_questions(page, server, tmp_path):
    wrong = tmp_path / "erreur.csv"
    wrong.write_text("question;article attendu;extrait attendu\nCombien de séances ?;microneedling.md;\n",
                     encoding="utf-8")
    good = tmp_path / "questions.csv"
    good.write_text(f"question;article attendu;extrait attendu\n{SESSIONS};{ARTICLE};{SESSIONS_QUOTE}\n"
                    "Faites-vous la rhinoplastie ?;;\n", encoding="utf-8")
    login(page, server)
    panel = open_tab(page, "Évaluation")
    upload = panel.locator('input[type="file"][accept*=".jsonl"]')
    upload.set_input_files(str(wrong))
    panel.get_by_role("button", name="Lancer l'évaluation").click()
    expect(page.get_by_text("l'article « microneedling.md » n'existe pas dans l'index").first).to_be_visible()
    panel.get_by_role("button", name=re.compile("^(Effacer|Clear)$")).first.click()
    upload.set_input_files(str(good))
    panel.get_by_role("button", name="Lancer l'évaluation").click()
    expect(result_row(panel, "Bon résultat (et bon article en premier)", "100 %")).to_be_visible()
    expect(result_row(panel, "Faites-vous la rhinoplastie ?", "réussi")).to_be_visible()
    shot(page, "staff-eval-upload")
    # Any result can be judged like an answer: it opens in the tester, with its grading form.
    panel.locator('[role="gridcell"]').filter(has_text="Faites-vous la rhinoplastie ?").filter(visible=True).first.click()
    expect(panel.get_by_text("Question choisie : « Faites-vous la rhinoplastie ? »")).to_be_visible()
    panel.get_by_role("button", name="Juger cette question dans l'onglet de test").click()
    tester = tab_panel(page, "Tester une question")
    expect(tester.get_by_label("Question à tester")).to_have_value("Faites-vous la rhinoplastie ?")
    expect(tester.locator(".staff-decision")).to_contain_text("Pas de réponse")
    tester.get_by_label("Bon", exact=True).check()
    tester.get_by_role("button", name="Enregistrer l'avis").click()
    expect(tester.get_by_text("Avis « Bon » enregistré.")).to_be_visible()
