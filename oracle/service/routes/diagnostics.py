"""Diagnostics of an uploaded predictions file on a round's validation eras: as JSON from the
API, and as a page from a form. Nothing uploaded is stored: the file is scored in memory and
forgotten."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, File, UploadFile
from fastapi.responses import HTMLResponse
from pydantic import BaseModel

from oracle.errors import InvalidSubmissionError, ScoringInputError
from oracle.pages.diagnostics import render_diagnostics
from oracle.scoring.diagnostics import Diagnostics, diagnose
from oracle.scoring.validate import read_submission
from oracle.service.schema import RoundId, errors
from oracle.service.state import API, ApiError, ServiceState, State
from oracle.service.uploads import read_upload

router = APIRouter(prefix=API, tags=["data"])
pages = APIRouter(include_in_schema=False, default_response_class=HTMLResponse)


class DiagnosticsAnswer(BaseModel):
    """``scored`` with the diagnostics, or ``rejected`` with the validator's reason."""

    status: Literal["scored", "rejected"]
    reason: str
    diagnostics: dict[str, Any] | None


def _diagnostics(state: ServiceState, round_id: int, upload: UploadFile) -> Diagnostics | str:
    """The upload's diagnostics, or why the validator refused it."""
    validation = state.view.validation(round_id)
    data = read_upload(upload.file, state.limits.max_upload_bytes, len(validation.universe.index))
    try:
        predictions = read_submission(data, validation.universe, of="validation")
        return diagnose(predictions, validation.frame, validation.benchmarks, validation.stakes)
    except (InvalidSubmissionError, ScoringInputError) as err:
        return f"the predictions are invalid: {err}"


@router.post(
    "/rounds/{round_id}/diagnostics",
    response_model=DiagnosticsAnswer,
    responses=errors(404, 408, 413, 422, 503),
)
def diagnostics_json(
    round_id: RoundId,
    file: Annotated[UploadFile, File(description="predictions for every validation id")],
    state: State,
) -> dict[str, Any]:
    """Score a predictions file (parquet or csv: ``id``, ``prediction`` for every id of the
    round's validation eras) era by era: CORR, MMC against the benchmark models' meta model,
    FNC and the correlation with the example model, with their summaries. A file the validator
    refuses is answered ``rejected`` with its reason, as a reveal is. Nothing is stored."""
    d = _diagnostics(state, round_id, file)
    if isinstance(d, str):
        return {"status": "rejected", "reason": d, "diagnostics": None}
    return {"status": "scored", "reason": "", "diagnostics": d.to_json()}


@pages.get("/rounds/{round_id}/diagnostics")
def diagnostics_form(round_id: int, state: State) -> str:
    return state.pages.diagnostics_form(round_id)


@pages.post("/rounds/{round_id}/diagnostics")
def diagnostics_page(round_id: int, file: Annotated[UploadFile, File()], state: State) -> str:
    d = _diagnostics(state, round_id, file)
    if isinstance(d, str):
        raise ApiError(422, d)
    return render_diagnostics(
        d,
        round_id=round_id,
        chain_id=state.view.ctx.chain_id,
        tournament=state.view.ctx.tournament,
        model=file.filename or None,
        standalone=False,
    )
