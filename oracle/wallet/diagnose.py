"""Diagnostics before staking: a model's predictions for a round's validation eras, scored
against the targets the round publishes with them (see :mod:`oracle.scoring.diagnostics`).

Everything comes from the round's manifest, whose hash is on chain: the validation eras, the
benchmark models' predictions and their stakes, each checked against its content hash."""

from __future__ import annotations

import pandas as pd

from oracle.errors import InvalidSubmissionError, ScoringInputError, WalletError
from oracle.scoring.diagnostics import Diagnostics, benchmarks_by_id, diagnose
from oracle.scoring.fast_read import Universe
from oracle.scoring.validate import read_submission
from oracle.wallet.context import WalletContext
from oracle.wallet.inputs import Predictions, data_frame, predictions_bytes


def validation_data(ctx: WalletContext, round_id: int) -> pd.DataFrame:
    """The round's validation eras (``era``, ``id``, features, ``target``)."""
    return data_frame(ctx.download(round_id, validation=True))


def benchmarks(ctx: WalletContext, round_id: int) -> tuple[pd.DataFrame | None, dict[str, int]]:
    """The benchmark models' validation predictions (indexed by id, a column per model) and
    their stakes; (None, {}) when the round publishes none."""
    manifest = ctx.manifest(round_id)
    if manifest.benchmarks is None:
        return None, {}
    frame = data_frame(ctx.checked_service().artefact(manifest.benchmarks))
    return benchmarks_by_id(frame), manifest.benchmark_stakes


def diagnose_round(ctx: WalletContext, round_id: int, predictions: Predictions) -> Diagnostics:
    """The diagnostics of ``predictions`` (``id``, ``prediction`` for every validation id) on
    ``round_id``'s validation eras; a file the validator refuses gets its one-line reason."""
    validation = validation_data(ctx, round_id)
    validation["id"] = validation["id"].astype(str)
    data = predictions_bytes(predictions)
    try:
        series = read_submission(data, Universe(validation["id"]), of="validation")
    except InvalidSubmissionError as err:
        raise WalletError(f"the predictions are invalid: {err}") from None
    bench, stakes = benchmarks(ctx, round_id)
    try:
        return diagnose(series, validation, bench, stakes)
    except ScoringInputError as err:
        raise WalletError(str(err)) from None
