"""Where one reveal's time goes in the intake, step by step, on this machine: the parts of
`Intake.take` for an accepted reveal of a 5,000-id file (parquet and csv), each timed alone over
many repeats in one process, without HTTP. The HTTP side (uvicorn, multipart parsing, the
answer) is what `make bench-service` adds on top.

Steps, in the order an accepted reveal runs them:

- hash: keccak256 of the file (`content_hash`);
- commitment: the ABI encoding and keccak of the commitment (`commitment`);
- validate: `read_submission` against the round's universe (the validator);
- locks: the reveal-window lock (shared) and the position's lock (flock on its stripe's file);
- records: reading the position's record (`get_ref`) and checking the published record;
- durable writes: the private file (`put`), the position's record (`put_ref`) and the intake
  log's line (`append`), each written and synced as the intake does (alone here, one thread,
  so the syncs that threads share under load are one sync a call).

Run with `make bench-intake-profile`; results go to bench/results/intake_profile.json.
"""

from __future__ import annotations

import io
import secrets
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
from bench_common import say, write_result

from oracle.protocol.commitments import commitment
from oracle.resolver.intake import POSITION_LOCK_STRIPES
from oracle.scoring.fast_read import Universe
from oracle.scoring.validate import read_submission
from oracle.store import LocalStore, content_hash

RESULTS = Path(__file__).resolve().parent / "results" / "intake_profile.json"
IDS = 5000
REPEATS = 300


def timed(step: Callable[[int], object], repeats: int = REPEATS) -> float:
    """The median milliseconds of ``step(i)`` over ``repeats`` calls."""
    times = []
    for i in range(repeats):
        start = time.perf_counter()
        step(i)
        times.append(time.perf_counter() - start)
    return round(statistics.median(times) * 1000, 4)


def files(ids: list[str]) -> dict[str, bytes]:
    frame = pd.DataFrame({"id": ids, "prediction": np.random.default_rng(1).random(len(ids))})
    buffer = io.BytesIO()
    frame.to_parquet(buffer, index=False, engine="pyarrow")
    return {"parquet": buffer.getvalue(), "csv": frame.to_csv(index=False).encode()}


def profile(store: LocalStore, kind: str, data: bytes, universe: Universe) -> dict[str, float]:
    """One file kind's steps, in milliseconds."""
    account, tournament = "0x" + "11" * 20, "0x" + "22" * 20
    model, salt = secrets.token_bytes(32), secrets.token_bytes(32)
    digest = content_hash(data)
    row: dict[str, float] = {"bytes": len(data)}
    row["hash"] = timed(lambda _i: content_hash(data))
    row["commitment"] = timed(
        lambda _i: commitment(31337, tournament, 1, account, model, bytes.fromhex(digest[2:]), salt)
    )
    row["validate"] = timed(lambda _i: read_submission(data, universe))

    def locks(i: int) -> None:
        # A burst of reveals spreads over the round's position-lock stripes, each a lock file
        # that stays (the intake's _position_lock picks one by a hash of the position).
        stripe = f"rounds/1/reveal-locks/{i % POSITION_LOCK_STRIPES:02d}"
        with store.lock("rounds/1/reveal-window", shared=True), store.lock(stripe):
            pass

    row["locks"] = timed(locks)

    def records(i: int) -> None:
        store.get_ref(f"rounds/1/reveals/{kind}-{i}")
        store.get_ref("rounds/1/published")

    row["records"] = timed(records)
    # A new file each time, as each reveal is (the bytes' hash is its name).
    row["put_file_fsync"] = timed(lambda i: store.put(data + str(i).encode(), public=False), 100)
    record = {"account": account, "salt": "0x" + salt.hex(), "status": "accepted"}
    row["put_ref_fsync"] = timed(
        lambda i: store.put_ref(f"rounds/1/reveals/{kind}-{i}", record), 100
    )
    row["append_log_fsync"] = timed(
        lambda _i: store.append(f"rounds/1/{kind}-intake-log", record), 100
    )
    row["total"] = round(sum(v for k, v in row.items() if k != "bytes"), 4)
    return row


def main() -> None:
    ids = [f"n{int(x):016x}" for x in np.random.default_rng(0).integers(0, 2**63, IDS)]
    universe = Universe(ids)
    steps: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory(prefix="intake-profile-") as folder:
        store = LocalStore(Path(folder))
        for kind, data in files(ids).items():
            steps[kind] = profile(store, kind, data, universe)
            say(f"{kind}: " + ", ".join(f"{k} {v}" for k, v in steps[kind].items()))
    write_result(RESULTS, {"ids": IDS, "repeats": REPEATS, "ms_per_reveal": steps})


if __name__ == "__main__":
    main()
