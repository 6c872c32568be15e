"""The staff store: the same tests on SQLite and on a real PostgreSQL server.

The PostgreSQL server is started once per test run (``postgres_url`` in
conftest.py); each test gets empty tables.
"""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import make_settings

from service.staff_store import StaffStore, open_staff_store

ROOT = Path(__file__).resolve().parent.parent
BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


class Clock:
    """A day that tests move forward."""

    def __init__(self, day: dt.date = dt.date(2026, 5, 12)) -> None:
        self.day = day

    def __call__(self) -> dt.date:
        return self.day


def _empty_postgres(url: str) -> None:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("DROP TABLE IF EXISTS unanswered, feedback, answers, gaps_done")


@pytest.fixture(params=BACKENDS)
def backend_settings(request, tmp_path):
    """Settings pointing at an empty store of each backend."""
    settings = make_settings(tmp_path, tmp_path / "content")
    if request.param == "postgresql":
        url = request.getfixturevalue("postgres_url")
        _empty_postgres(url)
        settings = settings.with_overrides(database_url=url)
    return settings


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def open_store(backend_settings, clock):
    """Open stores on the test's backend (several may share it, like replicas); all closed afterwards."""
    opened: list[StaffStore] = []

    def _open(**overrides) -> StaffStore:
        store = open_staff_store(backend_settings.with_overrides(**overrides), today=clock)
        opened.append(store)
        return store

    yield _open
    for store in opened:
        store.close()


def test_backend_is_chosen_by_the_settings(backend_settings, open_store):
    store = open_store()
    expected = "PostgresStaffStore" if backend_settings.database_url else "SQLiteStaffStore"
    assert type(store).__name__ == expected


def test_unanswered_questions_are_scrubbed(open_store):
    store = open_store()
    store.record_unanswered(
        "Je m'appelle Claire Martin, née le 12/03/1985, joignable au 06 12 34 56 78 ou claire@example.org : "
        "faites-vous la rhinoplastie ? https://exemple.fr/moi",
        "not_in_articles", "fr",
    )
    [group] = store.unanswered_groups()
    for secret in ("Claire", "Martin", "12/03/1985", "06 12 34 56 78", "claire@example.org", "exemple.fr"):
        assert secret not in group["question"], group
    assert "rhinoplastie" in group["question"]
    assert "[e-mail]" in group["question"] and "[téléphone]" in group["question"]


def test_questions_group_by_folded_text_with_counts_and_reasons(open_store, clock):
    store = open_store()
    store.record_unanswered("Faites-vous la rhinoplastie ?", "not_in_articles", "fr")
    store.record_unanswered("faites-vous   la RHINOPLASTIE", "out_of_scope", "fr")
    clock.day += dt.timedelta(days=1)
    store.record_unanswered("Faîtes-vous la rhinoplastie?!", "not_in_articles", "fr")
    store.record_unanswered("Do you sell gift cards?", "not_in_articles", "en")
    store.record_unanswered("Bonjour", "small_talk", "fr")
    store.record_unanswered("", "invalid_input", "fr")
    groups = store.unanswered_groups()
    assert groups == [
        {"question": "Faites-vous la rhinoplastie ?", "count": 3, "last_day": "2026-05-13",
         "reasons": "not_in_articles,out_of_scope"},
        {"question": "Do you sell gift cards?", "count": 1, "last_day": "2026-05-13", "reasons": "not_in_articles"},
    ]
    assert len(store.unanswered_groups(limit=1)) == 1


