"""Reading scoring inputs from parquet or csv and checking them, with one-line errors.

Every check names the file, the model or the column at fault and what to do.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

from oracle.errors import ScoringInputError
from oracle.scoring.transforms import chunks

SUFFIXES = (".parquet", ".csv")


def read_table(path: Path, what: str) -> pd.DataFrame:
    """A parquet or csv file as a DataFrame (its stored index, if any, kept)."""
    path = Path(path)
    if path.suffix not in SUFFIXES:
        raise ScoringInputError(f"{what} file {path} must end in .parquet or .csv")
    if not path.is_file():
        raise ScoringInputError(f"{what} file {path} does not exist")
    try:
        if path.suffix == ".parquet":
            return pd.read_parquet(path)
        return pd.read_csv(path, dtype={"id": str, "model": str})
    except Exception as err:
        first = str(err).splitlines()[0] if str(err) else type(err).__name__
        raise ScoringInputError(f"cannot read {what} file {path}: {first}") from None


def _by_key(frame: pd.DataFrame, key: str, what: str, path: Path) -> pd.DataFrame:
    """Index the table by ``key`` (a column of that name, else a named or stored index)."""
    if key in frame.columns:
        frame = frame.set_index(key)
    elif frame.index.name != key and isinstance(frame.index, pd.RangeIndex):
        raise ScoringInputError(f"{what} file {path} has no '{key}' column")
    frame.index = frame.index.astype(str)
    frame.index.name = key
    duplicated = frame.index[frame.index.duplicated()].unique()
    if len(duplicated):
        raise ScoringInputError(
            f"{what} file {path} repeats {len(duplicated)} {key}(s), e.g. "
            f"'{duplicated[0]}': give each {key} once"
        )
    if frame.shape[1] == 0:
        raise ScoringInputError(f"{what} file {path} has no value columns")
    return frame


def _numeric(frame: pd.DataFrame, what: str, path: Path, label: str = "column") -> pd.DataFrame:
    """Check every column is numeric and finite; return it as float64."""
    bad = [
        str(c)
        for c in frame.columns
        if not pd.api.types.is_numeric_dtype(frame[c]) or pd.api.types.is_bool_dtype(frame[c])
    ]
    if bad:
        raise ScoringInputError(
            f"{what} file {path} has non-numeric {label}(s) {bad[:3]}: every value must be a number"
        )
    values = frame.astype(np.float64, copy=False)
    array = values.to_numpy()
    for part in chunks(array.shape[1]):
        finite = np.isfinite(array[:, part])
        if not finite.all():
            column = values.columns[part][int(np.argmin(finite.all(axis=0)))]
            raise ScoringInputError(
                f"{what} file {path} has NaN or inf value(s), e.g. in {label} '{column}': "
                "give a finite number for every id"
            )
    return values


def load_predictions(path: Path) -> pd.DataFrame:
    """Predictions: one row per id, one numeric column per model, no constant model."""
    frame = _numeric(
        _by_key(read_table(path, "predictions"), "id", "predictions", path),
        "predictions",
        path,
        "model",
    )
    frame.columns = [str(c) for c in frame.columns]
    if len(frame) < 2:
        raise ScoringInputError(f"predictions file {path} needs at least 2 ids")
    spread = frame.max() - frame.min()
    constant = spread.index[spread.to_numpy() == 0]
    if len(constant):
        raise ScoringInputError(
            f"model '{constant[0]}' in {path} predicts the same value for every id: "
            "a constant submission cannot be ranked"
        )
    return frame


def _single_column(path: Path, what: str, key: str, column: str) -> pd.Series:
    frame = _by_key(read_table(path, what), key, what, path)
    if column in frame.columns:
        frame = frame[[column]]
    if frame.shape[1] != 1:
        raise ScoringInputError(
            f"{what} file {path} must have the columns {key},{column}; found {list(frame.columns)}"
        )
    series = _numeric(frame, what, path).iloc[:, 0]
    series.name = column
    return series


def load_targets(path: Path) -> pd.Series:
    """Targets: ``id,target``."""
    return _single_column(path, "targets", "id", "target")


def load_sample_weights(path: Path) -> pd.Series:
    """Sample weights: ``id,weight``."""
    return _single_column(path, "sample weights", "id", "weight")


def load_stakes(path: Path, models: pd.Index) -> pd.Series:
    """Stakes: ``model,stake``, non-negative, every model among the predictions' models."""
    stakes = _single_column(path, "stakes", "model", "stake")
    unknown = stakes.index.difference(models)
    if len(unknown):
        raise ScoringInputError(
            f"stakes file {path} names {len(unknown)} model(s) with no predictions, e.g. "
            f"'{unknown[0]}': remove them or add their predictions"
        )
    if (stakes < 0).any():
        raise ScoringInputError(f"stakes file {path} has a negative stake: stakes are >= 0")
    if stakes.sum() <= 0:
        raise ScoringInputError(f"stakes file {path} stakes nothing: the meta model needs stake")
    return stakes


def load_factors(path: Path, what: str) -> pd.DataFrame:
    """Features, neutralizers or risk factors: one row per id, numeric columns."""
    return _numeric(_by_key(read_table(path, what), "id", what, path), what, path)


def write_table(frame: pd.DataFrame, path: Path) -> None:
    """Write parquet or csv atomically: a reader sees the old file or the whole new one."""
    path = Path(path)
    if path.suffix not in SUFFIXES:
        raise ScoringInputError(f"output {path} must end in .parquet or .csv")
    if not path.parent.is_dir():
        raise ScoringInputError(f"the folder of {path} does not exist: create it first")
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(handle)
    try:
        if path.suffix == ".parquet":
            frame.to_parquet(temporary)
        else:
            frame.to_csv(temporary)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
