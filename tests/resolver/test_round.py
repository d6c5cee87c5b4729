"""A whole round on a real anvil: open, stakes, reveals (valid, tampered, malformed, early,
missing), targets, resolve, a veto and a second post, finalize, settle, verify; every balance
is checked against the results file, and verify names the artefact a changed byte is in."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from oracle import PROJECT_ROOT
from tests.helpers.harness import (
    GUARDIAN,
    ONE,
    Devnet,
    Submission,
    error_line,
    fixed_secret,
    linear_model,
    ok,
    predictions_csv,
    stake,
)

pytestmark = [pytest.mark.chain, pytest.mark.anvil]


@pytest.fixture(scope="module")
def played(net: Devnet, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Round 1 with six positions of four accounts, revealed every way, published."""
    out = ok(net.ape("oracle", "open-round", "--no-benchmarks", "--live-stocks", "400",
                     "--budget", "500",
                     "--secret-file", fixed_secret(net.folder),
                     "--close-in", "1h", "--reveal-window", "1h", "--challenge", "1d"))  # fmt: skip
    assert "opened round 1 (classic, 400 ids)" in out
    live, training = net.live_data(1), net.training_data(1)
    ids = live["id"].tolist()
    rng = np.random.default_rng(7)
    alice, bob, carol, dave = (net.account(i) for i in (5, 6, 7, 8))
    for who in (alice, bob, carol, dave):
        net.fund(who, 1_000)
    informed = linear_model(training, live)
    noise = rng.random(len(ids))
    good = predictions_csv(ids, informed)
    subs = {
        "alice-linear": stake(net, 1, alice, "linear", good, 100),
        "alice-random": stake(net, 1, alice, "random", predictions_csv(ids, noise), 40),
        "bob-tampered": stake(net, 1, bob, "tampered", good, 60),
        "carol-malformed": stake(net, 1, carol, "malformed", b"id,prediction\nx,2\n", 30),
        "carol-anti": stake(net, 1, carol, "anti", predictions_csv(ids, 1 - informed), 50),
        "dave-silent": stake(net, 1, dave, "silent", good, 20),
    }  # fmt: skip
    folder = tmp_path_factory.mktemp("reveals")
    manifest = net.manifest(1)
    close, deadline = manifest["schedule"]["close_time"], manifest["schedule"]["reveal_deadline"]

    early = net.ape("oracle", "intake", str(subs["alice-linear"].reveal_file(folder)))
    assert "rejected: too early" in early.stdout
    net.travel_to(close + 1)
    tampered = bytearray(good)
    tampered[-3] = ord("1") if tampered[-3] != ord("1") else ord("2")
    reveals = [
        subs["alice-linear"].reveal_file(folder),
        subs["alice-random"].reveal_file(folder),
        subs["bob-tampered"].reveal_file(folder, data=bytes(tampered)),
        subs["carol-malformed"].reveal_file(folder),
        subs["carol-anti"].reveal_file(folder),
    ]
    intake = net.ape("oracle", "intake", *map(str, reveals))
    assert intake.returncode == 1, intake.stderr
    lines = intake.stdout.splitlines()
    assert [line.split(": ")[1] for line in lines] == [
        "accepted", "accepted", "rejected", "rejected", "accepted"
    ]  # fmt: skip
    assert "do not match the position's last on-chain commitment" in lines[2]
    assert "invalid predictions file" in lines[3]
    again = net.ape("oracle", "intake", str(reveals[0]))
    assert again.returncode == 0 and again.stdout.strip().endswith("accepted")

    too_soon = net.ape("oracle", "publish-targets", "--round", "1")
    assert "reveals are open until" in error_line(too_soon)
    net.travel_to(deadline + 1)
    late = net.ape("oracle", "intake", str(subs["dave-silent"].reveal_file(folder)))
    assert "rejected: too late" in late.stdout
    ok(net.ape("oracle", "publish-targets", "--round", "1"))
    log = net.store.read_log(f"rounds/31337/{net.tournament.address}/1/intake-log")
    # Logged: each first decision about a staked position inside the window (not the early
    # and late refusals, nor the repeated reveal).
    outcomes = [entry["status"] for entry in log]
    assert outcomes == ["accepted", "accepted", "rejected", "rejected", "accepted"]
    return {"subs": subs, "accounts": (alice, bob, carol, dave)}


def results_of(net: Devnet, round_id: int) -> dict[str, Any]:
    view = net.round_view(round_id)
    return dict(json.loads(net.store.get(bytes(view[5]))))


