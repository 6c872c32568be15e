"""Hybrid retrieval: dense vectors, BM25 on stems, character n-grams, fused.

Each retriever fails differently. The multilingual dense model knows meaning
across French and English but can miss a rare clinic word; BM25 on French
stems knows the clinic's words but not paraphrases; character n-grams survive
typos and cognates ("mesotherapy"/"mésothérapie"). Reciprocal-rank fusion keeps
what each one gets right without calibrating their scores against each other.

Two guards keep one rare word from outvoting the topic. Keyword weights use
article-level statistics: a word found in many passages of one article (its
subject, "exosomes") is as specific as a word found once ("proposez"), not
common. And the dense ranking's first article always stays among the first
three: the other rankings may reorder it, never drop it.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import numpy as np

from bot.lexicon import EN_FR, FR_SYNONYMS
from bot.topics import uncovered_topics
from core.strings import bounded_edit_distance
from core.textnorm import content_terms, spaced_folded_words, words
from index.chunking import Chunk
from index.embedder import Embedder
from index.store import IndexMismatch, LoadedIndex
from index.units import Unit

CANDIDATES = 50
# Quotable units whose words are kept between questions (a few MB; the best articles' units recur).
UNIT_WORDS_CACHE = 20_000


@dataclass(frozen=True)
class FusionSettings:
    """How the three rankings are combined; fitted by ``bench/calibrate_quotes.py`` on the tuned eval sets.

    Attributes:
        rrf_k: reciprocal-rank constant; small values reward agreement at the top.
        weights: weight of each ranking in the fusion.
        second_chunk: an article's score is its best chunk plus this share of its second
            best: an article that answers in two places is a safer citation than one lucky chunk.
        same_language_bonus: an article written in the patient's language (other than
            the clinic's default) gains this share of its score.
    """

    rrf_k: float = 5.0
    weights: dict[str, float] = field(default_factory=lambda: {"dense": 1.0, "keyword": 1.0, "ngram": 0.5})
    second_chunk: float = 0.5
    same_language_bonus: float = 0.5


@dataclass
class Hit:
    """A retrieved chunk with the score each retriever gave it."""

    chunk: Chunk
    row: int
    fused: float = 0.0
    dense: float = 0.0
    keyword: float = 0.0
    ngram: float = 0.0
    ranks: dict[str, int] = field(default_factory=dict)


@dataclass
class QueryTerms:
    """The question's keyword terms and how well the articles' vocabulary knows them."""

    terms: list[str]
    matched: dict[str, list[str]]
    unknown: list[str]
    coverage: float
    # Terms the articles know only through a typo-close form ("qqpart" -> "part").
    fuzzy: frozenset[str] = frozenset()


@dataclass
class Retrieval:
    """Everything a search found, for answer composition, abstention and the staff view."""

    hits: list[Hit]
    articles: list[tuple[str, float]]
    query: QueryTerms
    top_by: dict[str, list[str]]
    timings: dict[str, float]
    # The question's character n-gram vector and embedding, reused downstream.
    ngram_query: Any = None
    query_vector: Any = None


@dataclass(frozen=True)
class UnitWords:
    """A quotable unit's text (with its lead-in), its keyword terms and its heading's, and its folded words."""

    text: str
    terms: frozenset[str]
    heading: frozenset[str]
    folded: str


class Retriever:
    """Search over one loaded index version. Read-only.

    Creating one builds nothing: the keyword index, the n-gram matrix and the
    vocabulary statistics were built with the version (``index/lexical.py``)
    and are read from it.
    """

    def __init__(self, loaded: LoadedIndex, embedder: Embedder, fusion: FusionSettings | None = None) -> None:
        if loaded.lexical is None:
            raise IndexMismatch(
                "the index was built by an older release (no stored keyword index); rebuild it with "
                "`python -m index update` or `python -m index build`"
            )
        self.loaded = loaded
        self.embedder = embedder
        self.fusion = fusion or FusionSettings()
        self.chunks = loaded.chunks
        self.lexical = lexical = loaded.lexical
        self.df = lexical.df
        self.article_df = lexical.article_df
        self.n_docs = lexical.n_docs
        self.n_articles = lexical.n_articles
        self.corpus_words = lexical.corpus_words
        self.by_prefix = lexical.by_prefix
        self.article_lang = lexical.article_lang
        self.bm25 = lexical.bm25
        # Read lazily, not at load (loading computes nothing proportional to the corpus), and bounded.
        self._unit_words = lru_cache(maxsize=UNIT_WORDS_CACHE)(self._read_unit)

    def unit_words(self, row: int) -> UnitWords:
        """The words of the unit at ``row`` as the quote scorer reads them; kept for the next questions."""
        return self._unit_words(row)

    def _read_unit(self, row: int) -> UnitWords:
        unit = self.loaded.units[row]
        text = unit.text if unit.lead < 0 else f"{self.unit_at(unit.source, unit.lead).text} {unit.text}"
        return UnitWords(
            text=text,
            terms=frozenset(content_terms(text)),
            heading=frozenset(content_terms(unit.section or "")),
            folded=spaced_folded_words(text),
        )

    def chunk_terms(self, row: int) -> set[str]:
        """The keyword terms of the passage at ``row``."""
        return self.lexical.chunk_terms(row)

    def first_chunk(self, source: str) -> Chunk:
        """An article's first passage: its title, address and language."""
        return self.chunks[self.lexical.first_chunk_row(source)]

    def unit_rows(self, source: str) -> list[int]:
        """Rows in ``loaded.units`` of an article's units, in article order."""
        return self.lexical.unit_rows(source)

    def ngram_scores_at(self, query: Any, rows: np.ndarray) -> np.ndarray:
        """Cosine similarity on character n-grams of a question to the passages at ``rows``."""
        return self.lexical.ngram_scores_at(query, rows)

    def unit_at(self, source: str, order: int) -> Unit:
        """The unit at ``order`` in an article (``lead`` and ``depends`` are such article orders)."""
        return self.loaded.units[self.unit_rows(source)[order]]

    def uncovered_topics(self, question: str) -> list[str]:
        """Treatments or practical topics the question names and no article mentions."""
        return uncovered_topics(question, self.lexical.vocabulary, self.corpus_words)

    def idf(self, term: str) -> float:
        df = self.df.get(term, 0)
        return math.log(1 + (self.n_docs - df + 0.5) / (df + 0.5))

    def article_idf(self, term: str) -> float:
        """Specificity of a term across articles, not passages (see the module docstring)."""
        df = self.article_df.get(term, 0)
        return math.log(1 + (self.n_articles - df + 0.5) / (df + 0.5))

    def keyword_scores(self, tokens: list[str]) -> np.ndarray:
        """BM25 per passage, each term's passage idf replaced by its article idf."""
        total = np.zeros(len(self.chunks), dtype=np.float32)
        for token in dict.fromkeys(tokens):
            passage_idf = self.idf(token)
            if passage_idf <= 0:
                continue
            scores = self.bm25.get_scores([token])
            total += scores.astype(np.float32) * (self.article_idf(token) / passage_idf)
        return total

    def analyse(self, question: str, language: str) -> QueryTerms:
        """The question's terms, each with the article-vocabulary forms that stand for it.

        A term is matched by itself, by a typo-close or cognate form, or by the
        articles' word for it (``remboursé`` → ``pris en charge``; ``hair`` →
        ``cheveux``). A term none of these reach is unknown to the articles.
        """
        glossary = EN_FR if language != "fr" else {}
        groups: dict[str, list[str]] = {}
        for word in words(question):
            stems = content_terms(word)
            if not stems:
                continue
            term = stems[0]
            # French patients borrow English words ("un filler", "le lip flip"): the glossary also reads
            # a French question's word that the articles never use.
            loan = glossary.get(word, "") or (EN_FR.get(word, "") if term not in self.df else "")
            extra = (loan + " " + FR_SYNONYMS.get(word, "")).strip()
            candidates = groups.setdefault(term, [term])
            for alt in content_terms(extra):
                if alt not in candidates:
                    candidates.append(alt)
        matched: dict[str, list[str]] = {}
        unknown: list[str] = []
        fuzzy: set[str] = set()
        for term, candidates in groups.items():
            # Exact forms first; typo-close forms only when no exact one exists,
            # so "secu" with its synonym "assurance maladie" is not also read as "sec".
            found = [c for c in candidates if c in self.df]
            if not found:
                for cand in candidates:
                    found += [f for f in self._known_forms(cand) if f not in found]
                if found:
                    fuzzy.add(term)
            if found:
                matched[term] = found
            else:
                unknown.append(term)
        max_idf = math.log(1 + (self.n_docs + 0.5) / 0.5)
        weight_known = sum(max(self.idf(f) for f in forms) for forms in matched.values())
        total = weight_known + max_idf * len(unknown)
        coverage = weight_known / total if total else 0.0
        return QueryTerms(
            terms=list(groups), matched=matched, unknown=unknown, coverage=coverage, fuzzy=frozenset(fuzzy)
        )

    def subject_forms(self, query: QueryTerms) -> set[str]:
        """The forms of the question's words that name what it is about: known to the articles as
        written (not through a typo-close form: "qqpart" is not "part"), found in at most half of the
        articles ("quelque part" names nothing; "toxine" does), and not numbers ("1ère" is "première")."""
        return {
            form for term, forms in query.matched.items() if term not in query.fuzzy for form in forms
            if 2 * self.article_df.get(form, 0) <= self.n_articles and not any(ch.isdigit() for ch in form)
        }

    def _known_forms(self, term: str) -> list[str]:
        if term in self.df:
            return [term]
        if term.isdigit():
            return []
        # Short words are too close to each other for typo matching ("faill"/"faibl").
        if len(term) < 6:
            return self._clipped_forms(term)
        limit = 1 if len(term) < 9 else 2
        close = [
            cand for cand in self.by_prefix.get(term[:3], [])
            if bounded_edit_distance(term, cand, limit) <= limit
            or (len(term) >= 6 and len(cand) >= 6 and cand[:6] == term[:6])
        ]
        return sorted(close, key=lambda c: -self.df[c])[:3] or self._clipped_forms(term)

    def _clipped_forms(self, term: str) -> list[str]:
        """The articles' words that an unknown clipped word stands for ("méso" → "mésothérapie",
        "rhino" → "rhinoplastie", "carboxy" → "carboxythérapie"): words it begins, at least three
        letters longer (a clipping drops a syllable or more, a typo or an inflection does not)."""
        if len(term) < 4:
            return []
        longer = [c for c in self.by_prefix.get(term[:3], []) if c.startswith(term) and len(c) >= len(term) + 3]
        return sorted(longer, key=lambda c: -self.df[c])[:3]

    def search(
        self, question: str, language: str, k: int = CANDIDATES, vector: np.ndarray | None = None
    ) -> Retrieval:
        """Rank passages and articles for a question (``vector``: its embedding, if already computed)."""
        timings: dict[str, float] = {}
        t0 = time.perf_counter()
        query = self.analyse(question, language)
        keyword_tokens = [f for forms in query.matched.values() for f in forms]
        n = len(self.chunks)
        k = min(k, n)
        t1 = time.perf_counter()
        if vector is None:
            vector = self.embedder.encode_query(question)
        t2 = time.perf_counter()
        timings["embed_ms"] = (t2 - t1) * 1000
        rankings: dict[str, list[tuple[int, float]]] = {}
        ngram_query = None
        if n:
            scores, rows = self.loaded.faiss_index.search(vector.reshape(1, -1).astype(np.float32), k)
            rankings["dense"] = [(int(r), float(s)) for r, s in zip(rows[0], scores[0], strict=False) if r >= 0]
            if keyword_tokens:
                kw = self.keyword_scores(keyword_tokens)
                top = _top(kw, k)
                rankings["keyword"] = [(int(r), float(kw[r])) for r in top if kw[r] > 0]
            else:
                rankings["keyword"] = []
            ngram_query = self.lexical.ngram_query(question)
            # The n-gram similarity re-ranks the passages the two other searches found (spelling
            # variants the keyword match missed); it does not search the whole corpus.
            found = np.array(sorted({r for name in ("dense", "keyword") for r, _ in rankings[name]}), dtype=np.int64)
            ng = self.ngram_scores_at(ngram_query, found)
            top = _top(ng, min(k, len(ng))) if len(ng) else []
            rankings["ngram"] = [(int(found[i]), float(ng[i])) for i in top if ng[i] > 0]
        t3 = time.perf_counter()
        timings["search_ms"] = (t3 - t2 + t1 - t0) * 1000
        hits = self._fuse(rankings)
        fusion = self.fusion
        per_article: dict[str, list[float]] = {}
        for hit in hits:
            scores = per_article.setdefault(hit.chunk.source, [])
            if len(scores) < 2:
                scores.append(hit.fused)
        articles = {
            src: s[0] + (fusion.second_chunk * s[1] if len(s) > 1 else 0.0) for src, s in per_article.items()
        }
        if language not in ("fr", "") and fusion.same_language_bonus:
            for src in articles:
                if self.article_lang.get(src) == language:
                    articles[src] *= 1 + fusion.same_language_bonus
        ranked = sorted(articles.items(), key=lambda kv: -kv[1])
        dense_first = self.chunks[rankings["dense"][0][0]].source if rankings.get("dense") else None
        position = [src for src, _ in ranked].index(dense_first) if dense_first in articles else -1
        if position > 2:
            # Kept third, just above the article it displaces: present, not promoted.
            moved = ranked.pop(position)
            ranked.insert(2, (moved[0], ranked[2][1] * 1.0001 if len(ranked) > 2 else moved[1]))
        top_by = {
            name: _unique_sources([self.chunks[r].source for r, _ in ranking])[:3]
            for name, ranking in rankings.items()
        }
        timings["fusion_ms"] = (time.perf_counter() - t3) * 1000
        return Retrieval(
            hits=hits,
            articles=ranked,
            query=query,
            top_by=top_by,
            timings=timings,
            ngram_query=ngram_query,
            query_vector=vector,
        )

    def _fuse(self, rankings: dict[str, list[tuple[int, float]]]) -> list[Hit]:
        hits: dict[int, Hit] = {}
        for name, ranking in rankings.items():
            weight = self.fusion.weights.get(name, 0.0)
            for rank, (row, score) in enumerate(ranking):
                hit = hits.get(row)
                if hit is None:
                    hit = hits[row] = Hit(chunk=self.chunks[row], row=row)
                setattr(hit, name, score)
                hit.ranks[name] = rank + 1
                hit.fused += weight / (self.fusion.rrf_k + rank + 1)
        return sorted(hits.values(), key=lambda h: -h.fused)


def _top(scores: np.ndarray, k: int) -> np.ndarray:
    if k >= len(scores):
        return np.argsort(-scores)
    part = np.argpartition(-scores, k)[:k]
    return part[np.argsort(-scores[part])]


def _unique_sources(sources: list[str]) -> list[str]:
    out: list[str] = []
    for s in sources:
        if s not in out:
            out.append(s)
    return out
