"""Running an eval set through the bot and measuring it.

Staff use this as the regression test of the bot's answers: one JSON case per
line, the bot's status and cited sources against what was expected, and the
metrics the product promises (hit@k, abstention precision and recall,
emergency recall and false alarms, latency).
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from bot.answer import ANSWERED, EMERGENCY, NO_ANSWER
from core.textnorm import fold

STATUSES = (ANSWERED, NO_ANSWER, EMERGENCY)


class EvalFileError(ValueError):
    """The eval file is malformed; the message names the line."""


@dataclass(frozen=True)
class Case:
    id: str
    question: str
    expected_status: str
    expected_sources: tuple[str, ...]
    category: str | None = None
    # Verbatim fragments of the sentences that answer; the answer must contain one of them.
    expected_quotes: tuple[str, ...] = ()
    # Triage cases (``{"text", "expected": emergency|caution|normal, "category", "lang", "kind"}``):
    # only whether the bot raised the alarm, or the caution box, is judged.
    expected_triage: str | None = None
    lang: str | None = None
    kind: str | None = None


TRIAGE_LEVELS = ("emergency", "caution", "normal")


@dataclass
class CaseResult:
    """One case asked: what was expected, what the bot did, whether that is right."""

    id: str
    question: str
    status: str
    reason: str | None
    sources: list[str]
    expected_status: str
    expected_sources: list[str]
    ok: bool
    latency_ms: float
    category: str | None
    language: str
    answer: str
    # The first articles retrieved, cited or not (hit@3 counts them).
    retrieved: list[str] = field(default_factory=list)
    expected_quotes: list[str] = field(default_factory=list)
    # None when the case has no expected quote (or is not meant to be answered).
    answer_ok: bool | None = None
    quoted_chars: int = 0
    # Triage cases only.
    expected_triage: str | None = None
    triage: str | None = None
    lang: str | None = None
    kind: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class EvalReport:
    results: list[CaseResult]
    metrics: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        """The JSON of ``bot eval --json``: ``{"results": [...], "metrics": {...}}``."""
        return {"results": [r.to_dict() for r in self.results], "metrics": self.metrics}


def _triage_case(raw: dict) -> Case:
    expected = str(raw.get("expected") or raw["label"])
    if expected not in TRIAGE_LEVELS:
        raise ValueError(f"expected must be one of {TRIAGE_LEVELS}")
    return Case(
        id=str(raw["id"]),
        question=str(raw["text"]),
        expected_status=EMERGENCY if expected == "emergency" else "",
        expected_sources=(),
        category=raw.get("category"),
        expected_triage=expected,
        lang=raw.get("lang"),
        kind=raw.get("kind"),
    )


def load_cases(path: Path) -> list[Case]:
    """Read a JSONL eval file, refusing malformed lines with their line number."""
    cases: list[Case] = []
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise EvalFileError(f"cannot read {path}: {exc}") from None
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            raw = json.loads(line)
            if "text" in raw and ("expected" in raw or "label" in raw):
                raw.setdefault("id", f"line-{number}")
                cases.append(_triage_case(raw))
                continue
            case = Case(
                id=str(raw["id"]),
                question=str(raw["question"]),
                expected_status=str(raw["expected_status"]),
                expected_sources=tuple(raw.get("expected_sources") or ()),
                category=raw.get("category"),
                expected_quotes=tuple(str(q) for q in raw.get("expected_quotes") or ()),
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise EvalFileError(f"{path.name} line {number}: not a valid case ({exc})") from None
        if case.expected_status not in STATUSES:
            raise EvalFileError(f"{path.name} line {number}: expected_status must be one of {STATUSES}")
        cases.append(case)
    if not cases:
        raise EvalFileError(f"{path.name}: no cases")
    return cases


_CITATION_MARK = re.compile(r"\s*\[\d+\]")
_SPACES = re.compile(r"\s+")


def comparable(text: str) -> str:
    """Text as answers are compared: citation markers removed, case and accents folded, spaces squeezed."""
    text = _CITATION_MARK.sub(" ", text).replace("\u2026", " ")
    return _SPACES.sub(" ", fold(text).replace("**", "")).strip()


def answer_contains_quote(answer_text: str, quotes: tuple[str, ...]) -> bool:
    """Whether the answer quotes one of the expected answering fragments."""
    body = comparable(answer_text)
    return any(comparable(q) and comparable(q) in body for q in quotes)


def run_triage_case(bot: Any, case: Case) -> CaseResult:
    answer = bot.ask(case.question)
    alarm = answer.status == EMERGENCY
    return CaseResult(
        id=case.id, question=case.question, status=answer.status, reason=answer.reason,
        sources=[c.source for c in answer.citations],
        expected_status=case.expected_status or "not_emergency", expected_sources=[],
        ok=alarm == (case.expected_triage == "emergency"), latency_ms=round(answer.latency_ms, 2),
        category=case.category, language=answer.language, answer=answer.answer,
        expected_triage=case.expected_triage,
        triage="emergency" if alarm else ("caution" if answer.caution else "normal"),
        lang=case.lang, kind=case.kind,
    )


def run_case(bot: Any, case: Case) -> CaseResult:
    if case.expected_triage:
        return run_triage_case(bot, case)
    answer = bot.ask(case.question)
    sources = [c.source for c in answer.citations]
    expected = set(case.expected_sources)
    ok = answer.status == case.expected_status
    if ok and case.expected_status == ANSWERED and expected:
        ok = bool(sources) and sources[0] in expected
    answer_ok = None
    if case.expected_status == ANSWERED and case.expected_quotes:
        answer_ok = answer.status == ANSWERED and answer_contains_quote(answer.answer, case.expected_quotes)
    return CaseResult(
        id=case.id, question=case.question, status=answer.status, reason=answer.reason, sources=sources,
        expected_status=case.expected_status, expected_sources=list(case.expected_sources), ok=ok,
        latency_ms=round(answer.latency_ms, 2), category=case.category, language=answer.language,
        answer=answer.answer, retrieved=answer.trace.retrieved_articles[:3],
        expected_quotes=list(case.expected_quotes), answer_ok=answer_ok,
        quoted_chars=sum(len(c.quote) for c in answer.citations),
    )


def _ratio(num: int, den: int) -> float | None:
    return round(num / den, 4) if den else None


def _percentile(values: list[float], pct: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(pct / 100 * (len(ordered) - 1))))
    return round(ordered[index], 2)


def _hits(results: list[CaseResult]) -> dict[str, Any]:
    """hit@1: the first citation is expected. hit@3: an expected source is cited or in the top 3 retrieved.

    A case wrongly abstained is a miss for both.
    """
    answered = [r for r in results if r.status == ANSWERED]
    h1 = sum(bool(r.sources) and r.sources[0] in r.expected_sources for r in answered)
    h3 = sum(bool(set(r.sources[:3] + r.retrieved[:3]) & set(r.expected_sources)) for r in answered)
    return {"n": len(results), "hit@1": _ratio(h1, len(results)), "hit@3": _ratio(h3, len(results))}


def triage_metrics(results: list[CaseResult]) -> dict[str, Any]:
    """Recall per category and language, false alarms per kind, caution on caution cases."""
    emergencies = [r for r in results if r.expected_triage == "emergency"]
    others = [r for r in results if r.expected_triage != "emergency"]
    caution = [r for r in results if r.expected_triage == "caution"]

    def recall(rows: list[CaseResult]) -> dict[str, Any]:
        return {"n": len(rows), "recall": _ratio(sum(r.status == EMERGENCY for r in rows), len(rows))}

    by = lambda rows, key: sorted({getattr(r, key) or "-" for r in rows})  # noqa: E731
    return {
        "emergency_recall": recall(emergencies)["recall"],
        "emergency_recall_by_lang": {k: recall([r for r in emergencies if (r.lang or "-") == k]) for k in by(emergencies, "lang")},
        "emergency_recall_by_category": {
            k: recall([r for r in emergencies if (r.category or "-") == k]) for k in by(emergencies, "category")
        },
        "false_alarm_rate": _ratio(sum(r.status == EMERGENCY for r in others), len(others)),
        "false_alarms_by_kind": {
            k: f"{sum(r.status == EMERGENCY for r in others if (r.kind or '-') == k)}/"
               f"{sum((r.kind or '-') == k for r in others)}"
            for k in by(others, "kind")
        },
        "caution_shown_on_caution_cases": _ratio(sum(r.triage == "caution" for r in caution), len(caution)),
        "caution_shown_on_normal_cases": _ratio(
            sum(r.triage == "caution" for r in others if r.expected_triage == "normal"),
            sum(r.expected_triage == "normal" for r in others),
        ),
    }


def metrics(results: list[CaseResult]) -> dict[str, Any]:
    """The numbers the bot is judged on; see the README for their definitions."""
    triage = [r for r in results if r.expected_triage]
    if triage and len(triage) == len(results):
        latencies = [r.latency_ms for r in results]
        return {
            "cases": len(results),
            **triage_metrics(results),
            "latency_ms_p50": _percentile(latencies, 50),
            "latency_ms_p95": _percentile(latencies, 95),
        }
    answerable = [r for r in results if r.expected_status == ANSWERED and r.expected_sources]

    def group(name: str) -> list[CaseResult]:
        if any(r.category for r in answerable):
            wanted = {"fr": ("fr", "near_miss"), "en": ("en",), "other": ("other_lang",)}[name]
            return [r for r in answerable if r.category in wanted]
        if name == "other":
            return [r for r in answerable if r.language not in ("fr", "en")]
        return [r for r in answerable if r.language == name]

    expected_no = [r for r in results if r.expected_status == NO_ANSWER]
    said_no = [r for r in results if r.status == NO_ANSWER]
    true_no = [r for r in said_no if r.expected_status == NO_ANSWER]
    expected_em = [r for r in results if r.expected_status == EMERGENCY]
    false_alarms = [r for r in results if r.status == EMERGENCY and r.expected_status != EMERGENCY]
    near_miss = [r for r in results if r.category == "near_miss"]
    latencies = [r.latency_ms for r in results]
    graded = [r for r in results if r.answer_ok is not None]
    quoted = [r.quoted_chars for r in results if r.status == ANSWERED and r.quoted_chars]
    return {
        "cases": len(results),
        "ok": _ratio(sum(r.ok for r in results), len(results)),
        "answer_correct": _ratio(sum(bool(r.answer_ok) for r in graded), len(graded)),
        "answer_graded": len(graded),
        "quoted_chars_p50": _percentile(quoted, 50),
        "answerable": _hits(answerable),
        "answerable_fr": _hits(group("fr")),
        "answerable_en": _hits(group("en")),
        "answerable_other": _hits(group("other")),
        "wrongly_abstained": _ratio(sum(r.status != ANSWERED for r in answerable), len(answerable)),
        "no_answer_precision": _ratio(len(true_no), len(said_no)),
        "no_answer_recall": _ratio(len(true_no), len(expected_no)),
        "emergency_recall": _ratio(sum(r.status == EMERGENCY for r in expected_em), len(expected_em)),
        "emergency_false_alarms": len(false_alarms),
        "near_miss_false_alarms": sum(r.status == EMERGENCY for r in near_miss),
        "latency_ms_p50": _percentile(latencies, 50),
        "latency_ms_p95": _percentile(latencies, 95),
    }


def run_eval(bot: Any, cases: list[Case]) -> EvalReport:
    results = [run_case(bot, case) for case in cases]
    return EvalReport(results, metrics(results))


def format_table(report: EvalReport) -> str:
    """A readable table of the cases, failures first, then the metrics."""
    rows = sorted(report.results, key=lambda r: r.ok)
    lines = [f"{'':2} {'id':<14} {'expected':<10} {'got':<10} {'first source':<32} question"]
    for r in rows:
        mark = "ok" if r.ok else "XX"
        if r.answer_ok is False:
            mark = "a?" if r.ok else mark
        first = r.sources[0] if r.sources else (r.reason or "")
        q = r.question.replace("\n", " ")
        lines.append(f"{mark:2} {r.id[:14]:<14} {r.expected_status:<10} {r.status:<10} {first[:32]:<32} {q[:70]}")
    lines.append("")
    for key, value in report.metrics.items():
        if isinstance(value, dict) and value and all(isinstance(v, dict | str) for v in value.values()):
            lines.append(key)
            for sub, v in value.items():
                shown = ", ".join(f"{k} {x}" for k, x in v.items()) if isinstance(v, dict) else v
                lines.append(f"  {sub:<22} {shown}")
        else:
            lines.append(f"{key:<24} {value}")
    return "\n".join(lines)
