"""The frame helpers every model uses: which columns are features, ranking into (0, 1], and the
predictions frame a participant submits."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pandas as pd

#: Predictions: one float per live id.
Array = npt.NDArray[np.float64]
FEATURE_PREFIX = "feature"


def features_of(frame: pd.DataFrame) -> list[str]:
    """The feature columns of a training or live frame."""
    features = [c for c in frame.columns if str(c).startswith(FEATURE_PREFIX)]
    if not features:
        raise ValueError(f"no '{FEATURE_PREFIX}*' columns in the data")
    return features


def ranked(values: npt.ArrayLike) -> Array:
    """Values as percentile ranks in (0, 1], ties broken by order."""
    series = pd.Series(np.asarray(values, dtype=np.float64))
    out: Array = series.rank(pct=True, method="first").to_numpy(np.float64)
    return out


def predictions_frame(live: pd.DataFrame, values: Array) -> pd.DataFrame:
    """A predictions frame (``id``, ``prediction``) for ``live``."""
    return pd.DataFrame({"id": live["id"].astype(str).to_numpy(), "prediction": values})
