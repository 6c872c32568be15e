"""What the running app needs around the bot: rate limit, staff store, re-indexing.

The Gradio code calls these methods and only formats their results, so the
same behaviour is available to tests and to any other front end.
"""

from __future__ import annotations

import json
import logging
import re
import threading
import time
import uuid
from pathlib import Path

import numpy as np

from bot.answer import NO_ANSWER, Answer
from bot.engine import Bot
from bot.evaluation import run_eval
from bot.messages import text
from core.settings import Settings
from core.textnorm import detect_language
from index.build import IndexBusy, ShrinkRefused, UpdateReport, sync_index
from index.embedder import DEFAULT_MODEL_NAME
from index.lexical import LEXICAL_SCHEME
from index.store import (
    MANIFEST_FILE,
    VERSIONS_DIR,
    IndexMismatch,
    append_history,
    check_compatible,
    current_version_name,
    list_versions,
    now_iso,
    read_history,
)
from index.store import rollback as rollback_index
from service.eval_files import EvalHistory, metrics_table, read_eval_file
from service.explain import decision
from service.gaps import Gap, content_gaps, question_key, similarity_for
from service.health import IndexHealth, UpdateResult, index_health, update_result
from service.metrics import ServiceMetrics
from service.ratelimit import RateLimiter
from service.staff_store import LogFilter, open_staff_store
from service.staff_tests import StaffTests

log = logging.getLogger(__name__)
SURROGATES = re.compile("[\ud800-\udfff]")


def ensure_index(settings: Settings, progress: bool = True) -> UpdateReport | None:
    """Build the index if there is none yet (first start); return the build report or None.

    Only the live manifest is read here: the bot loads and checks the version
    right after, and loading it twice would double the start-up time. An index
    written by an older release, without the stored keyword indexes but
    otherwise compatible, is updated in place: its vectors are reused, so this
    takes seconds, not a rebuild (replicas sharing the folder wait for the one
    that writes, then find nothing to do).
    """
    if not list_versions(settings.index_dir):
        log.warning("no index yet: building it", extra={"content_dir": str(settings.content_dir)})
        return sync_index(settings, full=True, progress=progress, wait_for_lock=600)
    name = current_version_name(settings.index_dir) or list_versions(settings.index_dir)[-1]
    try:
        manifest = json.loads((settings.index_dir / VERSIONS_DIR / name / MANIFEST_FILE).read_text(encoding="utf-8"))
        check_compatible(
            {**manifest, "lexical_scheme": LEXICAL_SCHEME}, settings.embedding_model or DEFAULT_MODEL_NAME,
            settings.chunk_chars, settings.chunk_overlap,
        )
    except (OSError, ValueError, TypeError, AttributeError, IndexMismatch):
        return None  # the bot's own load says what is wrong
    if manifest.get("lexical_scheme") == LEXICAL_SCHEME:
        return None
    log.warning("index of an older release: adding its keyword indexes", extra={"version": name})
    return sync_index(settings, progress=progress, wait_for_lock=600)


