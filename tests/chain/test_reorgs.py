"""Reorgs on a real anvil (``anvil_reorg``): the event cache drops what a reorg replaced and
reads the new blocks; events count only at the confirmation depth; the wallet keeps the file
and salt a reorg brings back, flags a stake the chain lost and re-sends it; and the oracle
refuses to resolve a round whose close is not yet at depth."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest

from oracle.chain.events import TournamentReader
from tests.helpers.harness import (
    Devnet,
    Service,
    error_line,
    ok,
    predictions_csv,
    stake,
)

pytestmark = [pytest.mark.chain, pytest.mark.anvil]


def reader_of(net: Devnet, confirmations: int, cache_dir: Path | None = None) -> TournamentReader:
    """The tournament read the way the oracle reads it, at ``confirmations`` depth."""
    provider = SimpleNamespace(web3=net.web3, chain_id=31337)
    record = net.deployment()["contracts"]["Tournament"]
    return TournamentReader(
        provider,
        record["address"],
        from_block=int(record["block"]),
        cache_dir=cache_dir,
        confirmations=confirmations,
    )


@pytest.fixture(scope="module")
def opened(net: Devnet) -> dict[str, Any]:
    ok(net.ape("oracle", "open-round", "--no-benchmarks", "--live-stocks", "200", "--budget", "10",
               "--close-in", "1h", "--reveal-window", "1h", "--challenge", "1h"))  # fmt: skip
    live = net.live_data(1)
    ids = list(live["id"] if "id" in live.columns else live.index)
    return {"ids": ids}


def test_cache_dropsTheLogsAReorgReplaced_andReadsTheNewChain(
    net: Devnet, opened: dict[str, Any], tmp_path: Path
) -> None:
    reader = reader_of(net, 0, tmp_path)
    alice = net.participant(1)
    net.fund(alice, 100)
    data = predictions_csv(opened["ids"], np.linspace(0, 1, len(opened["ids"])))
    stake(net, 1, alice, "reorged", data, 5)
    assert [p.account for p in reader.positions(1, alice)] == [alice]
    net.rpc("anvil_reorg", 1, [])  # the block holding the stake is replaced by an empty one
    assert reader.positions(1, alice) == []
    assert reader.cache.last is not None and reader.cache.last.reorged >= 1
    # A second reader of the same cache file agrees without reading the history again.
    again = reader_of(net, 0, tmp_path)
    assert again.positions(1, alice) == []
    stake(net, 1, alice, "reorged", data, 5)
    assert [p.stake for p in reader.positions(1, alice)] == [5 * 10**18]
    assert [p.stake for p in again.positions(1, alice)] == [5 * 10**18]


def test_events_countOnlyAtTheConfirmationDepth(net: Devnet, opened: dict[str, Any]) -> None:
    reader = reader_of(net, 3)
    bob = net.participant(2)
    net.fund(bob, 100)
    data = predictions_csv(opened["ids"], np.linspace(1, 0, len(opened["ids"])))
    stake(net, 1, bob, "deep", data, 5)
    assert reader.positions(1, bob) == []
    net.rpc("anvil_mine", hex(2), hex(0))
    assert reader.positions(1, bob) == []
    net.rpc("anvil_mine", hex(1), hex(0))
    assert [p.account for p in reader.positions(1, bob)] == [bob]


@pytest.fixture(scope="module")
def service(net: Devnet, opened: dict[str, Any]) -> Iterator[Service]:
    net.fund(net.account(7), 100)
    s = Service.start(net)
    yield s
    s.stop()


def wallet(net: Devnet, service: Service, folder: Path, *args: str) -> Any:
    return net.ape("wallet", *args, "--account", "test:7", "--service", service.url,
                   "--wallet-dir", str(folder), "--yes")  # fmt: skip


def test_wallet_flagsAStakeAReorgDropped_andResubmittingSendsItAgain(
    net: Devnet, opened: dict[str, Any], service: Service, tmp_path: Path
) -> None:
    ids = opened["ids"]
    first = tmp_path / "a.csv"
    first.write_bytes(predictions_csv(ids, np.linspace(0, 1, len(ids))))
    ok(wallet(net, service, tmp_path / "w", "submit", "--round", "1", "--model", "fragile",
              "--predictions", str(first), "--stake", "5"))  # fmt: skip
    net.rpc("anvil_reorg", 1, [])
    out = ok(wallet(net, service, tmp_path / "w", "models", "--round", "1"))
    assert "not on chain" in out and "re-send" in out, out
    out = ok(wallet(net, service, tmp_path / "w", "submit", "--round", "1", "--model",
                    "fragile", "--predictions", str(first), "--stake", "5"))  # fmt: skip
    assert "stakeWithPermit" in out, out
    out = ok(wallet(net, service, tmp_path / "w", "models", "--round", "1"))
    assert "not on chain" not in out and "staked" in out, out


def test_wallet_replacementReorgedOut_stillHoldsTheFileTheChainKept(
    net: Devnet, opened: dict[str, Any], service: Service, tmp_path: Path
) -> None:
    ids = opened["ids"]
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    a.write_bytes(predictions_csv(ids, np.linspace(0, 1, len(ids)) ** 2))
    b.write_bytes(predictions_csv(ids, np.linspace(1, 0, len(ids)) ** 2))
    folder = tmp_path / "w"
    ok(wallet(net, service, folder, "submit", "--round", "1", "--model", "swap",
              "--predictions", str(a), "--stake", "5"))  # fmt: skip
    ok(wallet(net, service, folder, "submit", "--round", "1", "--model", "swap",
              "--predictions", str(b), "--stake", "5"))  # fmt: skip
    net.rpc("anvil_reorg", 1, [])  # the replacement is gone: the chain holds A again
    out = ok(wallet(net, service, folder, "models", "--round", "1"))
    row = next(line for line in out.splitlines() if "swap" in line)
    assert "yes" in row, out  # the vault can still reveal what the chain holds
    records = {p.name: json.loads(p.read_text()) for p in folder.rglob("*.json")}
    assert {"current.json", "previous.json"} <= records.keys()


def test_resolve_refusesARoundWhoseCloseIsNotYetAtDepth(
    net: Devnet, opened: dict[str, Any]
) -> None:
    close = int(net.round_view(1)[0][0])
    deadline = int(net.manifest(1)["schedule"]["reveal_deadline"])
    net.travel_to(deadline + 10)  # an instant-mining devnet: one block past the deadline
    assert close < deadline
    line = error_line(
        net.ape("oracle", "resolve", "--round", "1", extra_env={"TOURNAMENT_CONFIRMATIONS": "50"})
    )
    assert "is not yet 50 block(s) deep" in line, line


def test_post_stuckUnmined_isReplacedWithHigherFees_andMinedOnce(
    net: Devnet, opened: dict[str, Any]
) -> None:
    import time

    oracle = net.account(3)
    nonce = int(net.web3.eth.get_transaction_count(oracle))
    journal = (
        net.folder / "store" / "refs" / "rounds" / "31337" / net.tournament.address / "1"
        / "post-0.json"
    )  # fmt: skip
    net.rpc("evm_setAutomine", False)  # a node whose pool is not mined: the post is stuck
    try:
        process = net.popen(
            "oracle", "resolve", "--round", "1", extra_env={"TOURNAMENT_STUCK_SECONDS": "2"}
        )
        deadline = time.monotonic() + 180
        first_fee = None
        while True:
            entry = json.loads(journal.read_text()) if journal.exists() else {"sent": []}
            if len(entry["sent"]) == 1 and first_fee is None:
                first_fee = int(entry["max_fee"])
            if len(entry["sent"]) >= 2:
                break
            assert process.poll() is None, process.communicate()
            assert time.monotonic() < deadline, "no replacement within 180 s"
            time.sleep(0.2)
    finally:
        net.rpc("evm_setAutomine", True)
    net.rpc("evm_mine")
    out, err = process.communicate(timeout=300)
    assert process.returncode == 0, out + err
    entry = json.loads(journal.read_text())
    assert first_fee is not None and entry["max_fee"] >= first_fee * 1.25, "it pays more"
    assert int(net.web3.eth.get_transaction_count(oracle)) == nonce + 1, "one transaction mined"
    receipt = net.web3.eth.get_transaction_receipt(entry["tx_hash"])
    assert receipt["status"] == 1
    assert net.round_view(1)[1] == 1  # POSTED
