"""What is kept for staff: unanswered questions and patients' ratings.

Minimal on purpose. Each row holds the scrubbed question, the day (not the
time), the bot's status and cited sources, and for feedback the rating. Messages
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

from bot.answer import EMERGENCY, NO_ANSWER
from core.settings import Settings
from core.textnorm import fold
from service.privacy import scrub

# Replies that say nothing about the articles: not worth a staff member's time.
NOT_KEPT_REASONS = ("invalid_input", "small_talk")

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
        if not answer_id:
            if rating is None:
                return "ignored"
            self._insert_feedback(self._cutoff(), (self._today(), scrub(question), status, json.dumps(sources), rating))
            return "kept"
        row = (self._today(), scrub(question), status, json.dumps(sources), rating, answer_id)
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
        """Ratings, most recent first."""
        if not self.enabled:
            return []
        return [
            {"day": _day(d), "question": q, "status": s, "sources": ", ".join(json.loads(src or "[]")), "rating": r}
            for d, q, s, src, r in self._select_feedback(self._cutoff(), limit)
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
    def _rate_answer(self, cutoff: dt.date, row: tuple) -> str:
        """One rating per answer, in one transaction: ``row`` is ``(day, question, status, sources_json,
        rating or None, answer_id)``. No rating, or the same rating as the one kept, deletes it
        (``"removed"``, or ``"ignored"`` if there was none); another rating replaces it (``"replaced"``);
        a first rating is inserted (``"kept"``)."""

    @abstractmethod
    def _select_groups(self, cutoff: dt.date, limit: int) -> list[tuple]:
        """``(smallest question, count, last day, reasons joined by commas)`` per grouping key,
        ordered by last day then count (both descending), then the key."""

    @abstractmethod
    def _select_feedback(self, cutoff: dt.date, limit: int) -> list[tuple]:
        """``(day, question, status, sources_json, rating)``, most recent day and insertion first."""


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
