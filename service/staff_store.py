"""What is kept for staff: the answer log, unanswered questions and patients' ratings.

Minimal on purpose. Each row holds the scrubbed question, the day (not the
time), the bot's status and cited sources; the answer log adds the reply
(scrubbed too), the confidence against its threshold and the decision's
details without the patient's words (no search terms); feedback adds the
rating and an optional comment (scrubbed). Staff add a grade and a note to
a logged answer and mark groups of unanswered questions as dealt with. Messages
classed as emergencies are never kept, rated or not. No IP
address, no cookie, no session id. Rows older than the retention period
(30 days by default) are deleted at every write and every read, and
``log_questions=False`` turns the store off entirely.

:class:`StaffStore` holds these rules; a backend only stores and queries rows:
SQLite in the data folder by default (``service.staff_sqlite``), PostgreSQL when
``FAQBOT_DATABASE_URL`` is set (``service.staff_postgres``), so that several app
replicas share one store.
"""

from __future__ import annotations

import datetime as dt
import json
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass

from bot.answer import EMERGENCY, NO_ANSWER
from core.settings import Settings
from core.textnorm import fold
from service.privacy import scrub

# Replies that say nothing about the articles: not worth a staff member's time.
NOT_KEPT_REASONS = ("invalid_input", "small_talk")
# Not logged at all: nothing was asked (empty or unreadable), or the bot was not asked.
NOT_LOGGED_REASONS = ("invalid_input", "rate_limited", "error", "internal_error")
GRADES = ("bon", "acceptable", "mauvais")
# What the log keeps of an answer's trace: numbers, article names and article text, never the patient's words.
KEPT_TRACE_KEYS = (
    "decision", "index_version", "answerable_probability", "threshold", "off_topic_probability",
    "off_topic_threshold", "features", "uncovered_topics",
    "retrieved_articles", "top_by_retriever", "candidates", "quoted", "quote_candidates", "triage", "timings",
)
MAX_COMMENT_CHARS = 1000


@dataclass(frozen=True)
class LogFilter:
    """Which logged answers to list; None (or empty) means any."""

    status: str | None = None
    reason: str | None = None
    article: str | None = None
    day: str | None = None
    # Only answers close to the threshold (within ``margin``) or rated down by the patient.
    to_review: bool = False
    margin: float = 0.1
    answer_id: str | None = None


def log_query(f: LogFilter, limit: int) -> tuple[str, list]:
    """The answer log's SELECT for one filter, with ``?`` placeholders (the PostgreSQL backend swaps them).

    The first placeholder is the retention cutoff, which the caller puts first in the parameters.

    Columns: answer_id, day, question, status, reason, language, article, sources, reply,
    confidence, threshold, trace, grade, note, rating, comment.
    """
    where, params = ["a.day >= ?"], []
    if f.status:
        where.append("a.status = ?")
        params.append(f.status)
    if f.reason:
        where.append("a.reason = ?")
        params.append(f.reason)
    if f.article:
        where.append("a.article = ?")
        params.append(f.article)
    if f.day:
        where.append("a.day = ?")
        params.append(dt.date.fromisoformat(f.day))
    if f.answer_id:
        where.append("a.answer_id = ?")
        params.append(f.answer_id)
    if f.to_review:
        where.append("((a.confidence IS NOT NULL AND a.threshold IS NOT NULL AND a.confidence >= a.threshold - ? "
                     "AND a.confidence <= a.threshold + ?) OR fb.rating < 0)")
        params += [f.margin, f.margin]
    sql = (
        "SELECT a.answer_id, a.day, a.question, a.status, a.reason, a.language, a.article, a.sources, a.reply, "
        "a.confidence, a.threshold, a.trace, a.grade, a.note, fb.rating, fb.comment "
        "FROM answers a LEFT JOIN feedback fb ON fb.answer_id = a.answer_id "
        f"WHERE {' AND '.join(where)} ORDER BY a.day DESC, a.seq DESC LIMIT ?"
    )
    return sql, [*params, limit]

Today = Callable[[], dt.date]


