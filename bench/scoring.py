"""Wall time and peak memory of scoring a round, and the speed-up over numerai-tools.

Run with `make bench-scoring`. For each model count (5,000 ids by default), a fresh child
process generates a seeded synthetic round (predictions sharing a common signal, a 5-bin
target, stakes, 20 neutralizers and sample weights) and scores it with
`oracle.scoring.score_round`: CORR, MMC (with the meta model), TC, alpha and MPC, timed stage
by stage; its peak resident memory is read from the kernel (ru_maxrss), so it includes the
predictions themselves. Where the numerai-tools venv exists (`make numerai-tools-venv`)
and the round is small enough, numerai-tools 0.7.2 scores the same files in its own
process (numerai_corr, stake_weight of the tie-kept ranks, correlation_contribution,
meta_portfolio_contribution) and the run records both the ratio of wall times and the
largest difference between the two sets of scores.

Results go to bench/results/scoring.json.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results" / "scoring.json"
REFERENCE_PYTHON = ROOT / ".numerai-tools-venv" / "bin" / "python"
REFERENCE_SCRIPT = ROOT / "bench" / "scoring_reference.py"
N_NEUTRALIZERS = 20
COMPARED = {
    "corr": "numerai_corr",
    "mmc": "correlation_contribution",
    "mpc": "meta_portfolio_contribution",
}


def peak_rss_gb() -> float:
    """This process's peak resident set size (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20


def generate(n_ids: int, n_models: int, seed: int) -> dict[str, Any]:
    """A synthetic round; predictions are built model-major in place (no float64 temporaries
    of the whole matrix besides the matrix itself)."""
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(seed)
    ids = pd.Index([f"id{i:06d}" for i in range(n_ids)], name="id")
    common = rng.standard_normal(n_ids)
    values = np.empty((n_models, n_ids))
    step = 1024
    for start in range(0, n_models, step):
        block = values[start : start + step]
        rng.standard_normal(out=block)
        block += 0.3 * common
    models = [f"model_{i:06d}" for i in range(n_models)]
    predictions = pd.DataFrame(values.T, index=ids, columns=models, copy=False)
    targets = pd.Series(
        rng.choice([0.0, 0.25, 0.5, 0.75, 1.0], n_ids, p=[0.05, 0.2, 0.5, 0.2, 0.05]),
        index=ids,
        name="target",
    )
    stakes = pd.Series(rng.uniform(1, 1000, n_models), index=models, name="stake")
    neutralizers = pd.DataFrame(
        rng.standard_normal((n_ids, N_NEUTRALIZERS)) / np.sqrt(n_ids),
        index=ids,
        columns=[f"neutralizer_{i}" for i in range(N_NEUTRALIZERS)],
    )
    weights = pd.Series(rng.uniform(0.5, 1.5, n_ids), index=ids, name="weight")
    return {
        "predictions": predictions,
        "targets": targets,
        "stakes": stakes,
        "neutralizers": neutralizers,
        "sample_weights": weights,
        "predictions_gb": values.nbytes / 2**30,
    }


def worker(n_ids: int, n_models: int, seed: int, save: Path | None) -> dict[str, Any]:
    """Score one synthetic round in this process; report stage times and memory."""
    sys.path.insert(0, str(ROOT))
    from oracle.scoring.round import RoundData, score_round

    data = generate(n_ids, n_models, seed)
    rss_with_data = peak_rss_gb()
    if save is not None:
        data["predictions"].to_parquet(save / "predictions.parquet")
        data["targets"].to_frame().to_parquet(save / "targets.parquet")
        data["stakes"].rename_axis("model").to_frame().to_parquet(save / "stakes.parquet")
        data["neutralizers"].to_parquet(save / "neutralizers.parquet")
        data["sample_weights"].to_frame().to_parquet(save / "sample_weights.parquet")
    marks: list[tuple[str, float]] = []
    started = time.perf_counter()
    scores = score_round(
        RoundData(
            predictions=data["predictions"],
            targets=data["targets"],
            stakes=data["stakes"],
            neutralizers=data["neutralizers"],
            sample_weights=data["sample_weights"],
        ),
        progress=lambda stage: marks.append((stage.split()[0], time.perf_counter())),
    )
    finished = time.perf_counter()
    stages: dict[str, float] = {}
    for (name, at), (_, until) in zip(marks, [*marks[1:], ("end", finished)], strict=True):
        stages[name] = round(stages.get(name, 0.0) + until - at, 4)
    if save is not None:
        scores.to_parquet(save / "ours.parquet")
    return {
        "ids": n_ids,
        "models": n_models,
        "seconds": {"total": round(finished - started, 4), **stages},
        "predictions_gb": round(data["predictions_gb"], 3),
        "peak_rss_before_scoring_gb": round(rss_with_data, 3),
        "peak_rss_gb": round(peak_rss_gb(), 3),
    }


