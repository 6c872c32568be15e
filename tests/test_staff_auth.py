"""Staff accounts, password rules, the login throttle and the HTTP guards around the app."""

from __future__ import annotations

import asyncio
import io
from collections.abc import Iterator

import httpx
import pytest
from conftest import make_settings

from service.http_guards import RefuseUploads, SecurityHeaders, ThrottleLogin
from service.staff_auth import (
    LoginThrottle,
    hash_password,
    parse_staff_users,
    staff_access,
    verify_password,
)

GOOD = "correct horse battery"


@pytest.fixture(autouse=True)
def _cheaper_scrypt(monkeypatch) -> Iterator[None]:
    """Hashes made by these tests use scrypt's N = 2**10 instead of the shipped 2**14.

    Every check still runs scrypt with the parameters its hash names, as the app
    does; only the work factor, which no test here measures, is smaller: a few
    milliseconds a hash instead of about fifty.
    """
    import service.staff_auth as staff_auth

    monkeypatch.setattr(staff_auth, "SCRYPT_N", 2**10)
    staff_auth._dummy_hash.cache_clear()  # the unknown-user hash, made with the N in force
    yield
    staff_auth._dummy_hash.cache_clear()


def test_hash_round_trip_and_salt():
    encoded = hash_password(GOOD)
    assert encoded.startswith("scrypt$") and GOOD not in encoded
    assert verify_password(GOOD, encoded)
    assert not verify_password(GOOD + "!", encoded)
    assert hash_password(GOOD) != encoded
    assert not verify_password(GOOD, "plain-text") and not verify_password(GOOD, "scrypt$x$y")


def test_pbkdf2_hashes_are_accepted():
    import base64
    import hashlib

    salt = b"0123456789abcdef"
    digest = hashlib.pbkdf2_hmac("sha256", GOOD.encode(), salt, 100_000)
    b64 = lambda b: base64.urlsafe_b64encode(b).decode().rstrip("=")  # noqa: E731
    assert verify_password(GOOD, f"pbkdf2_sha256$100000${b64(salt)}${b64(digest)}")


def test_staff_users_inline_or_from_a_file(tmp_path):
    alice, bob = hash_password("alice password 1"), hash_password("bob password 22")
    assert parse_staff_users(f"alice:{alice}, bob:{bob}") == {"alice": alice, "bob": bob}
    users_file = tmp_path / "staff-users"
    users_file.write_text(f"# équipe\nalice:{alice}\n\nbob:{bob}\n", encoding="utf-8")
    assert parse_staff_users(str(users_file)) == {"alice": alice, "bob": bob}
    with pytest.raises(ValueError, match="FAQBOT_STAFF_USERS"):
        parse_staff_users("alice:motdepasse-en-clair")
    with pytest.raises(ValueError, match="cannot read"):
        parse_staff_users(str(tmp_path / "missing"))


@pytest.mark.parametrize("password", ["a", "short pass", " " * 20, "x" * 20, "  abcdefghij  "])
def test_weak_shared_password_disables_the_staff_view(tmp_path, password):
    access = staff_access(make_settings(tmp_path, tmp_path, staff_password=password))
    assert not access.enabled
    assert "12 characters" in access.reason
    assert not access.check("anyone", password)


def test_named_accounts_and_shared_password(tmp_path):
    users = f"alice:{hash_password('alice password 1')}"
    access = staff_access(make_settings(tmp_path, tmp_path, staff_users=users))
    assert access.enabled
    assert access.check("alice", "alice password 1")
    assert not access.check("bob", "alice password 1") and not access.check("alice", "wrong password!!")
    shared = staff_access(make_settings(tmp_path, tmp_path, staff_password=GOOD))
    assert shared.enabled and shared.check("n'importe qui", GOOD) and not shared.check("x", GOOD[:-1])
    broken = staff_access(make_settings(tmp_path, tmp_path, staff_users="alice:secret"))
    assert not broken.enabled and "FAQBOT_STAFF_USERS" in broken.reason
    assert not staff_access(make_settings(tmp_path, tmp_path)).enabled


def test_unknown_user_costs_a_hash_too(tmp_path, monkeypatch):
    import service.staff_auth as staff_auth

    access = staff_access(make_settings(tmp_path, tmp_path, staff_users=f"alice:{hash_password('alice password 1')}"))
    checked = []
    real = staff_auth.verify_password
    monkeypatch.setattr(staff_auth, "verify_password", lambda p, e: checked.append(e) or real(p, e))
    assert not access.check("mallory", "alice password 1")
    assert len(checked) == 1 and checked[0].startswith("scrypt$")


