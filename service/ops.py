"""``/healthz`` and ``/metrics``: the endpoints a load balancer and Prometheus call.

Neither reveals a question: health is about the index, metrics are counts.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from fastapi import APIRouter

    from service.clinic import ClinicService


def ops_router(service: ClinicService) -> APIRouter:
    """The two routes, to include in the FastAPI app before the Gradio apps are mounted at its root."""
    from fastapi import APIRouter
    from fastapi.responses import JSONResponse, Response

    router = APIRouter()
    no_store = {"Cache-Control": "no-store"}

    @router.get("/healthz", include_in_schema=False)
    def healthz() -> JSONResponse:
        health = service.index_health()
        if health is None:
            return JSONResponse({"status": "no_index"}, status_code=503, headers=no_store)
        body = {"status": "ok", "index_version": health.version, "index_built_at": health.built_at,
                "index_age_seconds": health.age_seconds, "fallback": health.fallback,
                "chunks": health.chunks, "articles": health.articles}
        return JSONResponse(body, headers=no_store)

    @router.get("/metrics", include_in_schema=False)
    def metrics() -> Response:
        body, content_type = service.metrics.render()
        return Response(body, media_type=content_type, headers=no_store)

    return router
