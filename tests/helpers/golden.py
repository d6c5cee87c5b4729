"""Two fixed rounds (classic and signals) whose results files are committed under
tests/resolver/golden/: every speed-up of the resolve path must give these bytes again.

Each round has 48 positions over 6 accounts on 800 ids, chosen to reach every branch of the
results: plain and heavily tied predictions (ties are where rankings differ), parquet and csv
files, a csv the validator's slow path reads (CRLF), a file missing ids, a constant file, a
tampered commitment, unrevealed positions, stakes of many sizes. Everything is seeded; the
files are written with the locked pyarrow and pandas.

Regenerate the committed files only for an intended change of the results format:
``.venv/bin/python -m tests.helpers.golden --write``.
"""

from __future__ import annotations

import math
import sys
from pathlib import Path

import numpy as np
import pandas as pd
from eth_utils import keccak

from oracle.audit.results import RoundInputs
from oracle.chain.events import Position
from oracle.market import Market, MarketSpec, to_parquet
from oracle.protocol.commitments import commitment, model_id_of
from oracle.protocol.manifest import Reveal
from oracle.store import LocalStore
from tests.helpers.rounds import CHAIN, ONE, TOURNAMENT, account, assemble

GOLDEN = Path(__file__).resolve().parents[1] / "resolver" / "golden"
ROUND = 7
KINDS = ("classic", "signals")
ACCOUNTS, MODELS = 6, 8


def golden_path(kind: str) -> Path:
    return GOLDEN / f"{kind}-results.json"


def _csv(frame: pd.DataFrame, crlf: bool = False) -> bytes:
    text = frame.to_csv(index=False, lineterminator="\r\n" if crlf else "\n")
    return text.encode()


def _file(
    kind: int, ids: pd.Series, target: np.ndarray, rng: np.random.Generator
) -> tuple[bytes, str]:
    """The ``kind``-th sort of predictions file, and what it is."""
    n = len(ids)
    # Predictions lie in [0, 1]: a noisy view of the target, squashed.
    # The C library's exp value by value: numpy's has an AVX-512 path whose last bits differ,
    # and the files must be the same bytes on every machine.
    logits = -(target - target.mean()) * 4 - rng.normal(0, 1.0 + 0.2 * kind, n)
    signal = 1 / (1 + np.array([math.exp(x) for x in logits.tolist()]))
    match kind % 8:
        case 0:
            values, what = signal, "parquet"
        case 1:
            values, what = np.round(rng.random(n), 2), "parquet, ties"
        case 2:
            values, what = np.round(signal, 1), "csv, heavy ties"
        case 3:
            values, what = pd.Series(signal).rank(pct=True).to_numpy(), "csv, ranks"
        case 4:
            values, what = 1 - signal, "csv crlf"
        case 5:
            values, what = signal, "parquet, an id missing"
        case 6:
            values, what = np.full(n, 0.5), "parquet, constant"
        case _:
            values, what = rng.random(n), "parquet"
    frame = pd.DataFrame({"id": ids, "prediction": values})
    if what.endswith("an id missing"):
        frame = frame.iloc[1:]
    if what.startswith("csv crlf"):
        return _csv(frame, crlf=True), what
    if what.startswith("csv"):
        return _csv(frame), what
    return to_parquet(frame), what


def build(tmp_path: Path, kind: str) -> RoundInputs:
    """The fixed round of ``kind``, its files in a store under ``tmp_path``."""
    store = LocalStore(tmp_path / "store")
    market = Market(
        MarketSpec(seed=11, train_eras=4, train_stocks=50, live_stocks=800, validation_eras=0)
    )
    drawn = market.signals_round(ROUND) if kind == "signals" else market.live_round(ROUND)
    live, targets = to_parquet(drawn.live), to_parquet(drawn.targets)
    ids = drawn.live["id"]
    target = drawn.targets["target"].to_numpy()
    rng = np.random.default_rng(21)
    positions, reveals = [], []
    for a in range(ACCOUNTS):
        for m in range(MODELS):
            n = a * MODELS + m
            data, _what = _file(n, ids, target, rng)
            salt = keccak(f"salt {n}".encode())
            model_id = model_id_of(f"golden-{n}")
            tampered = n % 13 == 12
            committed = keccak(b"another file") if tampered else keccak(data)
            c = commitment(CHAIN, TOURNAMENT, ROUND, account(a), model_id, committed, salt)
            stake = ONE * (1 + (n * 37) % 50) + n * 10**15
            positions.append(Position(ROUND, account(a), model_id, stake, c))
            if n % 11 != 10:
                digest = store.put(data)
                reveals.append(
                    Reveal(account(a), "0x" + model_id.hex(), "0x" + salt.hex(), digest, "accepted")
                )
    return assemble(store, kind, ROUND, live, targets, len(ids), positions, reveals, 120 * ONE)


def main() -> None:
    import tempfile

    from oracle.audit.results import compute_results

    if sys.argv[1:] != ["--write"]:
        sys.exit("usage: python -m tests.helpers.golden --write (rewrites the committed files)")
    GOLDEN.mkdir(parents=True, exist_ok=True)
    for kind in KINDS:
        with tempfile.TemporaryDirectory() as folder:
            data = compute_results(build(Path(folder), kind)).data
        golden_path(kind).write_bytes(data)
        print(f"wrote {golden_path(kind)} ({len(data):,} bytes)")


if __name__ == "__main__":
    main()
