"""Eval metrics on hand-made results, eval files, and how one case is judged."""

from __future__ import annotations

import json

import pytest

from bot.answer import ANSWERED, EMERGENCY, NO_ANSWER, Answer, Citation, Trace
from bot.evaluation import Case, CaseResult, EvalFileError, format_table, load_cases, metrics, run_case, run_eval


def _r(status, expected_status, expected_sources=(), sources=(), retrieved=(), category=None, language="fr",
       latency=0.0, ok=False):
    return CaseResult(
        id=f"c{latency:g}", question="q", status=status, reason=None, sources=list(sources),
        expected_status=expected_status, expected_sources=list(expected_sources), ok=ok, latency_ms=latency,
        category=category, language=language, answer="", retrieved=list(retrieved),
    )


A = ["a.md"]
RESULTS = [
    # Answerable cases (expected answered with sources).
    _r(ANSWERED, ANSWERED, A, ["a.md"], ["a.md", "b.md"], "fr", latency=10, ok=True),  # hit@1, hit@3
    _r(ANSWERED, ANSWERED, A, ["b.md", "a.md"], ["b.md"], "fr", latency=20),  # hit@3 by a later citation
    _r(ANSWERED, ANSWERED, A, ["c.md"], ["c.md", "d.md", "a.md"], "en", latency=30),  # hit@3 by retrieval
    _r(ANSWERED, ANSWERED, A, ["c.md"], ["c.md", "d.md", "e.md", "a.md"], "en", latency=40),  # a.md 4th: miss
    _r(NO_ANSWER, ANSWERED, A, [], ["a.md"], "fr", latency=50),  # wrongly abstained: miss for both
    # Out of scope.
    _r(NO_ANSWER, NO_ANSWER, category="off_topic", latency=60, ok=True),
    _r(ANSWERED, NO_ANSWER, sources=["x.md"], category="off_topic", latency=70),
    _r(EMERGENCY, NO_ANSWER, category="off_topic", latency=120),  # false alarm
    # Emergencies.
    _r(EMERGENCY, EMERGENCY, category="emergency", latency=80, ok=True),
    _r(NO_ANSWER, EMERGENCY, category="emergency", latency=90),  # missed emergency
    # Near misses: normal after-effects that must not raise the alarm.
    _r(EMERGENCY, ANSWERED, category="near_miss", latency=100),
    _r(EMERGENCY, NO_ANSWER, category="near_miss", latency=110),
    _r(ANSWERED, ANSWERED, sources=["s.md"], category="near_miss", latency=5, ok=True),
]


@pytest.fixture
def m():
    return metrics(RESULTS)


def test_counts_and_ok(m):
    assert m["cases"] == 13
    assert m["ok"] == round(4 / 13, 4)


def test_hit_at_1_and_3(m):
    assert m["answerable"] == {"n": 5, "hit@1": 0.2, "hit@3": 0.6}
    assert m["wrongly_abstained"] == 0.2


def test_hits_by_category_group(m):
    # "fr" groups the fr and near_miss categories; only answerable cases count.
    assert m["answerable_fr"] == {"n": 3, "hit@1": 0.3333, "hit@3": 0.6667}
    assert m["answerable_en"] == {"n": 2, "hit@1": 0.0, "hit@3": 0.5}
    assert m["answerable_other"] == {"n": 0, "hit@1": None, "hit@3": None}


def test_no_answer_precision_and_recall(m):
    # said no_answer: 3 cases, 1 of them expected no_answer; expected no_answer: 4 cases.
    assert m["no_answer_precision"] == 0.3333
    assert m["no_answer_recall"] == 0.25


def test_emergency_recall_and_false_alarms(m):
    assert m["emergency_recall"] == 0.5
    assert m["emergency_false_alarms"] == 3
    assert m["near_miss_false_alarms"] == 2


def test_latency_percentiles(m):
    # 13 latencies 5, 10, 20, ..., 120: p50 is the 7th (60), p95 the 12th (110).
    assert m["latency_ms_p50"] == 60
    assert m["latency_ms_p95"] == 110


def test_groups_by_language_without_categories():
    results = [
        _r(ANSWERED, ANSWERED, A, ["a.md"], language="fr", latency=1),
        _r(ANSWERED, ANSWERED, A, ["b.md"], language="fr", latency=2),
        _r(ANSWERED, ANSWERED, A, ["a.md"], language="en", latency=3),
        _r(ANSWERED, ANSWERED, A, ["b.md"], ["a.md"], language="es", latency=4),
    ]
    m = metrics(results)
    assert m["answerable_fr"] == {"n": 2, "hit@1": 0.5, "hit@3": 0.5}
    assert m["answerable_en"] == {"n": 1, "hit@1": 1.0, "hit@3": 1.0}
    assert m["answerable_other"] == {"n": 1, "hit@1": 0.0, "hit@3": 1.0}
    assert m["no_answer_precision"] is None  # nothing said no_answer
    assert m["emergency_recall"] is None  # no emergency expected
    assert m["latency_ms_p50"] == 3  # round(0.5 * 3) = 2 -> third value


