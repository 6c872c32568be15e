"""The staff store in one SQLite file under the data folder: the embedded default."""

from __future__ import annotations

import datetime as dt
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from service.staff_store import StaffStore, Today

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
# One rating per answer. Files made before this column get it added.
ANSWER_ID_INDEX = "CREATE UNIQUE INDEX IF NOT EXISTS feedback_answer ON feedback(answer_id)"


class SQLiteStaffStore(StaffStore):
    """A SQLite file; safe from the app's worker threads and from several processes on one machine.

    Not for a network folder shared by several machines: SQLite's locking is not
    reliable there. Use PostgreSQL (``FAQBOT_DATABASE_URL``) for that.
    """

    def __init__(self, path: Path, retention_days: int = 30, enabled: bool = True, today: Today = dt.date.today) -> None:
        super().__init__(retention_days, enabled, today)
        self.path = path
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
            # Days are stored as ISO text, which sorts and compares like dates.
            db = sqlite3.connect(self.path, timeout=10)
            try:
                yield db
                db.commit()
            finally:
                db.close()

    def _purge(self, db: sqlite3.Connection, cutoff: dt.date) -> None:
        db.execute("DELETE FROM unanswered WHERE day < ?", (cutoff.isoformat(),))
        db.execute("DELETE FROM feedback WHERE day < ?", (cutoff.isoformat(),))

    def _insert_unanswered(self, cutoff: dt.date, row: tuple) -> None:
        day, *rest = row
        with self._connect() as db:
            self._purge(db, cutoff)
            db.execute("INSERT INTO unanswered VALUES (?, ?, ?, ?, ?)", (day.isoformat(), *rest))

    def _insert_feedback(self, cutoff: dt.date, row: tuple) -> None:
        day, *rest = row
        with self._connect() as db:
            self._purge(db, cutoff)
            db.execute("INSERT INTO feedback VALUES (?, ?, ?, ?, ?, NULL)", (day.isoformat(), *rest))

    def _rate_answer(self, cutoff: dt.date, row: tuple) -> str:
        day, question, status, sources, rating, answer_id = row
        with self._connect() as db:
            self._purge(db, cutoff)
            found = db.execute("SELECT rating FROM feedback WHERE answer_id = ?", (answer_id,)).fetchone()
            previous = found[0] if found else None
            if rating is None or rating == previous:
                db.execute("DELETE FROM feedback WHERE answer_id = ?", (answer_id,))
                return "removed" if previous is not None else "ignored"
            db.execute(
                "INSERT OR REPLACE INTO feedback VALUES (?, ?, ?, ?, ?, ?)",
                (day.isoformat(), question, status, sources, rating, answer_id),
            )
            return "replaced" if previous is not None else "kept"

    def _select_groups(self, cutoff: dt.date, limit: int) -> list[tuple]:
        with self._connect() as db:
            self._purge(db, cutoff)
            return db.execute(
                "SELECT MIN(question), COUNT(*), MAX(day), GROUP_CONCAT(DISTINCT reason) FROM unanswered "
                "GROUP BY grouping ORDER BY MAX(day) DESC, COUNT(*) DESC, grouping LIMIT ?",
                (limit,),
            ).fetchall()

    def _select_feedback(self, cutoff: dt.date, limit: int) -> list[tuple]:
        with self._connect() as db:
            self._purge(db, cutoff)
            return db.execute(
                "SELECT day, question, status, sources, rating FROM feedback ORDER BY day DESC, rowid DESC LIMIT ?",
                (limit,),
            ).fetchall()
