"""Staff's own test set ("Mes tests"): answers staff graded and kept as eval cases.

Files in the data folder, never in ``tests/``: ``mes-tests.jsonl`` holds the
cases in the eval format (:func:`bot.evaluation.load_cases` reads it), with the
staff's grade and note; ``mes-tests-runs/`` holds each run's results, so a run
is compared with the one before it (what got better, what got worse).
Questions come from the scrubbed answer log or are typed by staff.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.answer import ANSWERED, NO_ANSWER
from bot.evaluation import Case, metrics, run_case
from service.privacy import scrub
from service.staff_store import GRADES

CASES_FILE = "mes-tests.jsonl"
RUNS_DIR = "mes-tests-runs"
REVIEWS_FILE = "avis-equipe.jsonl"
KEEP_RUNS = 20


@dataclass(frozen=True)
class Change:
    """One case whose result differs from the previous run (``better``, ``worse``, ``new``)."""

    case_id: str
    question: str
    kind: str
    before: str
    after: str


class StaffTests:
    """The saved cases and their runs in ``data_dir``; safe from the app's threads."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.cases_path = data_dir / CASES_FILE
        self.runs_dir = data_dir / RUNS_DIR
        self._lock = threading.Lock()

    def cases(self) -> list[dict]:
        """The saved cases, oldest first."""
        if not self.cases_path.exists():
            return []
        return [json.loads(line) for line in self.cases_path.read_text(encoding="utf-8").splitlines() if line.strip()]

    def add(
        self,
        question: str,
        expected_status: str,
        article: str | None = None,
        quote: str | None = None,
        grade: str | None = None,
        note: str = "",
    ) -> dict:
        """Save a case; the question and the note are scrubbed.

        Args:
            question: the question to ask again at every run.
            expected_status: ``answered`` or ``no_answer``.
            article: for ``answered``, the article that must be cited first.
            quote: for ``answered``, a passage the answer must quote.
            grade: the staff's grade of the answer (``bon``, ``acceptable``, ``mauvais``).

        Raises:
            ValueError: an empty question, an unknown status or grade, an answered case without article.
        """
        question = scrub((question or "").strip())
        if not question:
            raise ValueError("la question est vide")
        if expected_status not in (ANSWERED, NO_ANSWER):
            raise ValueError("le résultat attendu doit être « répondu » ou « pas de réponse »")
        if expected_status == ANSWERED and not article:
            raise ValueError("choisissez l'article attendu")
        if grade is not None and grade not in GRADES:
            raise ValueError(f"avis inconnu : {grade}")
        with self._lock:
            # A deleted case's number is never given again: runs compare cases by id.
            last = self.last_run() or {}
            used = [c["id"] for c in self.cases()] + [r["id"] for r in last.get("results", [])]
            number = max((int(i[3:]) for i in used if i.startswith("mt-") and i[3:].isdigit()), default=0) + 1
            case = {
                "id": f"mt-{number:04d}",
                "question": question,
                "expected_status": expected_status,
                "expected_sources": [article] if expected_status == ANSWERED and article else [],
                "expected_quotes": [quote] if expected_status == ANSWERED and quote else [],
                "grade": grade,
                "note": scrub(note or ""),
                "saved": time.time(),
            }
            self.data_dir.mkdir(parents=True, exist_ok=True)
            with open(self.cases_path, "a", encoding="utf-8") as fh:
                fh.write(json.dumps(case, ensure_ascii=False) + "\n")
        return case

    def remove(self, case_id: str) -> bool:
        """Delete a saved case; False if there is none with that id."""
        with self._lock:
            cases = self.cases()
            kept = [c for c in cases if c["id"] != case_id]
            if len(kept) == len(cases):
                return False
            self._write_cases(kept)
            return True

    def _write_cases(self, cases: list[dict]) -> None:
        tmp = self.cases_path.with_suffix(".tmp")
        tmp.write_text("".join(json.dumps(c, ensure_ascii=False) + "\n" for c in cases), encoding="utf-8")
        tmp.replace(self.cases_path)

    def record_review(self, question: str, grade: str, note: str, answer: dict[str, Any]) -> None:
        """Keep a staff grade of an answer from the tester (not a patient's answer, so not in the log)."""
        if grade not in GRADES:
            raise ValueError(f"avis inconnu : {grade}")
        entry = {"time": time.time(), "question": scrub(question), "grade": grade, "note": scrub(note or ""),
                 "status": answer.get("status"), "sources": answer.get("sources", [])}
        self.data_dir.mkdir(parents=True, exist_ok=True)
        with self._lock, open(self.data_dir / REVIEWS_FILE, "a", encoding="utf-8") as fh:
            fh.write(json.dumps(entry, ensure_ascii=False) + "\n")

    def reviews(self) -> list[dict]:
        path = self.data_dir / REVIEWS_FILE
        if not path.exists():
            return []
        return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]

    def run(self, bot: Any) -> dict:
        """Ask every saved case again, keep the run and return it with the changes since the previous one.

        Returns:
            ``{"time", "results", "metrics", "changes": [Change…], "previous": run or None}``.
        """
        cases = self.cases()
        results = [run_case(bot, _case(c)) for c in cases]
        run = {
            "time": time.time(), "results": [r.to_dict() for r in results],
            "metrics": metrics(results) if results else {},
        }
        previous = self.last_run()
        with self._lock:
            self.runs_dir.mkdir(parents=True, exist_ok=True)
            name = f"{time.strftime('%Y%m%d-%H%M%S')}-{time.time_ns() % 1_000_000:06d}.json"
            (self.runs_dir / name).write_text(json.dumps(run, ensure_ascii=False), encoding="utf-8")
            for old in sorted(self.runs_dir.glob("*.json"))[:-KEEP_RUNS]:
                old.unlink(missing_ok=True)
        return {**run, "changes": compare(previous, run), "previous": previous}

    def last_run(self) -> dict | None:
        runs = sorted(self.runs_dir.glob("*.json")) if self.runs_dir.exists() else []
        return json.loads(runs[-1].read_text(encoding="utf-8")) if runs else None


