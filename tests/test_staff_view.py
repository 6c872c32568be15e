"""What the staff view shows and does, without a browser: the French decision sentence,
the answer log behind it, staff's own tests, uploaded eval sets, content gaps, rollback."""

from __future__ import annotations

from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from bot.answer import ANSWERED, EMERGENCY, NO_ANSWER, Answer, Citation, Trace
from service.clinic import ClinicService
from service.eval_files import EvalUploadError, metrics_table, read_eval_file
from service.explain import decision, french_error, highlight_spans, local_time, question_words
from service.gaps import content_gaps
from service.staff_store import LogFilter
from service.staff_tests import StaffTests, compare
from ui.staff_render import banner_html, history_rows, passages_html

PARIS = ZoneInfo("Europe/Paris")


@pytest.fixture
def service(fake_bot):
    return ClinicService(fake_bot.settings, bot=fake_bot)


# --- the decision in one sentence ---------------------------------------------------------------


def test_decision_sentences_in_french():
    cited = Citation(1, "botox.md", "La toxine botulique", None, None, "…", 0.5)
    answered = Answer("q", ANSWERED, None, "fr", "…", [cited],
                      trace=Trace(answerable_probability=0.3612, threshold=0.29))
    assert decision(answered, {"botox.md": "La toxine botulique"}) == (
        "Répondu : l'article « La toxine botulique » couvre la question (confiance 0,36, seuil 0,29)")
    missing = Answer("q", NO_ANSWER, "not_in_articles", "fr", "…", trace=Trace(uncovered_topics=["rhinoplastie"]))
    assert decision(missing) == "Pas de réponse : « rhinoplastie » n'apparaît dans aucun article"
    emergency = Answer("q", EMERGENCY, "skin_colour_change", "fr", "…",
                       trace=Trace(triage={"matched_words": ["lèvre blanche", "injection"]}))
    assert decision(emergency) == "Urgence : « lèvre blanche » + « injection »"
    unsure = Answer("q", NO_ANSWER, "not_in_articles", "fr", "…",
                    trace=Trace(answerable_probability=0.12, threshold=0.29, retrieved_articles=["botox.md"]))
    assert "aucun article ne couvre assez la question (confiance 0,12, seuil 0,29)" in decision(unsure)
    no_price = Answer("q", NO_ANSWER, "fact_not_in_articles", "fr", "…",
                      trace=Trace(missing_facts=["price"], retrieved_articles=["botox.md"]))
    assert decision(no_price, {"botox.md": "La toxine botulique"}) == (
        "Pas de réponse : l'article « La toxine botulique » parle du sujet mais aucune de ses meilleures "
        "phrases ne donne le prix")


def test_emergency_trace_names_the_words_as_written(service):
    answer = service.staff_ask("Ma lèvre est devenue toute blanche après l'injection")
    assert answer.status == EMERGENCY
    assert service.explain(answer) == "Urgence : « lèvre est devenue toute blanche » + « injection »"


def test_no_word_stems_or_english_in_the_main_view(service):
    answer = service.staff_ask("Combien de séances de microneedling faut-il prévoir ?")
    sentence = service.explain(answer)
    assert sentence.startswith("Répondu : l'article « ") and "confiance" in sentence
    assert "answered" not in sentence and "probability" not in sentence


def test_passages_highlight_the_question_words_and_escape_text():
    found = [{"source": "a.md", "title": "<b>A</b>", "section": None, "text": "Trois séances <i>espacées</i>.",
              "quoted": True}]
    page = passages_html("Combien de séances ?", found)
    assert "<mark>séances</mark>" in page and "&lt;i&gt;" in page and "&lt;b&gt;A&lt;/b&gt;" in page
    assert highlight_spans("Injecter", question_words("une injection")) == [("Injecter", True)]


