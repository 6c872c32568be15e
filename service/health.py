"""What a load balancer and an operator need to know about the served index.

Only facts about the index and its updates: never a patient's question.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import asdict, dataclass, field

# The states an update can end in, as shown by ``/metrics``.
UPDATE_RESULTS = ("written", "unchanged", "failed")


@dataclass
class IndexHealth:
    """The index version a process is answering from.

    ``fallback`` is true when the live version could not be loaded and an older
    one is served instead; ``warnings`` then says why.
    """

    version: int
    built_at: str | None
    age_seconds: float | None
    fallback: bool
    chunks: int
    articles: int
    warnings: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class UpdateResult:
    """The last build or update recorded in the index history (by this process or another writer)."""

    result: str
    time: str | None
    timestamp: float | None
    skipped_articles: int
    version: int | None


def parse_time(value: str | None) -> float | None:
    """Seconds since the epoch of a manifest or history time (``2026-05-12T10:00:00+0200``), None if unreadable."""
    if not value:
        return None
    for fmt in ("%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%dT%H:%M:%S"):
        try:
            parsed = dt.datetime.strptime(value, fmt)
        except ValueError:
            continue
        if parsed.tzinfo is None:
            return time.mktime(parsed.timetuple())
        return parsed.timestamp()
    return None


def index_health(manifest: dict, warnings: list[str], now: float | None = None) -> IndexHealth:
    """The health of a loaded index version from its manifest and the warnings of its load.

    Args:
        manifest: the loaded version's manifest.
        warnings: why the live version was skipped, if it was (empty when it is served).
        now: the current time in seconds since the epoch (``time.time()`` when None).
    """
    built = parse_time(manifest.get("built_at"))
    now = time.time() if now is None else now
    return IndexHealth(
        version=int(manifest.get("version") or 0),
        built_at=manifest.get("built_at"),
        age_seconds=None if built is None else max(0.0, round(now - built, 3)),
        fallback=bool(warnings),
        chunks=int(manifest.get("chunk_count") or 0),
        articles=len(manifest.get("articles", {})),
        warnings=list(warnings),
    )


def update_result(entry: dict | None) -> UpdateResult | None:
    """Classify one index history entry: ``written``, ``unchanged`` (nothing to do) or ``failed``."""
    if not entry:
        return None
    if entry.get("error"):
        result = "failed"
    elif entry.get("written"):
        result = "written"
    else:
        result = "unchanged"
    return UpdateResult(
        result=result,
        time=entry.get("time"),
        timestamp=parse_time(entry.get("time")),
        skipped_articles=len(entry.get("failed") or []),
        version=entry.get("version"),
    )
