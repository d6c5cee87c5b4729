"""Whole rounds end to end, as `make demo` plays them, each on a fresh devnet.

Run with `make bench-e2e`. Two scenarios, each one round of `ape run demo` in its own
folder and anvil:

* **demo**: the demo as `make demo` runs it (22 participants, 25 models, 5,000 stocks).
  Goal: under 3 minutes, setup aside.
* **scale**: 1,000 participants (1,003 models), from funding and stakes to settled claims.
  Goal: the whole round under 10 minutes.

For every phase: wall time, transactions and gas mined, and transactions per second. Results
go to bench/results/e2e.json.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench_common import free_port, isolated_env, say, write_result

from oracle import PROJECT_ROOT

RESULTS = PROJECT_ROOT / "bench" / "results" / "e2e.json"
APE = PROJECT_ROOT / ".venv" / "bin" / "ape"
PYTHON = PROJECT_ROOT / ".venv" / "bin" / "python"
SCENARIOS = {
    "demo": {
        "participants": 22,
        "goal_seconds": 180,
        "goal": "one round under 3 minutes, setup aside",
    },
    "scale": {"participants": 1000, "goal_seconds": 600, "goal": "one round under 10 minutes"},
}


def play(name: str, participants: int, folder: Path) -> dict[str, Any]:
    """One demo round of ``participants`` on a fresh devnet in ``folder``; its timings."""
    port = free_port()
    env, network = isolated_env(folder, f"http://127.0.0.1:{port}")
    timings = folder / "timings.json"
    argv = [
        str(APE), "run", "demo", "--participants", str(participants), "--rounds", "1",
        "--port", str(free_port()), "--timings", str(timings), "--reports", str(folder),
        *network,
    ]  # fmt: skip
    say(f"{name}: one round with {participants:,} participants")
    started = time.perf_counter()
    try:
        run = subprocess.run(argv, cwd=PROJECT_ROOT, env=env, capture_output=True, text=True)
    finally:
        subprocess.run(
            [str(PYTHON), "-m", "oracle.cli.devnet", "stop", "--port", str(port)],
            env=env, capture_output=True, check=False,
        )  # fmt: skip
    wall = time.perf_counter() - started
    if run.returncode != 0:
        sys.exit(f"the {name} demo failed:\n{run.stdout[-3000:]}\n{run.stderr[-3000:]}")
    data = json.loads(timings.read_text())
    phases = [
        {**p, "tx_per_second": round(p["transactions"] / p["seconds"], 1) if p["seconds"] else 0}
        for p in data["phases"]
    ]
    summary = next(line for line in run.stdout.splitlines() if " models, reward " in line)
    round_seconds = data["total_seconds"] - data["setup_seconds"]
    txs = sum(p["transactions"] for p in phases)
    say(f"{name}: {round_seconds:.0f} s for the round, {txs:,} transactions")
    return {
        "participants": data["participants"],
        "models": data["models"],
        "setup_seconds": data["setup_seconds"],
        "round_seconds": round(round_seconds, 1),
        "wall_seconds_with_startup": round(wall, 1),
        "transactions": txs,
        "gas": sum(p["gas"] for p in phases),
        "tx_per_second": round(txs / round_seconds, 1),
        "phases": phases,
        "summary": summary,
        "checks": data["checks"],
    }


def main() -> None:
    only = sys.argv[1:] or list(SCENARIOS)
    results = {}
    for name in only:
        spec = SCENARIOS[name]
        with tempfile.TemporaryDirectory(prefix=f"bench-e2e-{name}-") as tmp:
            outcome = play(name, int(spec["participants"]), Path(tmp))
        outcome["goal"] = spec["goal"]
        outcome["goal_met"] = outcome["round_seconds"] < float(spec["goal_seconds"])
        results[name] = outcome
    if RESULTS.exists() and len(only) < len(SCENARIOS):
        kept = json.loads(RESULTS.read_text())
        results = {**{k: kept[k] for k in SCENARIOS if k in kept and k not in results}, **results}
    write_result(RESULTS, {"benchmark": "e2e", **results})


if __name__ == "__main__":
    main()