def run_child(args: list[str], python: str = sys.executable) -> dict[str, Any]:
    result = subprocess.run([python, *args], capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise SystemExit(f"benchmark child failed:\n{result.stderr.strip()}")
    return dict(json.loads(result.stdout.strip().splitlines()[-1]))


def compare(folder: Path) -> float:
    import pandas as pd

    ours = pd.read_parquet(folder / "ours.parquet")
    theirs = pd.read_parquet(folder / "reference.parquet")
    return max(
        float((ours[column] - theirs[name].loc[ours.index]).abs().max())
        for column, name in COMPARED.items()
    )


def write_load_file(path: Path, n_ids: int, n_models: int, seed: int) -> None:
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(seed)
    pd.DataFrame(
        rng.random((n_ids, n_models)),
        index=pd.Index([f"n{i:06d}" for i in range(n_ids)], name="id"),
        columns=[f"m{j}" for j in range(n_models)],
    ).to_parquet(path)


def load_worker(path: Path) -> dict[str, Any]:
    """Load a predictions parquet file as the CLI does, in a fresh process: the peak resident
    set it adds over the process before loading (libraries imported), with the file size and
    the array size for scale."""
    from oracle.scoring.io import load_predictions

    def status_gb(field: str) -> float:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 2**20
        raise RuntimeError(f"no {field} in /proc/self/status")

    size = path.stat().st_size
    Path("/proc/self/clear_refs").write_text("5")  # resets the peak (VmHWM) to the current RSS
    before = status_gb("VmRSS")
    started = time.perf_counter()
    loaded = load_predictions(path)
    seconds = time.perf_counter() - started
    peak = status_gb("VmHWM")
    return {
        "ids": loaded.shape[0],
        "models": loaded.shape[1],
        "file_mb": round(size / 1e6, 1),
        "array_mb": round(loaded.to_numpy().nbytes / 1e6, 1),
        "seconds": round(seconds, 3),
        "rss_before_gb": round(before, 3),
        "peak_rss_gb": round(peak, 3),
        "added_by_load_mb": round((peak - before) * 1024, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ids", type=int, default=5000)
    parser.add_argument("--models", type=int, nargs="+", default=[1000, 10_000, 100_000])
    parser.add_argument(
        "--reference-max-models",
        type=int,
        default=1000,
        help="time numerai-tools only up to this many models (it is slow)",
    )
    parser.add_argument("--seed", type=int, default=20261125)
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument(
        "--load-only",
        action="store_true",
        help="measure only the predictions load step (5,000 ids x 2,000 models, about 80 MB) "
        "and merge it into the results file",
    )
    parser.add_argument("--load-worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--save", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.worker:
        print(json.dumps(worker(args.ids, args.models[0], args.seed, args.save)))
        return
    if args.load_worker:
        print(json.dumps(load_worker(args.save)))
        return
    print("loading a predictions file as the CLI does ...", flush=True)
    with tempfile.TemporaryDirectory(prefix="bench-load-") as tmp:
        path = Path(tmp) / "predictions.parquet"
        write_load_file(path, 5000, 2000, args.seed)
        load = run_child([__file__, "--load-worker", "--save", str(path)])
    print(f"  {json.dumps(load)}", flush=True)
    if args.load_only:
        report = json.loads(args.out.read_text()) if args.out.exists() else {}
        report["load"] = load
        args.out.write_text(json.dumps(report, indent=2) + "\n")
        print(f"wrote {args.out}")
        return

    runs = []
    for n_models in args.models:
        print(f"scoring {args.ids} ids x {n_models} models ...", flush=True)
        with tempfile.TemporaryDirectory(prefix="bench-scoring-") as tmp:
            reference = REFERENCE_PYTHON.exists() and n_models <= args.reference_max_models
            child = [
                __file__,
                "--worker",
                "--ids",
                str(args.ids),
                "--models",
                str(n_models),
                "--seed",
                str(args.seed),
            ]
            if reference:
                child += ["--save", tmp]
            run = run_child(child)
            if reference:
                print("  numerai-tools on the same files ...", flush=True)
                timing = run_child([str(REFERENCE_SCRIPT), tmp], python=str(REFERENCE_PYTHON))
                compared = sum(timing["seconds"].values())
                ours = run["seconds"]["total"]
                run["numerai_tools"] = {
                    "version": timing["version"],
                    "seconds": timing["seconds"],
                    "total_seconds": round(compared, 4),
                    "speedup": round(compared / ours, 1),
                    "max_abs_difference": compare(Path(tmp)),
                }
            print(f"  {json.dumps(run)}", flush=True)
            runs.append(run)

    from oracle import machine

    report = {
        "generated": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "what": "score_round: CORR, MMC (meta model included), TC, alpha and MPC with "
        f"{N_NEUTRALIZERS} neutralizers; numerai-tools: numerai_corr + stake_weight(tie_kept_rank) "
        "+ correlation_contribution + meta_portfolio_contribution on the same data",
        "runs": runs,
        "load": load,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    temporary = args.out.with_suffix(".tmp")
    temporary.write_text(json.dumps(report, indent=2) + "\n")
    temporary.replace(args.out)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
