"""The result of a question: what the CLI prints as JSON and the UI renders."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

ANSWERED, NO_ANSWER, EMERGENCY = "answered", "no_answer", "emergency"


@dataclass
class Citation:
    """One cited article: ``quote`` is text taken verbatim from it."""

    n: int
    source: str
    title: str
    url: str | None
    section: str | None
    quote: str
    score: float
    # Where the citation leads: the published page scrolled to the quote, when the article has an address.
    link: str | None = None


@dataclass
class Trace:
    """Why the bot answered as it did, for staff and evaluation; never shown to patients.

    Each step of the pipeline fills its own fields; a field a step never reached
    stays empty and is left out of :meth:`to_dict` (the JSON staff see and the
    staff log keeps).
    """

    index_version: int | None = None
    # Emergency triage: level, category, rule, the words a rule matched, the net's probability.
    triage: dict[str, Any] | None = None
    # The patient told their own situation (request rule personal_situation): the answer carries the note.
    personal_situation: bool | None = None
    off_topic_probability: float | None = None
    off_topic_threshold: float | None = None
    uncovered_topics: list[str] | None = None
    features: dict[str, float] | None = None
    answerable_probability: float | None = None
    # Required facts (price, brand, doctor's name, dose) the question asks and no best sentence gives.
    missing_facts: list[str] | None = None
    threshold: float | None = None
    query_terms: list[str] | None = None
    unknown_terms: list[str] | None = None
    top_by_retriever: dict[str, list[str]] | None = None
    retrieved_articles: list[str] = field(default_factory=list)
    # The ten best passages with each retriever's score.
    candidates: list[dict[str, Any]] | None = None
    quoted: list[dict[str, Any]] | None = None
    quote_candidates: list[dict[str, Any]] | None = None
    timings: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v is not None and v != [] and v != {}}


@dataclass
class Answer:
    """The bot's reply. ``trace`` holds what staff see and is not part of the public JSON.

    Every text field (``answer``, ``question``, the citations' ``title``, ``section``,
    ``quote``) is plain text taken from the patient or the articles: whoever shows it
    in a page must escape it (``ui/render.py`` does for the chat).
    """

    question: str
    status: str
    reason: str | None
    language: str
    answer: str
    citations: list[Citation] = field(default_factory=list)
    latency_ms: float = 0.0
    trace: Trace = field(default_factory=Trace)
    # The message talks about a serious complication without saying it is happening now:
    # answered as usual, with a box saying what to do if it does.
    caution: bool = False
    caution_text: str | None = None
    # For emergencies and cautions: the category (``vision``, ``suicidal``…).
    category: str | None = None

    def to_dict(self, with_trace: bool = False) -> dict[str, Any]:
        data = {
            "question": self.question,
            "status": self.status,
            "reason": self.reason,
            "language": self.language,
            "answer": self.answer,
            "citations": [asdict(c) for c in self.citations],
            "latency_ms": round(self.latency_ms, 2),
            "caution": self.caution,
            "caution_text": self.caution_text,
            "category": self.category,
        }
        if with_trace:
            data["trace"] = self.trace.to_dict()
        return data