def _case(raw: dict) -> Case:
    return Case(
        id=raw["id"], question=raw["question"], expected_status=raw["expected_status"],
        expected_sources=tuple(raw.get("expected_sources") or ()), expected_quotes=tuple(raw.get("expected_quotes") or ()),
    )


def passed(result: dict) -> bool:
    """A case passes when the status and first article are right and, if a quote is expected, it is quoted."""
    return bool(result["ok"]) and result.get("answer_ok") is not False


def outcome(result: dict) -> str:
    """What happened, in the staff's words."""
    if passed(result):
        return "réussi"
    if result["status"] != result["expected_status"]:
        said = {"answered": "a répondu", "no_answer": "n'a pas répondu", "emergency": "a signalé une urgence"}
        return f"échoué : {said.get(result['status'], result['status'])}"
    if result["expected_sources"] and (not result["sources"] or result["sources"][0] not in result["expected_sources"]):
        cited = result["sources"][0] if result["sources"] else "aucun article"
        return f"échoué : cite {cited}"
    return "échoué : l'extrait attendu n'est pas cité"


def compare(previous: dict | None, current: dict) -> list[Change]:
    """The cases that got better, worse or are new since ``previous``, worse first."""
    before = {r["id"]: r for r in (previous or {}).get("results", [])}
    changes: list[Change] = []
    for result in current["results"]:
        old = before.get(result["id"])
        now = outcome(result)
        if old is None:
            if previous is not None:
                changes.append(Change(result["id"], result["question"], "new", "", now))
            continue
        was = outcome(old)
        if passed(old) and not passed(result):
            changes.append(Change(result["id"], result["question"], "worse", was, now))
        elif not passed(old) and passed(result):
            changes.append(Change(result["id"], result["question"], "better", was, now))
    order = {"worse": 0, "better": 1, "new": 2}
    return sorted(changes, key=lambda c: order[c.kind])