def test_cli_prints_an_entry_for_staff_users(monkeypatch, capsys):
    from service.__main__ import main

    monkeypatch.setattr("sys.stdin", io.StringIO(GOOD + "\n"))
    assert main(["hash-password", "alice"]) == 0
    entry = capsys.readouterr().out.strip()
    assert parse_staff_users(entry)["alice"] and verify_password(GOOD, entry.split(":", 1)[1])
    monkeypatch.setattr("sys.stdin", io.StringIO("a\n"))
    assert main(["hash-password", "alice"]) == 2
    assert "12 characters" in capsys.readouterr().err


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_throttle_delays_then_locks_out_then_forgets():
    clock = FakeClock()
    throttle = LoginThrottle(max_failures=5, window=900, lockout=900, clock=clock)
    delays = [throttle.attempt("1.2.3.4") for _ in range(5)]
    assert delays == sorted(delays) and delays[0] > 0
    assert throttle.locked_for("1.2.3.4") > 800
    assert throttle.locked_for("5.6.7.8") == 0
    clock.now += 901
    assert throttle.locked_for("1.2.3.4") == 0
    throttle.attempt("1.2.3.4")
    throttle.succeeded("1.2.3.4")
    assert throttle.locked_for("1.2.3.4") == 0


# --- the middlewares on a bare app ------------------------------------------------------------


async def _app(scope, receive, send):
    """Answers 200 to everything, 400 to a login whose password is not GOOD."""
    status = 200
    if scope["path"].endswith("/login"):
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        status = 200 if GOOD.replace(" ", "+").encode() in body else 400
    await send({"type": "http.response.start", "status": status, "headers": [(b"x-frame-options", b"ALLOW")]})
    await send({"type": "http.response.body", "body": b"ok"})


def _call(app, method: str, path: str, client: str = "203.0.113.9", **kwargs) -> httpx.Response:
    async def go():
        transport = httpx.ASGITransport(app=app, client=(client, 1234))
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
            return await c.request(method, path, **kwargs)

    return asyncio.run(go())


def test_uploads_are_refused_on_the_given_paths_only():
    app = RefuseUploads(_app, ["/gradio_api/upload"])
    for path in ("/gradio_api/upload", "/gradio_api/upload/", "/gradio_api//upload"):
        assert _call(app, "POST", path, files={"files": ("x.bin", b"x" * 20_000)}).status_code == 403
    assert _call(app, "POST", "/staff/gradio_api/upload", files={"files": ("x.bin", b"x")}).status_code == 200
    assert _call(app, "GET", "/gradio_api/upload").status_code == 200


def test_login_is_slowed_then_locked_per_client():
    slept: list[float] = []

    async def fake_sleep(seconds):
        slept.append(seconds)

    app = ThrottleLogin(_app, "/staff/login", LoginThrottle(max_failures=3), sleep=fake_sleep)
    codes = [_call(app, "POST", "/staff/login", data={"username": "a", "password": "no"}).status_code for _ in range(5)]
    assert codes == [400, 400, 400, 429, 429]
    assert len(slept) == 3 and slept == sorted(slept)
    locked = _call(app, "POST", "/staff/login", data={"username": "a", "password": GOOD})
    assert locked.status_code == 429 and int(locked.headers["retry-after"]) > 0
    # Another client is not locked out, and a success clears its failures.
    other = "198.51.100.1"
    assert _call(app, "POST", "/staff/login", other, data={"password": "no"}).status_code == 400
    assert _call(app, "POST", "/staff/login", other, data={"password": GOOD}).status_code == 200


def test_security_headers_patient_frameable_by_the_clinic_staff_never():
    app = SecurityHeaders(_app, "'self' https://clinique.example")
    patient = _call(app, "GET", "/")
    assert patient.headers["content-security-policy"] == "frame-ancestors 'self' https://clinique.example"
    assert patient.headers["x-content-type-options"] == "nosniff"
    assert "x-frame-options" not in patient.headers
    staff = _call(app, "GET", "/staff/")
    assert staff.headers["content-security-policy"] == "frame-ancestors 'none'"
    assert staff.headers["x-frame-options"] == "DENY"
    unquoted = _call(SecurityHeaders(_app, "self, https://clinique.example"), "GET", "/")
    assert unquoted.headers["content-security-policy"] == "frame-ancestors 'self' https://clinique.example"
