"""Fit the fusion weights, the quote scorer and the quote selection; write the ``quotes`` section of ``bot/data/calibration.json``.

Fitted only on the tuned eval sets given on the command line (by default the
eval set and the calibration set); the blind sets are never read here.

1. Fusion weights: a small grid, chosen for article hit@1 on the tuned sets.
2. Quote scorer: every quotable unit of the best articles is a row (its
   features from :mod:`bot.quotes`), labelled 1 when it contains one of the
   case's expected quotes. A logistic regression is fitted; 5-fold
   cross-validation by case prints an honest estimate first.
3. Selection: a small grid over how many further units to quote, chosen for
   answer_correct on the tuned sets with the median quote at most 600 characters.

Usage:
    python -m bench.calibrate_quotes [--index-dir var/index] [--write] [files...]
"""

from __future__ import annotations

import argparse
import itertools
from pathlib import Path

import numpy as np

from bench.query_cache import CachedEmbedder
from bot.calibration import CALIBRATION_FILE, write_section
from bot.compose import SelectionSettings, join_units, select
from bot.engine import Bot
from bot.evaluation import answer_contains_quote, load_cases
from bot.quotes import QuoteModel, candidates, feature_names, score
from bot.retrieval import FusionSettings
from core.settings import load_settings
from index.embedder import load_embedder

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_FILES = [ROOT / "tests/eval/questions.jsonl", ROOT / "tests/eval/calibration.jsonl"]
MAX_MEDIAN_CHARS = 500


def answerable(files: list[Path]):
    for path in files:
        for case in load_cases(path):
            if case.expected_status == "answered" and case.expected_quotes:
                yield case


def prepared(bot: Bot, cases, fusion: FusionSettings):
    """(case, question, retrieval, vector) for every case the bot's gates let through, under these fusion settings.

    The bot's own steps run up to retrieval (:meth:`Bot.run`): a question that a
    gate refuses never reaches the quote scorer, so it is not fitted on either.
    """
    bot.retriever.fusion = fusion
    out = []
    for case in cases:
        turn = bot.run(case.question, until="retrieve")
        if turn.retrieval is not None:
            out.append((case, turn.cleaned, turn.retrieval, turn.vector))
    return out


def fit_fusion(bot: Bot, cases) -> FusionSettings:
    best, best_hits = FusionSettings(), -1.0
    grid = itertools.product([0.5, 1.0, 1.5, 2.0], [0.5, 1.0, 1.3], [0.25, 0.5], [5.0, 10.0, 30.0])
    for dense, keyword, ngram, k in grid:
        fusion = FusionSettings(rrf_k=k, weights={"dense": dense, "keyword": keyword, "ngram": ngram})
        rows = prepared(bot, cases, fusion)
        hits = sum(bool(r.articles) and r.articles[0][0] in c.expected_sources for c, _, r, _ in rows) / len(cases)
        if hits > best_hits + 1e-9:
            best, best_hits = fusion, hits
    print(f"fusion: {best} — tuned-set article hit@1 {best_hits:.3f}")
    return best


def unit_rows(bot: Bot, rows):
    xs, ys, groups, cands_by_case = [], [], [], []
    for i, (case, q, retrieval, vector) in enumerate(rows):
        cands = candidates(q, vector, retrieval, bot.retriever)
        cands_by_case.append(cands)
        for c in cands:
            xs.append(c.features)
            ys.append(int(answer_contains_quote(c.unit.text, case.expected_quotes)))
            groups.append(i)
    return np.array(xs), np.array(ys), np.array(groups), cands_by_case


def top1(model: QuoteModel, rows, cands_by_case) -> float:
    good = 0
    for (case, *_), cands in zip(rows, cands_by_case, strict=True):
        ranked = score(list(cands), model)
        good += bool(ranked) and answer_contains_quote(ranked[0].unit.text, case.expected_quotes)
    return good / len(rows)


def as_model(lr, embedding_model: str) -> QuoteModel:
    weights = {name: round(float(w), 4) for name, w in zip(feature_names(), lr.coef_[0], strict=True)}
    return QuoteModel(weights, round(float(lr.intercept_[0]), 4), embedding_model)


