"""The participant's wallet on a real anvil with the oracle service running, through
`ape run wallet ...` as participants type it: three development accounts (alice, bob, carol)
and one ape keyfile account (dave) submit, resubmit, withdraw, reveal, claim, claim with
restake and take refunds; every bad input is refused in one line with nothing sent.

The module's rounds move forward in time as the tests run, in file order: round 1 staking,
then revealing, then finalized and claimed; round 2 stays open for restakes; round 3 is
cancelled and refunded.
"""

from __future__ import annotations

import io
import json
import stat
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from eth_utils import keccak
from web3.exceptions import ContractCustomError

from oracle.protocol.commitments import commitment, model_id_of
from oracle.settings import FAULT_INJECT
from oracle.store import content_hash
from tests.helpers.harness import (
    GUARDIAN,
    ONE,
    PYTHON,
    TREASURY,
    Devnet,
    Service,
    error_line,
    import_account,
    linear_model,
    ok,
    predictions_csv,
)

pytestmark = [pytest.mark.chain, pytest.mark.anvil]
IDS = 400
PASSPHRASE = "dave's passphrase"
DAVE_KEY = "0x" + "d" * 64


def selector(signature: str) -> str:
    """The 4-byte selector a custom error's revert data starts with."""
    return "0x" + keccak(text=signature)[:4].hex()


class Wallets:
    """`ape run wallet` on the module's devnet, service and wallet folder."""

    def __init__(self, net: Devnet, service: Service, folder: Path) -> None:
        self.net, self.service, self.folder = net, service, folder
        self.accounts = {"alice": 5, "bob": 6, "carol": 7}

    def address(self, who: str) -> str:
        if who == "dave":
            from eth_account import Account

            return str(Account.from_key(DAVE_KEY).address)
        return self.net.account(self.accounts[who])

    def spec(self, who: str) -> str:
        return "dave" if who == "dave" else f"test:{self.accounts[who]}"

    def run(
        self,
        who: str,
        command: str,
        *args: str,
        env: dict[str, str] | None = None,
        service: str | None = None,
        account: str | None = None,
        passphrase: str | None = PASSPHRASE,
    ) -> subprocess.CompletedProcess[str]:
        """The command as ``who`` (or as ``account``), with dave's passphrase set unless
        ``passphrase`` is None."""
        extra = dict(env or {})
        if passphrase is not None:
            extra["APE_ACCOUNTS_dave_PASSPHRASE"] = passphrase
        return self.net.ape(
            "wallet", command, *args, "--account", account or self.spec(who),
            "--service", service or self.service.url, "--wallet-dir", str(self.folder), "--yes",
            extra_env=extra,
        )  # fmt: skip

    def nonce(self, who: str) -> int:
        return int(self.net.web3.eth.get_transaction_count(self.address(who)))

    def tokens(self, who: str) -> int:
        return int(self.net.token.functions.balanceOf(self.address(who)).call())

    def stake_of(self, round_id: int, who: str, model: str) -> int:
        return int(
            self.net.tournament.functions.stakeOf(
                round_id, self.address(who), model_id_of(model)
            ).call()
        )

    def record(self, round_id: int, who: str, model: str, which: str = "current") -> dict[str, Any]:
        return dict(
            json.loads((self.model_folder(round_id, who, model) / f"{which}.json").read_text())
        )

    def model_folder(self, round_id: int, who: str, model: str) -> Path:
        tournament = self.net.tournament.address
        return (
            self.folder / "31337" / tournament / f"round-{round_id}" / self.address(who)
            / ("0x" + model_id_of(model).hex())
        )  # fmt: skip

    def chain_commitment(self, round_id: int, who: str, model: str) -> str:
        """The position's last commitment, from its Staked and CommitmentReplaced events."""
        t = self.net.tournament
        args = {"round": round_id, "account": self.address(who), "modelId": model_id_of(model)}
        events = [
            *t.events.Staked.get_logs(from_block=0, argument_filters=args),
            *t.events.CommitmentReplaced.get_logs(from_block=0, argument_filters=args),
        ]
        last = max(events, key=lambda e: (e["blockNumber"], e["logIndex"]))
        return "0x" + bytes(last["args"]["commitment"]).hex()


