"""Indexing the clinic's articles: loading, chunking, embedding, storing.

Heavy modules (faiss, torch) are imported only when a function that needs them
is used, so ``python -m index --help`` and ``stats`` stay fast.
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = [
    "EMBEDDERS",
    "PARSERS",
    "Article",
    "Chunk",
    "EmbedderKind",
    "LoadFailure",
    "LoadedIndex",
    "UpdateReport",
    "chunk_article",
    "load_articles",
    "load_current",
    "load_embedder",
    "rollback",
    "sync_index",
]

_WHERE = {
    "EMBEDDERS": "index.embedder",
    "EmbedderKind": "index.embedder",
    "PARSERS": "index.articles",
    "Article": "index.articles",
    "LoadFailure": "index.articles",
    "load_articles": "index.articles",
    "Chunk": "index.chunking",
    "chunk_article": "index.chunking",
    "load_embedder": "index.embedder",
    "LoadedIndex": "index.store",
    "load_current": "index.store",
    "rollback": "index.store",
    "UpdateReport": "index.build",
    "sync_index": "index.build",
}


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        return getattr(importlib.import_module(_WHERE[name]), name)
    raise AttributeError(name)
