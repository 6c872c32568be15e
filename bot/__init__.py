"""Answering patients' questions from the clinic's articles, with citations.

Public API (imported lazily so that light commands stay fast)::

    from bot import Bot, load_settings
    answer = Bot(load_settings()).ask("Pourquoi ne proposez-vous pas les exosomes ?")
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = ["Answer", "Bot", "Citation", "Settings", "load_settings", "run_eval"]

_WHERE = {
    "Answer": "bot.answer",
    "Citation": "bot.answer",
    "Bot": "bot.engine",
    "Settings": "core.settings",
    "load_settings": "core.settings",
    "run_eval": "bot.evaluation",
}


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        return getattr(importlib.import_module(_WHERE[name]), name)
    raise AttributeError(name)
