"""Where `resolve`'s (and `verify`'s) time goes, in process and without a chain: the round's
results computed from its artefacts (`compute_results`, exactly what both commands run after
reading the chain's positions) for 1,000, 10,000 and 50,000 positions on 5,000 stocks.

For each size a fresh child process writes the round's predictions files (5,000-id parquet,
seeded, 1 in 20 rounded to two decimals so that ties occur) into a store, then times
`compute_results` stage by stage from its progress lines: checking the reveals (reading,
hashing and validating the files), ranking, each score, the payouts and the tree, and the
results file's canonical JSON. Its peak resident memory is read from the kernel. Then one
reveal's check is timed step by step on 1,000 of the files, on one core: what bounds the
checks.

Run with `make bench-resolve-profile`; results go to bench/results/resolve_profile.json
(and the scaling plot to docs/images/resolve_scaling.svg).
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench_common import TreePeak, say, write_result

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results" / "resolve_profile.json"
STOCKS = 5000
SIZES = (1000, 10_000, 50_000)
#: The progress lines' first words, and the stage each opens.
STAGES = {
    "checking": "check reveals (read, hash, validate)",
    "ranking": "rank",
    "scoring": "scores (CORR, MMC, TC, FNC on two threads)",
    "building": "payouts done; tree and proofs",
}


def build(folder: Path, positions: int) -> Any:
    """A classic round of ``positions`` revealed positions on ``STOCKS`` ids."""
    import numpy as np
    import pandas as pd
    from eth_utils import keccak, to_checksum_address

    from oracle.audit.results import RoundInputs
    from oracle.chain.events import Position
    from oracle.market import Market, MarketSpec, to_parquet
    from oracle.protocol.commitments import commitment, model_id_of
    from oracle.protocol.manifest import Reveal, RoundManifest, Schedule, reveals_bundle
    from oracle.scoring import ScoringConfig
    from oracle.store import LocalStore

    chain, tournament, round_id, one = 31337, "0x" + "ab" * 20, 3, 10**18
    store = LocalStore(folder / "store")
    market = Market(MarketSpec(seed=5, train_eras=4, train_stocks=50, live_stocks=STOCKS))
    drawn = market.live_round(round_id)
    live, targets = to_parquet(drawn.live), to_parquet(drawn.targets)
    ids = drawn.live["id"]
    rng = np.random.default_rng(0)
    people, reveals = [], []
    for n in range(positions):
        values = rng.random(len(ids))
        if n % 20 == 0:
            values = np.round(values, 2)
        data = to_parquet(pd.DataFrame({"id": ids, "prediction": values}))
        who = to_checksum_address(keccak(n.to_bytes(8, "big"))[:20])
        salt = keccak(b"salt" + n.to_bytes(8, "big"))
        model_id = model_id_of(f"bench-{n}")
        c = commitment(chain, tournament, round_id, who, model_id, keccak(data), salt)
        people.append(Position(round_id, who, model_id, int((1 + rng.random() * 20) * one), c))
        digest = store.put(data)
        reveals.append(Reveal(who, "0x" + model_id.hex(), "0x" + salt.hex(), digest, "accepted"))
    config = ScoringConfig()
    manifest = RoundManifest(
        kind="classic",
        chain_id=chain,
        tournament=tournament,
        live_data=store.put(live),
        scoring_config=store.put(config.to_json().encode()),
        universe=len(ids),
        schedule=Schedule(1, 2, 2, 10, 1),
        clip_ppm=config.payout.clip_ppm,
        min_stake=one,
        targets_commitment=store.put(targets),
    )
    return RoundInputs(
        chain_id=chain,
        tournament=tournament,
        round_id=round_id,
        manifest_hash=store.put(manifest.to_bytes()),
        manifest=manifest,
        config_bytes=config.to_json().encode(),
        live_data=live,
        targets=targets,
        reveals_hash=store.put(reveals_bundle(round_id, reveals)),
        reveals=reveals,
        positions=sorted(people, key=lambda p: p.key),
        budget=10_000 * one,
        clip_ppm=config.payout.clip_ppm,
        load_file=store.get,
    )


def per_file(inputs: Any, sample: int = 1000) -> dict[str, float]:
    """Microseconds per file of each step of checking one reveal, on one core, over the first
    ``sample`` files (read once beforehand, so the disk is not in it): what bounds the checks."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from oracle.audit.results import read_frame
    from oracle.protocol.hashing import keccak256
    from oracle.scoring.fast_read import Universe
    from oracle.scoring.footer import read_footer
    from oracle.scoring.validate import read_submission

    universe = Universe(read_frame(inputs.live_data, "live data").index)
    files = [inputs.load_file(r.predictions_hash) for r in inputs.reveals[:sample]]
    read_submission(files[0], universe)  # the universe learns the files' id layout
    steps = {
        "hash (keccak256)": keccak256,
        "open (pyarrow's footer parse)": lambda d: pq.ParquetFile(pa.BufferReader(d)),
        "bounds (our footer decode)": read_footer,
        "open and read the predictions column": lambda d: pq.ParquetFile(pa.BufferReader(d)).read(
            columns=["prediction"], use_threads=False
        ),
        "validate (read_submission, all of it)": lambda d: read_submission(d, universe),
    }
    out = {}
    for name, step in steps.items():
        started = time.perf_counter()
        for data in files:
            step(data)
        out[name] = round((time.perf_counter() - started) / len(files) * 1e6, 1)
    return out


