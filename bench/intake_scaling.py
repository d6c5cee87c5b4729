"""Reveal intake against file size: parquet uploads per second of 1,000, 5,000 and 20,000-id
files, through the whole service (wrk, 50 connections, `oracle serve --workers 2 --threads 4`).

Run with `make bench-intake-scaling` (about fifteen minutes). For each size, bench/service.py
runs with BENCH_STOCKS (the round's live stocks, so each file has that many ids),
BENCH_ACCOUNTS=700 (7,000 positions, more reveals than the service takes in 10 s) and
BENCH_UPLOADS_ONLY (the parquet uploads alone, no csv, resolve or look-ups). Results go to
bench/results/intake_scaling.json and the plot to docs/images/intake_scaling.svg.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from bench_common import say, write_result

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results" / "intake_scaling.json"
SIZES = (1000, 5000, 20_000)
ACCOUNTS = 700


def plot(runs: list[dict[str, Any]]) -> None:
    """Uploads per second against ids per file, as an SVG for docs/benchmarks.md."""
    from oracle.pages.plots import lines

    svg = lines(
        "intake scaling",
        [float(r["ids"]) for r in runs],
        {"parquet reveals/s": [float(r["parquet"]["per_second"]) for r in runs]},
        xlabel="ids per predictions file",
        ylabel="accepted uploads per second",
    )
    (ROOT / "docs" / "images" / "intake_scaling.svg").write_text(svg)


def main() -> None:
    sizes = [int(a) for a in sys.argv[1:]] or list(SIZES)
    runs = []
    for ids in sizes:
        say(f"{ids:,}-id parquet files")
        with tempfile.TemporaryDirectory(prefix="bench-intake-scaling-") as tmp:
            out = Path(tmp) / "run.json"
            env = {**os.environ, "BENCH_STOCKS": str(ids), "BENCH_ACCOUNTS": str(ACCOUNTS),
                   "BENCH_UPLOADS_ONLY": str(out)}  # fmt: skip
            env.pop("BENCH_PY_SPY", None)
            run = subprocess.run(
                [sys.executable, str(ROOT / "bench" / "service.py")],
                cwd=ROOT, env=env, capture_output=True, text=True, check=False,
            )  # fmt: skip
            if run.returncode != 0 or not out.exists():
                sys.exit(f"bench/service.py failed for {ids:,} ids:\n{run.stderr[-3000:]}")
            result = json.loads(out.read_text())
        say(f"  {result['parquet']['per_second']:.1f} uploads/s, "
            f"p50 {result['parquet']['p50_ms']} ms, p99 {result['parquet']['p99_ms']} ms")  # fmt: skip
        runs.append(result)
    write_result(
        RESULTS,
        {
            "what": "accepted parquet reveal uploads per second against the file's ids",
            "load": "wrk 1 thread, 50 connections, 10 s; oracle serve --workers 2 --threads 4",
            "runs": runs,
        },
    )
    plot(runs)


if __name__ == "__main__":
    main()
