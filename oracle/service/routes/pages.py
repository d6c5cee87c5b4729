"""The server-rendered pages: the rounds, the leaderboard, one round, one model (cached
between changes)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

from oracle.service.state import State, parsed
from oracle.service.views import checked_model_id

router = APIRouter(include_in_schema=False, default_response_class=HTMLResponse)


@router.get("/")
def index_page(state: State) -> str:
    pages = state.pages
    return pages.cached("/", pages.index)


@router.get("/leaderboard")
def leaderboard_page(state: State) -> str:
    pages = state.pages
    return pages.cached("/leaderboard", pages.leaderboard)


@router.get("/rounds/{round_id}")
def round_page(round_id: int, state: State) -> str:
    pages = state.pages
    return pages.cached(f"/rounds/{round_id}", lambda: pages.round(round_id))


@router.get("/models/{model}")
def model_page(model: str, state: State) -> str:
    pages = state.pages
    mid = parsed(checked_model_id, model)
    return pages.cached(f"/models/0x{mid.hex()}", lambda: pages.model(mid))