def test_round_resolvesVetoedPostsAgainFinalizesSettlesAndVerifies(
    net: Devnet, played: dict[str, Any]
) -> None:
    subs: dict[str, Submission] = played["subs"]
    out = ok(net.ape("oracle", "resolve", "--round", "1"))
    # The tampered reveal did not reproduce the commitment: it left no record, so bob's
    # position is unrevealed, as the silent one is (both get their stake back whole).
    assert "6 positions: 3 scored, 1 rejected, 2 unrevealed" in out
    results = results_of(net, 1)
    first_root = results["root"]
    by_model = {e["model_id"]: e for e in results["positions"]}
    expected_status = {
        "alice-linear": "scored",
        "alice-random": "scored",
        "carol-anti": "scored",
        "bob-tampered": "unrevealed",
        "carol-malformed": "rejected",
        "dave-silent": "unrevealed",
    }
    for key, status in expected_status.items():
        entry = by_model["0x" + subs[key].model_id.hex()]
        assert entry["status"] == status, (key, entry)
        if status != "scored":
            assert (entry["reward"], entry["burn"]) == ("0", "0")
            assert entry["predictions_hash"] == "0x" + "00" * 32
    linear = by_model["0x" + subs["alice-linear"].model_id.hex()]
    anti = by_model["0x" + subs["carol-anti"].model_id.hex()]
    assert linear["scores"]["corr"] > 0 > anti["scores"]["corr"]
    assert int(linear["reward"]) > 0 and int(anti["burn"]) > 0

    # The guardian vetoes; the oracle posts again (the same inputs give the same root).
    net.send(net.tournament.functions.veto(1), net.account(GUARDIAN))
    again = ok(net.ape("oracle", "resolve", "--round", "1"))
    assert f"posted root {first_root}" in again
    view = net.round_view(1)
    status = ok(net.ape("oracle", "status"))
    assert "posted" in status and "finalize" in status
    net.travel_to(int(view[10]) + 1)  # challengeEnds
    # The keeper does what is due: here, finalising round 1.
    assert "round 1: finalized" in ok(net.ape("oracle", "run", "--once"))
    assert "already finalized" in ok(net.ape("oracle", "finalize", "--round", "1"))

    token = net.token
    alice, bob, carol, dave = played["accounts"]
    before = {who: token.functions.balanceOf(who).call() for who in (alice, bob, carol, dave)}
    supply = token.functions.totalSupply().call()
    settled = ok(net.ape("oracle", "settle", "--round", "1"))
    assert "settled 6 leaf(s)" in settled
    expected = dict.fromkeys(before, 0)
    burned = 0
    for entry in results["positions"]:
        expected[entry["account"]] += (
            int(entry["stake"]) + int(entry["reward"]) - int(entry["burn"])
        )
        burned += int(entry["burn"])
    for who in before:
        assert token.functions.balanceOf(who).call() - before[who] == expected[who]
    assert supply - token.functions.totalSupply().call() == burned
    # What the tournament still holds is the oracle's free bond pool, nothing of the round's.
    held = token.functions.balanceOf(net.tournament.address).call()
    assert held == net.tournament.functions.bondPool().call() == 5_000 * ONE
    assert "already settled" in ok(net.ape("oracle", "settle", "--round", "1"))

    verdict = ok(net.ape("oracle", "verify", "--round", "1"))
    assert verdict.strip() == f"OK round 1 root {first_root}"
    status = ok(net.ape("oracle", "status"))
    assert "settled" in status


