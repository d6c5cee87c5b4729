"""Wall time of diagnostics in process: a model's predictions for 20 validation eras of 5,000
stocks (100,000 ids), scored era by era against three benchmark models, as
``Wallet.diagnose`` and the service's diagnostics page do once the data is in memory. The goal
is under 2 s. The median of five runs is recorded, with the page's render time beside it.

Run with `make bench-diagnostics`; results go to bench/results/diagnostics.json.
"""

from __future__ import annotations

import statistics
import time
from pathlib import Path

import pandas as pd
from bench_common import say, write_result

from oracle.market import Market, MarketSpec
from oracle.models.zoo import linear_model
from oracle.pages.diagnostics import render_diagnostics
from oracle.scoring.diagnostics import diagnose

RESULTS = Path(__file__).resolve().parent / "results" / "diagnostics.json"
SPEC = MarketSpec(seed=1, validation_eras=20, validation_stocks=5000)
RUNS = 5


def main() -> None:
    say(f"drawing {SPEC.validation_eras} validation eras of {SPEC.validation_stocks:,} stocks")
    market = Market(SPEC, b"\x01" * 32)
    training, validation = market.training(), market.validation()
    models = {name: linear_model(training, share, seed) for name, share, seed in
              (("example", 1.0, 0), ("linear", 0.7, 1), ("linear_half", 0.5, 2))}  # fmt: skip
    bench = pd.DataFrame({n: m(validation) for n, m in models.items()}, index=validation["id"])
    stakes = {"example": 50, "linear": 30, "linear_half": 20}
    mine = pd.Series(linear_model(training, 0.3, 9)(validation), index=validation["id"])
    times, renders = [], []
    for run in range(RUNS):
        start = time.perf_counter()
        d = diagnose(mine, validation, bench, stakes)
        times.append(time.perf_counter() - start)
        start = time.perf_counter()
        render_diagnostics(d, round_id=1, chain_id=31337, tournament="0x" + "0" * 40)
        renders.append(time.perf_counter() - start)
        say(f"run {run + 1}: diagnose {times[-1]:.3f} s, page {renders[-1]:.3f} s")
    write_result(
        RESULTS,
        {
            "eras": SPEC.validation_eras,
            "stocks_per_era": SPEC.validation_stocks,
            "ids": len(validation),
            "benchmarks": len(stakes),
            "features": SPEC.features,
            "runs": RUNS,
            "diagnose_s_median": round(statistics.median(times), 4),
            "diagnose_s_first": round(times[0], 4),  # cold: lazy imports and tables
            "page_s_median": round(statistics.median(renders), 4),
            "goal_s": 2.0,
            "corr_mean": d.summaries["corr"].mean,
        },
    )


if __name__ == "__main__":
    main()
