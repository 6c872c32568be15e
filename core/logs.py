"""Structured logs for operators: one JSON object per line on stderr.

Patients' questions never go into logs; only counts, timings and ids.
"""

from __future__ import annotations

import json
import logging
import os
import time

_STANDARD = set(vars(logging.makeLogRecord({})).keys()) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        payload = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + "Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "event": record.getMessage(),
        }
        payload.update({k: v for k, v in vars(record).items() if k not in _STANDARD})
        if record.exc_info:
            payload["error"] = self.formatException(record.exc_info).splitlines()[-1]
        return json.dumps(payload, ensure_ascii=False, default=str)


def setup_logging(level: str | None = None) -> None:
    """Send this project's logs to stderr as JSON lines (``FAQBOT_LOG_LEVEL``, default warning)."""
    level = (level or os.environ.get("FAQBOT_LOG_LEVEL") or "WARNING").upper()
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter())
    for name in ("bot", "index", "app"):
        logger = logging.getLogger(name)
        logger.handlers[:] = [handler]
        logger.setLevel(level)
        logger.propagate = False