class StaffStore(ABC):
    """The staff store's rules (scrubbing, retention, grouping) over a backend's rows.

    Args:
        retention_days: rows older than this many days are deleted.
        enabled: False keeps nothing and touches no storage.
        today: the current day (a parameter so tests can move time).
    """

    def __init__(self, retention_days: int = 30, enabled: bool = True, today: Today = dt.date.today) -> None:
        self.retention_days = retention_days
        self.enabled = enabled
        self._today = today

    def _cutoff(self) -> dt.date:
        return self._today() - dt.timedelta(days=self.retention_days)

    def record_unanswered(self, question: str, reason: str | None, language: str, status: str = NO_ANSWER) -> None:
        """Keep a question the bot did not answer, scrubbed, with its grouping key.

        Emergencies (suicidal thoughts above all) are never kept, whatever the caller asks.
        """
        if not self.enabled or status == EMERGENCY or reason in NOT_KEPT_REASONS:
            return
        clean = scrub(question)
        grouping = " ".join(fold(clean).split()).strip(" ?!.")
        self._insert_unanswered(self._cutoff(), (self._today(), clean, grouping, reason, language))

    def record_answer(
        self,
        answer_id: str,
        question: str,
        status: str,
        reason: str | None,
        language: str,
        sources: list[str],
        reply: str,
        trace: dict,
    ) -> bool:
        """Keep one answer in the log (scrubbed question and reply, trace without the patient's words).

        Emergencies, empty or unreadable messages and refusals for too many questions are not kept.

        Returns:
            whether it was kept.
        """
        if not self.enabled or status == EMERGENCY or reason in NOT_LOGGED_REASONS or not answer_id:
            return False
        kept = {k: trace[k] for k in KEPT_TRACE_KEYS if k in trace}
        if isinstance(kept.get("triage"), dict):  # the words a rule matched are the patient's
            kept["triage"] = {k: v for k, v in kept["triage"].items() if k != "matched_words"}
        row = (
            answer_id, self._today(), scrub(question), status, reason, language, sources[0] if sources else None,
            json.dumps(sources), scrub(reply), _float(trace.get("answerable_probability")),
            _float(trace.get("threshold")), json.dumps(kept, ensure_ascii=False),
        )
        self._insert_answer(self._cutoff(), row)
        return True

    def answer_log(self, filters: LogFilter | None = None, limit: int = 500) -> list[dict]:
        """Logged answers, most recent first, with the patient's rating and comment and the staff's grade."""
        if not self.enabled:
            return []
        cutoff = self._cutoff()
        sql, params = log_query(filters or LogFilter(), limit)
        return [_log_row(r) for r in self._select_log(cutoff, sql, [cutoff, *params])]

    def answer_entry(self, answer_id: str) -> dict | None:
        """One logged answer with its trace, or None."""
        rows = self.answer_log(LogFilter(answer_id=answer_id), limit=1) if answer_id else []
        return rows[0] if rows else None

    def grade_answer(self, answer_id: str, grade: str, note: str = "") -> bool:
        """Record a staff grade (``bon``, ``acceptable``, ``mauvais``) and note on a logged answer.

        Returns:
            False when the answer is not (or no longer) in the log.
        """
        if grade not in GRADES:
            raise ValueError(f"grade must be one of {GRADES}")
        if not self.enabled:
            return False
        return self._update_grade(self._cutoff(), answer_id, grade, scrub(note or "")[:MAX_COMMENT_CHARS])

    def comment_feedback(self, answer_id: str, comment: str) -> str:
        """Attach the patient's comment (scrubbed) to their rating of one answer.

        Returns:
            ``"kept"``, or ``"ignored"`` when the answer has no rating (an emergency, or taken back).
        """
        comment = scrub((comment or "").strip())[:MAX_COMMENT_CHARS]
        if not self.enabled or not answer_id or not comment:
            return "ignored"
        return "kept" if self._update_comment(self._cutoff(), answer_id, comment) else "ignored"

    def set_gap_done(self, key: str, done: bool = True) -> None:
        """Mark a group of unanswered questions (by its key) as dealt with, or not."""
        if self.enabled and key:
            self._set_gap(self._cutoff(), key, self._today() if done else None)

    def gaps_done(self) -> set[str]:
        """The keys of the groups marked as dealt with."""
        if not self.enabled:
            return set()
        return set(self._select_gaps(self._cutoff()))

    def record_feedback(
        self,
        question: str,
        status: str,
        sources: list[str],
        liked: bool | None,
        answer_id: str | None = None,
        reply: str = "",
    ) -> str:
        """Keep a patient's rating of one answer; return what happened.

        Args:
            question: the question that was answered (scrubbed before it is kept).
            status: the answer's status; emergencies are never kept.
            sources: the cited articles.
            liked: True for thumbs up, False for thumbs down, None to take the rating back.
            answer_id: the answer rated. With it there is one row per answer: a new
                rating replaces the previous one, the same rating again takes it back.
            reply: the answer's text as the patient saw it (scrubbed before it is kept).

        Returns:
            ``"kept"``, ``"replaced"``, ``"removed"`` or ``"ignored"``.
        """
        if not self.enabled or status == EMERGENCY:
            return "ignored"
        rating = None if liked is None else (1 if liked else -1)
        if not answer_id:
            if rating is None:
                return "ignored"
            self._insert_feedback(self._cutoff(), (self._today(), scrub(question), status, json.dumps(sources), rating))
            return "kept"
        row = (self._today(), scrub(question), status, json.dumps(sources), rating, answer_id, scrub(reply or ""))
        return self._rate_answer(self._cutoff(), row)

    def unanswered_groups(self, limit: int = 200) -> list[dict]:
        """Unanswered questions grouped by their folded text, most recent first, with counts."""
        if not self.enabled:
            return []
        return [
            {"question": q, "count": n, "last_day": _day(day), "reasons": ",".join(sorted(set((reasons or "").split(",")) - {""}))}
            for q, n, day, reasons in self._select_groups(self._cutoff(), limit)
        ]

    def feedback_rows(self, limit: int = 200) -> list[dict]:
        """Ratings with the patient's comment, most recent first."""
        if not self.enabled:
            return []
        return [
            {"day": _day(d), "question": q, "status": s, "sources": ", ".join(json.loads(src or "[]")), "rating": r,
             "comment": c}
            for d, q, s, src, r, c in self._select_feedback(self._cutoff(), limit)
        ]

    def close(self) -> None:  # noqa: B027 - a backend without connections has nothing to release
        """Release connections (the store is unusable afterwards)."""

    # A backend deletes rows older than ``cutoff`` in the same transaction as each operation.

    @abstractmethod
    def _insert_unanswered(self, cutoff: dt.date, row: tuple) -> None:
        """Insert ``(day, question, grouping, reason, language)``."""

    @abstractmethod
    def _insert_feedback(self, cutoff: dt.date, row: tuple) -> None:
        """Insert ``(day, question, status, sources_json, rating)``."""

    @abstractmethod
    def _insert_answer(self, cutoff: dt.date, row: tuple) -> None:
        """Insert ``(answer_id, day, question, status, reason, language, article, sources_json, reply,
        confidence, threshold, trace_json)``; an answer id already logged is left as it is."""

    @abstractmethod
    def _select_log(self, cutoff: dt.date, sql: str, params: list) -> list[tuple]:
        """Run the answer log's query (:func:`log_query`)."""

    @abstractmethod
    def _update_grade(self, cutoff: dt.date, answer_id: str, grade: str, note: str) -> bool:
        """Set a logged answer's grade and note; False if there is no such answer."""

    @abstractmethod
    def _update_comment(self, cutoff: dt.date, answer_id: str, comment: str) -> bool:
        """Set the comment of an answer's rating; False if the answer has no rating."""

    @abstractmethod
    def _set_gap(self, cutoff: dt.date, key: str, day: dt.date | None) -> None:
        """Mark the gap ``key`` as dealt with on ``day``, or unmark it (``day`` None)."""

    @abstractmethod
    def _select_gaps(self, cutoff: dt.date) -> list[str]:
        """The keys of the gaps marked as dealt with."""

    @abstractmethod
    def _rate_answer(self, cutoff: dt.date, row: tuple) -> str:
        """One rating per answer, in one transaction: ``row`` is ``(day, question, status, sources_json,
        rating or None, answer_id, reply)``. No rating, or the same rating as the one kept, deletes it
        (``"removed"``, or ``"ignored"`` if there was none); another rating replaces it (``"replaced"``);
        a first rating is inserted (``"kept"``)."""

    @abstractmethod
    def _select_groups(self, cutoff: dt.date, limit: int) -> list[tuple]:
        """``(smallest question, count, last day, reasons joined by commas)`` per grouping key,
        ordered by last day then count (both descending), then the key."""

    @abstractmethod
    def _select_feedback(self, cutoff: dt.date, limit: int) -> list[tuple]:
        """``(day, question, status, sources_json, rating, comment)``, most recent day and insertion first."""


