"""A posted round's results file, its Merkle tree, an account's leaves with their proofs, and a
model's record across rounds, and the leaderboard across rounds."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from oracle.audit.reputation import WINDOW, ModelRecord
from oracle.service.schema import (
    Account,
    Leaderboard,
    Leaves,
    MerkleTreeDump,
    ModelHistory,
    ModelRef,
    ResultsFile,
    RoundId,
    content,
    errors,
    inline_schema,
)
from oracle.service.state import API, State, parsed
from oracle.service.views import checked_account, checked_model_id

router = APIRouter(prefix=API, tags=["results"])


@router.get(
    "/rounds/{round_id}/results",
    response_class=Response,
    responses={
        **content(("application/json",), "the results file", inline_schema(ResultsFile)),
        **errors(404, 409, 422, 503),
    },
)
async def results(round_id: RoundId, state: State) -> Response:
    """The posted results file (its bytes hash to the round's resultsHash on chain)."""
    # From memory on the event loop when it can be; reads go to a worker thread.
    view = state.view
    index = view.cached_results(round_id)
    if index is None:
        index = await run_in_threadpool(view.results, round_id)
    return Response(
        index.data,
        media_type="application/json",
        headers={"X-Content-Hash": index.digest, "ETag": f'"{index.digest}"'},
    )


@router.get(
    "/rounds/{round_id}/tree",
    responses={
        **content(("application/json",), "the Merkle tree", inline_schema(MerkleTreeDump)),
        **errors(404, 409, 422, 503),
    },
)
def tree(round_id: RoundId, state: State) -> dict[str, Any]:
    """The round's Merkle tree dump (OpenZeppelin StandardMerkleTree format)."""
    return dict(state.view.results(round_id).document["tree"])


@router.get(
    "/rounds/{round_id}/accounts/{account}/leaves",
    response_class=Response,
    responses={
        **content(("application/json",), "the leaves", Leaves.model_json_schema()),
        **errors(404, 409, 422, 503),
    },
)
async def account_leaves(round_id: RoundId, account: Account, state: State) -> Response:
    """One account's leaves of a posted round, each with its Merkle proof."""
    view = state.view
    address = parsed(checked_account, account)
    data = view.cached_leaves_json(round_id, address)
    if data is None:
        data = await run_in_threadpool(view.leaves_json, round_id, address)
    return Response(data, media_type="application/json")


@router.get("/models/{model}", response_model=ModelHistory, responses=errors(422, 503))
def model_history(model: ModelRef, state: State) -> dict[str, Any]:
    """A model (by id, or by name) across rounds: its reputation, cumulative return and totals,
    every resolved round, its positions in rounds not yet resolved, and each posted round's
    results entries."""
    view = state.view
    mid = parsed(checked_model_id, model)
    hex_id = "0x" + mid.hex()
    record = state.standings.model_records().get(hex_id) or ModelRecord(hex_id)
    described = record.to_json()
    return {
        "model_id": hex_id,
        "name": view.model_names().get(hex_id),
        "reputation": described["reputation"],
        "cumulative_return": described["cumulative_return"],
        "total_staked": described["total_staked"],
        "total_net": described["total_net"],
        "means": described["means"],
        "resolved": described["rounds"],
        "open": [
            {**p, "stake": str(p["stake"])}
            for p in state.standings.open_positions().get(hex_id, [])
        ],
        "rounds": view.model_history(mid),
    }


@router.get("/leaderboard", response_model=Leaderboard, responses=errors(503))
def leaderboard(state: State) -> dict[str, Any]:
    """Every model that ever staked, across rounds, by reputation: cumulative return, totals,
    what is at stake in rounds not yet resolved, and the latest resolved round's scores."""
    rows = state.standings.model_table()
    amounts = ("total_staked", "total_net", "at_stake")
    return {
        "window": WINDOW,
        "models": [{**r, **{k: str(r[k]) for k in amounts}} for r in rows],
    }
