"""Who may open the staff view, and how hard it is to guess.

Two ways to give access, both from settings:

- ``FAQBOT_STAFF_USERS``: named accounts, ``name:hash`` entries (commas,
  semicolons or new lines between them), or the path of a file holding them one
  a line. Hashes come from ``python -m service hash-password NAME`` (scrypt, salted).
- ``FAQBOT_STAFF_PASSWORD``: one shared password, any user name.

A password shorter than :data:`MIN_PASSWORD_CHARS` leaves the staff view
disabled, with the reason printed at start and shown on the page. Failed logins
are slowed down and then locked out per client (:class:`LoginThrottle`).
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from core.settings import Settings

MIN_PASSWORD_CHARS = 12
# scrypt cost: about 50 ms and 16 MB per check on a small server.
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1


class PasswordTooShort(ValueError):
    pass


def check_password_strength(password: str) -> None:
    """Raise PasswordTooShort unless the password has at least 12 characters other than spaces."""
    if len(password.strip()) < MIN_PASSWORD_CHARS or len(set(password)) < 2:
        raise PasswordTooShort(f"a staff password needs at least {MIN_PASSWORD_CHARS} characters")


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def hash_password(password: str, salt: bytes | None = None) -> str:
    """``scrypt$N$r$p$salt$hash``: what ``FAQBOT_STAFF_USERS`` holds instead of the password."""
    salt = salt or os.urandom(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P, dklen=32)
    return f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${_b64(salt)}${_b64(digest)}"


def verify_password(password: str, encoded: str) -> bool:
    """True if ``password`` matches a hash from :func:`hash_password` (or ``pbkdf2_sha256$iterations$salt$hash``)."""
    parts = encoded.split("$")
    try:
        if parts[0] == "scrypt" and len(parts) == 6:
            n, r, p = (int(x) for x in parts[1:4])
            salt, expected = _unb64(parts[4]), _unb64(parts[5])
            digest = hashlib.scrypt(password.encode(), salt=salt, n=n, r=r, p=p, dklen=len(expected), maxmem=2**26)
        elif parts[0] == "pbkdf2_sha256" and len(parts) == 4:
            salt, expected = _unb64(parts[2]), _unb64(parts[3])
            digest = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, int(parts[1]), len(expected))
        else:
            return False
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(digest, expected)


def _is_file(value: str) -> bool:
    try:
        return Path(value).expanduser().is_file()
    except OSError:  # a long inline list is not a valid file name
        return False


def parse_staff_users(value: str) -> dict[str, str]:
    """Named accounts from ``FAQBOT_STAFF_USERS``: inline entries or a file path.

    Raises:
        ValueError: an entry is not ``name:hash`` with a known hash format.
    """
    value = value.strip()
    if value and "\n" not in value and (":" not in value or _is_file(value)):
        path = Path(value).expanduser()
        try:
            value = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise ValueError(f"FAQBOT_STAFF_USERS: cannot read {path}: {exc.strerror or exc}") from None
    users: dict[str, str] = {}
    for raw in value.replace(";", "\n").replace(",", "\n").splitlines():
        entry = raw.strip()
        if not entry or entry.startswith("#"):
            continue
        name, sep, encoded = entry.partition(":")
        name, encoded = name.strip(), encoded.strip()
        if not sep or not name or not encoded.startswith(("scrypt$", "pbkdf2_sha256$")):
            raise ValueError(
                f"FAQBOT_STAFF_USERS: {name or entry[:20]!r} is not 'name:hash' "
                "(make the hash with `python -m service hash-password NAME`)"
            )
        users[name] = encoded
    return users


@functools.lru_cache(maxsize=1)
def _dummy_hash() -> str:
    return hash_password(os.urandom(16).hex())


@dataclass
class StaffAccess:
    """Whether the staff view is on, why not, and the check Gradio's login calls."""

    enabled: bool
    reason: str = ""
    users: dict[str, str] = field(default_factory=dict)
    shared_password: str = ""

    def check(self, username: str, password: str) -> bool:
        if not self.enabled:
            return False
        # An unknown name costs the same hash as a known one: response times do not reveal who has an account.
        ok = verify_password(password, self.users.get(username) or _dummy_hash()) and username in self.users
        if self.shared_password:
            # Compare digests: equal lengths, so the comparison time says nothing about the password.
            given = hashlib.sha256(password.encode()).digest()
            ok = hmac.compare_digest(given, hashlib.sha256(self.shared_password.encode()).digest()) or ok
        return ok


def staff_access(settings: Settings) -> StaffAccess:
    """Read the staff accounts from settings; a weak or malformed set-up disables the view with a reason."""
    try:
        users = parse_staff_users(settings.staff_users) if settings.staff_users.strip() else {}
    except ValueError as exc:
        return StaffAccess(False, f"{exc}; the staff view stays disabled")
    password = settings.staff_password
    if password:
        try:
            check_password_strength(password)
        except PasswordTooShort:
            return StaffAccess(
                False,
                f"FAQBOT_STAFF_PASSWORD is too short: at least {MIN_PASSWORD_CHARS} characters are needed; "
                "the staff view stays disabled",
            )
    if not users and not password:
        return StaffAccess(False, "set FAQBOT_STAFF_USERS or FAQBOT_STAFF_PASSWORD to enable the staff view")
    return StaffAccess(True, users=users, shared_password=password)


class LoginThrottle:
    """Failed logins per client: a growing delay, then a lock-out.

    After ``max_failures`` failures within ``window`` seconds the client is
    locked out for ``lockout`` seconds. Clients are kept as salted hashes in
    memory only, like the rate limiter's.
    """

    def __init__(
        self,
        max_failures: int = 5,
        window: float = 900.0,
        lockout: float = 900.0,
        max_delay: float = 4.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.max_failures = max_failures
        self.window = window
        self.lockout = lockout
        self.max_delay = max_delay
        self._clock = clock
        self._salt = os.urandom(16)
        self._failures: dict[str, list[float]] = {}
        self._locked_until: dict[str, float] = {}
        self._lock = threading.Lock()

    def _key(self, client: str) -> str:
        return hashlib.blake2b(client.encode(), key=self._salt, digest_size=16).hexdigest()

    def locked_for(self, client: str) -> float:
        """Seconds this client must still wait before trying again (0: it may try)."""
        with self._lock:
            until = self._locked_until.get(self._key(client), 0.0)
        return max(0.0, until - self._clock())

    def attempt(self, client: str) -> float:
        """Count an attempt as a failure until it succeeds; return the delay to apply if it fails."""
        now = self._clock()
        key = self._key(client)
        with self._lock:
            recent = [t for t in self._failures.get(key, []) if now - t < self.window]
            recent.append(now)
            self._failures[key] = recent
            if len(recent) >= self.max_failures:
                self._locked_until[key] = now + self.lockout
            if len(self._failures) > 10_000:
                self._failures = {k: v for k, v in self._failures.items() if v and now - v[-1] < self.window}
                self._locked_until = {k: u for k, u in self._locked_until.items() if u > now}
            return min(self.max_delay, 0.25 * 2 ** (len(recent) - 1))

    def succeeded(self, client: str) -> None:
        key = self._key(client)
        with self._lock:
            self._failures.pop(key, None)
            self._locked_until.pop(key, None)
