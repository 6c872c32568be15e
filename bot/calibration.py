"""The fitted values of the answering pipeline, read from one file and tied to the embedding model.

``bot/quote_model.json`` (written by ``bench/calibrate_quotes.py``) holds the
fusion weights, the quote scorer's weights and the quote selection ratios,
with the embedding model they were fitted with. Scores of another model are on
another scale, so when the index's model differs the bot says so in the logs
and falls back to neutral defaults rather than applying weights fitted for
something else.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from bot.compose import SelectionSettings
from bot.quotes import MODEL_FILE, PRIOR, QuoteModel
from bot.retrieval import FusionSettings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Calibration:
    quote_model: QuoteModel = PRIOR
    selection: SelectionSettings = field(default_factory=SelectionSettings)
    fusion: FusionSettings = field(default_factory=FusionSettings)
    fitted: bool = False


@lru_cache(maxsize=8)
def load_calibration(embedding_model: str, path: Path = MODEL_FILE) -> Calibration:
    """The calibration fitted for ``embedding_model``, or the defaults (with a warning in the logs)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        data = {}
    if data.get("embedding_model") != embedding_model:
        if embedding_model.startswith("hashing-"):  # the test embedder: defaults, nothing to warn about
            return Calibration()
        log.warning(
            "calibration not fitted for this embedding model; using defaults (run bench/calibrate_quotes.py)",
            extra={"embedding_model": embedding_model, "fitted_with": data.get("embedding_model")},
        )
        return Calibration()
    fusion = data.get("fusion", {})
    return Calibration(
        quote_model=QuoteModel(dict(data["weights"]), float(data["bias"]), embedding_model),
        selection=SelectionSettings(**data.get("selection", {})),
        fusion=FusionSettings(**fusion) if fusion else FusionSettings(),
        fitted=True,
    )
