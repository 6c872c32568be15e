"""The keyword and character n-gram indexes, built with a version and read on demand.

Everything the retriever needs besides the vectors is computed here once, when
a version is written, and stored in its ``lexical/`` folder: the BM25 index on
French stems (bm25s, saved with its own ``save``), the character 3–5-gram
TF-IDF matrix stored by passage, the vocabulary with passage and article
document frequencies, the words of the corpus, each passage's terms, and each
article's first passage, language and units. Loading a version reads the small
files and opens the large arrays, whose rows are read when a question needs
them (:mod:`index.rowfile`); it computes nothing that grows with the corpus: a
replica starts in seconds at 100,000 passages instead of rebuilding them.

The n-gram matrix is scikit-learn's ``TfidfVectorizer`` (``char_wb`` n-grams
of the folded text, smoothed idf, sublinear tf, l2 norm), computed here by the
same steps in the same order and precision, for the passages at build time and
for a question at search time: one implementation for both sides, and neither a
build nor a replica imports scikit-learn (1.5 s). A test checks the numbers are
scikit-learn's, bit for bit.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from core.textnorm import fold, terms_of_words, words
from index.chunking import Chunk
from index.rowfile import NpyRows
from index.units import Unit

# Bumped whenever the files below or their meaning change; recorded in the manifest.
# 2: the n-gram matrix is stored by passage (it was by n-gram), for re-ranking the passages found.
LEXICAL_SCHEME = 2
LEXICAL_DIR = "lexical"
TERMS_FILE = "terms.json"
ARTICLES_FILE = "articles.json"
BM25_DIR = "bm25"
CHUNK_TERMS_INDPTR = "chunk_terms.indptr.npy"
CHUNK_TERMS_IDS = "chunk_terms.ids.npy"
UNIT_ROWS_FILE = "unit_rows.npy"
NGRAM_VOCAB = "ngram.vocabulary.npy"
NGRAM_IDF = "ngram.idf.npy"
NGRAM_DATA = "ngram.data.npy"
NGRAM_INDICES = "ngram.indices.npy"
NGRAM_INDPTR = "ngram.indptr.npy"
NGRAM_RANGE = (3, 5)
BM25_PARAMS = {"k1": 1.2, "b": 0.75}
_WHITE_SPACES = re.compile(r"\s\s+")  # as scikit-learn's char_wb analyzer


@dataclass(frozen=True)
class NgramQuery:
    """A text's character n-gram TF-IDF vector: sorted column numbers and their weights."""

    indices: np.ndarray
    data: np.ndarray

    @property
    def nnz(self) -> int:
        return len(self.indices)


def char_wb_ngrams(text: str) -> list[str]:
    """Character 3–5-grams inside word boundaries, each word padded with a space (scikit-learn's ``char_wb``)."""
    text = _WHITE_SPACES.sub(" ", fold(text))
    min_n, max_n = NGRAM_RANGE
    grams: list[str] = []
    append = grams.append
    for w in text.split():
        w = " " + w + " "
        w_len = len(w)
        for n in range(min_n, max_n + 1):
            offset = 0
            append(w[offset : offset + n])
            while offset + n < w_len:
                offset += 1
                append(w[offset : offset + n])
            if offset == 0:  # a word shorter than n counts once
                break
    return grams


def ngram_vector(columns: list[int], idf: np.ndarray) -> NgramQuery:
    """The TF-IDF vector of a text whose known n-grams are ``columns`` (one per occurrence).

    scikit-learn's ``transform`` steps: counts, ``1 + log`` (sublinear tf),
    times idf, then the l2 norm summed in double in column order.
    """
    counts = Counter(columns)
    if not counts:
        return NgramQuery(np.zeros(0, dtype=np.int32), np.zeros(0, dtype=np.float32))
    order = sorted(counts)
    indices = np.asarray(order, dtype=np.int32)
    data = np.fromiter(map(counts.__getitem__, order), dtype=np.float32, count=len(order))
    np.log(data, out=data)
    data += 1.0
    data *= idf[indices]
    # A cumulative sum is sequential: the same additions in the same order as scikit-learn's loop.
    total = float(np.cumsum((data * data).astype(np.float64))[-1])
    if total:
        data = (data.astype(np.float64) / math.sqrt(total)).astype(np.float32)
    return NgramQuery(indices, data)


