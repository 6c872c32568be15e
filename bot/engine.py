"""The bot: from a patient's message to an :class:`Answer`.

Order matters. Input is cleaned first; emergency rules run before anything
else (even on a message too long to answer); personal-advice requests and
off-topic messages are recognised by rules; only then does retrieval run, and
its result is answered only if the abstention model trusts it.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass

from bot.abstain import features
from bot.answer import ANSWERED, EMERGENCY, NO_ANSWER, Answer
from bot.calibration import load_calibration
from bot.compose import answer_text, compose, rank_units
from bot.messages import emergency_text, text
from bot.retrieval import Retriever
from bot.safety import (
    asks_personal_advice,
    emergency_words,
    is_off_topic_task,
    is_prompt_injection,
    is_small_talk,
)
from bot.triage import CAUTION, TriageChecker
from bot.triage import EMERGENCY as TRIAGE_EMERGENCY
from core.settings import Settings
from core.textnorm import clean_input, detect_language, letters_ratio
from index.embedder import Embedder, load_embedder
from index.store import check_compatible, current_version_name, load_current

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
class _State:
    version_name: str | None
    retriever: Retriever


class Bot:
    """Answers questions from the live index; picks up a new index version without a restart."""

    def __init__(self, settings: Settings, embedder: Embedder | None = None) -> None:
        import faiss

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
        self.embedder.encode_query("bonjour")

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
            answer = self._ask(question)
        except Exception:  # a patient gets a clear refusal; the operator gets the traceback in the logs
            log.exception("unexpected error while answering")
            answer = self._refuse(question, "fr", NO_ANSWER, "internal_error", "not_in_articles")
        answer.latency_ms = (time.perf_counter() - started) * 1000
        answer.trace.setdefault("timings", {})["total_ms"] = round(answer.latency_ms, 3)
        return answer

    def _refuse(self, question: str, language: str, status: str, reason: str, key: str, **values) -> Answer:
        return Answer(question, status, reason, language, text(key, language, self.settings, **values))

    def _ask(self, question: str) -> Answer:
        s = self.settings
        cleaned = clean_input(question)
        language = detect_language(cleaned[:500]) if cleaned else "fr"
        if not cleaned:
            return self._refuse(question, language, NO_ANSWER, "invalid_input", "empty")
        # The question's embedding is computed once: the semantic triage and retrieval share it.
        t = time.perf_counter()
        vector = self.embedder.encode_query(cleaned[:EMBED_CHARS]) if any(ch.isalpha() for ch in cleaned) else None
        embed_ms = (time.perf_counter() - t) * 1000
        triage = self.triage.check(cleaned[:EMERGENCY_SCAN_CHARS], vector)
        if triage.level == TRIAGE_EMERGENCY:
            answer = Answer(
                question, EMERGENCY, triage.rule or f"semantic:{triage.category}", language,
                emergency_text(triage.category, language, s), category=triage.category,
            )
            answer.trace["triage"] = _triage_trace(triage, cleaned[:EMERGENCY_SCAN_CHARS])
            return answer
        answer = self._answer(question, cleaned, language, vector, embed_ms)
        if triage.level == CAUTION:
            answer.caution = True
            answer.category = triage.category
            answer.caution_text = text("caution", language, s)
        answer.trace["triage"] = _triage_trace(triage, cleaned[:EMERGENCY_SCAN_CHARS])
        return answer

    def _answer(self, question: str, cleaned: str, language: str, vector, embed_ms: float) -> Answer:
        s = self.settings
        if len(cleaned) > s.max_question_chars:
            return self._refuse(
                question, language, NO_ANSWER, "invalid_input", "too_long", length=len(cleaned), limit=s.max_question_chars
            )
        if letters_ratio(cleaned) < 0.3 or sum(ch.isalpha() for ch in cleaned) < 2:
            return self._refuse(question, language, NO_ANSWER, "invalid_input", "unreadable")
        if asks_personal_advice(cleaned):
            return self._refuse(question, language, NO_ANSWER, "personal_medical_advice", "personal_medical_advice")
        if is_prompt_injection(cleaned) or is_off_topic_task(cleaned):
            return self._refuse(question, language, NO_ANSWER, "out_of_scope", "out_of_scope")
        if is_small_talk(cleaned):
            return self._refuse(question, language, NO_ANSWER, "small_talk", "small_talk")
        domain = self.calibration.domain
        off_topic, p_off = domain.off_topic(vector) if domain else (False, 0.0)
        if off_topic:
            answer = self._refuse(question, language, NO_ANSWER, "off_topic", "out_of_scope")
            answer.trace = {"off_topic_probability": round(p_off, 4), "threshold": domain.threshold}
            return answer

        retriever = self.retriever
        missing_topics = retriever.uncovered_topics(cleaned)
        if missing_topics:
            answer = self._refuse(question, language, NO_ANSWER, "not_in_articles", "not_in_articles")
            answer.trace = {"index_version": retriever.loaded.version, "uncovered_topics": missing_topics}
            return answer
        if vector is None:
            vector = self.embedder.encode_query(cleaned)
        retrieval = retriever.search(cleaned, language, vector=vector)
        retrieval.timings["embed_ms"] = embed_ms
        t = time.perf_counter()
        ranked = rank_units(cleaned, vector, retrieval, retriever, self.calibration.quote_model)
        rank_ms = (time.perf_counter() - t) * 1000
        feats = features(retrieval, retriever, language, ranked)
        model = self.calibration.abstention
        ok, probability = model.answerable(feats)
        trace = {
            "index_version": retriever.loaded.version,
            "features": {k: round(v, 4) for k, v in feats.items()},
            "answerable_probability": round(probability, 4),
            "threshold": model.threshold,
            "query_terms": retrieval.query.terms,
            "unknown_terms": retrieval.query.unknown,
            "top_by_retriever": retrieval.top_by,
            "retrieved_articles": [src for src, _ in retrieval.articles[:5]],
            "candidates": [
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
            ],
            "timings": {k: round(v, 3) for k, v in retrieval.timings.items()},
        }
        if not ok:
            answer = self._refuse(question, language, NO_ANSWER, "not_in_articles", "not_in_articles")
            answer.trace = trace
            return answer
        t = time.perf_counter()
        picked, citations = compose(ranked, retriever, s.max_sentences, self.calibration.selection)
        trace["timings"]["compose_ms"] = round((time.perf_counter() - t) * 1000 + rank_ms, 3)
        trace["quoted"] = [
            {"source": p.source, "sentence": p.sentence, "score": round(p.score, 4), "context": p.context}
            for p in picked
        ]
        trace["quote_candidates"] = [
            {"source": c.unit.source, "text": c.unit.text, "probability": round(c.probability, 4)} for c in ranked[:5]
        ]
        if not citations:
            answer = self._refuse(question, language, NO_ANSWER, "not_in_articles", "not_in_articles")
            answer.trace = trace
            return answer
        native = all(retriever.article_lang.get(c.source) == language for c in citations)
        body = answer_text(text("intro_native" if native else "intro", language, s), citations)
        return Answer(question, ANSWERED, None, language, body, citations, trace=trace)
