"""What is kept for staff: unanswered questions and patients' ratings.

Minimal on purpose. Each row holds the scrubbed question, the day (not the
time), the bot's status and cited sources, and for feedback the rating. Messages
classed as emergencies are never kept, rated or not. No IP
address, no cookie, no session id. Rows older than the retention period
(30 days by default) are deleted at every write and every read, and
``log_questions=False`` turns the store off entirely.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from bot.answer import EMERGENCY, NO_ANSWER
from bot.privacy import scrub
from bot.textnorm import fold

SCHEMA = """
CREATE TABLE IF NOT EXISTS unanswered (
    day TEXT NOT NULL, question TEXT NOT NULL, grouping TEXT NOT NULL, reason TEXT, language TEXT
);
CREATE TABLE IF NOT EXISTS feedback (
    day TEXT NOT NULL, question TEXT NOT NULL, status TEXT, sources TEXT, rating INTEGER NOT NULL,
    answer_id TEXT
);
CREATE INDEX IF NOT EXISTS unanswered_day ON unanswered(day);
CREATE INDEX IF NOT EXISTS feedback_day ON feedback(day);
"""
# One rating per answer: a second rating replaces the first. Files made before this column get it added.
ANSWER_ID_INDEX = "CREATE UNIQUE INDEX IF NOT EXISTS feedback_answer ON feedback(answer_id)"


class StaffStore:
    """SQLite file under the data folder; safe to use from the app's worker threads."""

    def __init__(self, path: Path, retention_days: int = 30, enabled: bool = True, today=dt.date.today) -> None:
        self.path = path
        self.retention_days = retention_days
        self.enabled = enabled
        self._today = today
        self._lock = threading.Lock()
        if enabled:
            path.parent.mkdir(parents=True, exist_ok=True)
            with self._connect() as db:
                db.executescript(SCHEMA)
                columns = {row[1] for row in db.execute("PRAGMA table_info(feedback)")}
                if "answer_id" not in columns:
                    db.execute("ALTER TABLE feedback ADD COLUMN answer_id TEXT")
                db.execute(ANSWER_ID_INDEX)

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            db = sqlite3.connect(self.path, timeout=10)
            try:
                yield db
                db.commit()
            finally:
                db.close()

    def _purge(self, db: sqlite3.Connection) -> None:
        cutoff = (self._today() - dt.timedelta(days=self.retention_days)).isoformat()
        db.execute("DELETE FROM unanswered WHERE day < ?", (cutoff,))
        db.execute("DELETE FROM feedback WHERE day < ?", (cutoff,))

    def record_unanswered(self, question: str, reason: str | None, language: str, status: str = NO_ANSWER) -> None:
        # Emergencies (suicidal thoughts above all) are never kept, whatever the caller asks.
        if not self.enabled or status == EMERGENCY or reason in ("invalid_input", "small_talk"):
            return
        clean = scrub(question)
        grouping = " ".join(fold(clean).split()).strip(" ?!.")
        with self._connect() as db:
            self._purge(db)
            db.execute(
                "INSERT INTO unanswered VALUES (?, ?, ?, ?, ?)",
                (self._today().isoformat(), clean, grouping, reason, language),
            )

    def record_feedback(
        self, question: str, status: str, sources: list[str], liked: bool | None, answer_id: str | None = None
    ) -> str:
        """Keep a patient's rating of one answer; return what happened.

        Args:
            question: the question that was answered (scrubbed before it is kept).
            status: the answer's status; emergencies are never kept.
            sources: the cited articles.
            liked: True for thumbs up, False for thumbs down, None to take the rating back.
            answer_id: the answer rated. With it there is one row per answer: a new
                rating replaces the previous one, the same rating again takes it back.

        Returns:
            ``"kept"``, ``"replaced"``, ``"removed"`` or ``"ignored"``.
        """
        if not self.enabled or status == EMERGENCY:
            return "ignored"
        rating = None if liked is None else (1 if liked else -1)
        with self._connect() as db:
            self._purge(db)
            previous = None
            if answer_id:
                row = db.execute("SELECT rating FROM feedback WHERE answer_id = ?", (answer_id,)).fetchone()
                previous = row[0] if row else None
                if rating is None or rating == previous:
                    db.execute("DELETE FROM feedback WHERE answer_id = ?", (answer_id,))
                    return "removed" if previous is not None else "ignored"
            elif rating is None:
                return "ignored"
            db.execute(
                "INSERT OR REPLACE INTO feedback VALUES (?, ?, ?, ?, ?, ?)",
                (self._today().isoformat(), scrub(question), status, json.dumps(sources), rating, answer_id),
            )
            return "replaced" if previous is not None else "kept"

    def unanswered_groups(self, limit: int = 200) -> list[dict]:
        """Unanswered questions grouped by their folded text, most recent first, with counts."""
        if not self.enabled:
            return []
        with self._connect() as db:
            self._purge(db)
            rows = db.execute(
                "SELECT grouping, MIN(question), COUNT(*), MAX(day), GROUP_CONCAT(DISTINCT reason) "
                "FROM unanswered GROUP BY grouping ORDER BY MAX(day) DESC, COUNT(*) DESC LIMIT ?",
                (limit,),
            ).fetchall()
        return [
            {"question": q, "count": n, "last_day": day, "reasons": reasons or ""}
            for _, q, n, day, reasons in rows
        ]

    def feedback_rows(self, limit: int = 200) -> list[dict]:
        if not self.enabled:
            return []
        with self._connect() as db:
            self._purge(db)
            rows = db.execute(
                "SELECT day, question, status, sources, rating FROM feedback ORDER BY day DESC, rowid DESC LIMIT ?",
                (limit,),
            ).fetchall()
        return [
            {"day": d, "question": q, "status": s, "sources": ", ".join(json.loads(src or "[]")), "rating": r}
            for d, q, s, src, r in rows
        ]
