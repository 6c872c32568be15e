"""Eval sets that staff upload: a spreadsheet saved as CSV, or JSONL, checked before running.

CSV: one question per line, ``question;article attendu;extrait attendu`` (commas
work too; a first line of column names is skipped). An empty article means the
bot should not answer. Article names are checked against the index, and every
problem is reported in French with its line number.
"""

from __future__ import annotations

import csv
import io
import json
import time
from pathlib import Path
from typing import Any

from bot.answer import ANSWERED, NO_ANSWER
from bot.evaluation import Case, EvalFileError, load_cases
from core.textnorm import fold

HEADER_WORDS = ("question",)
MAX_CASES = 2000


class EvalUploadError(ValueError):
    """The uploaded file cannot be used; the message is in French and names the line."""


def read_eval_file(path: Path, articles: set[str]) -> list[Case]:
    """Read an uploaded eval set (``.csv`` or ``.jsonl``) and check its article names.

    Args:
        path: the uploaded file.
        articles: the article names of the index (``botox.md``…).

    Raises:
        EvalUploadError: in French, with the line number.
    """
    name = path.name
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise EvalUploadError(f"Fichier illisible : {exc.strerror or exc}") from None
    text = _decode(raw, name)
    if path.suffix.lower() in (".jsonl", ".json"):
        try:
            cases = load_cases(path)
        except EvalFileError as exc:
            raise EvalUploadError(f"{name} : fichier JSONL incorrect ({exc})") from None
    elif path.suffix.lower() in (".csv", ".txt"):
        cases = _csv_cases(text, name)
    else:
        raise EvalUploadError(f"{name} : format non pris en charge (utilisez un fichier .csv ou .jsonl)")
    if len(cases) > MAX_CASES:
        raise EvalUploadError(f"{name} : {len(cases)} questions, c'est plus que la limite de {MAX_CASES}")
    problems = []
    by_folded = {fold(a): a for a in articles}
    for case in cases:
        for source in case.expected_sources:
            if source not in articles:
                hint = _closest(source, by_folded)
                where = case.id if case.id.startswith("ligne") else f"cas {case.id}"
                problems.append(f"{where} : l'article « {source} » n'existe pas dans l'index" + (
                    f" (vouliez-vous dire « {hint} » ?)" if hint else ""))
    if problems:
        shown = problems[:10] + ([f"… et {len(problems) - 10} autres"] if len(problems) > 10 else [])
        raise EvalUploadError(f"{name} : " + " ; ".join(shown))
    return cases


def _decode(raw: bytes, name: str) -> str:
    for encoding in ("utf-8-sig", "cp1252"):  # spreadsheets on Windows save CSV in cp1252
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise EvalUploadError(f"{name} : encodage inconnu (enregistrez le fichier en CSV UTF-8)")


def _csv_cases(text: str, name: str) -> list[Case]:
    lines = text.splitlines()
    if not any(line.strip() for line in lines):
        raise EvalUploadError(f"{name} : le fichier est vide")
    sample = next(line for line in lines if line.strip())
    delimiter = ";" if sample.count(";") >= sample.count(",") and ";" in sample else ("," if "," in sample else ";")
    if "\t" in sample and ";" not in sample:
        delimiter = "\t"
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    cases: list[Case] = []
    for number, row in enumerate(reader, 1):
        cells = [c.strip() for c in row]
        if not any(cells):
            continue
        if number == 1 and fold(cells[0]).startswith(HEADER_WORDS):
            continue
        if len(cells) > 3 and any(cells[3:]):
            raise EvalUploadError(
                f"{name} ligne {number} : plus de trois colonnes ; attendu « question;article attendu;extrait "
                "attendu » (mettez entre guillemets un texte qui contient le séparateur)"
            )
        question, article, quote = (cells + ["", "", ""])[:3]
        if not question:
            raise EvalUploadError(f"{name} ligne {number} : la question est vide")
        if quote and not article:
            raise EvalUploadError(f"{name} ligne {number} : un extrait attendu sans article attendu")
        cases.append(Case(
            id=f"ligne {number}", question=question, expected_status=ANSWERED if article else NO_ANSWER,
            expected_sources=(article,) if article else (), expected_quotes=(quote,) if quote else (),
        ))
    if not cases:
        raise EvalUploadError(f"{name} : aucune question")
    return cases


def _closest(source: str, by_folded: dict[str, str]) -> str | None:
    import difflib

    match = difflib.get_close_matches(fold(source), list(by_folded), n=1, cutoff=0.6)
    return by_folded[match[0]] if match else None


# The measures staff read, with the target the clinic aims for: (key, label, target, higher is better).
MEASURES: list[tuple[str, str, float | None, bool]] = [
    ("ok", "Bon résultat (et bon article en premier)", 0.9, True),
    ("answer_correct", "Bon extrait cité", 0.7, True),
    ("answerable.hit@1", "Bon article en premier", 0.85, True),
    ("answerable.hit@3", "Bon article parmi les 3 premiers", 0.95, True),
    ("wrongly_abstained", "Pas de réponse alors qu'il y en avait une", 0.1, False),
    ("no_answer_precision", "« Pas de réponse » à raison", 0.9, True),
    ("no_answer_recall", "Questions hors articles bien refusées", 0.9, True),
    ("emergency_recall", "Urgences reconnues", 1.0, True),
    ("emergency_false_alarms", "Fausses alertes d'urgence", 0, False),
    ("latency_ms_p95", "Temps de réponse (95 % des questions, ms)", 500, False),
]


def _get(metrics: dict, key: str) -> Any:
    value: Any = metrics
    for part in key.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


def _show(value: Any, key: str) -> str:
    if value is None:
        return "–"
    if key.startswith("latency") or key.endswith("false_alarms"):
        return f"{value:.0f}" if isinstance(value, float) else str(value)
    return f"{value * 100:.0f} %"


def metrics_table(metrics: dict, previous: dict | None) -> list[list[str]]:
    """Rows ``[mesure, valeur, objectif, atteint, précédent]`` for the measures this run has."""
    rows = []
    for key, label, target, higher in MEASURES:
        value = _get(metrics, key)
        if value is None:
            continue
        reached = "–" if target is None else ("oui" if (value >= target if higher else value <= target) else "non")
        goal = "–" if target is None else ("≥ " if higher else "≤ ") + _show(target, key)
        before = _get(previous or {}, key)
        rows.append([label, _show(value, key), goal, reached, _show(before, key)])
    return rows


class EvalHistory:
    """The last metrics of each eval set by file name, in the data folder (for "précédent")."""

    def __init__(self, data_dir: Path) -> None:
        self.path = data_dir / "evaluations.json"

    def _all(self) -> dict:
        try:
            return json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}

    def previous(self, name: str) -> dict | None:
        entry = self._all().get(name)
        return entry["metrics"] if entry else None

    def save(self, name: str, metrics: dict) -> None:
        data = self._all()
        data[name] = {"time": time.time(), "metrics": metrics}
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
        tmp.replace(self.path)
