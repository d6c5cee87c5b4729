"""A round's results from its artefacts alone: one leaf per position, deterministic bytes,
proofs that verify, payouts within the budget and the clip."""

from __future__ import annotations

import random
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from oracle.audit.results import RoundInputs, compute_results
from oracle.protocol.commitments import model_id_of
from oracle.protocol.merkle import LEAF_ENCODING, leaf_hash, verify
from oracle.protocol.results import leaf_of
from tests.helpers.rounds import ROUND, build


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