def test_feedback_rows_most_recent_first(open_store, clock):
    store = open_store()
    store.record_feedback("Combien de séances ? mon mail: a@b.fr", "answered", ["lasers.md", "suites-de-soins.md"], True)
    store.record_feedback("Et le prix ?", "no_answer", [], False)
    clock.day += dt.timedelta(days=2)
    store.record_feedback("Douleur ?", "answered", ["lasers.md"], True)
    rows = store.feedback_rows()
    assert rows == [
        {"day": "2026-05-14", "question": "Douleur ?", "status": "answered", "sources": "lasers.md", "rating": 1, "comment": None},
        {"day": "2026-05-12", "question": "Et le prix ?", "status": "no_answer", "sources": "", "rating": -1, "comment": None},
        {"day": "2026-05-12", "question": "Combien de séances ? mon mail: [e-mail]", "status": "answered",
         "sources": "lasers.md, suites-de-soins.md", "rating": 1, "comment": None},
    ]
    assert [r["question"] for r in store.feedback_rows(limit=1)] == ["Douleur ?"]


def test_rows_past_retention_are_deleted(open_store, clock):
    store = open_store(retention_days=30)
    store.record_unanswered("Faites-vous la rhinoplastie ?", "not_in_articles", "fr")
    store.record_feedback("Combien de séances ?", "answered", ["lasers.md"], True)
    clock.day += dt.timedelta(days=30)
    assert len(store.unanswered_groups()) == 1 and len(store.feedback_rows()) == 1
    clock.day += dt.timedelta(days=1)
    assert store.unanswered_groups() == [] and store.feedback_rows() == []
    # Deleted, not hidden: going back in time does not bring them back.
    clock.day -= dt.timedelta(days=31)
    assert store.unanswered_groups() == [] and store.feedback_rows() == []


def test_disabled_store_keeps_nothing(open_store):
    kept = open_store()
    off = open_store(log_questions=False)
    off.record_unanswered("Faites-vous la rhinoplastie ?", "not_in_articles", "fr")
    off.record_feedback("Combien de séances ?", "answered", [], True)
    assert off.unanswered_groups() == [] and off.feedback_rows() == []
    assert kept.unanswered_groups() == [] and kept.feedback_rows() == []


def test_two_stores_on_one_backend_share_rows(open_store):
    """Two replicas pointed at one store see each other's rows."""
    first, second = open_store(), open_store()
    first.record_unanswered("Faites-vous la rhinoplastie ?", "not_in_articles", "fr")
    second.record_unanswered("faites-vous la rhinoplastie", "not_in_articles", "fr")
    assert [g["count"] for g in first.unanswered_groups()] == [2]


WRITER = """
import sys, time
from pathlib import Path
from core.settings import load_settings
from service.staff_store import open_staff_store

url, data_dir, name, count, go = sys.argv[1:]
store = open_staff_store(load_settings(env={}, database_url=url, data_dir=Path(data_dir)))
deadline = time.monotonic() + 60
while not Path(go).exists() and time.monotonic() < deadline:
    time.sleep(0.005)
for i in range(int(count)):
    store.record_unanswered(f"question {i} du processus {name}", "not_in_articles", "fr")
store.close()
"""


