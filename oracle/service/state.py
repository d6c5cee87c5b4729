"""What every route of the service shares: its limits, the tournament's view and pages, the
reveal intakes, and the refusal every route raises (:class:`ApiError`). Routes reach the state
through the :data:`State` dependency."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Request
from starlette.exceptions import HTTPException

from oracle.audit.context import OracleContext
from oracle.service.intakes import Intakes
from oracle.service.render import Pages
from oracle.service.standings import Standings
from oracle.service.views import TournamentView

API = "/api/v1"
T = TypeVar("T")


@dataclass(frozen=True)
class ServiceLimits:
    """What one request may carry."""

    #: The largest predictions file a reveal may upload.
    max_upload_bytes: int = 8 * 1024 * 1024
    #: The most ids a predictions file may hold.
    max_ids: int = 100_000
    #: Origins allowed to call the API from a browser; none by default (CORS off).
    cors_origins: tuple[str, ...] = ()
    #: Worker threads for blocking work (reveal checks, chain and store reads).
    threads: int = 8
    #: Seconds a request body may take to arrive, and may pause between its parts.
    body_timeout: float = 30.0
    idle_timeout: float = 10.0
    #: Request bodies read at once (per process); one more is answered 503 at once.
    max_uploads: int = 64
    #: A mirror's service: every public artefact and page, but no reveals taken.
    read_only: bool = False


class ServiceState:
    """One tournament's service: its context, limits, view, pages and reveal intakes."""

    def __init__(self, ctx: OracleContext, limits: ServiceLimits) -> None:
        self.ctx = ctx
        self.limits = limits
        self.view = TournamentView(ctx)
        self.standings = Standings(self.view)
        self.pages = Pages(self.view, self.standings)
        self.intakes = Intakes(ctx, self.view)


async def state_of(request: Request) -> ServiceState:
    """The app's state (a coroutine, so it costs no worker thread)."""
    state: ServiceState = request.app.state.service
    return state


#: A route's parameter that receives the service's state.
State = Annotated[ServiceState, Depends(state_of)]


class ApiError(HTTPException):
    """A refused request: its status, a one-line message and any facts that help (times)."""

    def __init__(self, status: int, message: str, **facts: Any) -> None:
        super().__init__(status_code=status, detail=message)
        self.facts = facts


def parsed(parse: Callable[[str], T], text: str) -> T:
    """``parse(text)``, or a 400 answer with the parser's one-line reason."""
    try:
        return parse(text)
    except ValueError as err:
        raise ApiError(400, str(err)) from None
