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
    trace: dict[str, Any] = field(default_factory=dict)
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
            data["trace"] = self.trace
        return data
