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
CREATE TABLE IF NOT EXISTS answers (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, answer_id TEXT NOT NULL UNIQUE, day TEXT NOT NULL, question TEXT NOT NULL,
    status TEXT NOT NULL, reason TEXT, language TEXT, article TEXT, sources TEXT, reply TEXT,
    confidence REAL, threshold REAL, trace TEXT, grade TEXT, note TEXT
);
CREATE TABLE IF NOT EXISTS gaps_done (key TEXT PRIMARY KEY, day TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS answers_day ON answers(day);
CREATE INDEX IF NOT EXISTS unanswered_day ON unanswered(day);
CREATE INDEX IF NOT EXISTS feedback_day ON feedback(day);
"""
# One rating per answer. Files made before these columns get them added.
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
                # One transaction holding the write lock: the tables, the added columns and the index
                # reach the disk in one commit (not one per statement), and two processes opening the
                # file together cannot both find a column missing and both add it.
                db.executescript("BEGIN IMMEDIATE;" + SCHEMA)
                columns = {row[1] for row in db.execute("PRAGMA table_info(feedback)")}
                for column in ("answer_id", "comment", "reply"):
                    if column not in columns:
                        db.execute(f"ALTER TABLE feedback ADD COLUMN {column} TEXT")
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
        db.execute("DELETE FROM answers WHERE day < ?", (cutoff.isoformat(),))
        db.execute("DELETE FROM gaps_done WHERE day < ?", (cutoff.isoformat(),))

    def _insert_unanswered(self, cutoff: dt.date, row: tuple) -> None:
        day, *rest = row
        with self._connect() as db:
            self._purge(db, cutoff)
            db.execute("INSERT INTO unanswered VALUES (?, ?, ?, ?, ?)", (day.isoformat(), *rest))

    def _insert_feedback(self, cutoff: dt.date, row: tuple) -> None:
        day, *rest = row
        with self._connect() as db:
            self._purge(db, cutoff)
            db.execute(
                "INSERT INTO feedback (day, question, status, sources, rating) VALUES (?, ?, ?, ?, ?)",
                (day.isoformat(), *rest),
            )

    def _rate_answer(self, cutoff: dt.date, row: tuple) -> str:
        day, question, status, sources, rating, answer_id, reply = row
        with self._connect() as db:
            self._purge(db, cutoff)
            found = db.execute("SELECT rating FROM feedback WHERE answer_id = ?", (answer_id,)).fetchone()
            previous = found[0] if found else None
            if rating is None or rating == previous:
                db.execute("DELETE FROM feedback WHERE answer_id = ?", (answer_id,))
                return "removed" if previous is not None else "ignored"
            if previous is not None:  # the comment stays with the answer
                db.execute("UPDATE feedback SET day = ?, rating = ? WHERE answer_id = ?",
                           (day.isoformat(), rating, answer_id))
            else:
                db.execute(
                    "INSERT INTO feedback (day, question, status, sources, rating, answer_id, reply) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (day.isoformat(), question, status, sources, rating, answer_id, reply),
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
                "SELECT day, question, status, sources, rating, comment FROM feedback ORDER BY day DESC, rowid DESC LIMIT ?",
                (limit,),
            ).fetchall()

    def _insert_answer(self, cutoff: dt.date, row: tuple) -> None:
        answer_id, day, *rest = row
        with self._connect() as db:
            self._purge(db, cutoff)
            db.execute(
                "INSERT OR IGNORE INTO answers (answer_id, day, question, status, reason, language, article, sources, "
                "reply, confidence, threshold, trace) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (answer_id, day.isoformat(), *rest),
            )

    def _select_log(self, cutoff: dt.date, sql: str, params: list) -> list[tuple]:
        with self._connect() as db:
            self._purge(db, cutoff)
            return db.execute(sql, [p.isoformat() if isinstance(p, dt.date) else p for p in params]).fetchall()

    def _update_grade(self, cutoff: dt.date, answer_id: str, grade: str, note: str) -> bool:
        with self._connect() as db:
            self._purge(db, cutoff)
            return db.execute(
                "UPDATE answers SET grade = ?, note = ? WHERE answer_id = ?", (grade, note, answer_id)
            ).rowcount > 0

    def _update_comment(self, cutoff: dt.date, answer_id: str, comment: str) -> bool:
        with self._connect() as db:
            self._purge(db, cutoff)
            return db.execute("UPDATE feedback SET comment = ? WHERE answer_id = ?", (comment, answer_id)).rowcount > 0

    def _set_gap(self, cutoff: dt.date, key: str, day: dt.date | None) -> None:
        with self._connect() as db:
            self._purge(db, cutoff)
            if day is None:
                db.execute("DELETE FROM gaps_done WHERE key = ?", (key,))
            else:
                db.execute("INSERT OR REPLACE INTO gaps_done VALUES (?, ?)", (key, day.isoformat()))

    def _select_gaps(self, cutoff: dt.date) -> list[str]:
        with self._connect() as db:
            self._purge(db, cutoff)
            return [row[0] for row in db.execute("SELECT key FROM gaps_done")]
