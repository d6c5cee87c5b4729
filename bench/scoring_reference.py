"""numerai-tools' side of bench/scoring.py; runs in the numerai-tools venv.

Reads the round that bench/scoring.py saved in FOLDER, times numerai-tools 0.7.2 on it and
writes its scores to FOLDER/reference.parquet. Prints one JSON line.
"""

from __future__ import annotations

import json
import sys
import time
from importlib import metadata
from pathlib import Path

import pandas as pd
from numerai_tools import scoring


def main(folder: Path) -> None:
    predictions = pd.read_parquet(folder / "predictions.parquet")
    targets = pd.read_parquet(folder / "targets.parquet")["target"]
    stakes = pd.read_parquet(folder / "stakes.parquet")["stake"]
    neutralizers = pd.read_parquet(folder / "neutralizers.parquet")
    weights = pd.read_parquet(folder / "sample_weights.parquet")["weight"]
    seconds = {}

    started = time.perf_counter()
    corr = scoring.numerai_corr(predictions, targets)
    seconds["numerai_corr"] = time.perf_counter() - started

    started = time.perf_counter()
    meta = scoring.stake_weight(scoring.tie_kept_rank(predictions.sort_index()), stakes)
    seconds["stake_weight"] = time.perf_counter() - started

    started = time.perf_counter()
    mmc = scoring.correlation_contribution(predictions, meta, targets)
    seconds["correlation_contribution"] = time.perf_counter() - started

    started = time.perf_counter()
    mpc = scoring.meta_portfolio_contribution(predictions, stakes, neutralizers, weights, targets)
    seconds["meta_portfolio_contribution"] = time.perf_counter() - started

    pd.DataFrame(
        {"numerai_corr": corr, "correlation_contribution": mmc, "meta_portfolio_contribution": mpc}
    ).to_parquet(folder / "reference.parquet")
    print(
        json.dumps(
            {
                "version": metadata.version("numerai-tools"),
                "seconds": {k: round(v, 4) for k, v in seconds.items()},
            }
        )
    )


if __name__ == "__main__":
    main(Path(sys.argv[1]))
