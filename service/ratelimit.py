"""A per-client sliding-window rate limit, kept in memory only.

Clients are told apart by a salted hash of their address that lives only in
this process's memory and is forgotten after a minute of silence: nothing
identifying is stored.
"""

from __future__ import annotations

import hashlib
import os
import threading
import time
from collections import deque


class RateLimiter:
    def __init__(self, per_minute: int, clock=time.monotonic) -> None:
        self.per_minute = per_minute
        self._clock = clock
        self._salt = os.urandom(16)
        self._seen: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def _key(self, client: str) -> str:
        return hashlib.blake2b(client.encode(), key=self._salt, digest_size=16).hexdigest()

    def allow(self, client: str) -> bool:
        """True if this client may ask now; records the attempt when it may."""
        if self.per_minute <= 0:
            return True
        now = self._clock()
        key = self._key(client)
        with self._lock:
            window = self._seen.setdefault(key, deque())
            while window and now - window[0] >= 60:
                window.popleft()
            if len(window) >= self.per_minute:
                return False
            window.append(now)
            if len(self._seen) > 10_000:
                self._seen = {k: v for k, v in self._seen.items() if v and now - v[-1] < 60}
            return True