@dataclass(frozen=True)
class NgramMatrix:
    """The passages' n-gram TF-IDF matrix by row (CSR), its sorted vocabulary and idf."""

    vocabulary: np.ndarray
    idf: np.ndarray
    data: np.ndarray
    indices: np.ndarray
    indptr: np.ndarray


def fit_ngrams(texts: list[str]) -> NgramMatrix:
    """``TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), preprocessor=fold, sublinear_tf=True,
    dtype=float32).fit_transform(texts)``, by the same steps.

    The vocabulary is sorted; idf is ``log((n + 1) / (df + 1)) + 1`` in float32.
    """
    grams_by_text = [char_wb_ngrams(t) for t in texts]
    df_by_gram: Counter[str] = Counter()
    for grams in grams_by_text:
        df_by_gram.update(set(grams))
    names = sorted(df_by_gram)
    column = {gram: i for i, gram in enumerate(names)}
    df = np.asarray([df_by_gram[g] for g in names], dtype=np.float32)
    df += 1.0
    idf = np.full_like(df, fill_value=len(texts) + 1, dtype=np.float32)
    idf /= df
    np.log(idf, out=idf)
    idf += 1.0
    rows = [ngram_vector(list(map(column.__getitem__, grams)), idf) for grams in grams_by_text]
    indptr = np.zeros(len(rows) + 1, dtype=np.int64)
    indptr[1:] = np.cumsum([r.nnz for r in rows])
    return NgramMatrix(
        vocabulary=np.asarray(names, dtype=f"U{NGRAM_RANGE[1]}"),
        idf=idf,
        data=np.concatenate([r.data for r in rows]) if rows else np.zeros(0, dtype=np.float32),
        indices=np.concatenate([r.indices for r in rows]) if rows else np.zeros(0, dtype=np.int32),
        indptr=indptr,
    )


