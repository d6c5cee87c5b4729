"""Reveal intake: one position's predictions and salt, judged by the round's intake."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Form, UploadFile
from fastapi.responses import JSONResponse

from oracle.protocol.commitments import model_id_of
from oracle.service.schema import (
    ADDRESS_PATTERN,
    HASH_PATTERN,
    MODEL_PATTERN,
    RevealAnswer,
    RoundId,
    errors,
)
from oracle.service.state import API, ApiError, State, parsed
from oracle.service.uploads import read_upload
from oracle.service.views import checked_account, checked_model_id
from oracle.store import content_hash

router = APIRouter(prefix=API, tags=["reveals"])


@router.post(
    "/rounds/{round_id}/reveals",
    response_model=RevealAnswer,
    responses=errors(400, 403, 404, 408, 409, 413, 422, 503, reveal_window=True),
)
def upload_reveal(
    round_id: RoundId,
    file: Annotated[UploadFile, File(description="the predictions file (parquet or csv)")],
    salt: Annotated[
        str, Form(pattern=HASH_PATTERN, description="the 32-byte salt, 0x and 64 hex digits")
    ],
    account: Annotated[
        str, Form(pattern=ADDRESS_PATTERN, description="the staking account's address")
    ],
    state: State,
    model_id: Annotated[
        str, Form(pattern=HASH_PATTERN, description="the model id (0x + 64 hex)")
    ] = "",
    model: Annotated[
        str,
        Form(
            min_length=1,
            max_length=64,
            pattern=MODEL_PATTERN,
            description="the model's name (its id's source)",
        ),
    ] = "",
) -> JSONResponse:
    """Reveal one position's predictions and salt, after close and before the reveal
    deadline; name the model by its id, its name or both. Answers ``accepted``, or
    ``rejected`` with the reason; the same reveal again gets the same answer. Outside the
    reveal window it is refused (409) with the times."""
    limits, view = state.limits, state.view
    if limits.read_only:
        raise ApiError(
            403,
            "this service is a read-only mirror and takes no reveals: reveal to the "
            "operator's service",
        )
    # The salt's pattern is checked with the form (422); the address is checksummed here.
    address = parsed(checked_account, account)
    intake = state.intakes.of(round_id)
    data = read_upload(file.file, limits.max_upload_bytes, limits.max_ids)
    mid = parsed(checked_model_id, model_id) if model_id else None
    named = parsed(model_id_of, model) if model else None
    problem = None
    if mid is None and named is None:
        problem = "give the model's id (model_id) or its name (model)"
    elif mid is not None and named is not None and named != mid:
        problem = f"model '{model}' does not hash to {model_id}"

    def answer(model_hex: str, status: str, reason: str, predictions_hash: str) -> JSONResponse:
        return JSONResponse(
            {
                "round": round_id,
                "account": address,
                "model_id": model_hex,
                "status": status,
                "reason": reason,
                "predictions_hash": predictions_hash,
            }
        )

    if problem is not None:
        model_hex = model_id or ("0x" + named.hex() if named else "")
        return answer(model_hex, "rejected", problem, content_hash(data))
    mid = mid or named
    assert mid is not None
    result = intake.take(address, mid, bytes.fromhex(salt[2:]), data)
    if result.timing:
        schedule = view.manifest(round_id).schedule
        raise ApiError(
            409,
            result.reason,
            close_time=schedule.close_time,
            reveal_deadline=schedule.reveal_deadline,
            chain_time=view.now(),
        )
    # A name that hashes to a staked position's id is known from now on, whether this reveal
    # was accepted or rejected (a name for no position is not kept: the log stays bounded).
    if model and not result.timing and (result.accepted or (address, mid) in intake.positions):
        view.remember_name(mid, model)
    return answer("0x" + mid.hex(), result.status, result.reason, result.predictions_hash)