def test_times_errors_and_history_in_french():
    assert local_time("2026-01-15T10:00:00+0000", PARIS) == "15/01/2026 11:00"
    assert local_time("2026-07-15T10:00:00+00:00", PARIS) == "15/07/2026 12:00"
    assert french_error("empty file") == "fichier vide"
    history = [{"time": "2026-07-15T10:00:00+00:00", "written": False, "error": "the new index would hold 0 "
                "articles instead of 9; the live index was kept. Check the content folder"}]
    [row] = history_rows(history, PARIS)
    assert row[0] == "15/07/2026 12:00" and row[1] == "échec" and "aucun article au lieu de 9" in row[5]
    banner = banner_html({"fallback": False}, {"time": "2026-07-15T10:00:00+00:00", "written": True,
                                               "failed": [{"source": "botox.md", "error": "empty file"}]}, PARIS)
    assert "« botox.md » : fichier vide" in banner
    failed = banner_html({"fallback": True, "version": 2, "live_version": 3, "fallback_reason": "x"},
                         history[0], PARIS)
    assert "version de secours" in failed and "a échoué" in failed


def test_unknown_time_zone_is_refused(tmp_path):
    from core.settings import load_settings

    with pytest.raises(ValueError, match="FAQBOT_TIMEZONE"):
        load_settings(env={"FAQBOT_TIMEZONE": "Mars/Olympus"})
    assert load_settings(env={}).timezone == "Europe/Paris"


# --- the answer log --------------------------------------------------------------------------------


def test_patient_answers_are_logged_scrubbed_with_their_decision(service):
    service.ask("Je m'appelle Claire Martin : combien de séances de microneedling faut-il prévoir ?", "c", "id-1")
    service.ask("Faites-vous la rhinoplastie ?", "c", "id-2")
    service.ask("Je pense au suicide", "c", "id-3")
    rows = {r["answer_id"]: r for r in service.answer_log()}
    assert set(rows) == {"id-1", "id-2"}, "emergencies are never kept"
    assert "Claire" not in rows["id-1"]["question"] and rows["id-1"]["status"] == ANSWERED
    assert rows["id-1"]["reply"] and rows["id-1"]["trace"]["decision"].startswith("Répondu")
    assert "query_terms" not in rows["id-1"]["trace"]
    assert rows["id-2"]["trace"]["decision"] == "Pas de réponse : « rhinoplastie » n'apparaît dans aucun article"
    assert [r["answer_id"] for r in service.answer_log(LogFilter(status=NO_ANSWER))] == ["id-2"]


def test_nothing_is_logged_when_questions_are_not_kept(fake_bot):
    service = ClinicService(fake_bot.settings.with_overrides(log_questions=False), bot=fake_bot)
    service.ask("Faites-vous la rhinoplastie ?", "c", "id-1")
    assert service.answer_log() == [] and service.content_gaps() == ([], {})


def test_patient_comment_goes_with_the_rating(service):
    service.ask("Combien de séances de microneedling faut-il prévoir ?", "c", "id-1")
    assert service.comment("id-1", "merci") == "ignored", "no rating, no comment"
    service.feedback("q", ANSWERED, ["microneedling-medical.md"], False, "id-1", "c", reply="Comptez trois séances")
    assert service.comment("id-1", "Pas clair, appelez-moi au 06 12 34 56 78") == "kept"
    entry = service.store.answer_entry("id-1")
    assert entry["rating"] == -1 and "06 12" not in entry["comment"]
    assert [r["answer_id"] for r in service.review_queue()] == ["id-1"]


# --- my tests ----------------------------------------------------------------------------------------