def file_sha256(path: Path) -> str:
    """sha256 of a file read in blocks (a large array is never held in memory whole)."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(1 << 22):
            digest.update(block)
    return digest.hexdigest()


def _save_npy(path: Path, array: np.ndarray) -> None:
    with open(path, "wb") as fh:
        np.save(fh, np.ascontiguousarray(array), allow_pickle=False)
        fh.flush()
        os.fsync(fh.fileno())


def _save_json(path: Path, data: Any) -> None:
    with open(path, "wb") as fh:
        fh.write(json.dumps(data, ensure_ascii=False).encode("utf-8"))
        fh.flush()
        os.fsync(fh.fileno())


def write_lexical(folder: Path, chunks: list[Chunk], units: list[Unit]) -> dict[str, str]:
    """Build every keyword and n-gram structure of a version into ``folder``.

    Args:
        folder: the version's ``lexical/`` folder (created).
        chunks: the passages, in index order.
        units: the quotable units, in index order.

    Returns:
        Each written file's path relative to the version folder and its sha256, for the manifest.
    """
    import bm25s
    folder.mkdir(parents=True, exist_ok=True)
    corpus_words: dict[str, None] = {}
    docs: list[list[str]] = []
    for chunk in chunks:
        ws = words(chunk.embedding_text)
        corpus_words.update(dict.fromkeys(ws))
        docs.append(terms_of_words(ws))
    # Terms in order of first appearance: ties between equally frequent
    # typo-close forms are broken by this order, as before the indexes were stored.
    term_ids: dict[str, int] = {}
    chunk_ids: list[list[int]] = []
    for doc in docs:
        ids = [term_ids.setdefault(t, len(term_ids)) for t in dict.fromkeys(doc)]
        chunk_ids.append(ids)
    df = np.zeros(len(term_ids), dtype=np.int64)
    article_terms: dict[str, set[int]] = {}
    for chunk, ids in zip(chunks, chunk_ids, strict=True):
        df[ids] += 1
        article_terms.setdefault(chunk.source, set()).update(ids)
    article_df = np.zeros(len(term_ids), dtype=np.int64)
    for ids in article_terms.values():
        article_df[list(ids)] += 1
    terms = list(term_ids)
    by_prefix: dict[str, list[str]] = {}
    for term in terms:
        by_prefix.setdefault(term[:3], []).append(term)
    _save_json(folder / TERMS_FILE, {
        "terms": terms,
        "df": df.tolist(),
        "article_df": article_df.tolist(),
        "n_docs": max(1, len(chunks)),
        "n_articles": max(1, len(article_terms)),
        "corpus_words": list(corpus_words),
        "by_prefix": by_prefix,
    })
    indptr = np.zeros(len(chunks) + 1, dtype=np.int64)
    indptr[1:] = np.cumsum([len(ids) for ids in chunk_ids])
    flat = np.fromiter((i for ids in chunk_ids for i in ids), dtype=np.int32, count=int(indptr[-1]))
    _save_npy(folder / CHUNK_TERMS_INDPTR, indptr)
    _save_npy(folder / CHUNK_TERMS_IDS, flat)

    # Each article's first passage (title, address, language) and its units' rows in article order.
    articles: dict[str, dict] = {}
    for row, chunk in enumerate(chunks):
        articles.setdefault(chunk.source, {"first_chunk": row, "lang": chunk.lang})
    unit_groups: dict[str, list[int]] = {}
    for row, unit in enumerate(units):
        unit_groups.setdefault(unit.source, []).append(row)
    unit_rows: list[int] = []
    for source, rows in unit_groups.items():
        entry = articles.setdefault(source, {"first_chunk": -1, "lang": None})
        entry["units"] = [len(unit_rows), len(unit_rows) + len(rows)]
        unit_rows.extend(rows)
    _save_json(folder / ARTICLES_FILE, articles)
    _save_npy(folder / UNIT_ROWS_FILE, np.asarray(unit_rows, dtype=np.int64))

    bm25 = bm25s.BM25(**BM25_PARAMS)
    bm25.index([d or ["_"] for d in docs] or [["_"]], show_progress=False)
    bm25.save(folder / BM25_DIR, show_progress=False)

    # Stored by passage, n-grams sorted: the similarity re-ranks the few hundred passages the other
    # searches found, so a question reads those rows only.
    matrix = fit_ngrams([c.embedding_text for c in chunks] or ["_"])
    _save_npy(folder / NGRAM_VOCAB, matrix.vocabulary)
    _save_npy(folder / NGRAM_IDF, matrix.idf)
    _save_npy(folder / NGRAM_DATA, matrix.data.astype(np.float32, copy=False))
    _save_npy(folder / NGRAM_INDICES, matrix.indices)
    _save_npy(folder / NGRAM_INDPTR, matrix.indptr)

    files: dict[str, str] = {}
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        if path.parent != folder:  # bm25s's own files: flushed here
            with open(path, "rb+") as fh:
                os.fsync(fh.fileno())
        files[path.relative_to(folder.parent).as_posix()] = file_sha256(path)
    return files


class LexicalIndex:
    """The stored keyword and n-gram structures of one version, read-only.

    Attributes:
        df: passages that use each term (terms in order of first appearance).
        article_df: articles that use each term.
        n_docs / n_articles: passages and articles in the version.
        corpus_words: every folded word of the passages.
        by_prefix: terms by their first three letters (typo matching).
        bm25: the bm25s index, its columns read on demand.
    """

    def __init__(self, folder: Path) -> None:
        terms = json.loads((folder / TERMS_FILE).read_text(encoding="utf-8"))
        self.terms: list[str] = terms["terms"]
        self.df: dict[str, int] = dict(zip(self.terms, terms["df"], strict=True))
        self.article_df: dict[str, int] = dict(zip(self.terms, terms["article_df"], strict=True))
        self.n_docs: int = terms["n_docs"]
        self.n_articles: int = terms["n_articles"]
        self.corpus_words: set[str] = set(terms["corpus_words"])
        self.vocabulary: set[str] = set(self.terms)
        self.by_prefix: dict[str, list[str]] = terms["by_prefix"]
        self.articles: dict[str, dict] = json.loads((folder / ARTICLES_FILE).read_text(encoding="utf-8"))
        self.article_lang: dict[str, str] = {
            src: a["lang"] for src, a in self.articles.items() if a.get("first_chunk", -1) >= 0
        }
        # Small arrays (a number per passage or n-gram) are read whole; large ones row by row.
        self._unit_rows = NpyRows(folder / UNIT_ROWS_FILE)
        self._chunk_indptr = np.load(folder / CHUNK_TERMS_INDPTR)
        self._chunk_ids = NpyRows(folder / CHUNK_TERMS_IDS)
        self.bm25 = StoredBM25(folder / BM25_DIR)
        self._vocab = np.load(folder / NGRAM_VOCAB)
        self._idf = np.load(folder / NGRAM_IDF)
        self.n_rows = len(self._chunk_indptr) - 1
        self._data = NpyRows(folder / NGRAM_DATA)
        self._indices = NpyRows(folder / NGRAM_INDICES)
        self._indptr = np.load(folder / NGRAM_INDPTR)
        if len(self._indptr) != self.n_rows + 1:
            raise ValueError(f"{NGRAM_INDPTR}: {len(self._indptr) - 1} rows for {self.n_rows} passages")

    def chunk_terms(self, row: int) -> set[str]:
        """The terms of one passage."""
        ids = self._chunk_ids.read(int(self._chunk_indptr[row]), int(self._chunk_indptr[row + 1]))
        return {self.terms[i] for i in ids.tolist()}

    def first_chunk_row(self, source: str) -> int:
        """Row of an article's first passage."""
        return int(self.articles[source]["first_chunk"])

    def unit_rows(self, source: str) -> list[int]:
        """Rows of an article's units, in article order (empty for an unknown article)."""
        span = self.articles.get(source, {}).get("units")
        return self._unit_rows.read(span[0], span[1]).tolist() if span else []

    def ngram_query(self, text: str) -> NgramQuery:
        """A text as scikit-learn's ``TfidfVectorizer.transform`` would give it (n-grams outside the vocabulary dropped)."""
        grams = char_wb_ngrams(text)
        if not grams or not len(self._vocab):
            return ngram_vector([], self._idf)
        wanted = np.asarray(grams, dtype=self._vocab.dtype)
        pos = np.searchsorted(self._vocab, wanted)
        pos[pos >= len(self._vocab)] = 0
        known = self._vocab[pos] == wanted
        return ngram_vector(pos[known].tolist(), self._idf)

    def ngram_scores_at(self, query: NgramQuery, rows: np.ndarray) -> np.ndarray:
        """Cosine similarity on character n-grams of a query to the passages at ``rows`` (rows are normalised).

        Reads the n-grams of those passages only (their rows of the matrix) and
        adds, for each, the products of the weights of the n-grams it shares
        with the query, in column order. A test compares the result with
        scikit-learn's sparse product over the whole matrix.
        """
        rows = np.asarray(rows, dtype=np.int64).reshape(-1)
        if not len(rows) or not query.nnz:
            return np.zeros(len(rows), dtype=np.float32)
        starts, ends = self._indptr[rows], self._indptr[rows + 1]
        columns = self._indices.read_ranges(starts, ends)
        weights = self._data.read_ranges(starts, ends)
        at = np.minimum(np.searchsorted(query.indices, columns), query.nnz - 1)
        shared = query.indices[at] == columns
        owner = np.repeat(np.arange(len(rows)), ends - starts)[shared]
        products = weights[shared] * query.data[at[shared]]
        return np.bincount(owner, weights=products, minlength=len(rows)).astype(np.float32)