@pytest.mark.slow
def test_two_processes_writing_at_once_lose_no_row(backend_settings, tmp_path):
    """Like two app replicas: each process opens the store from the settings and inserts rows."""
    count = 300
    go = tmp_path / "go"
    url = backend_settings.database_url
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, url, str(backend_settings.data_dir), name, str(count), str(go)],
            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )
        for name in ("A", "B")
    ]
    time.sleep(0.5)  # both have imported and opened the store by now, or start right behind
    go.touch()
    outputs = [p.communicate(timeout=120)[0] for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outputs
    store = open_staff_store(backend_settings)
    try:
        groups = store.unanswered_groups(limit=10 * count)
    finally:
        store.close()
    questions = {g["question"] for g in groups}
    assert len(groups) == 2 * count
    assert questions == {f"question {i} du processus {n}" for n in "AB" for i in range(count)}
    assert all(g["count"] == 1 for g in groups)


def test_database_url_must_be_postgresql(tmp_path):
    settings = make_settings(tmp_path, tmp_path / "content", database_url="mysql://db/faqbot")
    with pytest.raises(ValueError, match="postgresql://"):
        open_staff_store(settings)


def test_disabled_postgres_store_never_connects(tmp_path):
    settings = make_settings(tmp_path, tmp_path / "content", database_url="postgresql://nobody@127.0.0.1:1/none",
                             log_questions=False)
    store = open_staff_store(settings)
    store.record_unanswered("Faites-vous la rhinoplastie ?", "not_in_articles", "fr")
    assert store.unanswered_groups() == []


def test_database_url_is_not_in_the_settings_repr(tmp_path):
    settings = make_settings(tmp_path, tmp_path / "content", database_url="postgresql://u:s3cret@db/faqbot")
    assert "s3cret" not in repr(settings)


@pytest.mark.postgres
def test_postgres_store_reconnects_after_the_server_drops_it(postgres_url, tmp_path):
    import psycopg

    _empty_postgres(postgres_url)
    store = open_staff_store(make_settings(tmp_path, tmp_path / "content", database_url=postgres_url))
    try:
        store.record_unanswered("Faites-vous la rhinoplastie ?", "not_in_articles", "fr")
        with psycopg.connect(postgres_url, autocommit=True) as admin:
            admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        store.record_unanswered("Vendez-vous des cartes cadeaux ?", "not_in_articles", "fr")
        assert len(store.unanswered_groups()) == 2
    finally:
        store.close()


def test_service_keeps_unanswered_questions_in_the_configured_store(backend_settings, fake_bot, fake_settings):
    from service.clinic import ClinicService

    settings = fake_settings.with_overrides(database_url=backend_settings.database_url,
                                            data_dir=backend_settings.data_dir)
    service = ClinicService(settings, bot=fake_bot)
    try:
        answer = service.ask("Écris-moi un poème sur la mer", "a")
        assert answer.status == "no_answer"
        service.feedback("Combien de séances ?", "answered", ["lasers.md"], liked=False)
        reader = open_staff_store(settings)
        assert [g["question"] for g in reader.unanswered_groups()] == ["Écris-moi un poème sur la mer"]
        assert [r["rating"] for r in reader.feedback_rows()] == [-1]
        reader.close()
    finally:
        service.store.close()


def test_one_rating_per_answer_on_every_backend(open_store):
    store = open_store()
    assert store.record_feedback("q", "answered", ["a.md"], True, answer_id="x1") == "kept"
    assert store.record_feedback("q", "answered", ["a.md"], False, answer_id="x1") == "replaced"
    assert [r["rating"] for r in store.feedback_rows()] == [-1]
    assert store.record_feedback("q", "answered", ["a.md"], False, answer_id="x1") == "removed"
    assert store.feedback_rows() == []
    assert store.record_feedback("q", "emergency", [], False, answer_id="x2") == "ignored"
    assert store.feedback_rows() == []


# --- answer log, grades, comments, gaps --------------------------------------------------------

TRACE = {
    "answerable_probability": 0.31, "threshold": 0.29, "query_terms": ["claire", "seanc"],
    "unknown_terms": ["claire"], "retrieved_articles": ["lasers.md"], "decision": "Répondu : …",
    "triage": {"level": "caution", "matched_words": ["claire"]},
}


def _log(store, answer_id, question="Combien de séances de laser ?", status="answered", reason=None,
         sources=("lasers.md",), trace=None):
    return store.record_answer(answer_id, question, status, reason, "fr", list(sources),
                               "Comptez trois séances [1]", trace if trace is not None else TRACE)


def test_answer_log_keeps_scrubbed_answers_without_the_patients_words(open_store):
    store = open_store()
    assert _log(store, "a1", question="Je m'appelle Claire Martin, combien de séances ?")
    assert not _log(store, "a2", status="emergency", reason="vision_problem", sources=())
    assert not _log(store, "a3", status="no_answer", reason="invalid_input", sources=())
    [row] = store.answer_log()
    assert row["answer_id"] == "a1" and "Claire" not in row["question"] and "séances" in row["question"]
    assert row["reply"] == "Comptez trois séances [1]" and row["article"] == "lasers.md"
    assert row["confidence"] == pytest.approx(0.31) and row["threshold"] == pytest.approx(0.29)
    assert "query_terms" not in row["trace"] and "unknown_terms" not in row["trace"]
    assert row["trace"]["triage"] == {"level": "caution"}
    assert row["trace"]["decision"] == "Répondu : …"
    # The same answer logged twice stays one row.
    _log(store, "a1")
    assert len(store.answer_log()) == 1


def test_answer_log_filters_and_review_queue(open_store, clock):
    from service.staff_store import LogFilter

    store = open_store()
    _log(store, "close", trace={"answerable_probability": 0.33, "threshold": 0.29})
    _log(store, "sure", trace={"answerable_probability": 0.9, "threshold": 0.29})
    clock.day += dt.timedelta(days=1)
    _log(store, "gap", question="Faites-vous la rhinoplastie ?", status="no_answer", reason="not_in_articles",
         sources=(), trace={"uncovered_topics": ["rhinoplastie"]})
    _log(store, "other", sources=("peeling.md",), trace={"answerable_probability": 0.95, "threshold": 0.29})
    assert [r["answer_id"] for r in store.answer_log()] == ["other", "gap", "sure", "close"]
    assert [r["answer_id"] for r in store.answer_log(LogFilter(status="no_answer"))] == ["gap"]
    assert [r["answer_id"] for r in store.answer_log(LogFilter(reason="not_in_articles"))] == ["gap"]
    assert [r["answer_id"] for r in store.answer_log(LogFilter(article="lasers.md"))] == ["sure", "close"]
    assert [r["answer_id"] for r in store.answer_log(LogFilter(day="2026-05-12"))] == ["sure", "close"]
    assert [r["answer_id"] for r in store.answer_log(LogFilter(to_review=True, margin=0.1))] == ["close"]
    # A patient's thumbs down puts a sure answer in the queue too.
    store.record_feedback("q", "answered", ["peeling.md"], False, answer_id="other")
    assert [r["answer_id"] for r in store.answer_log(LogFilter(to_review=True))] == ["other", "close"]
    assert store.answer_entry("other")["rating"] == -1
    assert store.answer_entry("nope") is None


def test_staff_grade_and_patient_comment(open_store):
    store = open_store()
    _log(store, "a1")
    assert store.grade_answer("a1", "mauvais", "Cite le mauvais article, appeler le 06 12 34 56 78")
    assert not store.grade_answer("unknown", "bon")
    with pytest.raises(ValueError):
        store.grade_answer("a1", "excellent")
    row = store.answer_entry("a1")
    assert row["grade"] == "mauvais" and "06 12" not in row["note"]
    # A comment needs a rating; it survives a changed rating, and goes when the rating is taken back.
    assert store.comment_feedback("a1", "Pas clair") == "ignored"
    store.record_feedback("q", "answered", ["lasers.md"], False, answer_id="a1", reply="Comptez trois séances [1]")
    assert store.comment_feedback("a1", "Pas clair, écrivez-moi à marie@example.org") == "kept"
    store.record_feedback("q", "answered", ["lasers.md"], True, answer_id="a1")
    row = store.answer_entry("a1")
    assert row["rating"] == 1 and row["comment"] == "Pas clair, écrivez-moi à [e-mail]"
    store.record_feedback("q", "answered", ["lasers.md"], True, answer_id="a1")
    assert store.answer_entry("a1")["rating"] is None


def test_gaps_marked_done_and_retention(open_store, clock):
    store = open_store(retention_days=30)
    _log(store, "a1")
    store.set_gap_done("rhinoplastie")
    store.set_gap_done("prix")
    store.set_gap_done("prix", done=False)
    assert store.gaps_done() == {"rhinoplastie"}
    clock.day += dt.timedelta(days=31)
    assert store.gaps_done() == set() and store.answer_log() == []


def test_disabled_store_logs_nothing(open_store):
    off = open_store(log_questions=False)
    assert not _log(off, "a1")
    off.set_gap_done("x")
    assert off.answer_log() == [] and off.gaps_done() == set() and not off.grade_answer("a1", "bon")
    assert off.comment_feedback("a1", "hello") == "ignored"