def test_my_tests_saved_in_the_data_folder_run_and_compared(service, tmp_path):
    tests = service.my_tests
    assert tests.cases_path.parent == service.settings.data_dir
    with pytest.raises(ValueError):
        tests.add("Combien de séances ?", ANSWERED)  # no article
    tests.add("Combien de séances de microneedling faut-il prévoir ?", ANSWERED, "microneedling-medical.md", None, "bon")
    tests.add("Faites-vous la rhinoplastie ?", ANSWERED, "microneedling-medical.md", None, "mauvais", "à écrire")
    first = service.run_my_tests()
    assert first["previous"] is None and first["changes"] == []
    assert [r["ok"] for r in first["results"]] == [True, False]
    assert first["table"][0][0] == "Bon résultat (et bon article en premier)"
    # The staff decide the second case should not be answered: it gets better on the next run.
    cases = tests.cases()
    tests.remove(cases[1]["id"])
    tests.add("Faites-vous la rhinoplastie ?", NO_ANSWER)
    second = service.run_my_tests()
    assert [(c.kind, c.question) for c in second["changes"]] == [("new", "Faites-vous la rhinoplastie ?")]
    assert second["table"][0][4] == "50 %"  # the previous run's figure next to this one's


def test_compare_reports_better_and_worse():
    def run(ok_a, ok_b):
        base = {"question": "q", "status": ANSWERED, "expected_status": ANSWERED, "expected_sources": ["a.md"],
                "sources": ["a.md"], "answer_ok": None}
        return {"results": [{**base, "id": "a", "ok": ok_a}, {**base, "id": "b", "ok": ok_b}]}

    changes = compare(run(True, False), run(False, True))
    assert [(c.case_id, c.kind) for c in changes] == [("a", "worse"), ("b", "better")]


def test_the_staff_view_no_longer_reads_the_repository_eval_file():
    root = Path(__file__).resolve().parent.parent
    for module in ("service/clinic.py", "ui/staff.py"):  # read, not imported: importing Gradio takes seconds
        assert "questions.jsonl" not in (root / module).read_text(encoding="utf-8")


# --- eval uploads --------------------------------------------------------------------------------------


def test_csv_eval_upload_from_a_spreadsheet(tmp_path):
    path = tmp_path / "questions.csv"
    path.write_text(
        "question;article attendu;extrait attendu\n"
        "Combien de séances de microneedling ?;microneedling-medical.md;trois séances\n"
        "Faites-vous la rhinoplastie ?;;\n", encoding="cp1252")
    cases = read_eval_file(path, {"microneedling-medical.md", "botox.md"})
    assert [(c.question, c.expected_status, c.expected_sources, c.expected_quotes) for c in cases] == [
        ("Combien de séances de microneedling ?", ANSWERED, ("microneedling-medical.md",), ("trois séances",)),
        ("Faites-vous la rhinoplastie ?", NO_ANSWER, (), ()),
    ]


def test_csv_eval_upload_errors_are_french_with_the_line(tmp_path):
    path = tmp_path / "q.csv"
    path.write_text("Combien de séances ?;microneedling-medicale.md\n", encoding="utf-8")
    with pytest.raises(EvalUploadError,
                       match=r"ligne 1 : l'article « microneedling-medicale.md » n'existe pas.*« microneedling-medical.md »"):
        read_eval_file(path, {"microneedling-medical.md"})
    path.write_text("ok;microneedling-medical.md\n;microneedling-medical.md\n", encoding="utf-8")
    with pytest.raises(EvalUploadError, match="ligne 2 : la question est vide"):
        read_eval_file(path, {"microneedling-medical.md"})
    other = tmp_path / "q.xlsx"
    other.write_bytes(b"PK")
    with pytest.raises(EvalUploadError, match="format non pris en charge"):
        read_eval_file(other, set())


def test_uploaded_eval_runs_with_targets_and_the_previous_run(service, tmp_path):
    path = tmp_path / "mes-questions.csv"
    path.write_text("Combien de séances de microneedling faut-il prévoir ?;microneedling-medical.md;\n", encoding="utf-8")
    first = service.run_eval(path)
    assert first["previous"] is None
    row = first["table"][0]
    assert row[0] == "Bon résultat (et bon article en premier)" and row[2] == "≥ 90 %" and row[4] == "–"
    second = service.run_eval(path)
    assert second["table"][0][4] == row[1]
    assert metrics_table({"emergency_false_alarms": 1}, None) == [["Fausses alertes d'urgence", "1", "≤ 0", "non", "–"]]