def fit_selection(bot: Bot, model: QuoteModel, rows, cands_by_case) -> tuple[SelectionSettings, float, float]:
    best = (SelectionSettings(), -1.0, 0.0)
    grid = itertools.product([0.0, 0.2, 0.35, 0.5, 0.7, 1.0], [0.5, 0.7, 0.85, 1.0], [400, 500, 600], [3, 4, 5])
    for keep, other, chars, units_max in grid:
        settings = SelectionSettings(keep, other, chars, units_max)
        correct, lengths = 0, []
        for (case, *_), cands in zip(rows, cands_by_case, strict=True):
            picked = select(score(list(cands), model), bot.retriever, settings.max_units, settings)
            by_source: dict[str, list] = {}
            for p in picked:
                by_source.setdefault(p.source, []).append(p.unit)
            text = " ".join(join_units(sorted(us, key=lambda u: u.order)) for us in by_source.values())
            correct += answer_contains_quote(text, case.expected_quotes)
            lengths.append(len(text))
        rate, median = correct / len(rows), float(np.median(lengths))
        if median <= MAX_MEDIAN_CHARS and rate > best[1] + 1e-9:
            best = (settings, rate, median)
    return best


def main() -> None:
    from sklearn.linear_model import LogisticRegression

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", type=Path, nargs="*", default=DEFAULT_FILES)
    parser.add_argument("--index-dir", type=Path)
    parser.add_argument("--write", action="store_true")
    args = parser.parse_args()
    settings = load_settings(**({"index_dir": args.index_dir} if args.index_dir else {}))
    bot = Bot(settings, embedder=CachedEmbedder(load_embedder(settings.embedding_model)))
    cases = list(answerable(args.files))
    print(f"{len(cases)} answerable cases with expected quotes in {', '.join(f.name for f in args.files)}")
    fusion = fit_fusion(bot, cases)
    rows = prepared(bot, cases, fusion)
    print(f"{len(cases) - len(rows)} of them stopped by a gate before retrieval")
    x, y, groups, cands_by_case = unit_rows(bot, rows)
    print(f"{len(y)} candidate units, {int(y.sum())} answering")

    def lr():
        return LogisticRegression(C=1.0, max_iter=5000)

    fold_of = np.arange(len(rows)) % 5
    oof_good = 0
    for k in range(5):
        train = fold_of[groups] != k
        model = as_model(lr().fit(x[train], y[train]), bot.embedder.name)
        test_cases = [i for i in range(len(rows)) if fold_of[i] == k]
        oof_good += top1(model, [rows[i] for i in test_cases], [cands_by_case[i] for i in test_cases]) * len(test_cases)
    print(f"best unit answers (5-fold cross-validated by case): {oof_good / len(rows):.3f}")
    model = as_model(lr().fit(x, y), bot.embedder.name)
    print(f"best unit answers (fitted on all, optimistic): {top1(model, rows, cands_by_case):.3f}")
    selection, rate, median = fit_selection(bot, model, rows, cands_by_case)
    print(f"selection: {selection} — tuned answer_correct {rate:.3f}, median quote {median:.0f} chars")
    print("weights", model.weights, "bias", model.bias)
    if args.write:
        values = {
            "weights": model.weights,
            "bias": model.bias,
            "selection": {"keep_ratio": selection.keep_ratio, "other_article_ratio": selection.other_article_ratio,
                          "max_chars": selection.max_chars, "max_units": selection.max_units},
            "fusion": {"rrf_k": fusion.rrf_k, "weights": fusion.weights, "second_chunk": fusion.second_chunk,
                       "same_language_bonus": fusion.same_language_bonus},
            "cases": len(cases),
        }
        data_files = [*args.files, ROOT / "bot/data/question_types.json", ROOT / "index/data/units.json"]
        write_section("quotes", values, model.embedding_model, data_files)
        print(f"wrote the quotes section of {CALIBRATION_FILE}")


if __name__ == "__main__":
    main()
