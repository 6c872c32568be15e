"""Fit the fusion weights, the quote scorer and the quote selection; write the ``quotes`` section of ``bot/data/calibration.json``.

Fitted only on the tuned eval sets given on the command line (by default the
eval set and the calibration set); the blind sets are never read here.

1. Fusion weights: a small grid, chosen for article hit@1 on the tuned sets; then the bonus of an
   article written in the question's language, on those weights.
2. Quote scorer: every quotable unit of the best articles is a row (its
   features from :mod:`bot.quotes`), labelled 1 when it contains one of the
   case's expected quotes. The weights are fitted *per question*: a softmax
   over each case's candidates (a conditional logit) maximises the chance
   that an answering unit comes first, which is what quoting needs; a
   pointwise logistic regression spends its fit on telling the thousands of
   obviously wrong units apart instead (5-fold cross-validated answer_correct
   0.68-0.70 pointwise, 0.76 listwise on the tuned sets). A one-feature logistic
   regression on the resulting score then turns it into a probability, which
   the selection's ratios compare. 5-fold cross-validation by case prints an
   honest estimate first, and picks the regularisation.
3. Selection: a small grid over how many further units to quote, chosen for
   answer_correct on the tuned sets with the median quote at most 600 characters.

Usage:
    python -m bench.calibrate_quotes [--index-dir var/index] [--write] [FILE[=INDEX_DIR]...]

A file given as ``FILE=INDEX_DIR`` is asked against that index (a second
corpus's questions against its own articles); other files use ``--index-dir``.

The release's quote scorer is fitted on every set that is no longer blind (1,301 answerable questions
over eight clinics' articles: the same list as ``bench/calibrate_abstention.py``), with
``--keep-fusion``; with 195 questions of the first tuned sets, the cross-validated answer_correct was
0.78, with 836 of five clinics 0.80, with the 1,301 0.79 (the three newer clinics' questions are
harder; BENCHMARKS.md).
"""

from __future__ import annotations

import argparse
import itertools
from dataclasses import replace
from pathlib import Path

import numpy as np

from bench.common import bot_per_index, file_and_index
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
L2_GRID = (1.0, 3.0, 10.0, 30.0)
LANGUAGE_BONUS_GRID = (0.0, 0.1, 0.25, 0.5, 1.0)
# The selection the cross-validated estimate quotes with (the one fitted last time), so scorers compare alike.
REFERENCE_SELECTION = SelectionSettings(keep_ratio=0.0, other_article_ratio=0.5, max_chars=500, max_units=4)


def answerable(path: Path) -> list:
    return [c for c in load_cases(path) if c.expected_status == "answered" and c.expected_quotes]


def prepared(groups: list[tuple[Bot, list]], fusion: FusionSettings):
    """(case, question, retrieval, vector, bot) for every case the bot's gates let through, under these fusion settings.

    The bot's own steps run up to retrieval (:meth:`Bot.run`): a question that a
    gate refuses never reaches the quote scorer, so it is not fitted on either.
    """
    out = []
    for bot, cases in groups:
        bot.retriever.fusion = fusion
        for case in cases:
            turn = bot.run(case.question, until="retrieve")
            if turn.retrieval is not None:
                out.append((case, turn.cleaned, turn.retrieval, turn.vector, bot))
    return out


def article_hit1(groups: list[tuple[Bot, list]], fusion: FusionSettings, n_cases: int) -> float:
    """Share of the cases whose first article is an expected one, under these fusion settings."""
    rows = prepared(groups, fusion)
    return sum(bool(r.articles) and r.articles[0][0] in c.expected_sources for c, _, r, _, _ in rows) / n_cases


def fit_fusion(groups: list[tuple[Bot, list]]) -> FusionSettings:
    n_cases = sum(len(cases) for _, cases in groups)
    best, best_hits = FusionSettings(), -1.0
    grid = itertools.product([0.5, 1.0, 1.5, 2.0], [0.5, 1.0, 1.3], [0.25, 0.5], [5.0, 10.0, 30.0])
    for dense, keyword, ngram, k in grid:
        fusion = FusionSettings(rrf_k=k, weights={"dense": dense, "keyword": keyword, "ngram": ngram})
        hits = article_hit1(groups, fusion, n_cases)
        if hits > best_hits + 1e-9:
            best, best_hits = fusion, hits
    # Then the same-language bonus, on those weights: the largest value with the best hit@1, so that an
    # article in the question's language wins a near tie without outranking one that answers.
    chosen = best
    for bonus in LANGUAGE_BONUS_GRID:
        fusion = replace(best, same_language_bonus=bonus)
        hits = article_hit1(groups, fusion, n_cases)
        print(f"  same-language bonus {bonus:g}: hit@1 {hits:.3f}")
        if hits >= best_hits - 1e-9:
            chosen, best_hits = fusion, hits
    print(f"fusion: {chosen} — tuned-set article hit@1 {best_hits:.3f}")
    return chosen


def unit_rows(rows):
    xs, ys, groups, cands_by_case = [], [], [], []
    for i, (case, q, retrieval, vector, bot) in enumerate(rows):
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


