"""A round's results from its artefacts alone: one leaf per position, deterministic bytes,
proofs that verify, payouts within the budget and the clip."""

from __future__ import annotations

import random
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from eth_utils import keccak

from oracle.chain.events import Position
from oracle.market import Market, MarketSpec, to_parquet
from oracle.protocol.commitments import commitment, model_id_of
from oracle.protocol.manifest import Reveal, RoundManifest, Schedule, reveals_bundle
from oracle.protocol.merkle import LEAF_ENCODING, leaf_hash, verify
from oracle.protocol.results import leaf_of
from oracle.resolver.results import RoundInputs, compute_results
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
    config = ScoringConfig()
    manifest = RoundManifest(
        kind=kind,
        chain_id=CHAIN,
        tournament=TOURNAMENT,
        live_data=store.put(live),
        scoring_config=store.put(config.to_json().encode()),
        universe=len(ids),
        schedule=Schedule(1, 2, 2, 10, 1),
        clip_ppm=config.payout.clip_ppm,
        min_stake=ONE,
        targets_commitment=store.put(targets),
    )
    bundle = reveals_bundle(ROUND, reveals)
    return RoundInputs(
        chain_id=CHAIN,
        tournament=TOURNAMENT,
        round_id=ROUND,
        manifest_hash=store.put(manifest.to_bytes()),
        manifest=manifest,
        config_bytes=config.to_json().encode(),
        live_data=live,
        targets=targets,
        reveals_hash=store.put(bundle),
        reveals=reveals,
        positions=sorted(positions, key=lambda p: p.key),
        budget=budget,
        clip_ppm=config.payout.clip_ppm,
        load_file=store.get,
    )


@pytest.fixture
def inputs(tmp_path: Path) -> RoundInputs:
    return build(tmp_path)


def test_everyPositionGetsExactlyOneLeaf_unscoredOnesMoveNothing(inputs: RoundInputs) -> None:
    results = compute_results(inputs)
    entries = results.document["positions"]
    assert [(e["account"], e["model_id"]) for e in entries] == [
        (p.account, "0x" + p.model_id.hex()) for p in inputs.positions
    ]
    status = {e["model_id"]: e["status"] for e in entries}
    assert status["0x" + model_id_of("tampered").hex()] == "rejected"
    assert status["0x" + model_id_of("silent").hex()] == "unrevealed"
    assert sum(s == "scored" for s in status.values()) == 3
    for e in entries:
        if e["status"] != "scored":
            assert (e["reward"], e["burn"], e["predictions_hash"]) == ("0", "0", "0x" + "00" * 32)
    assert results.document["rejections"][0]["reason"].startswith("the file and salt do not match")
    good = next(e for e in entries if e["model_id"] == "0x" + model_id_of("good").hex())
    bad = next(e for e in entries if e["model_id"] == "0x" + model_id_of("bad").hex())
    assert int(good["reward"]) > 0 and int(bad["burn"]) > 0


def test_proofsVerifyAndLeavesMatchTheContractEncoding(inputs: RoundInputs) -> None:
    results = compute_results(inputs)
    root = results.root
    for e in results.document["positions"]:
        values = leaf_of(ROUND, e)
        leaf = leaf_hash(LEAF_ENCODING, values)
        assert "0x" + leaf.hex() == e["leaf"]
        assert verify(root, leaf, [bytes.fromhex(p[2:]) for p in e["proof"]])
        clip = int(e["stake"]) * inputs.clip_ppm // 10**6
        assert int(e["reward"]) <= clip and int(e["burn"]) <= clip


def test_sameInputs_giveTheSameBytes_inAnyRevealOrder(inputs: RoundInputs) -> None:
    first = compute_results(inputs).data
    shuffled = list(inputs.reveals)
    random.Random(1).shuffle(shuffled)
    assert compute_results(replace(inputs, reveals=shuffled)).data == first


def test_rewardsAboveTheBudget_areScaledDownToIt(tmp_path: Path) -> None:
    results = compute_results(build(tmp_path, budget=3 * 10**16))
    totals = results.document["totals"]
    assert int(totals["reward"]) <= 3 * 10**16
    assert int(totals["reward"]) > 0


def test_signalsRound_reportsAlphaAndMpcBesideThePaidScores(tmp_path: Path) -> None:
    results = compute_results(build(tmp_path, kind="signals"))
    scored = [e for e in results.document["positions"] if e["status"] == "scored"]
    assert len(scored) == 3
    for e in scored:
        assert set(e["scores"]) == {"corr", "mmc", "tc", "fnc", "alpha", "mpc"}
        assert all(np.isfinite(v) for v in e["scores"].values())
