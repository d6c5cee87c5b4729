"""Every failure as one line: ``{"error": "..."}`` for the API and the docs, an error page for a
page. Nothing answers with a traceback."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from starlette.exceptions import HTTPException

from oracle.errors import (
    ArtefactMissingError,
    NotFoundError,
    NotReadyError,
    RpcUnavailableError,
    TournamentError,
    one_line,
    shortened,
)
from oracle.service.schema import PATTERN_HINTS
from oracle.service.state import API, ApiError, ServiceState


def status_of(err: TournamentError) -> int:
    """The HTTP status of a refusal this package raised."""
    if isinstance(err, NotFoundError | ArtefactMissingError):
        return 404
    if isinstance(err, NotReadyError):
        return 409
    if isinstance(err, RpcUnavailableError):
        return 503  # the node is rate-limiting or down: the same request may work later
    return 500  # a server-side fault (a corrupt store entry, a chain that cannot be read)


def wants_json(request: Request) -> bool:
    return request.url.path.startswith(API) or request.url.path.startswith("/docs")


def error_response(request: Request, status: int, message: str, **facts: Any) -> Response:
    """The one-line answer of a failed request: JSON for the API, a page for a page."""
    message = one_line(message)
    if wants_json(request):
        return JSONResponse({"error": message, **facts}, status_code=status)
    state: ServiceState = request.app.state.service
    return HTMLResponse(state.pages.error(status, message), status_code=status)


def validation_message(err: RequestValidationError) -> str:
    """The first problem of a request that does not match its schema, as one line."""
    problem = err.errors()[0]
    where = ".".join(
        str(part) for part in problem.get("loc", ()) if part not in ("body", "path", "query")
    )
    if problem.get("type") == "missing":
        return f"missing {where}: see {API}/openapi.json for the request's fields"
    if problem.get("type") in ("string_pattern_mismatch", "string_too_long") and (
        where in PATTERN_HINTS
    ):
        shown = shortened(str(problem.get("input", "")), 70)
        return f"{where}: {shown!r} {PATTERN_HINTS[where]}"
    return f"{where}: {problem.get('msg', 'invalid value')}"


async def http_error(request: Request, err: Exception) -> Response:
    assert isinstance(err, HTTPException)
    facts = err.facts if isinstance(err, ApiError) else {}
    message = str(err.detail)
    if err.status_code == 404 and message == "Not Found":
        message = f"no such page or endpoint: {request.url.path}"
    response = error_response(request, err.status_code, message, **facts)
    response.headers.update(err.headers or {})
    return response


async def invalid_request(request: Request, err: Exception) -> Response:
    assert isinstance(err, RequestValidationError)
    return error_response(request, 422, validation_message(err))


async def tournament_error(request: Request, err: Exception) -> Response:
    assert isinstance(err, TournamentError)
    status = status_of(err)
    response = error_response(request, status, str(err))
    if status == 503:
        response.headers["Retry-After"] = "5"
    return response


async def unexpected(request: Request, err: Exception) -> Response:
    return error_response(
        request, 500, f"internal error ({type(err).__name__}): see the service's log"
    )


def install(app: FastAPI) -> None:
    """Answer every failure of ``app`` in one line."""
    app.add_exception_handler(HTTPException, http_error)
    app.add_exception_handler(RequestValidationError, invalid_request)
    app.add_exception_handler(TournamentError, tournament_error)
    app.add_exception_handler(Exception, unexpected)
