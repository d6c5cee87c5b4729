"""A small round's inputs built from artefacts alone (no chain): five positions, one of each
kind of outcome (good, noise, bad, tampered, silent)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from eth_utils import keccak

from oracle.audit.results import RoundInputs
from oracle.chain.events import Position
from oracle.market import Market, MarketSpec, to_parquet
from oracle.protocol.commitments import commitment, model_id_of
from oracle.protocol.manifest import Reveal, RoundManifest, Schedule, reveals_bundle
from oracle.scoring import ScoringConfig
from oracle.store import LocalStore

CHAIN, TOURNAMENT, ROUND = 31337, "0x" + "ab" * 20, 4
ONE = 10**18


def account(i: int) -> str:
    from eth_utils import to_checksum_address

    return str(to_checksum_address("0x" + f"{i:02x}" * 20))


def build(tmp_path: Path, budget: int = 1_000 * ONE, kind: str = "classic") -> RoundInputs:
    store = LocalStore(tmp_path / "store")
    market = Market(MarketSpec(seed=2, train_eras=10, train_stocks=50, live_stocks=500))
    drawn = market.signals_round(ROUND) if kind == "signals" else market.live_round(ROUND)
    live, targets = to_parquet(drawn.live), to_parquet(drawn.targets)
    ids = drawn.live["id"]
    rng = np.random.default_rng(9)
    target = drawn.targets["target"].to_numpy()
    files = {
        "good": target + rng.normal(0, 0.6, len(ids)),
        "noise": rng.random(len(ids)),
        "bad": -target + rng.normal(0, 0.6, len(ids)),
        "tampered": rng.random(len(ids)),
        "silent": rng.random(len(ids)),
    }
    positions, reveals = [], []
    for i, (name, values) in enumerate(files.items()):
        ranked = pd.Series(values).rank(pct=True).to_numpy()
        data = to_parquet(pd.DataFrame({"id": ids, "prediction": ranked}))
        salt = bytes([i + 1]) * 32
        model_id = model_id_of(name)
        committed = keccak(b"other file") if name == "tampered" else keccak(data)
        c = commitment(CHAIN, TOURNAMENT, ROUND, account(i), model_id, committed, salt)
        positions.append(Position(ROUND, account(i), model_id, (10 + 5 * i) * ONE, c))
        if name != "silent":
            digest = store.put(data)
            reveals.append(
                Reveal(account(i), "0x" + model_id.hex(), "0x" + salt.hex(), digest, "accepted")
            )
    return assemble(store, kind, ROUND, live, targets, len(ids), positions, reveals, budget)


def assemble(
    store: LocalStore,
    kind: str,
    round_id: int,
    live: bytes,
    targets: bytes,
    universe: int,
    positions: list[Position],
    reveals: list[Reveal],
    budget: int,
) -> RoundInputs:
    """A round's inputs from its drawn artefacts, positions and reveals: the default scoring
    config, a manifest naming them, every artefact in ``store``, positions in chain order."""
    config = ScoringConfig()
    manifest = RoundManifest(
        kind=kind,
        chain_id=CHAIN,
        tournament=TOURNAMENT,
        live_data=store.put(live),
        scoring_config=store.put(config.to_json().encode()),
        universe=universe,
        schedule=Schedule(1, 2, 2, 10, 1),
        clip_ppm=config.payout.clip_ppm,
        min_stake=ONE,
        targets_commitment=store.put(targets),
    )
    return RoundInputs(
        chain_id=CHAIN,
        tournament=TOURNAMENT,
        round_id=round_id,
        manifest_hash=store.put(manifest.to_bytes()),
        manifest=manifest,
        config_bytes=config.to_json().encode(),
        live_data=live,
        targets=targets,
        reveals_hash=store.put(reveals_bundle(round_id, reveals)),
        reveals=reveals,
        positions=sorted(positions, key=lambda p: p.key),
        budget=budget,
        clip_ppm=config.payout.clip_ppm,
        load_file=store.get,
    )
