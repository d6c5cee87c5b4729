"""The oracle service: a JSON API (``/api/v1``) and server-rendered pages for one tournament.

It holds no key. It reads the chain and the store, and writes reveals only, through the round
pipeline's :class:`~oracle.resolver.intake.Intake` (the same judgment as ``ape run oracle
intake``). Every bad request gets a 4xx answer ``{"error": "<one line>"}``; nothing answers
with a traceback (:mod:`.handlers`). The routes live in :mod:`.routes`, one router each; what
they share is the app's :class:`~.state.ServiceState`.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import AsyncIterator

import anyio.to_thread
from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.staticfiles import StaticFiles

from oracle.audit.context import OracleContext
from oracle.pages.templating import STATIC
from oracle.service import handlers
from oracle.service.hotpath import CachedLeaves
from oracle.service.routes import artefacts, diagnostics, pages, results, reveals, rounds
from oracle.service.security import SecurityHeaders, add_docs
from oracle.service.state import API, ServiceLimits, ServiceState
from oracle.service.uploads import BodyLimit

__all__ = ["ServiceLimits", "create_app"]


def create_app(ctx: OracleContext, limits: ServiceLimits | None = None) -> FastAPI:
    """The service for the tournament and store of ``ctx``."""
    limits = limits or ServiceLimits()
    state = ServiceState(ctx, limits)

    @contextlib.asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        # Few threads: more only queue for the interpreter lock and slow every request.
        anyio.to_thread.current_default_thread_limiter().total_tokens = limits.threads
        threading.Thread(target=state.intakes.warm, name="warm-intake", daemon=True).start()
        yield

    app = FastAPI(
        lifespan=lifespan,
        title="Staking tournament oracle service",
        version="1",
        summary="Round data, reveal intake, results and proofs, and every public artefact.",
        docs_url=None,
        redoc_url=None,
        openapi_url=f"{API}/openapi.json",
    )
    app.state.service = state
    add_docs(app)
    # A request body may carry the file plus its small form fields.
    app.add_middleware(
        BodyLimit,
        max_bytes=limits.max_upload_bytes + 64 * 1024,
        body_timeout=limits.body_timeout,
        idle_timeout=limits.idle_timeout,
        max_uploads=limits.max_uploads,
    )
    # Outside the routing, inside the headers every answer carries.
    app.add_middleware(CachedLeaves, view=state.view)
    if limits.cors_origins:
        app.add_middleware(
            CORSMiddleware, allow_origins=list(limits.cors_origins), allow_methods=["GET", "POST"]
        )
    app.add_middleware(SecurityHeaders)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    handlers.install(app)
    for module in (rounds, reveals, results, artefacts, diagnostics, pages):
        app.include_router(module.router)
    app.include_router(diagnostics.pages)
    return app
