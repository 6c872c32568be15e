"""``python app.py``: the clinic's chat (``/``) and staff view (``/staff``) on one server.

Builds the index on first start, then serves. Only wiring lives here: the
answers come from ``bot/``, the pages from ``ui/``.
"""

from __future__ import annotations

import logging
import os
import shutil
import sys
import time
from pathlib import Path

# Before gradio is imported: no usage statistics leave the machine.
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from core.logs import setup_logging  # noqa: E402
from core.settings import Settings, load_settings  # noqa: E402

log = logging.getLogger("app")
EMBED_EXAMPLE = Path(__file__).resolve().parent / "examples" / "embed.html"


def create_app(settings: Settings, service):
    """The FastAPI app with both Gradio apps mounted and the article pages."""
    import gradio as gr
    from fastapi import FastAPI, HTTPException
    from fastapi.responses import HTMLResponse, RedirectResponse

    from index.articles import ArticleError, article_path, load_article
    from service.http_guards import PageTitle, RefuseUploads, SecurityHeaders, ThrottleLogin
    from service.ops import ops_router
    from service.staff_auth import LoginThrottle, staff_access
    from ui.a11y import CSS as A11Y_CSS
    from ui.a11y import PAGE_JS, i18n, theme
    from ui.patient import CSS, build_patient_ui
    from ui.render import article_page
    from ui.staff import build_staff_ui
    from ui.staff_render import STAFF_CSS

    app = FastAPI(title=f"Assistant {settings.clinic_name}", docs_url=None, redoc_url=None, openapi_url=None)
    # /healthz and /metrics for the load balancer and Prometheus; before the chat takes the root path.
    app.include_router(ops_router(service))

    @app.get("/staff", include_in_schema=False)
    def staff_redirect() -> RedirectResponse:
        return RedirectResponse("/staff/")

    @app.get("/articles/{source:path}", response_class=HTMLResponse, include_in_schema=False)
    def article(source: str) -> HTMLResponse:
        # Only articles of the live index are served, so no path outside the content folder is reachable.
        known = service.bot.index_manifest.get("articles", {})
        if source not in known:
            raise HTTPException(404, "article inconnu")
        try:
            art = load_article(article_path(settings.content_dir, source), source)
        except ArticleError:
            raise HTTPException(404, "article indisponible") from None
        return HTMLResponse(article_page(art.title, art.body, art.url, art.updated))

    @app.get("/embed-example", response_class=HTMLResponse, include_in_schema=False)
    def embed_example() -> HTMLResponse:
        return HTMLResponse(EMBED_EXAMPLE.read_text(encoding="utf-8"))

    access = staff_access(settings)
    staff = build_staff_ui(service if access.enabled else None, settings, access.reason)
    gr.mount_gradio_app(
        app, staff.queue(default_concurrency_limit=2), path="/staff", auth=access.check if access.enabled else None,
        auth_message="Vue équipe : votre identifiant et votre mot de passe.",
        footer_links=[], css=CSS + A11Y_CSS + STAFF_CSS, max_file_size="5mb", theme=theme(), i18n=i18n(), js=PAGE_JS,
    )
    patient = build_patient_ui(service, settings).queue(default_concurrency_limit=8, max_size=200)
    # PAGE_JS keeps the page French for screen readers (Gradio sets the browser's language) and the
    # rating buttons' names and pressed state; the theme and CSS give WCAG 2.2 AA contrasts and targets.
    # The patient chat takes no files: its upload route is refused and any other multipart body capped.
    gr.mount_gradio_app(
        app, patient, path="", footer_links=[], css=CSS + A11Y_CSS, js=PAGE_JS, theme=theme(), i18n=i18n(), max_file_size="2kb"
    )
    refused = ["/gradio_api/upload", "/upload"]
    if not access.enabled:  # without a login nobody may upload to the staff view either
        refused += ["/staff/gradio_api/upload", "/staff/upload"]
    app.add_middleware(RefuseUploads, paths=refused)
    app.add_middleware(ThrottleLogin, path="/staff/login", throttle=LoginThrottle())
    app.add_middleware(SecurityHeaders, frame_ancestors=settings.frame_ancestors, staff_prefix="/staff")
    app.add_middleware(PageTitle, prefix="/staff", title=f"Vue équipe · {settings.clinic_name}")
    return app


def fresh_upload_folder(settings: Settings) -> Path:
    """Gradio's folder for uploaded files, private to this app and emptied at every start.

    Gradio's default (``/tmp/gradio``) is shared by every Gradio app on the machine and
    never emptied; here staff uploads also expire after an hour (``delete_cache``).
    """
    folder = settings.data_dir / "gradio-tmp"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def server_options(settings: Settings) -> dict:
    """How uvicorn listens: forwarded headers are believed only from the configured proxies.

    Left to itself uvicorn believes ``X-Forwarded-For`` from 127.0.0.1, so any
    local process (or a proxy that passes the header through) could pick the
    address the rate limit is keyed on.
    """
    trusted = settings.trusted_proxy_list
    return {
        "host": settings.host,
        "port": settings.port,
        "log_level": "warning",
        "proxy_headers": bool(trusted),
        "forwarded_allow_ips": trusted or [],
    }


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(description="Serve the clinic's FAQ chat and staff view.")
    parser.add_argument("--host", help="address to listen on (FAQBOT_HOST, default 127.0.0.1)")
    parser.add_argument("--port", type=int, help="port (FAQBOT_PORT, default 7860)")
    parser.add_argument("--index-dir", type=Path, help="index folder (FAQBOT_INDEX_DIR)")
    parser.add_argument("--content", type=Path, help="articles folder (FAQBOT_CONTENT_DIR)")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    setup_logging(os.environ.get("FAQBOT_LOG_LEVEL", "INFO"))
    try:
        settings = load_settings(host=args.host, port=args.port, index_dir=args.index_dir, content_dir=args.content)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2

    os.environ["GRADIO_TEMP_DIR"] = str(fresh_upload_folder(settings))

    import uvicorn

    from service.clinic import ClinicService, ensure_index
    from service.staff_auth import staff_access

    try:
        report = ensure_index(settings, progress=True)
        if report is not None:
            print(f"Index built: {report.articles} articles, {report.chunks} chunks in {report.seconds:.1f} s.")
            for failure in report.failed:
                print(f"skipped {failure['source']}: {failure['error']}", file=sys.stderr)
        service = ClinicService(settings)
    except Exception as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    service.start_scheduler()
    service.start_index_watcher()
    app = create_app(settings, service)
    access = staff_access(settings)
    if not access.enabled:
        print(f"staff view disabled: {access.reason}", file=sys.stderr, flush=True)
    print(
        f"Ready in {time.perf_counter() - started:.1f} s: chat on http://{settings.host}:{settings.port}/ "
        f"— staff view on /staff/{'' if access.enabled else ' (disabled)'}",
        flush=True,
    )
    uvicorn.run(app, **server_options(settings))
    return 0


if __name__ == "__main__":
    sys.exit(main())
