"""`resolve` killed with SIGKILL at each of its steps, then run again: the same root, exactly
one postResolution transaction, and no half-written entry in the store."""

from __future__ import annotations

import signal
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from oracle.settings import FAULT_INJECT as FAULT_ENV
from oracle.store import content_hash
from tests.helpers.harness import ORACLE, Devnet, predictions_csv, stake

pytestmark = [pytest.mark.chain, pytest.mark.anvil]


def store_is_whole(folder: Path) -> None:
    """Every entry hashes to its name, and no temporary file is left."""
    assert not list(folder.rglob(".*.tmp")), "a temporary file was left behind"
    for visibility in ("public", "private"):
        for path in (folder / visibility).rglob("*"):
            if path.is_file():
                assert content_hash(path.read_bytes())[2:] == path.name, path


def resolve(net: Devnet, fault: str | None = None) -> tuple[int, str]:
    env = {FAULT_ENV: fault} if fault else {}
    result = net.ape("oracle", "resolve", "--round", "1", extra_env=env)
    return result.returncode, result.stdout + result.stderr


def test_resolve_survivesSigkillAtEveryStep(net: Devnet, tmp_path: Path) -> None:
    assert (
        net.ape(
            "oracle", "open-round", "--no-benchmarks", "--live-stocks", "300", "--budget", "100"
        ).returncode
        == 0
    )
    ids = net.live_data(1)["id"].tolist()
    rng = np.random.default_rng(3)
    subs = []
    for index in (5, 6, 7):
        who = net.account(index)
        net.fund(who, 100)
        subs.append(stake(net, 1, who, f"m{index}", predictions_csv(ids, rng.random(len(ids))), 10))
    manifest = net.manifest(1)
    net.travel_to(manifest["schedule"]["close_time"] + 1)
    reveals = [str(s.reveal_file(tmp_path)) for s in subs]
    assert net.ape("oracle", "intake", *reveals).returncode == 0
    net.travel_to(manifest["schedule"]["reveal_deadline"] + 1)
    oracle = net.account(ORACLE)
    nonce = net.web3.eth.get_transaction_count(oracle)
    store = net.folder / "store"

    # 1. Killed before the results file is stored: nothing half-written, nothing posted.
    code, _ = resolve(net, "before-store")
    assert code == -signal.SIGKILL
    store_is_whole(store)
    assert net.round_view(1)[1] == 0

    # 2. Killed after storing: the results file is whole; still nothing posted.
    code, _ = resolve(net, "after-store")
    assert code == -signal.SIGKILL
    store_is_whole(store)
    assert net.web3.eth.get_transaction_count(oracle) == nonce

    # 3. Killed right after broadcasting, with the node not mining: the transaction waits in
    #    the mempool, journalled.
    net.rpc("evm_setAutomine", False)
    try:
        code, _ = resolve(net, "after-broadcast")
        assert code == -signal.SIGKILL
        assert net.round_view(1)[1] == 0
        pending = net.web3.eth.get_transaction_count(oracle, "pending")
        assert pending == nonce + 1

        # 4. Run again: it finds the pending transaction and waits for it (never sends a
        #    second); the node mines it a moment later; then it is killed after the receipt.
        def mine_soon() -> None:
            time.sleep(8)
            net.rpc("evm_mine")

        miner = threading.Thread(target=mine_soon)
        miner.start()
        code, _ = resolve(net, "after-receipt")
        miner.join()
        assert code == -signal.SIGKILL
    finally:
        net.rpc("evm_setAutomine", True)

    # 5. Once more, undisturbed: it reports the posted root.
    code, out = resolve(net)
    assert code == 0, out
    view = net.round_view(1)
    root = "0x" + bytes(view[4]).hex()
    assert view[1] == 1 and f"already posted root {root}" in out
    assert net.web3.eth.get_transaction_count(oracle) == nonce + 1, "exactly one post"
    posts = net.tournament.events.ResolutionPosted.get_logs(from_block=0)
    assert len(posts) == 1
    store_is_whole(store)
    verdict = net.ape("oracle", "verify", "--round", "1")
    assert verdict.stdout.strip() == f"OK round 1 root {root}", verdict.stdout + verdict.stderr