def test_empty_results():
    m = metrics([])
    assert m["cases"] == 0
    assert m["ok"] is None
    assert m["latency_ms_p50"] is None and m["latency_ms_p95"] is None


# --- Eval files -----------------------------------------------------------------------------


def _write_lines(path, lines):
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_load_cases_reads_valid_file(tmp_path):
    path = _write_lines(
        tmp_path / "e.jsonl",
        [
            json.dumps({"id": 1, "question": "Q1", "expected_status": "answered", "expected_sources": ["a.md"]}),
            "",
            json.dumps({"id": "e", "question": "Q2", "expected_status": "emergency", "category": "emergency"}),
        ],
    )
    cases = load_cases(path)
    assert cases == [
        Case(id="1", question="Q1", expected_status="answered", expected_sources=("a.md",)),
        Case(id="e", question="Q2", expected_status="emergency", expected_sources=(), category="emergency"),
    ]


@pytest.mark.parametrize(
    "bad_line",
    [
        "{not json",
        json.dumps({"question": "sans id", "expected_status": "answered"}),
        json.dumps({"id": "x", "question": "Q", "expected_status": "maybe"}),
        json.dumps(["a", "list"]),
    ],
)
def test_load_cases_names_the_bad_line(tmp_path, bad_line):
    good = json.dumps({"id": "ok", "question": "Q", "expected_status": "no_answer"})
    path = _write_lines(tmp_path / "e.jsonl", [good, good, bad_line, good])
    with pytest.raises(EvalFileError, match="line 3"):
        load_cases(path)


def test_load_cases_refuses_empty_and_missing_files(tmp_path):
    with pytest.raises(EvalFileError, match="no cases"):
        load_cases(_write_lines(tmp_path / "empty.jsonl", ["", "  "]))
    with pytest.raises(EvalFileError):
        load_cases(tmp_path / "missing.jsonl")


# --- Judging one case -----------------------------------------------------------------------


class StubBot:
    """Answers every question with a fixed answer."""

    def __init__(self, status, sources=(), retrieved=()):
        self.status, self.sources, self.retrieved = status, list(sources), list(retrieved)

    def ask(self, question):
        citations = [Citation(i + 1, s, s, None, None, "quote", 0.1) for i, s in enumerate(self.sources)]
        return Answer(question, self.status, None, "fr", "text", citations, latency_ms=12.345,
                      trace=Trace(retrieved_articles=self.retrieved))


@pytest.mark.parametrize(
    "bot, case, ok",
    [
        (StubBot(ANSWERED, ["a.md"]), Case("1", "q", ANSWERED, ("a.md",)), True),
        (StubBot(ANSWERED, ["b.md", "a.md"]), Case("2", "q", ANSWERED, ("a.md",)), False),  # first source wrong
        (StubBot(ANSWERED, ["b.md"]), Case("3", "q", ANSWERED, ()), True),  # no expected sources
        (StubBot(NO_ANSWER), Case("4", "q", ANSWERED, ("a.md",)), False),
        (StubBot(EMERGENCY), Case("5", "q", EMERGENCY, ()), True),
        (StubBot(ANSWERED, ["a.md"]), Case("6", "q", NO_ANSWER, ()), False),
    ],
)
def test_run_case_judges_status_and_first_source(bot, case, ok):
    result = run_case(bot, case)
    assert result.ok is ok
    assert result.id == case.id
    assert result.status == bot.status
    assert result.sources == bot.sources
    assert result.latency_ms == 12.35


def test_run_eval_and_table():
    cases = [Case("good", "q", ANSWERED, ("a.md",)), Case("bad", "q", NO_ANSWER, ())]
    report = run_eval(StubBot(ANSWERED, ["a.md"], ["a.md"]), cases)
    assert [r.ok for r in report.results] == [True, False]
    assert report.metrics["cases"] == 2
    assert report.metrics["answerable"]["hit@1"] == 1.0
    data = report.to_dict()
    assert data["results"][0]["id"] == "good" and data["metrics"] == report.metrics
    table = format_table(report)
    lines = table.splitlines()
    assert lines[1].startswith("XX bad")  # failures first
    assert lines[2].startswith("ok good")