def _float(value) -> float | None:
    return None if value is None else float(value)


def _log_row(r: tuple) -> dict:
    (answer_id, day, question, status, reason, language, article, sources, reply, confidence, threshold, trace,
     grade, note, rating, comment) = r
    return {
        "answer_id": answer_id, "day": _day(day), "question": question, "status": status, "reason": reason,
        "language": language, "article": article, "sources": json.loads(sources or "[]"), "reply": reply,
        "confidence": confidence, "threshold": threshold, "trace": json.loads(trace or "{}"),
        "grade": grade, "note": note, "rating": rating, "comment": comment,
    }


def _day(value: dt.date | str) -> str:
    return value.isoformat() if isinstance(value, dt.date) else str(value)


def open_staff_store(settings: Settings, today: Today = dt.date.today) -> StaffStore:
    """The store the settings ask for: PostgreSQL if ``database_url`` is set, else SQLite in ``data_dir``.

    Raises:
        ValueError: ``database_url`` is not a ``postgresql://`` URL.
    """
    common = {"retention_days": settings.retention_days, "enabled": settings.log_questions, "today": today}
    url = settings.database_url.strip()
    if url:
        if not url.startswith(("postgresql://", "postgres://")):
            raise ValueError("FAQBOT_DATABASE_URL must be a postgresql:// URL (unset it to use SQLite)")
        from service.staff_postgres import PostgresStaffStore

        return PostgresStaffStore(url, **common)
    from service.staff_sqlite import SQLiteStaffStore

    return SQLiteStaffStore(settings.data_dir / "staff.sqlite3", **common)
