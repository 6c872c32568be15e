"""An embedder whose query vectors are kept on disk between calibration runs.

The calibration commands embed the same thousands of messages at every fit; the vectors only change
with the model, whose name is part of each file's key. Everything but ``encode_query`` is the wrapped
embedder's own, so a :class:`bot.engine.Bot` can use it.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np

CACHE_DIR = Path(__file__).resolve().parent.parent / "var" / "cache" / "query-vectors"


class CachedEmbedder:
    def __init__(self, embedder, folder: Path = CACHE_DIR) -> None:
        self._embedder = embedder
        self.name = embedder.name
        self._dir = folder
        self._dir.mkdir(parents=True, exist_ok=True)

    def __getattr__(self, name: str):
        return getattr(self._embedder, name)

    def encode_query(self, text: str) -> np.ndarray:
        path = self._dir / (hashlib.sha256((self.name + "\0" + text).encode()).hexdigest()[:24] + ".npy")
        if path.exists():
            return np.load(path)
        vector = self._embedder.encode_query(text)
        np.save(path, vector)
        return vector
