"""The bot: from a patient's message to an :class:`Answer`.

Order matters, and it is declared once (:meth:`Bot.steps`): input is cleaned
first; emergency triage runs before anything else (even on a message too long
to answer); personal-advice requests, off-topic messages and topics no article
mentions are refused next; only then does retrieval run, and its result is
answered only if the abstention model trusts it.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from bot.abstain import features, interaction
from bot.answer import ANSWERED, EMERGENCY, NO_ANSWER, Answer, Trace
from bot.calibration import load_calibration
from bot.compose import answer_text, compose, rank_units
from bot.facts import missing_facts
from bot.messages import emergency_text, text
from bot.quotes import Candidate
from bot.retrieval import Retrieval, Retriever
from bot.safety import (
    asks_personal_advice,
    emergency_rule,
    emergency_words,
    is_off_topic_task,
    is_prompt_injection,
    is_small_talk,
    tells_personal_situation,
)
from bot.triage import CAUTION, Triage, TriageChecker
from bot.triage import EMERGENCY as TRIAGE_EMERGENCY
from core.settings import Settings
from core.textnorm import clean_input, detect_language, letters_ratio
from index.embedder import Embedder, load_embedder
from index.store import check_compatible, current_version_name, load_current

if TYPE_CHECKING:
    import numpy as np

    from bot.quotes import Candidate

log = logging.getLogger(__name__)
# Emergency rules read the whole of any message a patient could plausibly type.
EMERGENCY_SCAN_CHARS = 20_000
# The model reads at most 512 tokens; a longer message is embedded from its start.
EMBED_CHARS = 2_000


def _triage_trace(triage, text: str) -> dict:
    return {
        "level": triage.level,
        # The words that made a rule fire, shown to staff (the message itself is never stored).
        "matched_words": emergency_words(text, triage.rule) if triage.rule else [],
        "category": triage.category,
        "rule": triage.rule,
        "net": triage.net,
        "emergency_probability": round(triage.score, 3),
    }


@dataclass
class Turn:
    """One message on its way through :meth:`Bot.steps`: what each step found, for the next ones.

    ``answer`` is set by the step that concludes (``stopped_by``); calibration
    reads the evidence (``retrieval``, ``ranked``, ``features``) of a turn run
    until a given step.
    """

    question: str
    cleaned: str
    language: str
    vector: np.ndarray | None = None
    triage: Triage | None = None
    retriever: Retriever | None = None
    retrieval: Retrieval | None = None
    ranked: list[Candidate] = field(default_factory=list)
    features: dict[str, float] = field(default_factory=dict)
    # What the question's and the best sentence's embeddings, multiplied dimension by dimension, add to
    # the abstention model's log-odds (computed once, read by the decision and the staff trace).
    match: float | None = None
    trace: Trace = field(default_factory=Trace)
    answer: Answer | None = None
    stopped_by: str | None = None
    # The patient tells their own situation (a medication, a treatment): answered only from the
    # articles, with a note that the doctor checks it; the personal-advice reply when they do not answer.
    personal: bool = False


@dataclass
class _State:
    version_name: str | None
    retriever: Retriever


class Bot:
    """Answers questions from the live index; picks up a new index version without a restart."""

    def __init__(self, settings: Settings, embedder: Embedder | None = None) -> None:
        import faiss
        from threadpoolctl import threadpool_limits

        # One question at a time per search: FAISS's OpenMP threads would only
        # compete with the embedding model's threads (3 ms instead of 0.7 ms at 10k).
        faiss.omp_set_num_threads(1)
        self.settings = settings
        self.embedder = embedder or load_embedder(settings.embedding_model)
        self.calibration = load_calibration(self.embedder.name)
        self.triage = TriageChecker(self.calibration.triage)
        self._reload_lock = threading.Lock()
        self._state: _State | None = None
        self.reload()
        # Pay the one-off costs (language model, first forward pass) before the first patient does.
        detect_language("warm up the language identifier please")
        emergency_rule("warm up the emergency rules")
        self.embedder.encode_query("bonjour")
        # The same for OpenBLAS: a question's matrix products are small (a few thousand rows), and its
        # threads keep spinning after each one, slowing the next question's embedding on a small machine
        # (measured on 2 cores: 27 ms for the embedding with one BLAS thread, 63 ms right after a search).
        # Set last: the limit reaches the libraries loaded by then, the embedder's and the index's included.
        threadpool_limits(1, user_api="blas")

    @property
    def retriever(self) -> Retriever:
        assert self._state is not None
        return self._state.retriever

    @property
    def index_manifest(self) -> dict:
        return self.retriever.loaded.manifest

    def reload(self) -> bool:
        """Load the live index version if it is not the one in memory; True if it changed."""
        with self._reload_lock:
            name = current_version_name(self.settings.index_dir)
            if self._state is not None and name == self._state.version_name:
                return False
            loaded = load_current(self.settings.index_dir)
            check_compatible(
                loaded.manifest, self.embedder.name, self.settings.chunk_chars, self.settings.chunk_overlap
            )
            for warning in loaded.warnings:
                log.error("index fallback", extra={"warning": warning})
            # Remember the pointer, not the folder: after a fallback to an older
            # version the damaged one is not retried until the pointer moves.
            # One assignment: a question in flight keeps the retriever it started with.
            self._state = _State(name, Retriever(loaded, self.embedder, self.calibration.fusion))
            log.info("index loaded", extra={"version": loaded.version, "chunks": len(loaded.chunks)})
            return True

    def maybe_reload(self) -> bool:
        """Cheap check of the ``CURRENT`` pointer; reload if another process switched versions."""
        name = current_version_name(self.settings.index_dir)
        if self._state is not None and name == self._state.version_name:
            return False
        try:
            return self.reload()
        except Exception:  # keep answering from the version in memory
            log.exception("reload failed; keeping the loaded index")
            return False

    def ask(self, question: str | None) -> Answer:
        """Answer one message. Never raises on odd input: it becomes a clear ``no_answer``."""
        started = time.perf_counter()
        question = question if isinstance(question, str) else ""
        try:
            answer = self.run(question).answer
            assert answer is not None  # the last step always concludes
        except Exception:  # a patient gets a clear refusal; the operator gets the traceback in the logs
            log.exception("unexpected error while answering")
            answer = self._reply(question, "fr", NO_ANSWER, "internal_error", "not_in_articles")
        answer.latency_ms = (time.perf_counter() - started) * 1000
        answer.trace.timings["total_ms"] = round(answer.latency_ms, 3)
        return answer

    def steps(self) -> tuple[tuple[str, Callable[[Turn], None]], ...]:
        """The pipeline, in order. Each step reads the turn, adds what it found, and may conclude.

        Calibration and evaluation run these same steps (:meth:`run` with ``until``
        and ``skip``), so a gate added here is seen by every fit and every figure.
        """
        return (
            ("triage", self._triage),
            ("readable", self._check_readable),
            ("rules", self._apply_rules),
            ("off_topic", self._check_domain),
            ("topics", self._check_topics),
            ("retrieve", self._retrieve),
            ("rank", self._rank),
            ("abstain", self._abstain),
            ("compose", self._compose),
        )

    def run(self, question: str, *, until: str | None = None, skip: tuple[str, ...] = ()) -> Turn:
        """Take ``question`` through the steps until one concludes, or until the step ``until`` is done.

        Args:
            question: the patient's message as typed.
            until: stop after this step even without an answer (calibration reads the turn's evidence).
            skip: steps not run (calibration keeps questions a hand list would refuse).
        """
        steps = self.steps()
        names = [name for name, _ in steps]
        if until is not None and until not in names:
            raise ValueError(f"unknown step {until!r}; the steps are {', '.join(names)}")
        turn = self._read(question)
        for name, step in steps:
            if turn.answer is not None:
                break
            if name not in skip:
                step(turn)
                if turn.answer is not None:
                    turn.stopped_by = name
            if name == until:
                break
        self._finish(turn)
        return turn

    def _reply(self, question: str, language: str, status: str, reason: str, key: str, **values) -> Answer:
        return Answer(question, status, reason, language, text(key, language, self.settings, **values))

    def _refuse(self, turn: Turn, reason: str, key: str, **values) -> None:
        if turn.personal and key == "not_in_articles":
            # Nothing in the articles for a patient's own situation: only a consultation can answer.
            reason = key = "personal_medical_advice"
        turn.answer = self._reply(turn.question, turn.language, NO_ANSWER, reason, key, **values)

    def _read(self, question: str) -> Turn:
        """Canonical text, language, and the question's embedding, computed once for every step."""
        cleaned = clean_input(question)
        language = detect_language(cleaned[:500]) if cleaned else "fr"
        turn = Turn(question, cleaned, language)
        if not cleaned:
            self._refuse(turn, "invalid_input", "empty")
            turn.stopped_by = "read"
            return turn
        t = time.perf_counter()
        if any(ch.isalpha() for ch in cleaned):
            turn.vector = self.embedder.encode_query(cleaned[:EMBED_CHARS])
        turn.trace.timings["embed_ms"] = round((time.perf_counter() - t) * 1000, 3)
        return turn

    def _triage(self, turn: Turn) -> None:
        """Emergencies first, on the whole message, even one too long to answer."""
        scanned = turn.cleaned[:EMERGENCY_SCAN_CHARS]
        triage = self.triage.check(scanned, turn.vector)
        turn.triage = triage
        turn.trace.triage = _triage_trace(triage, scanned)
        if triage.level == TRIAGE_EMERGENCY:
            turn.answer = Answer(
                turn.question, EMERGENCY, triage.rule or f"semantic:{triage.category}", turn.language,
                emergency_text(triage.category, turn.language, self.settings), category=triage.category,
            )

    def _check_readable(self, turn: Turn) -> None:
        cleaned, limit = turn.cleaned, self.settings.max_question_chars
        if len(cleaned) > limit:
            self._refuse(turn, "invalid_input", "too_long", length=len(cleaned), limit=limit)
        elif letters_ratio(cleaned) < 0.3 or sum(ch.isalpha() for ch in cleaned) < 2:
            self._refuse(turn, "invalid_input", "unreadable")

    def _apply_rules(self, turn: Turn) -> None:
        cleaned = turn.cleaned
        if asks_personal_advice(cleaned):
            self._refuse(turn, "personal_medical_advice", "personal_medical_advice")
        elif tells_personal_situation(cleaned):
            turn.personal = turn.trace.personal_situation = True
        elif is_prompt_injection(cleaned) or is_off_topic_task(cleaned):
            self._refuse(turn, "out_of_scope", "out_of_scope")
        elif is_small_talk(cleaned):
            self._refuse(turn, "small_talk", "small_talk")

    def _check_domain(self, turn: Turn) -> None:
        domain = self.calibration.domain
        if domain is None:
            return
        off_topic, probability = domain.off_topic(turn.vector)
        turn.trace.off_topic_probability = round(probability, 4)
        turn.trace.off_topic_threshold = domain.threshold
        if off_topic:
            self._refuse(turn, "off_topic", "out_of_scope")

    def _check_topics(self, turn: Turn) -> None:
        missing = self.retriever.uncovered_topics(turn.cleaned)
        if missing:
            turn.trace.index_version = self.retriever.loaded.version
            turn.trace.uncovered_topics = missing
            self._refuse(turn, "not_in_articles", "not_in_articles")

    def _retrieve(self, turn: Turn) -> None:
        # One retriever for the whole turn: a reload in between does not mix two versions.
        turn.retriever = retriever = self.retriever
        if turn.vector is None:
            turn.vector = self.embedder.encode_query(turn.cleaned)
        retrieval = retriever.search(turn.cleaned, turn.language, vector=turn.vector)
        turn.retrieval = retrieval
        trace = turn.trace
        trace.index_version = retriever.loaded.version
        trace.query_terms = retrieval.query.terms
        trace.unknown_terms = retrieval.query.unknown
        trace.top_by_retriever = retrieval.top_by
        trace.retrieved_articles = [src for src, _ in retrieval.articles[:5]]
        trace.candidates = [
            {
                "source": h.chunk.source,
                "section": h.chunk.section,
                "fused": round(h.fused, 5),
                "dense": round(h.dense, 4),
                "keyword": round(h.keyword, 4),
                "ngram": round(h.ngram, 4),
                "ranks": h.ranks,
                "text": h.chunk.text,
            }
            for h in retrieval.hits[:10]
        ]
        # The question was embedded once, when it was read: the search's own embedding time is 0 then.
        trace.timings.update({k: round(v, 3) for k, v in retrieval.timings.items() if k != "embed_ms" or v > 0.01})

    def _rank(self, turn: Turn) -> None:
        """Score every quotable unit of the best articles, then the abstention signals."""
        assert turn.retrieval is not None and turn.retriever is not None
        t = time.perf_counter()
        turn.ranked = rank_units(turn.cleaned, turn.vector, turn.retrieval, turn.retriever, self.calibration.quote_model)
        turn.trace.timings["rank_ms"] = round((time.perf_counter() - t) * 1000, 3)
        turn.features = features(turn.retrieval, turn.retriever, turn.language, turn.ranked)
        turn.match = self.calibration.abstention.interaction_term(interaction(turn.vector, turn.ranked, turn.retriever))
        turn.trace.features = {k: round(v, 4) for k, v in turn.features.items()}
        turn.trace.features["question_sentence_match"] = round(turn.match, 4)
        turn.trace.quote_candidates = [
            {"source": c.unit.source, "text": c.unit.text, "probability": round(c.probability, 4)} for c in turn.ranked[:5]
        ]

    def _abstain(self, turn: Turn) -> None:
        model = self.calibration.abstention
        # The fitted threshold is lenient: for an ordinary question a wrong refusal costs more than a
        # loosely related quote. For a patient's own situation the costs turn round (a quote beside the
        # question may be read as advice on their treatment; the refusal sends them to the doctor,
        # who has to check anyway), so such a question needs the model's even odds at least.
        minimum = self.settings.personal_answer_odds if turn.personal else 0.0
        ok, probability = model.answerable(turn.features, minimum, turn.match)
        turn.trace.answerable_probability = round(probability, 4)
        turn.trace.threshold = max(model.threshold, minimum)
        if not ok:
            self._refuse(turn, "not_in_articles", "not_in_articles")
            return
        # A price, a brand, a name or a dose asked and given by none of the best sentences: the
        # article is on the subject but does not answer (quoting it would answer beside the question).
        retriever, retrieval = turn.retriever, turn.retrieval
        assert retriever is not None and retrieval is not None

        def read(c: Candidate) -> tuple[str, str, frozenset[str]]:
            w = retriever.unit_words(c.row)
            return w.text, w.folded, w.terms | w.heading

        subject = retriever.subject_forms(retrieval.query)
        missing = missing_facts(turn.cleaned, (read(c) for c in turn.ranked), subject)
        if missing:
            turn.trace.missing_facts = missing
            what = text(f"fact_{missing[0]}", turn.language, self.settings)
            self._refuse(turn, "fact_not_in_articles", "fact_not_in_articles", what=what)

    def _compose(self, turn: Turn) -> None:
        retriever = turn.retriever
        assert retriever is not None
        s = self.settings
        t = time.perf_counter()
        assert turn.retrieval is not None
        article_order = [source for source, _ in turn.retrieval.articles]
        picked, citations = compose(turn.ranked, retriever, s.max_sentences, self.calibration.selection, article_order)
        turn.trace.timings["compose_ms"] = round((time.perf_counter() - t) * 1000, 3)
        turn.trace.quoted = [
            {"source": p.source, "sentence": p.sentence, "score": round(p.score, 4), "context": p.context}
            for p in picked
        ]
        if not citations:
            self._refuse(turn, "not_in_articles", "not_in_articles")
            return
        language = turn.language
        native = all(retriever.article_lang.get(c.source) == language for c in citations)
        body = answer_text(text("intro_native" if native else "intro", language, s), citations)
        if turn.personal:
            body += "\n\n" + text("personal_note", language, s)
        turn.answer = Answer(turn.question, ANSWERED, None, language, body, citations)

    def _finish(self, turn: Turn) -> None:
        """Attach the trace; a message about a serious risk, not happening now, gets the caution box."""
        answer = turn.answer
        if answer is None:
            return
        answer.trace = turn.trace
        triage = turn.triage
        if triage is not None and triage.level == CAUTION and answer.status != EMERGENCY:
            answer.caution = True
            answer.category = triage.category
            answer.caution_text = text("caution", answer.language, self.settings)