def child(positions: int) -> dict[str, Any]:
    """One size, measured in this (fresh) process."""
    from oracle.audit.results import compute_results

    with tempfile.TemporaryDirectory(prefix="bench-resolve-") as folder:
        started = time.perf_counter()
        inputs = build(Path(folder), positions)
        setup = time.perf_counter() - started
        marks: list[tuple[float, str]] = []

        def progress(message: str) -> None:
            word = message.split()[0]
            if word in STAGES and not any(stage == STAGES[word] for _, stage in marks):
                marks.append((time.perf_counter(), STAGES[word]))

        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
        started = time.perf_counter()
        with TreePeak(os.getpid(), interval=0.05) as tree:
            results = compute_results(inputs, progress=progress)
        computed = time.perf_counter()
        data = results.data
        ended = time.perf_counter()
        files = per_file(inputs)
    stages: dict[str, float] = {}
    edges = [*marks, (computed, "")]
    for (at, stage), (following, _) in itertools.pairwise(edges):
        stages[stage] = round(following - at, 3)
    stages["results JSON"] = round(ended - computed, 3)
    return {
        "positions": positions,
        "stocks": STOCKS,
        "seconds": round(ended - started, 2),
        "stages_seconds": stages,
        "per_file_microseconds": files,
        "results_bytes": len(data),
        "setup_seconds": round(setup, 1),
        "peak_rss_before_bytes": rss_before,
        "peak_rss_bytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
        "peak_rss_with_workers_bytes": tree.peak,
    }


def plot(runs: list[dict[str, Any]]) -> None:
    """resolve's in-process seconds against positions, as an SVG for docs/benchmarks.md."""
    from oracle.pages.plots import lines

    svg = lines(
        "resolve scaling",
        [float(r["positions"]) for r in runs],
        {"compute_results": [float(r["seconds"]) for r in runs]},
        xlabel="positions (5,000 stocks each)",
        ylabel="seconds",
    )
    (ROOT / "docs" / "images" / "resolve_scaling.svg").write_text(svg)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--sizes", type=int, nargs="*", default=list(SIZES))
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child)))
        return
    runs = []
    for size in args.sizes:
        say(f"{size:,} positions x {STOCKS:,} stocks")
        out = subprocess.run(
            [sys.executable, __file__, "--child", str(size)],
            check=True, capture_output=True, text=True, cwd=ROOT,
        )  # fmt: skip
        run = json.loads(out.stdout.strip().splitlines()[-1])
        say(f"  {run['seconds']} s, peak {run['peak_rss_bytes'] / 2**30:.2f} GiB: "
            f"{run['stages_seconds']}")  # fmt: skip
        runs.append(run)
    write_result(RESULTS, {"what": "compute_results in process (resolve and verify's core)",
                           "runs": runs})  # fmt: skip
    plot(runs)


if __name__ == "__main__":
    main()