def _flip_one_byte(path: Path) -> bytes:
    original = path.read_bytes()
    changed = bytearray(original)
    changed[len(changed) // 2] ^= 0x01
    path.chmod(0o644)
    path.write_bytes(bytes(changed))
    return original


def _entry(net: Devnet, digest: str) -> Path:
    return net.folder / "store" / "public" / digest[2:4] / digest[2:]


@pytest.mark.parametrize("artefact", ["results", "reveal", "targets"])
def test_verify_namesTheArtefactWithAChangedByte(
    net: Devnet, played: dict[str, Any], artefact: str
) -> None:
    if net.round_view(1)[1] != 2:  # not finalised yet: resolve it first
        test_round_resolvesVetoedPostsAgainFinalizesSettlesAndVerifies(net, played)
    results = results_of(net, 1)
    digest = {
        "results": "0x" + bytes(net.round_view(1)[5]).hex(),
        "reveal": "0x" + __import__("eth_utils").keccak(played["subs"]["alice-linear"].data).hex(),
        "targets": results["inputs"]["targets"],
    }[artefact]
    path = _entry(net, digest)
    original = _flip_one_byte(path)
    try:
        result = net.ape("oracle", "verify", "--round", "1")
    finally:
        path.write_bytes(original)
    assert result.returncode != 0
    text = result.stdout + result.stderr
    assert "Traceback" not in text
    named = {"results": "results file", "reveal": "reveal of", "targets": "targets"}[artefact]
    assert named in text and "corrupt" in text, text


def test_merkleTreeDump_loadsInOpenZeppelinsLibraryWithEveryProof(
    net: Devnet, played: dict[str, Any], tmp_path: Path
) -> None:
    if net.round_view(1)[1] == 0:
        ok(net.ape("oracle", "resolve", "--round", "1"))
    results = results_of(net, 1)
    dump = tmp_path / "results.json"
    dump.write_text(json.dumps(results))
    script = PROJECT_ROOT / "tests" / "node" / "check_tree.mjs"
    node = shutil.which("node")
    assert node is not None
    run = subprocess.run(
        [node, str(script), str(dump)], cwd=PROJECT_ROOT, capture_output=True, text=True
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == f"ok {len(results['positions'])} proofs, root {results['root']}"


def test_intake_rejectsUnknownPositionAndUnknownRound(
    net: Devnet, played: dict[str, Any], tmp_path: Path
) -> None:
    sub: Submission = played["subs"]["alice-linear"]
    stranger = Submission(1, net.account(9), "nobody", sub.data, sub.salt, ONE)
    result = net.ape("oracle", "intake", str(stranger.reveal_file(tmp_path)))
    assert "rejected" in result.stdout and (
        "has no stake" in result.stdout or "too late" in result.stdout
    )
    ghost = Submission(99, sub.account, sub.model, sub.data, sub.salt, ONE)
    result = net.ape("oracle", "intake", str(ghost.reveal_file(tmp_path)))
    assert "rejected: round 99 does not exist" in result.stdout


def test_resolve_unknownRoundIsOneLine(net: Devnet) -> None:
    line = error_line(net.ape("oracle", "resolve", "--round", "42"))
    assert line == "Error: round 42 does not exist on this chain: rounds 1 to 1 exist"


def test_oracleAccountIsNotNeededToVerify(net: Devnet, played: dict[str, Any]) -> None:
    """verify reads public artefacts only: the private folder can be gone entirely."""
    if net.round_view(1)[1] == 0:
        ok(net.ape("oracle", "resolve", "--round", "1"))
    private = net.folder / "store" / "private"
    moved = net.folder / "private-away"
    if private.exists():
        private.rename(moved)
    try:
        out = ok(net.ape("oracle", "verify", "--round", "1"))
    finally:
        if moved.exists():
            moved.rename(private)
    assert out.startswith("OK round 1")


def test_roundOnOwnLiveData_takesItsTargetsAtPublish(net: Devnet, tmp_path: Path) -> None:
    import pandas as pd

    ids = [f"stock{i:03d}" for i in range(50)]
    rng = np.random.default_rng(1)
    live = pd.DataFrame({"id": ids, "feature_a": rng.random(50), "feature_b": rng.random(50)})
    live_path = tmp_path / "live.parquet"
    live.to_parquet(live_path, index=False)
    out = ok(
        net.ape(
            "oracle",
            "open-round",
            "--no-benchmarks",
            "--live-data",
            str(live_path),
            "--budget",
            "10",
        )
    )
    round_id = int(out.split("opened round ")[1].split(" ")[0])
    assert f"opened round {round_id} (classic, 50 ids)" in out
    manifest = net.manifest(round_id)
    assert manifest["targets_commitment"] is None and manifest["market"] is None
    net.travel_to(manifest["schedule"]["reveal_deadline"] + 1)
    line = error_line(net.ape("oracle", "publish-targets", "--round", str(round_id)))
    assert "pass --targets FILE" in line
    wrong = tmp_path / "wrong.parquet"
    pd.DataFrame({"id": ids[:-1], "target": rng.random(49)}).to_parquet(wrong, index=False)
    line = error_line(
        net.ape("oracle", "publish-targets", "--round", str(round_id), "--targets", str(wrong))
    )
    assert "exactly the live data's ids" in line
    targets = tmp_path / "targets.parquet"
    pd.DataFrame({"id": ids, "target": rng.random(50)}).to_parquet(targets, index=False)
    ok(net.ape("oracle", "publish-targets", "--round", str(round_id), "--targets", str(targets)))
    line = error_line(net.ape("oracle", "resolve", "--round", str(round_id)))
    assert "has no staked position" in line