class StoredBM25:
    """The BM25 index bm25s saved, read without importing bm25s (and SciPy with it).

    bm25s stores every term's score in each passage by column; a term's
    scores are its column, which is what ``bm25s.BM25.get_scores`` adds up. A
    test compares both on every term.
    """

    def __init__(self, folder: Path) -> None:
        params = json.loads((folder / "params.index.json").read_text(encoding="utf-8"))
        self.num_docs = int(params["num_docs"])
        self.dtype = np.dtype(params.get("dtype", "float32"))
        self.vocab_dict: dict[str, int] = json.loads((folder / "vocab.index.json").read_text(encoding="utf-8"))
        self._data = NpyRows(folder / "data.csc.index.npy")
        self._indices = NpyRows(folder / "indices.csc.index.npy")
        self._indptr = np.load(folder / "indptr.csc.index.npy")

    def get_scores(self, tokens: list[str]) -> np.ndarray:
        """BM25 of every passage for ``tokens`` (unknown tokens add nothing)."""
        scores = np.zeros(self.num_docs, dtype=self.dtype)
        for token in tokens:
            column = self.vocab_dict.get(token)
            if column is None or column >= len(self._indptr) - 1:  # bm25s keeps an empty token without a column
                continue
            start, end = int(self._indptr[column]), int(self._indptr[column + 1])
            np.add.at(scores, self._indices.read(start, end), self._data.read(start, end))
        return scores
