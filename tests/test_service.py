"""The service around the bot: re-indexing from the staff view, status, ratings, limits."""

from __future__ import annotations

import pytest

from index.build import ShrinkRefused
from index.store import read_history
from service.clinic import ClinicService


@pytest.fixture
def service(fake_bot):
    return ClinicService(fake_bot.settings, bot=fake_bot)


def test_reindex_of_an_emptied_folder_is_refused_and_shown_to_staff(service):
    version = service.index_status()["version"]
    for path in service.settings.content_dir.iterdir():
        path.unlink()
    with pytest.raises(ShrinkRefused):
        service.reindex()
    status = service.index_status()
    assert status["version"] == version
    assert "0 articles" in status["last_error"]
    refused = [h for h in read_history(service.settings.index_dir) if h.get("error")]
    assert len(refused) == 1 and "--allow-shrink" in refused[0]["error"]


def test_global_ceiling_limits_many_clients_together(fake_bot):
    settings = fake_bot.settings.with_overrides(rate_limit_per_minute=100, rate_limit_global_per_minute=5)
    service = ClinicService(settings, bot=fake_bot)
    reasons = [service.ask("Combien de séances de laser ?", f"198.51.100.{i}").reason for i in range(7)]
    assert reasons.count("rate_limited") == 2, reasons
    assert reasons[-1] == "rate_limited"


# --- ratings ---------------------------------------------------------------------------------


def test_one_rating_per_answer(service):
    rate = service.feedback
    assert rate("Combien de séances ?", "answered", ["laser.md"], False, "answer-1", "c") == "kept"
    assert rate("Combien de séances ?", "answered", ["laser.md"], True, "answer-1", "c") == "replaced"
    assert [r["rating"] for r in service.store.feedback_rows()] == [1]
    # The same button again takes the rating back, and so does the chat's "" (None here).
    assert rate("Combien de séances ?", "answered", ["laser.md"], True, "answer-1", "c") == "removed"
    assert service.store.feedback_rows() == []
    rate("Combien de séances ?", "answered", ["laser.md"], False, "answer-1", "c")
    assert rate("Combien de séances ?", "answered", ["laser.md"], None, "answer-1", "c") == "removed"
    for _ in range(50):
        rate("Et le prix ?", "answered", [], False, "answer-2", "c")
    assert len(service.store.feedback_rows()) <= 1


def test_ratings_are_rate_limited_per_client(fake_bot):
    service = ClinicService(fake_bot.settings.with_overrides(rate_limit_per_minute=5), bot=fake_bot)
    results = [service.feedback("Et le prix ?", "answered", [], False, f"answer-{i}", "c") for i in range(300)]
    assert results.count("kept") == 5 and results.count("rate_limited") == 295
    assert len(service.store.feedback_rows()) == 5
    assert service.feedback("Et le prix ?", "answered", [], False, "answer-x", "other client") == "kept"


def test_an_older_store_file_gets_one_rating_per_answer(tmp_path):
    import sqlite3

    from service.staff_sqlite import SQLiteStaffStore as StaffStore

    path = tmp_path / "staff.sqlite3"
    with sqlite3.connect(path) as db:
        db.execute(
            "CREATE TABLE feedback (day TEXT NOT NULL, question TEXT NOT NULL, status TEXT, sources TEXT, "
            "rating INTEGER NOT NULL)"
        )
        db.execute("INSERT INTO feedback VALUES ('2099-01-01', 'ancienne', 'answered', '[]', 1)")
    store = StaffStore(path)
    store.record_feedback("Et le prix ?", "answered", [], False, "a")
    store.record_feedback("Et le prix ?", "answered", [], True, "a")
    assert sorted(r["question"] for r in store.feedback_rows()) == ["Et le prix ?", "ancienne"]


def test_status_shows_a_fallback_and_why(two_versions):
    from bot.engine import Bot
    from index.embedder import HashingEmbedder
    from index.store import FAISS_FILE, VERSIONS_DIR

    settings = two_versions  # version 2 live, version 1 before it
    damaged = settings.index_dir / VERSIONS_DIR / "v000002" / FAISS_FILE
    damaged.write_bytes(damaged.read_bytes()[:-10])
    service = ClinicService(settings, bot=Bot(settings, embedder=HashingEmbedder(64)))
    status = service.index_status()
    assert status["live_version"] == 2
    assert status["version"] == 1
    assert status["fallback"] is True
    assert "damaged" in status["fallback_reason"] and "v000002" in status["fallback_reason"]
    assert status["last_error"]


def test_status_without_fallback(service):
    status = service.index_status()
    assert status["fallback"] is False and status["fallback_reason"] is None
    assert status["live_version"] == status["version"]


# --- odd input never raises -------------------------------------------------------------------


def test_lone_surrogate_is_answered_and_kept_as_text(service):
    import json

    answer = service.ask("microneedling \ud800 séances ? Quel temps fera-t-il à Paris \udfff ?", "c")
    json.dumps(answer.to_dict(), ensure_ascii=False).encode("utf-8")  # the reply can be sent
    assert "\ud800" not in answer.question
    service.feedback(answer.question, answer.status, [], False, "a1", "c")
    assert service.store.feedback_rows()


def test_an_unexpected_error_becomes_a_reply_and_one_log_line(service, monkeypatch, caplog):
    def broken(question):
        raise RuntimeError("tokenizer exploded")

    monkeypatch.setattr(service.bot, "ask", broken)
    with caplog.at_level("ERROR", logger="service.clinic"):
        answer = service.ask("Combien de séances ?", "c")
    assert answer.status == "no_answer" and answer.reason == "error"
    assert "clinique" in answer.answer
    assert [r.getMessage() for r in caplog.records] == ["answer failed"]
