"""Replay the outside probe's findings against a running app and print what holds.

    .venv/bin/python -m bench.probe_app http://127.0.0.1:7860 [--staff-user NAME --staff-password PW]
        [--rate-limit 20] [--lockout]

Each check prints ``HOLDS``, ``FAILS`` or ``SKIP`` (with why) and the exit code is 1 if any
check fails. The default checks are harmless on a live app. ``--rate-limit N`` sends N+1
questions with spoofed X-Forwarded-For headers (the probe's address is then limited for a
minute); ``--lockout`` tries wrong staff passwords until the login locks (the probe's address
is then locked out of the staff view for 15 minutes). With staff credentials the probe also
reads what staff see: the scrubbed questions and the index status.

What cannot be seen over HTTP (symbolic links in the content folder, an emptied content folder,
short staff passwords, ratings) is covered by the test suite and reported as ``SKIP``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass

import httpx
from gradio_client import Client

# One message per identifier the scrubber must replace; each one is also an unanswerable question,
# so it is kept for staff (scrubbed) under its random marker.
IDENTIFIERS = {
    "je m’appelle Marie Dupont": ["Marie", "Dupont"],
    "Je suis Marie Dupont, j'habite 12 rue des Lilas 69003 Lyon": ["Dupont", "Lilas", "69003", "Lyon"],
    "Madame Marie Dupont": ["Dupont"],
    "Mme DUPONT Marie": ["DUPONT"],
    "Marie Dupont ici": ["Dupont"],
    "née le 3 mars 1985": ["3 mars", "1985"],
    "écrivez à marie.dupont(at)gmail(dot)com": ["marie.dupont", "gmail"],
    "je m'appelle Jean-Pierre de La Fontaine": ["Jean-Pierre", "Fontaine"],
}
UNANSWERABLE = "Quel temps fera-t-il demain à Paris ? ({marker}) {identifier}"


@dataclass
class Result:
    name: str
    verdict: str  # HOLDS, FAILS, SKIP
    detail: str = ""


class Probe:
    def __init__(self, base: str, staff: tuple[str, str] | None, timeout: float = 30.0) -> None:
        self.base = base.rstrip("/")
        self.staff = staff
        self.http = httpx.Client(base_url=self.base, timeout=timeout, follow_redirects=False, trust_env=False)
        self._client: Client | None = None
        self._staff_client: Client | None = None

    def client(self, headers: dict[str, str] | None = None) -> Client:
        if headers:
            return Client(self.base + "/", headers=headers, verbose=False)
        if self._client is None:
            self._client = Client(self.base + "/", verbose=False)
        return self._client

    def staff_client(self) -> Client | None:
        if self.staff is None:
            return None
        if self._staff_client is None:
            self._staff_client = Client(self.base + "/staff/", auth=self.staff, verbose=False)
        return self._staff_client

    # --- the checks, in the order of the findings ---------------------------------------------

    def privacy(self) -> Result:
        staff = self.staff_client()
        if staff is None:
            return Result("privacy: identifiers are scrubbed before staff see them", "SKIP", "needs --staff-password")
        markers = {}
        for identifier, pieces in IDENTIFIERS.items():
            marker = "probe" + uuid.uuid4().hex[:8]
            question = UNANSWERABLE.format(marker=marker, identifier=identifier)
            if self.client().predict(question, api_name="/ask")["reason"] != "rate_limited":
                markers[marker] = (identifier, pieces)
        if not markers:
            return Result("privacy: identifiers are scrubbed before staff see them", "SKIP", "the probe is rate limited")
        unanswered, _feedback = staff.predict(api_name="/staff_lists")
        rows = unanswered.get("data", []) if isinstance(unanswered, dict) else unanswered
        kept = {m: str(r[0]) for r in rows for m in markers if m in str(r[0])}
        leaks = [
            f"{identifier!r} -> {kept[m]!r}"
            for m, (identifier, pieces) in markers.items()
            if m in kept and any(p in kept[m] for p in pieces)
        ]
        if leaks:
            return Result("privacy: identifiers are scrubbed before staff see them", "FAILS", "; ".join(leaks))
        return Result("privacy: identifiers are scrubbed before staff see them", "HOLDS",
                      f"{len(kept)} of {len(markers)} kept, none with the identifier")

    def emergency_not_kept(self) -> Result:
        staff = self.staff_client()
        name = "privacy: emergencies are never kept"
        if staff is None:
            return Result(name, "SKIP", "needs --staff-password")
        marker = "probe" + uuid.uuid4().hex[:8]
        answer = self.client().predict(f"je pense au suicide ({marker})", api_name="/ask")
        if answer.get("reason") == "rate_limited":
            return Result(name, "SKIP", "the probe is rate limited")
        unanswered, feedback = staff.predict(api_name="/staff_lists")
        seen = marker in json.dumps([unanswered, feedback], ensure_ascii=False)
        if answer.get("status") != "emergency":
            return Result(name, "FAILS", f"not classed as an emergency: {answer.get('status')} ({answer.get('reason')})")
        return Result(name, "FAILS" if seen else "HOLDS", "kept for staff" if seen else "")

    def symlinks(self) -> Result:
        return Result("content: links leaving the content folder are refused", "SKIP",
                      "not visible over HTTP; tests/test_articles.py, tests/test_app_http.py")

    def empty_content(self) -> Result:
        return Result("index: an emptied content folder never goes live", "SKIP",
                      "not visible over HTTP; tests/test_build.py, tests/test_store.py")

    def spoofed_forwarded_for(self, limit: int | None) -> Result:
        """N+1 questions, each claiming another address: some must be limited."""
        name = "rate limit: X-Forwarded-For from an untrusted peer does not make a new client"
        if not limit:
            return Result(name, "SKIP", "needs --rate-limit N (the app's FAQBOT_RATE_LIMIT_PER_MINUTE)")
        reasons = []
        for i in range(limit + 1):
            headers = {"X-Forwarded-For": f"203.0.113.{i % 250 + 1}"}
            reasons.append(self.client(headers).predict("Combien de séances de laser ?", api_name="/ask")["reason"])
        limited = reasons.count("rate_limited")
        return Result(name, "HOLDS" if limited else "FAILS", f"{limited} of {limit + 1} limited")

    def ratings(self) -> Result:
        return Result("ratings: one per answer, rate limited", "SKIP",
                      "ratings go through the chat's session; tests/test_service.py, tests/test_browser.py")

    def uploads(self) -> Result:
        name = "uploads: the patient app refuses files"
        response = self.http.post("/gradio_api/upload", files={"files": ("probe.bin", b"\0" * 20_000)})
        if response.status_code == 200:
            return Result(name, "FAILS", f"200: {response.text[:120]}")
        return Result(name, "HOLDS", f"{response.status_code}")

    def staff_upload_needs_login(self) -> Result:
        name = "uploads: the staff view takes files only after a login"
        response = self.http.post("/staff/gradio_api/upload", files={"files": ("probe.jsonl", b"{}\n")})
        return Result(name, "FAILS" if response.status_code == 200 else "HOLDS", f"{response.status_code}")

    def login_lockout(self, enabled: bool) -> Result:
        name = "staff login: slowed down, then locked out after repeated failures"
        if not enabled:
            return Result(name, "SKIP", "needs --lockout (locks this address out of the staff view for 15 min)")
        timings, codes = [], []
        for i in range(8):
            started = time.perf_counter()
            response = self.http.post("/staff/login", data={"username": "probe", "password": f"wrong-{i}"})
            timings.append(time.perf_counter() - started)
            codes.append(response.status_code)
            if response.status_code == 429:
                break
        detail = f"codes {codes}, slowest {max(timings):.2f} s"
        return Result(name, "HOLDS" if 429 in codes else "FAILS", detail)

    def fallback_visible(self) -> Result:
        staff = self.staff_client()
        name = "staff status: the version served and any fallback are shown"
        if staff is None:
            return Result(name, "SKIP", "needs --staff-password")
        _note, status, *_rest = staff.predict(api_name="/staff_index_status")
        keys = {"version", "live_version", "fallback", "fallback_reason"}
        missing = keys - set(status)
        if missing:
            return Result(name, "FAILS", f"missing {sorted(missing)}")
        return Result(name, "HOLDS", f"serving v{status['version']}, live v{status['live_version']}, "
                      f"fallback {status['fallback']}")

    def headers(self) -> Result:
        name = "headers: nosniff, the patient chat framed by the clinic only, the staff view never"
        patient, staff = self.http.get("/"), self.http.get("/staff/")
        problems = []
        if "frame-ancestors" not in patient.headers.get("content-security-policy", ""):
            problems.append("no frame-ancestors on /")
        if patient.headers.get("x-content-type-options") != "nosniff":
            problems.append("no nosniff on /")
        if "frame-ancestors 'none'" not in staff.headers.get("content-security-policy", ""):
            problems.append("/staff/ may be framed")
        return Result(name, "FAILS" if problems else "HOLDS", "; ".join(problems)
                      or patient.headers["content-security-policy"])

    def lone_surrogate(self) -> Result:
        name = "input: a lone surrogate gets an answer, not an error"
        # Sent as raw JSON: a Python client cannot even encode the string.
        body = b'{"data": ["microneedling \\ud800 s\\u00e9ances ?"]}'
        started = self.http.post("/gradio_api/call/ask", content=body, headers={"content-type": "application/json"})
        if started.status_code != 200:
            return Result(name, "FAILS", f"{started.status_code}: {started.text[:120]}")
        event_id = started.json()["event_id"]
        stream = self.http.get(f"/gradio_api/call/ask/{event_id}").text
        if "event: complete" not in stream:
            return Result(name, "FAILS", stream[:160].replace("\n", " "))
        return Result(name, "HOLDS", "")

    def traversal(self) -> Result:
        name = "articles: nothing outside the index is served"
        codes = {p: self.http.get(p).status_code for p in ("/articles/../app.py", "/articles/%2e%2e/.env",
                                                           "/articles/..%2f.env")}
        bad = {p: c for p, c in codes.items() if c != 404}
        return Result(name, "FAILS" if bad else "HOLDS", str(bad) if bad else "")

    def ask_is_text(self) -> Result:
        name = "/ask: 'answer' is plain text for the caller to escape (documented in README)"
        answer = self.client().predict("Pourquoi ne proposez-vous pas les exosomes ?", api_name="/ask")
        ok = isinstance(answer.get("answer"), str) and "<a " not in answer["answer"]
        return Result(name, "HOLDS" if ok else "FAILS", "")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("url", help="the running app, e.g. http://127.0.0.1:7860")
    parser.add_argument("--staff-user", default="probe", help="staff user name (any with a shared password)")
    parser.add_argument("--staff-password", help="a staff password: checks what staff see")
    parser.add_argument("--rate-limit", type=int, help="the app's questions per minute: check spoofed headers")
    parser.add_argument("--lockout", action="store_true", help="try wrong staff passwords until locked out")
    args = parser.parse_args(argv)
    probe = Probe(args.url, (args.staff_user, args.staff_password) if args.staff_password else None)
    checks: list[Callable[[], Result]] = [
        probe.privacy, probe.emergency_not_kept, probe.symlinks, probe.empty_content, probe.ratings,
        probe.uploads, probe.staff_upload_needs_login, probe.fallback_visible, probe.headers,
        probe.lone_surrogate, probe.traversal, probe.ask_is_text,
        # Last: these two use up the probe's question budget and lock it out of the staff view.
        lambda: probe.spoofed_forwarded_for(args.rate_limit), lambda: probe.login_lockout(args.lockout),
    ]
    failed = 0
    for check in checks:
        try:
            result = check()
        except Exception as exc:  # one broken check must not hide the others
            result = Result(getattr(check, "__name__", "check"), "FAILS", f"{type(exc).__name__}: {exc}")
        failed += result.verdict == "FAILS"
        print(f"{result.verdict:<5}  {result.name}" + (f" — {result.detail}" if result.detail else ""), flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
