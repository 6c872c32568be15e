"""Who the client is: forwarded headers are believed only from the configured proxies."""

from __future__ import annotations

import asyncio

import httpx
import pytest
import uvicorn
from conftest import make_settings

from app import server_options
from core.settings import load_settings


async def _echo_client(scope, receive, send):
    """A bare ASGI app answering with the client address uvicorn settled on."""
    if scope["type"] != "http":
        return
    host = scope["client"][0] if scope.get("client") else ""
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
    await send({"type": "http.response.body", "body": host.encode()})


def _client_seen(settings, peer: str, forwarded_for: str | None) -> str:
    config = uvicorn.Config(_echo_client, **server_options(settings))
    config.load()
    transport = httpx.ASGITransport(app=config.loaded_app, client=(peer, 50000))

    async def go() -> str:
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            headers = {"X-Forwarded-For": forwarded_for} if forwarded_for else {}
            return (await client.get("/", headers=headers)).text

    return asyncio.run(go())


def test_forwarded_for_from_loopback_is_not_believed_by_default(tmp_path):
    settings = make_settings(tmp_path, tmp_path)
    assert _client_seen(settings, "127.0.0.1", "203.0.113.7") == "127.0.0.1"


def test_forwarded_for_is_believed_from_a_trusted_proxy_only(tmp_path):
    settings = make_settings(tmp_path, tmp_path, trusted_proxies="10.0.0.0/24, 127.0.0.1")
    assert _client_seen(settings, "127.0.0.1", "203.0.113.7") == "203.0.113.7"
    assert _client_seen(settings, "10.0.0.9", "203.0.113.8") == "203.0.113.8"
    # A client cannot prepend its own choice: the right-most untrusted hop is the client.
    assert _client_seen(settings, "10.0.0.9", "1.2.3.4, 203.0.113.8") == "203.0.113.8"
    assert _client_seen(settings, "192.0.2.50", "203.0.113.7") == "192.0.2.50"


def test_a_mistyped_trusted_proxy_is_refused():
    with pytest.raises(ValueError, match="FAQBOT_TRUSTED_PROXIES"):
        load_settings(env={"FAQBOT_TRUSTED_PROXIES": "nginx.local"})
    settings = load_settings(env={"FAQBOT_TRUSTED_PROXIES": "10.0.0.1 fd00::/8", "FAQBOT_RATE_LIMIT_GLOBAL_PER_MINUTE": "90"})
    assert settings.trusted_proxy_list == ["10.0.0.1", "fd00::/8"]
    assert settings.rate_limit_global_per_minute == 90


def test_upload_folder_is_private_and_emptied_at_start(tmp_path):
    from app import fresh_upload_folder

    settings = make_settings(tmp_path, tmp_path)
    folder = fresh_upload_folder(settings)
    assert folder.is_relative_to(settings.data_dir)
    (folder / "abc").mkdir()
    (folder / "abc" / "big.bin").write_bytes(b"\0" * 1000)
    assert list(fresh_upload_folder(settings).iterdir()) == []
