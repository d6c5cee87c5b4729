"""The service itself, its rounds, and each round's live and training data."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from fastapi import APIRouter
from fastapi.responses import Response

from oracle.service.routes.artefacts import artefact_response
from oracle.service.schema import (
    PARQUET,
    RoundDetail,
    RoundId,
    RoundList,
    ServiceInfo,
    content,
    errors,
)
from oracle.service.state import API, ApiError, State

router = APIRouter(prefix=API)


@router.get("", tags=["service"], response_model=ServiceInfo, responses=errors(503))
def service_info(state: State) -> dict[str, Any]:
    """The chain, the contracts and the limits this service works with."""
    ctx, view = state.ctx, state.view
    return {
        "chain_id": ctx.chain_id,
        "tournament": ctx.tournament,
        "deployment_block": ctx.reader.from_block,
        "token": view.token_address(),
        "chain_time": view.now(),
        "rounds": len(view.round_ids()),
        "limits": asdict(state.limits),
        **{k: v if k == "ruling_period" else str(v) for k, v in view.bonds().items()},
    }


@router.get("/rounds", tags=["rounds"], response_model=RoundList, responses=errors(503))
def list_rounds(state: State) -> dict[str, Any]:
    """Every round with its phase and totals (amounts in base units, as strings)."""
    return {"rounds": [s.to_json() for s in state.view.summaries()]}


@router.get(
    "/rounds/{round_id}",
    tags=["rounds"],
    response_model=RoundDetail,
    response_model_exclude_unset=True,
    responses=errors(404, 422, 503),
)
def round_detail(round_id: RoundId, state: State) -> dict[str, Any]:
    """One round: its schedule, phase, totals, artefact hashes and the results' totals."""
    view = state.view
    detail = view.summary(round_id).to_json()
    manifest = view.manifest(round_id)
    detail["schedule"] = asdict(manifest.schedule)
    detail["clip_ppm"] = manifest.clip_ppm
    detail["min_stake"] = str(manifest.min_stake)
    detail["targets_commitment"] = manifest.targets_commitment
    if detail["results"] is not None:
        detail["totals"] = view.results(round_id).document["totals"]
    return detail


@router.get(
    "/rounds/{round_id}/live-data",
    tags=["data"],
    response_class=Response,
    responses={**content((PARQUET,), "the live data"), **errors(404, 422, 503)},
)
def live_data(round_id: RoundId, state: State) -> Response:
    """The round's live data (parquet: id and features)."""
    digest = state.view.manifest(round_id).live_data
    return artefact_response(state, digest, f"round-{round_id}-live.parquet")


@router.get(
    "/rounds/{round_id}/training-data",
    tags=["data"],
    response_class=Response,
    responses={**content((PARQUET,), "the training data"), **errors(404, 422, 503)},
)
def training_data(round_id: RoundId, state: State) -> Response:
    """The training data the round's synthetic market was drawn with (parquet)."""
    digest = state.view.manifest(round_id).training_data
    if digest is None:
        raise ApiError(
            404,
            f"round {round_id} was opened on the operator's own data: it publishes no "
            "training data",
        )
    return artefact_response(state, digest, f"round-{round_id}-training.parquet")


@router.get(
    "/rounds/{round_id}/validation-data",
    tags=["data"],
    response_class=Response,
    responses={**content((PARQUET,), "the validation eras"), **errors(404, 422, 503)},
)
def validation_data(round_id: RoundId, state: State) -> Response:
    """The round's held-out validation eras with their targets (parquet: era, id, features,
    target), for diagnostics."""
    digest = state.view.manifest(round_id).validation_data
    if digest is None:
        raise ApiError(404, f"round {round_id} publishes no validation eras")
    return artefact_response(state, digest, f"round-{round_id}-validation.parquet")


@router.get(
    "/rounds/{round_id}/benchmarks",
    tags=["data"],
    response_class=Response,
    responses={**content((PARQUET,), "the benchmark predictions"), **errors(404, 422, 503)},
)
def benchmarks(round_id: RoundId, state: State) -> Response:
    """The benchmark models' predictions on the validation eras (parquet: id, era, one column
    per model); their stakes are in the manifest (``validation.stakes``)."""
    digest = state.view.manifest(round_id).benchmarks
    if digest is None:
        raise ApiError(404, f"round {round_id} publishes no benchmark predictions")
    return artefact_response(state, digest, f"round-{round_id}-benchmarks.parquet")
