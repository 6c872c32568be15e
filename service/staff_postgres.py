"""The staff store on PostgreSQL, shared by every app replica (``FAQBOT_DATABASE_URL``).

psycopg 3 speaks to the server directly: a few tables and plain queries need no
query builder, and the SQL reads the same as the SQLite backend's (the answer
log's one query is shared, see ``service.staff_store.log_query``). Text is
compared with the "C" collation so that grouping and ordering do not depend
on the database's locale and match SQLite's.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Callable
from typing import Any

from service.staff_store import StaffStore, Today

log = logging.getLogger(__name__)

SCHEMA = """
CREATE TABLE IF NOT EXISTS unanswered (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    day DATE NOT NULL, question TEXT NOT NULL, grouping TEXT NOT NULL, reason TEXT, language TEXT
);
CREATE TABLE IF NOT EXISTS feedback (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    day DATE NOT NULL, question TEXT NOT NULL, status TEXT, sources TEXT, rating INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS unanswered_day ON unanswered(day);
CREATE INDEX IF NOT EXISTS feedback_day ON feedback(day);
ALTER TABLE feedback ADD COLUMN IF NOT EXISTS answer_id TEXT;
CREATE UNIQUE INDEX IF NOT EXISTS feedback_answer ON feedback(answer_id);
ALTER TABLE feedback ADD COLUMN IF NOT EXISTS comment TEXT;
ALTER TABLE feedback ADD COLUMN IF NOT EXISTS reply TEXT;
CREATE TABLE IF NOT EXISTS answers (
    seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, answer_id TEXT NOT NULL UNIQUE, day DATE NOT NULL,
    question TEXT NOT NULL, status TEXT NOT NULL, reason TEXT, language TEXT, article TEXT, sources TEXT, reply TEXT,
    confidence DOUBLE PRECISION, threshold DOUBLE PRECISION, trace TEXT, grade TEXT, note TEXT
);
CREATE INDEX IF NOT EXISTS answers_day ON answers(day);
CREATE TABLE IF NOT EXISTS gaps_done (key TEXT PRIMARY KEY, day DATE NOT NULL);
"""
# Two replicas starting at once would both run CREATE TABLE IF NOT EXISTS and one could fail
# on the catalog's unique index: the schema is created under this transaction-level lock.
SCHEMA_LOCK = 0x46415142  # "FAQB"


class PostgresStaffStore(StaffStore):
    """One connection per process, used by one thread at a time, reopened if the server dropped it.

    Args:
        url: a libpq URL, ``postgresql://user:password@host:5432/dbname``.
    """

    def __init__(self, url: str, retention_days: int = 30, enabled: bool = True, today: Today = dt.date.today) -> None:
        super().__init__(retention_days, enabled, today)
        try:
            import psycopg
        except ImportError:  # pragma: no cover - it is in requirements.txt
            raise RuntimeError("the PostgreSQL staff store needs psycopg: pip install 'psycopg[binary]'") from None
        self._psycopg = psycopg
        self._url = url
        self._lock = threading.Lock()
        self._conn: Any = None
        if enabled:
            def create(cur) -> None:
                cur.execute("SELECT pg_advisory_xact_lock(%s)", (SCHEMA_LOCK,))
                cur.execute(SCHEMA)

            self._run(create)

    def _connection(self):
        if self._conn is None or self._conn.closed:
            # autocommit: each operation below is one explicit transaction.
            self._conn = self._psycopg.connect(self._url, autocommit=True, connect_timeout=10)
        return self._conn

    def _run(self, work: Callable[[Any], Any]) -> Any:
        """Run ``work(cursor)`` in one transaction; reconnect and retry once if the connection was lost."""
        with self._lock:
            for attempt in (1, 2):
                conn = self._connection()
                try:
                    with conn.transaction(), conn.cursor() as cur:
                        return work(cur)
                except self._psycopg.OperationalError:
                    if attempt == 2 or not (conn.broken or conn.closed):
                        raise
                    log.warning("staff database connection lost; reconnecting")
                    self._conn = None

    def _purge(self, cur, cutoff: dt.date) -> None:
        cur.execute("DELETE FROM unanswered WHERE day < %s", (cutoff,))
        cur.execute("DELETE FROM feedback WHERE day < %s", (cutoff,))
        cur.execute("DELETE FROM answers WHERE day < %s", (cutoff,))
        cur.execute("DELETE FROM gaps_done WHERE day < %s", (cutoff,))

    def _insert_unanswered(self, cutoff: dt.date, row: tuple) -> None:
        def work(cur) -> None:
            self._purge(cur, cutoff)
            cur.execute(
                "INSERT INTO unanswered (day, question, grouping, reason, language) VALUES (%s, %s, %s, %s, %s)", row
            )

        self._run(work)

    def _insert_feedback(self, cutoff: dt.date, row: tuple) -> None:
        def work(cur) -> None:
            self._purge(cur, cutoff)
            cur.execute("INSERT INTO feedback (day, question, status, sources, rating) VALUES (%s, %s, %s, %s, %s)", row)

        self._run(work)

    def _rate_answer(self, cutoff: dt.date, row: tuple) -> str:
        day, question, status, sources, rating, answer_id, reply = row

        def work(cur) -> str:
            self._purge(cur, cutoff)
            # The row is locked for the transaction: two clicks at once cannot both insert.
            cur.execute("SELECT rating FROM feedback WHERE answer_id = %s FOR UPDATE", (answer_id,))
            found = cur.fetchone()
            previous = found[0] if found else None
            if rating is None or rating == previous:
                cur.execute("DELETE FROM feedback WHERE answer_id = %s", (answer_id,))
                return "removed" if previous is not None else "ignored"
            cur.execute(
                "INSERT INTO feedback (day, question, status, sources, rating, answer_id, reply) "
                "VALUES (%s, %s, %s, %s, %s, %s, %s) "
                "ON CONFLICT (answer_id) DO UPDATE SET day = EXCLUDED.day, rating = EXCLUDED.rating",
                (day, question, status, sources, rating, answer_id, reply),
            )
            return "replaced" if previous is not None else "kept"

        return self._run(work)

    def _select_groups(self, cutoff: dt.date, limit: int) -> list[tuple]:
        def work(cur) -> list[tuple]:
            self._purge(cur, cutoff)
            cur.execute(
                'SELECT MIN(question COLLATE "C"), COUNT(*), MAX(day), string_agg(DISTINCT reason, \',\') '
                'FROM unanswered GROUP BY grouping ORDER BY MAX(day) DESC, COUNT(*) DESC, grouping COLLATE "C" '
                "LIMIT %s",
                (limit,),
            )
            return cur.fetchall()

        return self._run(work)

    def _select_feedback(self, cutoff: dt.date, limit: int) -> list[tuple]:
        def work(cur) -> list[tuple]:
            self._purge(cur, cutoff)
            cur.execute(
                "SELECT day, question, status, sources, rating, comment FROM feedback ORDER BY day DESC, id DESC LIMIT %s",
                (limit,),
            )
            return cur.fetchall()

        return self._run(work)

    def _insert_answer(self, cutoff: dt.date, row: tuple) -> None:
        def work(cur) -> None:
            self._purge(cur, cutoff)
            cur.execute(
                "INSERT INTO answers (answer_id, day, question, status, reason, language, article, sources, reply, "
                "confidence, threshold, trace) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s) "
                "ON CONFLICT (answer_id) DO NOTHING",
                row,
            )

        self._run(work)

    def _select_log(self, cutoff: dt.date, sql: str, params: list) -> list[tuple]:
        def work(cur) -> list[tuple]:
            self._purge(cur, cutoff)
            cur.execute(sql.replace("?", "%s"), params)
            return cur.fetchall()

        return self._run(work)

    def _update_grade(self, cutoff: dt.date, answer_id: str, grade: str, note: str) -> bool:
        def work(cur) -> bool:
            self._purge(cur, cutoff)
            cur.execute("UPDATE answers SET grade = %s, note = %s WHERE answer_id = %s", (grade, note, answer_id))
            return cur.rowcount > 0

        return self._run(work)

    def _update_comment(self, cutoff: dt.date, answer_id: str, comment: str) -> bool:
        def work(cur) -> bool:
            self._purge(cur, cutoff)
            cur.execute("UPDATE feedback SET comment = %s WHERE answer_id = %s", (comment, answer_id))
            return cur.rowcount > 0

        return self._run(work)

    def _set_gap(self, cutoff: dt.date, key: str, day: dt.date | None) -> None:
        def work(cur) -> None:
            self._purge(cur, cutoff)
            if day is None:
                cur.execute("DELETE FROM gaps_done WHERE key = %s", (key,))
            else:
                cur.execute(
                    "INSERT INTO gaps_done (key, day) VALUES (%s, %s) ON CONFLICT (key) DO UPDATE SET day = EXCLUDED.day",
                    (key, day),
                )

        self._run(work)

    def _select_gaps(self, cutoff: dt.date) -> list[str]:
        def work(cur) -> list[str]:
            self._purge(cur, cutoff)
            cur.execute("SELECT key FROM gaps_done")
            return [row[0] for row in cur.fetchall()]

        return self._run(work)

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None