# --- content gaps -------------------------------------------------------------------------------------


def test_gaps_grouped_by_meaning_ranked_by_volume_small_talk_apart():
    topics = {"rhino": np.array([1.0, 0, 0]), "prix": np.array([0, 1.0, 0])}

    def encode(question):
        return topics["rhino" if "rhino" in question else "prix"] + np.random.default_rng(len(question)).normal(0, .01, 3)

    rows = [
        {"question": q, "status": NO_ANSWER, "reason": r, "day": d}
        for q, r, d in [
            ("Faites-vous la rhinoplastie ?", "not_in_articles", "2026-05-12"),
            ("rhinoplastie médicale ?", "not_in_articles", "2026-05-13"),
            ("Faites-vous la rhinoplastie ?", "not_in_articles", "2026-05-13"),
            ("Quel prix ?", "not_in_articles", "2026-05-14"),
            ("Bonjour", "small_talk", "2026-05-14"),
            ("Écris un poème", "out_of_scope", "2026-05-14"),
        ]
    ]
    rows.append({"question": "ok", "status": ANSWERED, "reason": None, "day": "2026-05-14"})
    gaps, apart = content_gaps(rows, encode, lambda v: ("a.md", "A", 0.5), done_keys={"quel prix"}, similarity=0.9)
    assert [(g.examples[0], g.count, g.done) for g in gaps] == [
        ("Faites-vous la rhinoplastie ?", 3, False), ("Quel prix ?", 1, True)]
    assert gaps[0].examples == ["Faites-vous la rhinoplastie ?", "rhinoplastie médicale ?"]
    assert gaps[0].nearest_article == "a.md" and gaps[0].last_day == "2026-05-13"
    assert apart == {"Politesse": 1, "Hors sujet": 1}


def test_gaps_from_the_service_marked_done(service):
    for q in ("Faites-vous la rhinoplastie ?", "faites-vous la rhinoplastie", "Quel est le prix du parking ?"):
        service.ask(q, "c")
    gaps, _ = service.content_gaps()
    rhino = next(g for g in gaps if "rhinoplastie" in g.examples[0])
    assert rhino.count == 2 and rhino.nearest_article
    service.mark_gap(rhino.keys)
    gaps, _ = service.content_gaps()
    assert next(g for g in gaps if "rhinoplastie" in g.examples[0]).done
    assert not gaps[0].done, "groups still to deal with come first"


# --- rollback and the view itself ------------------------------------------------------------------


def test_rollback_serves_the_previous_version(small_bot):
    from index.store import read_history

    service = ClinicService(small_bot.settings, bot=small_bot)
    first = service.index_status()["version"]
    article = next(service.settings.content_dir.glob("*.md"))
    article.write_text(article.read_text(encoding="utf-8") + "\n\nUne phrase ajoutée.\n", encoding="utf-8")
    service.reindex()
    assert service.index_status()["version"] > first
    name = service.rollback()
    assert service.index_status()["version"] == first and name.endswith(str(first))
    assert read_history(service.settings.index_dir, 1)[0]["rollback"] == name
    rows = history_rows(read_history(service.settings.index_dir, 5), PARIS)
    assert rows[0][1] == f"retour à la version {name}"


@pytest.mark.slow  # imports Gradio (about 3 s)
def test_staff_view_builds(service):
    from ui.staff import build_staff_ui

    demo = build_staff_ui(service, service.settings)
    labels = {getattr(b, "label", None) for b in demo.blocks.values()}
    for tab in ("Tester une question", "Réponses aux patients", "À vérifier", "Mes tests",
                "Questions sans réponse", "Évaluation", "Index"):
        assert tab in labels, tab


def test_review_tests_live_outside_tests_folder(tmp_path):
    tests = StaffTests(tmp_path / "data")
    tests.add("Faites-vous la rhinoplastie ?", NO_ANSWER)
    assert (tmp_path / "data" / "mes-tests.jsonl").exists()
