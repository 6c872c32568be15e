"""HTTP-level guards around the app: plain ASGI middlewares, no Gradio inside.

- :class:`RefuseUploads`: the patient chat needs no file upload, so its upload
  route answers 403 before reading a byte of the body.
- :class:`ThrottleLogin`: the staff login is slowed down after each failure and
  locked for a while after repeated failures from one client (see
  :class:`service.staff_auth.LoginThrottle`).
- :class:`SecurityHeaders`: ``nosniff``, a referrer policy, and who may frame
  the pages: the clinic's site for the patient chat, nobody for the staff view.

The client address is the one uvicorn settled on, after trusted proxies only
(``app.server_options``).
"""

from __future__ import annotations

import asyncio
import html
import json
import re
from collections.abc import Awaitable, Callable, Iterable, MutableMapping
from typing import Any

from service.staff_auth import LoginThrottle

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


def _path(scope: Scope) -> str:
    """The request path with repeated and trailing slashes removed, as routers match it."""
    return re.sub(r"/{2,}", "/", scope.get("path", "")).rstrip("/") or "/"


async def _json_response(send: Send, status: int, detail: str, headers: Iterable[tuple[bytes, bytes]] = ()) -> None:
    body = json.dumps({"detail": detail}, ensure_ascii=False).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()), *headers],
        }
    )
    await send({"type": "http.response.body", "body": body})


class RefuseUploads:
    """Answer 403 to POSTs on the given paths (e.g. the patient app's ``/gradio_api/upload``)."""

    def __init__(self, app: ASGIApp, paths: Iterable[str]) -> None:
        self.app = app
        self.paths = {p.rstrip("/") for p in paths}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope.get("method") == "POST" and _path(scope) in self.paths:
            await _json_response(send, 403, "file uploads are not accepted here")
            return
        await self.app(scope, receive, send)


class ThrottleLogin:
    """Slow down and lock out repeated failed logins on ``path`` per client address.

    Every attempt counts as a failure until the login route answers 200, so a
    burst of parallel attempts is counted as it arrives, not after.
    """

    def __init__(self, app: ASGIApp, path: str, throttle: LoginThrottle, sleep=asyncio.sleep) -> None:
        self.app = app
        self.path = path.rstrip("/")
        self.throttle = throttle
        self._sleep = sleep

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not (scope["type"] == "http" and scope.get("method") == "POST" and _path(scope) == self.path):
            await self.app(scope, receive, send)
            return
        client = scope["client"][0] if scope.get("client") else "unknown"
        wait = self.throttle.locked_for(client)
        if wait > 0:
            await _json_response(
                send, 429, f"Trop d'essais : réessayez dans {int(wait // 60) + 1} min.",
                [(b"retry-after", str(int(wait) + 1).encode())],
            )
            return
        delay = self.throttle.attempt(client)

        async def send_after_verdict(message: Message) -> None:
            if message["type"] == "http.response.start":
                if message["status"] == 200:
                    self.throttle.succeeded(client)
                elif delay > 0:
                    await self._sleep(delay)
            await send(message)

        await self.app(scope, receive, send_after_verdict)


class SecurityHeaders:
    """Headers on every response; the staff view (``staff_prefix``) may never be framed."""

    def __init__(self, app: ASGIApp, frame_ancestors: str, staff_prefix: str = "/staff") -> None:
        self.app = app
        self.staff_prefix = staff_prefix.rstrip("/")
        # Keywords lose their quotes in environment files: self and none are quoted back.
        words = [f"'{w}'" if w.lower() in ("self", "none") else w for w in frame_ancestors.replace(",", " ").split()]
        ancestors = " ".join(words) or "'self'"
        common = [(b"x-content-type-options", b"nosniff"), (b"referrer-policy", b"strict-origin-when-cross-origin")]
        self.patient = [*common, (b"content-security-policy", f"frame-ancestors {ancestors}".encode())]
        self.staff = [
            *common,
            (b"content-security-policy", b"frame-ancestors 'none'"),
            (b"x-frame-options", b"DENY"),
            (b"cache-control", b"no-store"),
        ]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope.get("path", "")
        extra = self.staff if path == self.staff_prefix or path.startswith(self.staff_prefix + "/") else self.patient

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                # frame-ancestors decides framing; an X-Frame-Options from inside must not contradict it.
                names = {name for name, _ in extra} | {b"x-frame-options"}
                kept = [(n, v) for n, v in message.get("headers", []) if n.lower() not in names]
                message["headers"] = kept + extra
            await send(message)

        await self.app(scope, receive, with_headers)


class PageTitle:
    """Gives an HTML page served under ``prefix`` a ``<title>`` when it has none.

    Gradio's login page (the staff view before signing in) is served without a title, which screen
    readers announce as an unnamed page (WCAG 2.4.2). Only HTML responses without a title are touched.
    """

    def __init__(self, app: ASGIApp, prefix: str, title: str) -> None:
        self.app = app
        self.prefix = prefix.rstrip("/")
        self.title = f"<title>{html.escape(title)}</title>".encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "") if scope["type"] == "http" else ""
        if not (path == self.prefix or path.startswith(self.prefix + "/")) or scope.get("method") != "GET":
            await self.app(scope, receive, send)
            return
        start: Message | None = None
        chunks: list[bytes] = []

        async def buffer_html(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                headers = dict(message.get("headers", []))
                if not headers.get(b"content-type", b"").startswith(b"text/html"):
                    await send(message)
                    return
                start = message
                return
            if start is None:
                await send(message)
                return
            chunks.append(message.get("body", b""))
            if message.get("more_body"):
                return
            body = b"".join(chunks)
            if b"<title" not in body and b"<head>" in body:
                body = body.replace(b"<head>", b"<head>" + self.title, 1)
            headers = [(n, v) for n, v in start.get("headers", []) if n.lower() != b"content-length"]
            await send({**start, "headers": [*headers, (b"content-length", str(len(body)).encode())]})
            await send({"type": "http.response.body", "body": body})

        await self.app(scope, receive, buffer_html)
