"""What every benchmark prints the same way: percentiles and the machine it ran on."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any


def percentile(values: list[float], pct: float) -> float:
    """Nearest-rank percentile; NaN for no values."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(pct / 100 * (len(ordered) - 1))))] if ordered else float("nan")


def cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "unknown CPU"


def rss_mb() -> float:
    """Resident memory of this process now, in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def machine(load_at_start: float) -> str:
    """CPU model, usable cores and the load average around the run (other work skews timings)."""
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    load = f"load average {load_at_start:.2f} at start, {os.getloadavg()[0]:.2f} at end"
    return f"{cpu_name()}, {os.cpu_count()} cores ({usable} usable); {load}"


def file_and_index(spec: str) -> tuple[Path, str]:
    """An eval file given as ``FILE=INDEX_DIR`` (asked against that index) or ``FILE`` (index ``""``: the default)."""
    path, _, index_dir = spec.partition("=")
    return Path(path), index_dir


def bot_per_index(default_settings: Any, embedder: Any = None) -> Callable[[str], Any]:
    """One bot per index folder, made on first use (``""``: the default settings), sharing one embedder."""
    from bot.engine import Bot
    from core.settings import load_settings

    bots: dict[str, Any] = {}

    def bot_for(index_dir: str) -> Any:
        if index_dir not in bots:
            settings = load_settings(index_dir=Path(index_dir)) if index_dir else default_settings
            bots[index_dir] = Bot(settings, embedder=embedder)
        return bots[index_dir]

    return bot_for