@pytest.fixture(scope="module")
def service(net: Devnet) -> Iterator[Service]:
    svc = Service.start(net)
    yield svc
    log = svc.stop()
    assert "Traceback" not in log, log


@pytest.fixture(scope="module")
def w(net: Devnet, service: Service, tmp_path_factory: pytest.TempPathFactory) -> Wallets:
    """Rounds 1 (an hour to close) and 2 (a month), participants funded with tokens only
    (no allowance: every stake goes through a permit), dave's keyfile account imported."""
    ok(net.ape("oracle", "open-round", "--live-stocks", str(IDS), "--budget", "500"))
    ok(net.ape("oracle", "open-round", "--live-stocks", str(IDS), "--close-in", "30d"))
    wallets = Wallets(net, service, tmp_path_factory.mktemp("wallet"))
    treasury = net.account(TREASURY)
    for who in ("alice", "bob", "carol"):
        net.send(net.token.functions.transfer(wallets.address(who), 1_000 * ONE), treasury)
    import_account(net.env, "dave", PASSPHRASE, DAVE_KEY)
    net.rpc("anvil_setBalance", wallets.address("dave"), hex(10 * ONE))
    return wallets


@pytest.fixture(scope="module")
def files(net: Devnet, w: Wallets, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Predictions files for round 1 (and one for round 2), as csv."""
    folder = tmp_path_factory.mktemp("predictions")
    live, training = net.live_data(1), net.training_data(1)
    ids = live["id"].tolist()
    informed = linear_model(training, live)
    rng = np.random.default_rng(8)
    made = {
        "linear": predictions_csv(ids, informed),
        "linear-v2": predictions_csv(ids, 0.9 * informed + 0.1 * rng.random(IDS)),
        "noisy": predictions_csv(ids, 0.5 * informed + 0.5 * rng.random(IDS)),
        "noisy-v2": predictions_csv(ids, 0.4 * informed + 0.6 * rng.random(IDS)),
        "random": predictions_csv(ids, rng.random(IDS)),
        "other": predictions_csv(ids, rng.random(IDS)),
        "bad-columns": b"id,pred\n" + b"".join(f"{i},0.5\n".encode() for i in ids),
        "wrong-ids": predictions_csv([f"x{i}" for i in range(IDS)], rng.random(IDS)),
        "round-2": predictions_csv(net.live_data(2)["id"].tolist(), rng.random(IDS)),
    }
    paths = {}
    for name, data in made.items():
        paths[name] = folder / f"{name}.csv"
        paths[name].write_bytes(data)
    return paths


# ---------------------------------------------------------------------- before close


def test_data_downloadsLiveAndTrainingDataMatchingTheManifest(
    net: Devnet, w: Wallets, tmp_path: Path
) -> None:
    manifest = net.manifest(1)
    for flag, key in (((), "live_data"), (("--training",), "training_data")):
        target = tmp_path / f"{key}.parquet"
        out = ok(w.run("alice", "data", "--round", "1", *flag, "--out", str(target)))
        assert content_hash(target.read_bytes()) == manifest[key]
        assert manifest[key] in out


def test_diagnose_scoresTheValidationErasAsTheEngineDoesAndWritesAPage(
    net: Devnet, w: Wallets, tmp_path: Path
) -> None:
    import pandas as pd

    from oracle.scoring.diagnostics import diagnose
    from oracle.scoring.fast_read import Universe
    from oracle.scoring.validate import read_submission

    manifest = net.manifest(1)
    target = tmp_path / "validation.parquet"
    ok(w.run("alice", "data", "--round", "1", "--validation", "--out", str(target)))
    assert content_hash(target.read_bytes()) == manifest["validation"]["data"]
    validation = pd.read_parquet(target)
    mine = tmp_path / "mine.csv"
    mine.write_bytes(predictions_csv(validation["id"].tolist(),
                                     linear_model(net.training_data(1), validation)))  # fmt: skip
    page = tmp_path / "diagnostics.html"
    out = ok(w.run("alice", "diagnose", "--round", "1", "--predictions", str(mine),
                   "--html", str(page), "--json"))  # fmt: skip
    shown = json.loads(out)
    # The same numbers from the engine, on the artefacts the manifest names.
    bench = pd.read_parquet(io.BytesIO(net.store.get(manifest["validation"]["benchmarks"])))
    series = read_submission(mine.read_bytes(), Universe(validation["id"]), of="validation")
    expected = diagnose(series, validation, bench.set_index("id").drop(columns="era"),
                        manifest["validation"]["stakes"]).to_json()  # fmt: skip
    assert shown == json.loads(json.dumps(expected))
    assert shown["summary"]["corr"]["mean"] > 0 and shown["summary"]["mmc"]["eras"] > 0
    assert set(shown["benchmarks"]) == {"example", "linear", "linear_half"}
    html = page.read_text()
    assert "<style>" in html and 'id="era-corr-bar-0"' in html and "1970-01-01" not in html
    table = ok(w.run("alice", "diagnose", "--round", "1", "--predictions", str(mine)))
    assert "validation eras" in table and "max drawdown" in table and "Sharpe" in table
    wrong = tmp_path / "wrong.csv"
    wrong.write_bytes(
        predictions_csv(validation["id"].tolist()[:-4], np.linspace(0, 1, len(validation) - 4))
    )
    refused = w.run("alice", "diagnose", "--round", "1", "--predictions", str(wrong))
    assert refused.returncode == 1
    assert "4 validation id(s) missing" in error_line(refused)


def test_submit_stakesWithPermitAndCommitmentInOneTransaction(
    net: Devnet, w: Wallets, files: dict[str, Path]
) -> None:
    before = w.nonce("alice")
    out = ok(w.run("alice", "submit", "--round", "1", "--model", "linear",
                   "--predictions", str(files["linear"]), "--stake", "25.5"))  # fmt: skip
    assert out.count("sent ") == 1 and "stakeWithPermit 25.5 tokens" in out
    assert w.nonce("alice") == before + 1
    assert w.stake_of(1, "alice", "linear") == 25 * ONE + ONE // 2
    assert net.token.functions.allowance(w.address("alice"), net.tournament.address).call() == 0

    saved = w.record(1, "alice", "linear")
    data = files["linear"].read_bytes()
    assert saved["predictions_hash"] == content_hash(data)
    expected = commitment(
        31337, net.tournament.address, 1, w.address("alice"), model_id_of("linear"),
        bytes.fromhex(content_hash(data)[2:]), bytes.fromhex(saved["salt"][2:]),
    )  # fmt: skip
    assert saved["commitment"] == "0x" + expected.hex() == w.chain_commitment(1, "alice", "linear")
    folder = w.model_folder(1, "alice", "linear")
    assert (folder / f"{content_hash(data)[2:]}.csv").read_bytes() == data
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert all(stat.S_IMODE(p.stat().st_mode) == 0o600 for p in folder.iterdir())

    ok(w.run("bob", "submit", "--round", "1", "--model", "noisy",
             "--predictions", str(files["noisy"]), "--stake", "30"))  # fmt: skip
    for model, key, amount in (("random", "random", "20"), ("spare", "other", "10")):
        ok(w.run("carol", "submit", "--round", "1", "--model", model,
                 "--predictions", str(files[key]), "--stake", amount))  # fmt: skip


def test_exampleModel_trainsTreesOnTheTrainingDataAndSubmits(net: Devnet, w: Wallets) -> None:
    out = ok(w.run("alice", "example-model", "--round", "1", "--model", "trees", "--stake", "10"))
    assert "submitted trees to round 1: stake 10 tokens" in out
    assert w.stake_of(1, "alice", "trees") == 10 * ONE
    assert w.record(1, "alice", "trees")["commitment"] == w.chain_commitment(1, "alice", "trees")


def test_resubmit_replacesTheCommitmentAndTopsUpOrWithdrawsToTheNewStake(
    w: Wallets, files: dict[str, Path]
) -> None:
    # More stake and another file: one stakeWithPermit carrying the new commitment.
    old = w.record(1, "bob", "noisy")
    out = ok(w.run("bob", "submit", "--round", "1", "--model", "noisy",
                   "--predictions", str(files["noisy-v2"]), "--stake", "40"))  # fmt: skip
    assert out.count("sent ") == 1 and "stakeWithPermit 10 tokens" in out
    assert w.stake_of(1, "bob", "noisy") == 40 * ONE
    new = w.record(1, "bob", "noisy")
    assert new["salt"] != old["salt"]
    assert new["commitment"] == w.chain_commitment(1, "bob", "noisy")
    # The replaced file and salt stay, as the previous submission, in case a reorg undoes this.
    folder = w.model_folder(1, "bob", "noisy")
    assert (folder / f"{old['predictions_hash'][2:]}.csv").exists()
    assert json.loads((folder / "previous.json").read_text())["salt"] == old["salt"]

    # Less stake and another file: replaceCommitment, then withdraw the difference.
    tokens = w.tokens("alice")
    out = ok(w.run("alice", "submit", "--round", "1", "--model", "linear",
                   "--predictions", str(files["linear-v2"]), "--stake", "20"))  # fmt: skip
    assert "replaceCommitment of linear" in out and "withdraw 5.5 tokens from linear" in out
    assert w.stake_of(1, "alice", "linear") == 20 * ONE
    assert w.tokens("alice") == tokens + 5 * ONE + ONE // 2
    assert w.record(1, "alice", "linear")["commitment"] == w.chain_commitment(1, "alice", "linear")

    # The same file and stake again: nothing to send.
    before = w.nonce("alice")
    out = ok(w.run("alice", "submit", "--round", "1", "--model", "linear",
                   "--predictions", str(files["linear-v2"]), "--stake", "20"))  # fmt: skip
    assert "already holds this submission: nothing sent" in out
    assert w.nonce("alice") == before


def test_withdraw_takesPartOrAllOfAStakeBeforeClose(w: Wallets) -> None:
    ok(w.run("carol", "withdraw", "--round", "1", "--model", "spare", "--amount", "4"))
    assert w.stake_of(1, "carol", "spare") == 6 * ONE
    ok(w.run("carol", "withdraw", "--round", "1", "--model", "spare"))
    assert w.stake_of(1, "carol", "spare") == 0


def test_keyfileAccount_signsThePermitAndStakes(
    net: Devnet, w: Wallets, files: dict[str, Path]
) -> None:
    ok(net.ape("faucet", w.address("dave"), "50"))
    ok(w.run("dave", "submit", "--round", "1", "--model", "silent",
             "--predictions", str(files["other"]), "--stake", "15"))  # fmt: skip
    assert w.stake_of(1, "dave", "silent") == 15 * ONE
    assert "tokens  35" in ok(w.run("dave", "balance"))


@pytest.mark.parametrize(
    ("case", "options", "how", "needle"),
    [
        ("malformed file", {"--predictions": "bad-columns"}, {},
         "the predictions are invalid: the columns must be exactly id,prediction"),
        ("ids of another round", {"--predictions": "wrong-ids"}, {},
         "the predictions are invalid: 400 live id(s) missing"),
        ("unknown round", {"--round": "99"}, {}, "round 99 does not exist on this chain"),
        ("too little balance", {"--stake": "5000"}, {}, "this stake needs 4960, "),
        ("amount with a comma", {"--stake": "12,5"}, {}, "is not a token amount"),
        ("unknown account", {}, {"account": "nobody"}, "no account named 'nobody'"),
        ("wrong passphrase", {}, {"who": "dave", "passphrase": "not it"},
         "cannot unlock account 'dave'"),
        ("locked account", {}, {"who": "dave", "passphrase": None},
         "account 'dave' is locked"),
        ("unreachable service", {}, {"service": "http://127.0.0.1:9"},
         "cannot reach the oracle service at http://127.0.0.1:9"),
    ],
)  # fmt: skip
def test_submit_badInputIsOneLineWithNothingSentAndNoSaltLost(
    w: Wallets,
    files: dict[str, Path],
    case: str,
    options: dict[str, str],
    how: dict[str, Any],
    needle: str,
) -> None:
    argv = {"--round": "1", "--model": "noisy", "--predictions": "noisy-v2", "--stake": "40"}
    argv.update(options)
    argv["--predictions"] = str(files[argv["--predictions"]])
    saved = w.record(1, "bob", "noisy")
    nonces = (w.nonce("bob"), w.nonce("dave"))

    how = dict(how)
    who = how.pop("who", "bob")
    result = w.run(who, "submit", *[x for pair in argv.items() for x in pair], **how)

    assert needle in error_line(result), case
    assert result.returncode == 1
    assert (w.nonce("bob"), w.nonce("dave")) == nonces, "nothing sent"
    assert w.record(1, "bob", "noisy") == saved, "the saved submission is untouched"
    assert w.stake_of(1, "bob", "noisy") == 40 * ONE


def test_submit_killedBetweenSavingAndSendingReusesTheSameSaltWhenRunAgain(
    w: Wallets, files: dict[str, Path]
) -> None:
    argv = ("--round", "1", "--model", "second", "--predictions", str(files["random"]),
            "--stake", "12")  # fmt: skip
    before = w.nonce("bob")
    killed = w.run("bob", "submit", *argv, env={FAULT_INJECT: "wallet-after-save"})
    assert killed.returncode == -9, killed.stderr
    assert w.nonce("bob") == before and w.stake_of(1, "bob", "second") == 0
    pending = w.record(1, "bob", "second", "pending")

    ok(w.run("bob", "submit", *argv))
    current = w.record(1, "bob", "second")
    assert current["salt"] == pending["salt"]
    assert current["commitment"] == pending["commitment"] == w.chain_commitment(1, "bob", "second")
    assert not (w.model_folder(1, "bob", "second") / "pending.json").exists()


def test_otherAccount_cannotWithdrawSomeoneElsesStake(net: Devnet, w: Wallets) -> None:
    line = error_line(w.run("bob", "withdraw", "--round", "1", "--model", "linear"))
    assert f"account {w.address('bob')} has no stake on linear in round 1" in line
    call = net.tournament.functions.withdraw(1, model_id_of("linear"), ONE)
    with pytest.raises(ContractCustomError, match=selector("NoPosition(uint256,address,bytes32)")):
        call.transact({"from": w.address("bob")})
    assert w.stake_of(1, "alice", "linear") == 20 * ONE


def test_reveal_beforeCloseIsRefused(w: Wallets) -> None:
    line = error_line(w.run("alice", "reveal", "--round", "1"))
    assert "round 1 is open for staking until" in line and "reveal after close" in line


# ---------------------------------------------------------------------- after close


@pytest.fixture(scope="module")
def closed(net: Devnet, w: Wallets) -> dict[str, Any]:
    manifest = net.manifest(1)
    net.travel_to(manifest["schedule"]["close_time"] + 1)
    return manifest


def test_submit_toAClosedRoundIsRefused(
    w: Wallets, files: dict[str, Path], closed: dict[str, Any]
) -> None:
    line = error_line(w.run("bob", "submit", "--round", "1", "--model", "late",
                            "--predictions", str(files["noisy"]), "--stake", "5"))  # fmt: skip
    assert "round 1 closed for staking at" in line and "stake in an open round" in line


def test_reveal_sendsEveryStakedModelAndIsIdempotent(w: Wallets, closed: dict[str, Any]) -> None:
    first = ok(w.run("alice", "reveal", "--round", "1"))
    assert sorted(first.splitlines()) == ["linear: accepted", "trees: accepted"]
    assert ok(w.run("alice", "reveal", "--round", "1")) == first
    assert sorted(ok(w.run("bob", "reveal", "--round", "1")).splitlines()) == [
        "noisy: accepted",
        "second: accepted",
    ]
    # carol's withdrawn model is not revealed; dave never reveals.
    assert ok(w.run("carol", "reveal", "--round", "1")).splitlines() == ["random: accepted"]


@pytest.fixture(scope="module")
def finalized(net: Devnet, w: Wallets, closed: dict[str, Any]) -> dict[str, Any]:
    net.travel_to(closed["schedule"]["reveal_deadline"] + 1)
    ok(net.ape("oracle", "publish-targets", "--round", "1"))
    ok(net.ape("oracle", "resolve", "--round", "1"))
    net.travel_to(int(net.round_view(1)[10]) + 1)  # challengeEnds
    ok(net.ape("oracle", "finalize", "--round", "1"))
    results_hash = bytes(net.round_view(1)[5])
    results = json.loads(net.store.get(results_hash))
    return {e["account"] + e["model_id"]: e for e in results["positions"]}


def payout_of(w: Wallets, results: dict[str, Any], who: str, model: str) -> int:
    e = results[w.address(who) + "0x" + model_id_of(model).hex()]
    return int(e["stake"]) + int(e["reward"]) - int(e["burn"])


def test_status_showsPhaseScoresRewardAndBurn(w: Wallets, finalized: dict[str, Any]) -> None:
    out = ok(w.run("alice", "status", "--round", "1"))
    assert out.startswith("round 1: finalized")
    entry = finalized[w.address("alice") + "0x" + model_id_of("linear").hex()]
    row = next(line for line in out.splitlines() if "linear" in line)
    assert f"{entry['scores']['corr']:.4f}" in row and "scored" in row


def test_claim_paysWithTheServicesProofsOnce(w: Wallets, finalized: dict[str, Any]) -> None:
    tokens = w.tokens("bob")
    out = ok(w.run("bob", "claim", "--round", "1"))
    assert "claimMany 2 position(s)" in out
    expected = payout_of(w, finalized, "bob", "noisy") + payout_of(w, finalized, "bob", "second")
    assert w.tokens("bob") == tokens + expected
    again = error_line(w.run("bob", "claim", "--round", "1"))
    assert "has nothing left to claim in round 1" in again
    typo = error_line(w.run("bob", "claim", "--round", "1", "--model", "noisyy"))
    assert "has no model 'noisyy' in round 1; its models there are: noisy, second" in typo


def test_claim_withRestakeMovesThePayoutIntoTheNextRound(
    w: Wallets, files: dict[str, Path], finalized: dict[str, Any]
) -> None:
    missing = error_line(w.run("alice", "claim", "--round", "1", "--restake-into", "2"))
    assert "has no saved submission in round 2" in missing
    ok(w.run("alice", "submit", "--round", "2", "--model", "linear",
             "--predictions", str(files["round-2"]), "--stake", "5"))  # fmt: skip
    tokens = w.tokens("alice")
    out = ok(w.run("alice", "claim", "--round", "1", "--model", "linear", "--restake-into", "2"))
    payout = payout_of(w, finalized, "alice", "linear")
    assert "claimAndRestake linear into round 2" in out
    assert w.stake_of(2, "alice", "linear") == 5 * ONE + payout
    assert w.tokens("alice") == tokens
    assert w.record(2, "alice", "linear")["commitment"] == w.chain_commitment(2, "alice", "linear")
    ok(w.run("alice", "claim", "--round", "1", "--model", "trees"))
    assert w.tokens("alice") == tokens + payout_of(w, finalized, "alice", "trees")


def test_otherAccount_claimingSomeoneElsesLeafPaysOnlyThatAccount(
    net: Devnet, w: Wallets, service: Service, finalized: dict[str, Any]
) -> None:
    import httpx

    carol, bob = w.address("carol"), w.address("bob")
    leaves = httpx.get(f"{service.url}/api/v1/rounds/1/accounts/{carol}/leaves").json()["leaves"]
    entry = leaves[0]
    leaf = (1, carol, bytes.fromhex(entry["model_id"][2:]), int(entry["stake"]),
            int(entry["reward"]), int(entry["burn"]),
            bytes.fromhex(entry["predictions_hash"][2:]))  # fmt: skip
    proof = [bytes.fromhex(p[2:]) for p in entry["proof"]]
    t = net.tournament
    with pytest.raises(ContractCustomError, match=selector("NotAccount(address,address)")):
        t.functions.claimAndRestake(leaf, proof, 2, model_id_of("stolen"), b"\1" * 32).transact(
            {"from": bob}
        )
    carol_tokens, bob_tokens = w.tokens("carol"), w.tokens("bob")
    net.send(t.functions.claimMany([leaf], [proof]), bob)
    assert w.tokens("carol") == carol_tokens + payout_of(w, finalized, "carol", "random")
    assert w.tokens("bob") == bob_tokens
    assert "has nothing left to claim" in error_line(w.run("carol", "claim", "--round", "1"))


def test_refund_afterACancelReturnsEveryStakeToItsAccount(
    net: Devnet, w: Wallets, files: dict[str, Path], finalized: dict[str, Any]
) -> None:
    ok(net.ape("oracle", "open-round", "--live-stocks", str(IDS)))
    data = net.live_data(3)["id"].tolist()
    path = files["round-2"].with_name("round-3.csv")
    path.write_bytes(predictions_csv(data, np.linspace(0, 1, IDS)))
    tokens = w.tokens("carol")
    for model in ("kept", "rescued"):
        ok(w.run("carol", "submit", "--round", "3", "--model", model,
                 "--predictions", str(path), "--stake", "5"))  # fmt: skip
    early = error_line(w.run("carol", "refund", "--round", "3"))
    assert "refunds of round 3 open only if it is cancelled" in early

    net.send(net.tournament.functions.cancelRound(3), net.account(GUARDIAN))
    bob_tokens = w.tokens("bob")
    net.send(
        net.tournament.functions.refund(3, w.address("carol"), model_id_of("rescued")),
        w.address("bob"),
    )
    assert w.tokens("bob") == bob_tokens
    assert w.tokens("carol") == tokens - 5 * ONE
    out = ok(w.run("carol", "refund", "--round", "3"))
    assert out.count("sent refund") == 1
    assert w.tokens("carol") == tokens


def test_client_fromPythonReadsTheSameRoundAsTheCommands(
    net: Devnet, w: Wallets, finalized: dict[str, Any]
) -> None:
    """The notebook path: Wallet.connect in a plain Python process."""
    code = f"""
import json
from oracle.wallet import Wallet
with Wallet.connect(
    account="test:5", network="ethereum:local:foundry",
    service={w.service.url!r}, provider_settings={{"host": "http://127.0.0.1:{net.port}"}},
    vault_dir={str(w.folder)!r},
) as wallet:
    live = wallet.live_data(round=1)
    status = wallet.status(round=1)
    validation = wallet.validation_data(round=1)
    mine = validation[["id"]].assign(prediction=validation["feature_00"].rank(pct=True))
    diagnosed = wallet.diagnose(round=1, predictions=mine)
    print(json.dumps({{"rows": len(live), "phase": status.phase,
                       "models": sorted(p.model for p in status.positions),
                       "eras": len(diagnosed.eras), "mmc": diagnosed.summaries["mmc"].eras}}))
"""
    from oracle import PROJECT_ROOT

    result = subprocess.run(
        [str(PYTHON), "-c", code], cwd=PROJECT_ROOT, env=net.env, capture_output=True,
        text=True, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout.strip().splitlines()[-1])
    assert answer == {"rows": IDS, "phase": "finalized", "models": ["linear", "trees"],
                      "eras": 20, "mmc": 20}  # fmt: skip
