"""The scoring CLI against numerai-tools, each as a whole process from its start: 5,000 ids x
2,000 models.

Run with `make bench-scoring-cli` (it builds the numerai-tools venv first). bench/scoring.py's
generator writes one seeded round to files (predictions, targets, stakes, 20 neutralizers,
sample weights). Then, each timed from the process's start to its exit, with its peak memory
(from `/usr/bin/time`):

* ours: `python -m oracle.scoring score` with every input, which loads the files and writes
  CORR, MMC, TC, alpha, MPC and the payout ratio (the median of 3 runs);
* numerai-tools 0.7.2 (bench/scoring_reference.py in its own venv): it reads the same files
  with pandas and computes numerai_corr, the stake-weighted meta model, correlation_contribution
  and meta_portfolio_contribution (no TC, which numerai-tools does not have), then writes them.

The run also checks that the two agree on CORR, MMC and MPC. Results go to
bench/results/scoring_cli.json.
"""

from __future__ import annotations

import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd
from bench_common import say, write_result

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results" / "scoring_cli.json"
REFERENCE_PYTHON = ROOT / ".numerai-tools-venv" / "bin" / "python"
IDS, MODELS, RUNS = 5000, 2000, 3


def timed(command: list[str]) -> tuple[float, int]:
    """(wall seconds, peak RSS bytes) of a whole process."""
    started = time.perf_counter()
    run = subprocess.run(
        ["/usr/bin/time", "-f", "maxrss_kb=%M", *command],
        cwd=ROOT, capture_output=True, text=True, check=False,
    )  # fmt: skip
    wall = time.perf_counter() - started
    if run.returncode != 0:
        sys.exit(f"{command[0]} failed:\n{run.stderr[-2000:]}")
    return wall, int(re.findall(r"maxrss_kb=(\d+)", run.stderr)[-1]) * 1024


def main() -> None:
    if not REFERENCE_PYTHON.exists():
        sys.exit(
            "no numerai-tools venv: run `make numerai-tools-venv` (or `make bench-scoring-cli`)"
        )
    with tempfile.TemporaryDirectory(prefix="bench-scoring-cli-") as tmp:
        folder = Path(tmp)
        say(f"writing a {IDS:,} x {MODELS:,} round")
        subprocess.run(
            [sys.executable, str(ROOT / "bench" / "scoring.py"), "--worker", "--ids", str(IDS),
             "--models", str(MODELS), "--save", str(folder)],
            check=True, capture_output=True,
        )  # fmt: skip
        predictions_bytes = (folder / "predictions.parquet").stat().st_size
        ours = [
            str(ROOT / ".venv" / "bin" / "python"), "-m", "oracle.scoring", "score",
            "--predictions", str(folder / "predictions.parquet"),
            "--targets", str(folder / "targets.parquet"),
            "--stakes", str(folder / "stakes.parquet"),
            "--neutralizers", str(folder / "neutralizers.parquet"),
            "--sample-weights", str(folder / "sample_weights.parquet"),
            "--out", str(folder / "cli.parquet"),
        ]  # fmt: skip
        runs = []
        for i in range(RUNS):
            runs.append(timed(ours))
            say(f"ours, run {i + 1}: {runs[-1][0]:.2f} s")
        say("numerai-tools (about a minute)")
        theirs = timed([str(REFERENCE_PYTHON), str(ROOT / "bench" / "scoring_reference.py"), tmp])
        say(f"numerai-tools: {theirs[0]:.2f} s")
        mine = pd.read_parquet(folder / "cli.parquet")
        if "model" in mine.columns:
            mine = mine.set_index("model")
        reference = pd.read_parquet(folder / "reference.parquet")
        pairs = {"corr": "numerai_corr", "mmc": "correlation_contribution",
                 "mpc": "meta_portfolio_contribution"}  # fmt: skip
        difference = max(
            float((mine[a] - reference.loc[mine.index, b]).abs().max()) for a, b in pairs.items()
        )
    wall = statistics.median(w for w, _ in runs)
    write_result(
        RESULTS,
        {
            "ids": IDS,
            "models": MODELS,
            "predictions_file_bytes": predictions_bytes,
            "predictions_array_bytes": IDS * MODELS * 8,
            "ours": {
                "command": "python -m oracle.scoring score (CORR, MMC, TC, alpha, MPC, payout)",
                "seconds_runs": [round(w, 2) for w, _ in runs],
                "seconds": round(wall, 2),
                "peak_rss_bytes": max(m for _, m in runs),
            },
            "numerai_tools": {
                "version": "0.7.2",
                "command": "bench/scoring_reference.py (read, corr, meta model, MMC, MPC, write)",
                "seconds": round(theirs[0], 2),
                "peak_rss_bytes": theirs[1],
            },
            "speedup": round(theirs[0] / wall, 1),
            "goal_speedup": 20,
            "max_abs_difference": difference,
        },
    )


if __name__ == "__main__":
    main()