class ClinicService:
    """One per process: shared by every patient session and the staff view."""

    def __init__(self, settings: Settings, bot: Bot | None = None) -> None:
        self.settings = settings
        self.bot = bot or Bot(settings)
        self.store = open_staff_store(settings)
        self.limiter = RateLimiter(settings.rate_limit_per_minute)
        self.global_limiter = RateLimiter(settings.rate_limit_global_per_minute)
        # Ratings have their own budget per client: rating answers never costs a question.
        self.feedback_limiter = RateLimiter(settings.rate_limit_per_minute)
        self._reindex_lock = threading.Lock()
        self._stop = threading.Event()
        self.last_reindex_error: str | None = None
        self.metrics = ServiceMetrics(self.index_health, self.last_update)
        self.my_tests = StaffTests(settings.data_dir)
        self.eval_history = EvalHistory(settings.data_dir)

    def ask(self, question: str, client: str = "", answer_id: str | None = None) -> Answer:
        """Answer a patient, within the rate limits; keep it in the answer log (scrubbed) for staff.

        Args:
            question: the patient's message.
            client: the client's address as the server sees it (after trusted proxies).
            answer_id: the id the chat rates this answer by (one is made up when None).
        """
        # Lone surrogates cannot be encoded (JSON reply, SQLite, the tokenizer): they become U+FFFD.
        question = SURROGATES.sub("\ufffd", question) if isinstance(question, str) else ""
        if not self.limiter.allow(client or "anonymous") or not self.global_limiter.allow("all clients"):
            self.metrics.rate_limited.inc()
            language = detect_language(question[:500]) if question.strip() else "fr"
            return Answer(question, NO_ANSWER, "rate_limited", language, text("rate_limited", language, self.settings))
        try:
            answer = self.bot.ask(question)
        except Exception:  # a patient gets a reply, operators one JSON log line, never a traceback
            log.exception("answer failed")
            return Answer(question, NO_ANSWER, "error", "fr", text("error", "fr", self.settings))
        self.metrics.observe_answer(answer)
        try:
            if answer.status == NO_ANSWER:
                self.store.record_unanswered(question, answer.reason, answer.language)
            trace = {**answer.trace.to_dict(), "decision": self.explain(answer)}
            self.store.record_answer(
                answer_id or uuid.uuid4().hex, question, answer.status, answer.reason, answer.language,
                [c.source for c in answer.citations], answer.answer, trace,
            )
        except Exception:  # the patient's answer matters more than the staff log
            log.exception("could not record the answer")
        return answer

    def titles(self) -> dict[str, str]:
        """Article titles by source, from the served index."""
        retriever = self.bot.retriever
        return {src: retriever.first_chunk(src).title for src in retriever.article_lang}

    def explain(self, answer: Answer) -> str:
        """The answer's decision in one French sentence (see :func:`service.explain.decision`)."""
        return decision(answer, self.titles())

    def feedback(
        self,
        question: str,
        status: str,
        sources: list[str],
        liked: bool | None,
        answer_id: str | None = None,
        client: str = "",
        reply: str = "",
    ) -> str:
        """Keep a patient's rating, within the rate limit; one rating per answer (see ``StaffStore``).

        Returns:
            what the store did, or ``"rate_limited"``.
        """
        if not self.feedback_limiter.allow(client or "anonymous"):
            return "rate_limited"
        if liked is not None:
            self.metrics.observe_rating(liked)
        return self.store.record_feedback(question, status, sources, liked, answer_id, reply)

    def comment(self, answer_id: str, comment: str, client: str = "") -> str:
        """A patient's comment on the answer they rated, within the ratings' rate limit."""
        if not self.feedback_limiter.allow(client or "anonymous"):
            return "rate_limited"
        return self.store.comment_feedback(answer_id, comment)

    def staff_ask(self, question: str) -> Answer:
        """Like :meth:`ask` but without rate limit or logging: staff testing is not patient data."""
        return self.bot.ask(question)

    def reindex(self) -> UpdateReport:
        """Update the index from the content folder and switch the bot to it, while it keeps answering."""
        with self._reindex_lock:
            try:
                report = sync_index(self.settings, embedder=self.bot.embedder, wait_for_lock=5)
            except Exception as exc:
                self.last_reindex_error = str(exc)
                # A refused shrink is already in the history; a busy lock is not an update.
                if not isinstance(exc, (IndexBusy, ShrinkRefused)):
                    append_history(
                        self.settings.index_dir,
                        {"time": now_iso(), "written": False, "error": str(exc)},
                    )
                raise
            self.last_reindex_error = None
            self.bot.maybe_reload()
            return report

    def index_status(self) -> dict:
        """What staff see of the index: the version served and, when it is not the live one, why."""
        loaded = self.bot.retriever.loaded
        m = loaded.manifest
        live_name = current_version_name(self.settings.index_dir)
        live = int(live_name[1:]) if live_name and live_name[1:].isdigit() else None
        fallback = live is not None and live != m.get("version")
        reason = None
        if fallback:
            reason = "; ".join(loaded.warnings) or (
                f"the live version v{live:06d} could not be loaded (see the operator logs); "
                f"serving v{m.get('version'):06d}"
            )
        return {
            "version": m.get("version"),
            "live_version": live,
            "fallback": fallback,
            "fallback_reason": reason,
            "built_at": m.get("built_at"),
            "articles": len(m.get("articles", {})),
            "chunks": m.get("chunk_count"),
            "model": m.get("model"),
            "index_type": m.get("index_type"),
            "index_dir": str(self.settings.index_dir),
            "reindex_every_minutes": self.settings.reindex_every_minutes,
            "last_error": self.last_reindex_error or reason,
        }

    def index_health(self) -> IndexHealth | None:
        """The served index version, its age and whether it is a fallback; None while none is loaded."""
        try:
            loaded = self.bot.retriever.loaded
        except (AssertionError, AttributeError):  # the bot has not loaded an index yet
            return None
        return index_health(loaded.manifest, loaded.warnings)

    def last_update(self) -> UpdateResult | None:
        """The last index build or update recorded in the history, whoever ran it."""
        return update_result(next(iter(read_history(self.settings.index_dir, 1)), None))

    def history(self, limit: int = 30) -> list[dict]:
        return read_history(self.settings.index_dir, limit)

    def rollback(self) -> str:
        """Serve the version before the live one again (the articles' previous state); return its name.

        Raises:
            IndexProblem: there is no earlier version that loads.
        """
        with self._reindex_lock:
            name = rollback_index(self.settings.index_dir)
            append_history(self.settings.index_dir, {"time": now_iso(), "written": True, "rollback": name,
                                                     "version": int(name[1:]) if name[1:].isdigit() else name})
            self.bot.maybe_reload()
            self.last_reindex_error = None
            return name

    def articles(self) -> list[str]:
        """The article names of the served index."""
        return sorted(self.bot.index_manifest.get("articles", {}))

    def run_eval(self, path: Path) -> dict:
        """Run an uploaded eval set (CSV or JSONL, see :mod:`service.eval_files`) against the bot.

        Returns:
            the report, with ``table``: the metrics with their targets and the previous run of the same file.

        Raises:
            EvalUploadError: the file is unusable (French message).
        """
        cases = read_eval_file(Path(path), set(self.articles()))
        report = run_eval(self.bot, cases).to_dict()
        name = Path(path).name
        previous = self.eval_history.previous(name)
        self.eval_history.save(name, report["metrics"])
        return {**report, "table": metrics_table(report["metrics"], previous), "previous": previous}

    def run_my_tests(self) -> dict:
        """Ask every saved staff test again and compare with the previous run."""
        run = self.my_tests.run(self.bot)
        run["table"] = metrics_table(run["metrics"], (run.get("previous") or {}).get("metrics"))
        return run

    def answer_log(self, filters: LogFilter | None = None, limit: int = 500) -> list[dict]:
        return self.store.answer_log(filters, limit)

    def review_queue(self, limit: int = 200) -> list[dict]:
        """Answers close to the threshold (``FAQBOT_REVIEW_MARGIN``) or rated down, not yet graded first."""
        rows = self.store.answer_log(LogFilter(to_review=True, margin=self.settings.review_margin), limit)
        return sorted(rows, key=lambda r: r["grade"] is not None)

    def nearest_article(self, vector: np.ndarray) -> tuple[str, str, float] | None:
        """The article whose passage is closest to ``vector``: ``(source, title, cosine)``."""
        retriever = self.bot.retriever
        if not retriever.chunks:
            return None
        scores, rows = retriever.loaded.faiss_index.search(np.asarray(vector, dtype=np.float32)[None, :], 1)
        if rows[0][0] < 0:
            return None
        chunk = retriever.chunks[int(rows[0][0])]
        return chunk.source, chunk.title, float(scores[0][0])

    def content_gaps(self) -> tuple[list[Gap], dict[str, int]]:
        """Unanswered questions grouped by meaning, largest first; small talk and off-topic counted apart."""
        rows = self.store.answer_log(LogFilter(status=NO_ANSWER), limit=5000)
        cache: dict[str, np.ndarray] = {}

        def encode(question: str) -> np.ndarray:
            if question not in cache:
                cache[question] = self.bot.embedder.encode_query(question)
            return cache[question]

        return content_gaps(rows, encode, self.nearest_article, self.store.gaps_done(),
                            similarity_for(self.bot.embedder.name))

    def mark_gap(self, gap_keys: list[str], done: bool = True) -> None:
        for key in gap_keys:
            self.store.set_gap_done(question_key(key), done)

    def start_scheduler(self) -> threading.Thread | None:
        """Check the content every ``reindex_every_minutes`` in the background (0 turns it off)."""
        minutes = self.settings.reindex_every_minutes
        if minutes <= 0:
            return None

        def loop() -> None:
            while not self._stop.wait(minutes * 60):
                started = time.perf_counter()
                try:
                    report = self.reindex()
                    log.info(
                        "scheduled update",
                        extra={"written": report.written, "version": report.version,
                               "seconds": round(time.perf_counter() - started, 2)},
                    )
                except Exception as exc:
                    log.error("scheduled update failed", extra={"error": str(exc)})

        thread = threading.Thread(target=loop, name="reindex-scheduler", daemon=True)
        thread.start()
        return thread

    def start_index_watcher(self, interval: float | None = None) -> threading.Thread | None:
        """Load a version written by another process (a scheduled writer) within ``index_check_seconds``.

        Reads only the ``CURRENT`` pointer, so replicas that never write follow the writer without a restart.
        """
        seconds = self.settings.index_check_seconds if interval is None else interval
        if seconds <= 0:
            return None

        def loop() -> None:
            while not self._stop.wait(seconds):
                if self.bot.maybe_reload():
                    log.info("index switched", extra={"version": self.bot.index_manifest.get("version")})

        thread = threading.Thread(target=loop, name="index-watcher", daemon=True)
        thread.start()
        return thread

    def stop(self) -> None:
        self._stop.set()