def fit_listwise(x: np.ndarray, y: np.ndarray, groups: np.ndarray, l2: float, embedding_model: str) -> QuoteModel:
    """Conditional logit: per case, maximise the softmax share of its answering units; then calibrate to a probability."""
    from scipy.optimize import minimize
    from sklearn.linear_model import LogisticRegression

    mean, scale = x.mean(axis=0), x.std(axis=0) + 1e-9
    xs = (x - mean) / scale
    cases = [rows for rows in (np.flatnonzero(groups == g) for g in np.unique(groups)) if y[rows].any()]

    def loss(w: np.ndarray) -> tuple[float, np.ndarray]:
        s = xs @ w
        total, grad = l2 * float(w @ w), 2 * l2 * w
        for rows in cases:
            e = np.exp(s[rows] - s[rows].max())
            pos = y[rows] == 1
            total -= float(np.log(e[pos].sum() / e.sum()))
            grad -= (xs[rows][pos] * (e[pos] / e[pos].sum())[:, None]).sum(axis=0) - xs[rows].T @ (e / e.sum())
        return total, grad

    w = minimize(loss, np.zeros(x.shape[1]), jac=True, method="L-BFGS-B").x
    raw = xs @ w
    calib = LogisticRegression(C=1.0, max_iter=1000).fit(raw[:, None], y)
    a, b = float(calib.coef_[0][0]), float(calib.intercept_[0])
    weights = a * w / scale
    bias = b - float(a * (mean / scale) @ w)
    return QuoteModel({n: round(float(v), 4) for n, v in zip(feature_names(), weights, strict=True)}, round(bias, 4),
                      embedding_model)


def quoted(model: QuoteModel, row, cands, settings: SelectionSettings) -> str:
    """The text the bot would quote for one case with this scorer and selection."""
    bot = row[-1]
    picked = select(score(list(cands), model), bot.retriever, settings.max_units, settings)
    by_source: dict[str, list] = {}
    for p in picked:
        by_source.setdefault(p.source, []).append(p.unit)
    return " ".join(join_units(sorted(us, key=lambda u: u.order)) for us in by_source.values())


def fit_selection(model: QuoteModel, rows, cands_by_case) -> tuple[SelectionSettings, float, float]:
    best = (SelectionSettings(), -1.0, 0.0)
    grid = itertools.product([0.0, 0.2, 0.35, 0.5, 0.7, 1.0], [0.5, 0.7, 0.85, 1.0], [400, 500, 600], [3, 4, 5])
    for keep, other, chars, units_max in grid:
        settings = SelectionSettings(keep, other, chars, units_max)
        texts = [quoted(model, row, cands, settings) for row, cands in zip(rows, cands_by_case, strict=True)]
        correct = sum(answer_contains_quote(t, row[0].expected_quotes) for t, row in zip(texts, rows, strict=True))
        rate, median = correct / len(rows), float(np.median([len(t) for t in texts]))
        if median <= MAX_MEDIAN_CHARS and rate > best[1] + 1e-9:
            best = (settings, rate, median)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="*", default=[str(f) for f in DEFAULT_FILES],
                        help="eval files, each optionally FILE=INDEX_DIR")
    parser.add_argument("--index-dir", type=Path)
    parser.add_argument("--write", action="store_true")
    parser.add_argument("--drop", nargs="*", default=[], metavar="FEATURE", help="fit without these features (ablation)")
    parser.add_argument("--keep-fusion", action="store_true", help="keep the calibrated fusion weights (no grid)")
    args = parser.parse_args()
    settings = load_settings(**({"index_dir": args.index_dir} if args.index_dir else {}))
    embedder = CachedEmbedder(load_embedder(settings.embedding_model))
    bot_for = bot_per_index(settings, embedder)
    specs = [file_and_index(f) for f in args.files]
    case_groups = [(bot_for(index_dir), answerable(path)) for path, index_dir in specs]
    cases = [c for _, group in case_groups for c in group]
    print(f"{len(cases)} answerable cases with expected quotes in {', '.join(p.name for p, _ in specs)}")
    fusion = case_groups[0][0].retriever.fusion if args.keep_fusion else fit_fusion(case_groups)
    rows = prepared(case_groups, fusion)
    print(f"{len(cases) - len(rows)} of them stopped by a gate before retrieval")
    x, y, groups, cands_by_case = unit_rows(rows)
    for name in args.drop:  # a zero column gets a zero weight
        x[:, feature_names().index(name)] = 0.0
    print(f"{len(y)} candidate units, {int(y.sum())} answering")

    fold_of = np.arange(len(rows)) % 5
    best_l2, best_answers = L2_GRID[0], -1.0
    for l2 in L2_GRID:
        oof_good = oof_answers = 0
        for k in range(5):
            train = fold_of[groups] != k
            model = fit_listwise(x[train], y[train], groups[train], l2, embedder.name)
            test_cases = [i for i in range(len(rows)) if fold_of[i] == k]
            oof_good += top1(model, [rows[i] for i in test_cases], [cands_by_case[i] for i in test_cases]) * len(test_cases)
            oof_answers += sum(
                answer_contains_quote(quoted(model, rows[i], cands_by_case[i], REFERENCE_SELECTION),
                                      rows[i][0].expected_quotes)
                for i in test_cases
            )
        print(f"l2 {l2:g}: best unit answers {oof_good / len(rows):.3f}, quoted text answers with the reference "
              f"selection {oof_answers / len(rows):.3f} (5-fold cross-validated by case)")
        if oof_answers > best_answers:
            best_l2, best_answers = l2, oof_answers
    model = fit_listwise(x, y, groups, best_l2, embedder.name)
    print(f"best unit answers (fitted on all, optimistic): {top1(model, rows, cands_by_case):.3f}")
    selection, rate, median = fit_selection(model, rows, cands_by_case)
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
        data_files = [*(path for path, _ in specs), ROOT / "bot/data/question_types.json", ROOT / "index/data/units.json"]
        write_section("quotes", values, model.embedding_model, data_files)
        print(f"wrote the quotes section of {CALIBRATION_FILE}")


if __name__ == "__main__":
    main()
