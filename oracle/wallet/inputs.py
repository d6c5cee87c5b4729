"""What a wallet method accepts, made exact: token amounts in tokens, model names, predictions
as a frame, bytes or a path, and the round's data as a frame."""

from __future__ import annotations

import io
import os
from decimal import Decimal
from pathlib import Path
from typing import TypeAlias

import pandas as pd

from oracle.errors import WalletError
from oracle.protocol.commitments import model_id_of
from oracle.protocol.units import parse_amount
from oracle.scoring.bounded import read_bounded
from oracle.wallet.vault import Submission

#: Predictions as a frame (``id``, ``prediction``), a file's bytes, or a file's path.
Predictions: TypeAlias = pd.DataFrame | bytes | str | os.PathLike[str]
#: A token amount in tokens: ``"12.5"``, ``12`` or a Decimal (never base units).
Amount: TypeAlias = str | int | Decimal


def tokens(amount: Amount) -> int:
    """Base units of a token amount written in tokens: ``"12.5"``, ``12`` or ``Decimal``."""
    return parse_amount(str(amount))


def predictions_bytes(predictions: Predictions) -> bytes:
    """The file to commit to: a DataFrame (``id``, ``prediction``) becomes parquet; a path is
    read as it is; bytes are taken as they are."""
    if isinstance(predictions, pd.DataFrame):
        frame = predictions.reset_index() if "id" not in predictions.columns else predictions
        buffer = io.BytesIO()
        frame[["id", "prediction"]].to_parquet(buffer, index=False, engine="pyarrow")
        return buffer.getvalue()
    if isinstance(predictions, bytes):
        return predictions
    path = Path(predictions)
    try:
        return path.read_bytes()
    except OSError as err:
        raise WalletError(
            f"cannot read the predictions file {path}: {err.strerror or err}"
        ) from None


def model_id(name: str) -> bytes:
    """The id of the model called ``name`` (a one-line error for a name the chain refuses)."""
    try:
        return model_id_of(name)
    except ValueError as err:
        raise WalletError(f"model name {name!r}: {err}") from None


def label(names: dict[bytes, Submission], model: bytes) -> str:
    """The model's name when the vault knows it, else its id."""
    saved = names.get(model)
    return saved.model if saved else "0x" + model.hex()


def data_frame(data: bytes) -> pd.DataFrame:
    """A round's live or training data (parquet bytes) as a frame, within the reader's bounds."""
    return read_bounded(data, "the round's data", error=WalletError).to_pandas()
