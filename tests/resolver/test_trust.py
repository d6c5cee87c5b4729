"""Trust with teeth, on a real anvil: a stranger verifies a round from the service alone (a
process with an empty HOME, no deployment record, no path to the operator's store), mirrors
every artefact and verifies offline, republishes the mirror read-only; a lying service is
caught by the artefact's name; a wrong root is disputed by the watcher exactly once across a
SIGKILL, upheld by the guardian and posted again honestly by the keeper; an unruled dispute
cancels its round."""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest

from oracle import PROJECT_ROOT, settings
from tests.helpers.harness import (
    GUARDIAN,
    ONE,
    PYTHON,
    Devnet,
    Service,
    error_line,
    fixed_secret,
    linear_model,
    ok,
    predictions_csv,
    stake,
)
from tests.helpers.tamper import TamperingProxy

pytestmark = [pytest.mark.chain, pytest.mark.anvil]

DISPUTER = 9
RESOLUTION_BOND = 500 * ONE
DISPUTE_BOND = 100 * ONE


def play(net: Devnet, folder: Path, round_id: int, *, misstate: bool = False) -> str:
    """Open round ``round_id`` with an informed and an anti-informed model (a reward and a
    burn), reveal both, publish and resolve it (``misstate``: one payout wrong). Its root."""
    ok(net.ape("oracle", "open-round", "--no-benchmarks", "--live-stocks", "200", "--budget", "100",
               "--secret-file", fixed_secret(net.folder, round_id),
               "--close-in", "1h", "--reveal-window", "1h", "--challenge", "1d"))  # fmt: skip
    live, training = net.live_data(round_id), net.training_data(round_id)
    ids = live["id"].tolist()
    informed = linear_model(training, live)
    alice, carol = net.account(5), net.account(7)
    subs = [
        stake(net, round_id, alice, "linear", predictions_csv(ids, informed), 50),
        stake(net, round_id, carol, "anti", predictions_csv(ids, 1 - informed), 50),
        stake(net, round_id, carol, "noise", predictions_csv(ids, np.linspace(0, 1, len(ids))), 20),
    ]
    manifest = net.manifest(round_id)
    net.travel_to(manifest["schedule"]["close_time"] + 1)
    reveals = folder / f"reveals-{round_id}"
    reveals.mkdir()
    ok(net.ape("oracle", "intake", *(str(s.reveal_file(reveals)) for s in subs)))
    net.travel_to(manifest["schedule"]["reveal_deadline"] + 1)
    ok(net.ape("oracle", "publish-targets", "--round", str(round_id)))
    args = ["--misstate"] if misstate else []
    ok(net.ape("oracle", "resolve", "--round", str(round_id), *args))
    return "0x" + bytes(net.round_view(round_id)[4]).hex()


def stranger(net: Devnet, folder: Path) -> dict[str, str]:
    """A machine that has never seen the operator: empty HOME, no deployment record, its own
    empty store and ape folder."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "home").mkdir(exist_ok=True)
    return {
        "HOME": str(folder / "home"),
        settings.DEPLOYMENTS_DIR: str(folder / "deployments"),
        settings.STORE_DIR: str(folder / "store"),
        settings.APE_DATA_FOLDER: str(folder / "ape"),
    }


@pytest.fixture(scope="module")
def served(net: Devnet, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """Round 1 resolved honestly and served by the operator's service."""
    folder = tmp_path_factory.mktemp("trust")
    for who in (net.account(5), net.account(7), net.account(DISPUTER)):
        net.fund(who, 1_000)
    root = play(net, folder, 1)
    service = Service.start(net)
    try:
        yield {"folder": folder, "root": root, "service": service}
    finally:
        service.stop()


def test_verify_fromTheServiceAlone_onAnotherMachine(net: Devnet, served: dict[str, Any]) -> None:
    env = stranger(net, served["folder"] / "stranger")
    out = ok(net.ape("oracle", "verify", "--round", "1", "--service", served["service"].url,
                     extra_env=env))  # fmt: skip
    assert out.strip() == f"OK round 1 root {served['root']}"
    assert not (served["folder"] / "stranger" / "deployments").exists()
    # The same from the notebook client.
    code = (
        "import sys; from oracle.wallet import Wallet; "
        "w = Wallet.connect('test:9', provider_settings={'host': sys.argv[1]}, "
        "service=sys.argv[2], vault_dir=sys.argv[3]); print(w.verify(round=1).line())"
    )
    client = subprocess.run(
        [str(PYTHON), "-W", "ignore", "-c", code, f"http://127.0.0.1:{net.port}",
         served["service"].url, str(served["folder"] / "stranger" / "vault")],
        cwd=PROJECT_ROOT, env={**net.env, **env}, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert client.stdout.strip().splitlines()[-1] == f"OK round 1 root {served['root']}", (
        client.stderr
    )


def test_mirror_resumes_verifiesOffline_andServesReadOnly(
    net: Devnet, served: dict[str, Any]
) -> None:
    env = stranger(net, served["folder"] / "mirrorer")
    out_dir = served["folder"] / "mirror"
    url = served["service"].url
    first = ok(net.ape("oracle", "mirror", "--service", url, "--out", str(out_dir), extra_env=env))
    held = int(first.split(": ")[1].split(" artefact")[0])
    assert f"{held} artefact(s), {held} fetched now" in first
    # A kill mid-copy leaves some artefacts out: the next run fetches only those.
    public = sorted(p for p in (out_dir / "public").rglob("*") if p.is_file())
    for path in public[:2]:
        path.unlink()
    again = ok(net.ape("oracle", "mirror", "--service", url, "--out", str(out_dir), extra_env=env))
    assert f"{held} artefact(s), 2 fetched now" in again
    offline = ok(net.ape("oracle", "verify", "--round", "1", "--store", str(out_dir),
                         extra_env=env))  # fmt: skip
    assert offline.strip() == f"OK round 1 root {served['root']}"

    republished = Service.start(net, "--store", str(out_dir))
    try:
        info = httpx.get(f"{republished.url}/api/v1", timeout=10).json()
        assert info["limits"]["read_only"] is True
        refused = httpx.post(
            f"{republished.url}/api/v1/rounds/1/reveals",
            data={"salt": "0x" + "11" * 32, "account": net.account(5), "model": "linear"},
            files={"file": ("p.csv", b"id,prediction\n")},
            timeout=10,
        )
        assert refused.status_code == 403
        assert "read-only mirror" in refused.json()["error"]
        other = stranger(net, served["folder"] / "third")
        via_mirror = ok(net.ape("oracle", "verify", "--round", "1", "--service", republished.url,
                                extra_env=other))  # fmt: skip
        assert via_mirror.strip() == f"OK round 1 root {served['root']}"
    finally:
        republished.stop()


def test_aLyingService_isCaughtByTheArtefactsName(net: Devnet, served: dict[str, Any]) -> None:
    view = net.round_view(1)
    results_hash = "0x" + bytes(view[5]).hex()
    manifest = net.manifest(1)
    results = json.loads(net.store.get(results_hash))
    proxy = TamperingProxy(served["service"].url).start()
    env = stranger(net, served["folder"] / "lied-to")

    def verify(*extra: str) -> subprocess.CompletedProcess[str]:
        shutil.rmtree(served["folder"] / "lied-to" / "store", ignore_errors=True)
        return net.ape("oracle", "verify", "--round", "1", "--service", proxy.url, *extra,
                       extra_env=env)  # fmt: skip

    try:
        proxy.lies.flipped.add(manifest["live_data"])
        flipped = verify()
        assert flipped.returncode == 1 and "OK" not in flipped.stdout
        assert flipped.stdout.startswith("MISMATCH round 1: live data: ")
        assert "hash to" in flipped.stdout

        proxy.lies.clear()
        proxy.lies.swapped[results_hash] = results["inputs"]["targets"]  # a stale, other file
        stale = verify()
        assert stale.returncode == 1
        assert stale.stdout.startswith("MISMATCH round 1: results file: ")

        proxy.lies.clear()
        proxy.lies.withheld.add(results["inputs"]["reveals"])
        missing = verify()
        assert "round 1 cannot be verified: reveals bundle: " in error_line(missing)
        assert "not served" in error_line(missing)

        proxy.lies.clear()
        proxy.lies.info["tournament"] = "0x" + "ab" * 20
        foreign = verify("--tournament", net.tournament.address)
        assert "another tournament's service" in error_line(foreign)
    finally:
        proxy.stop()


def test_dispute_refusesAnHonestRoot(net: Devnet, served: dict[str, Any]) -> None:
    env = stranger(net, served["folder"] / "honest")
    refused = net.ape("oracle", "dispute", "--round", "1", "--service", served["service"].url,
                      "--account", str(DISPUTER), "--yes", extra_env=env)  # fmt: skip
    assert f"OK round 1 root {served['root']}" in refused.stdout
    assert "not disputed" in error_line(refused)


def _disputes(net: Devnet, round_id: int) -> list[Any]:
    return list(
        net.tournament.events.ResolutionDisputed.get_logs(
            from_block=0, argument_filters={"round": round_id}
        )
    )


def test_watcher_disputesAWrongRootOnce_acrossAKill_thenTheHonestRootIsPosted(
    net: Devnet, served: dict[str, Any]
) -> None:
    wrong = play(net, served["folder"], 2, misstate=True)
    url = served["service"].url
    env = stranger(net, served["folder"] / "watcher")
    watch_store = served["folder"] / "watch-store"
    disputer = net.account(DISPUTER)
    nonce = net.web3.eth.get_transaction_count(disputer)
    watch = ["--service", url, "--account", str(DISPUTER), "--store", str(watch_store),
             "--interval", "1s"]  # fmt: skip
    # The first watcher dies (SIGKILL) right after broadcasting its dispute.
    killed = net.popen(
        "oracle", "watch", *watch, extra_env={**env, settings.FAULT_INJECT: "after-broadcast"}
    )
    try:
        killed.wait(timeout=300)
    except subprocess.TimeoutExpired:
        killed.kill()
        raise
    assert killed.returncode == -signal.SIGKILL, killed.communicate()
    again = ok(net.ape("oracle", "watch", *watch, "--once", extra_env=env))
    assert "dispute failed" not in again, again
    # Once more: the round is disputed, nothing left to do.
    ok(net.ape("oracle", "watch", *watch, "--once", extra_env=env))
    assert net.web3.eth.get_transaction_count(disputer) == nonce + 1
    events = _disputes(net, 2)
    assert len(events) == 1 and events[0]["args"]["disputer"] == disputer
    assert "0x" + events[0]["args"]["root"].hex() == wrong
    reason = "0x" + events[0]["args"]["reasonHash"].hex()
    report = json.loads((watch_store / "public" / reason[2:4] / reason[2:]).read_bytes())
    assert report["root"] == wrong and report["verdict"].startswith("MISMATCH round 2: ")

    status = ok(net.ape("oracle", "status"))
    assert "disputed" in status
    assert f"round 2: root {wrong[:10]}... disputed by {disputer}" in status
    assert "pending: the guardian rules by" in status
    token = net.token.functions
    before, supply = token.balanceOf(disputer).call(), token.totalSupply().call()
    ruled = ok(net.ape("oracle", "rule", "--round", "2", "--uphold",
                       "--account", str(GUARDIAN)))  # fmt: skip
    assert "dispute upheld" in ruled and "the round is pending" in ruled
    assert token.balanceOf(disputer).call() - before == DISPUTE_BOND + RESOLUTION_BOND // 2
    assert supply - token.totalSupply().call() == RESOLUTION_BOND // 2
    detail = httpx.get(f"{url}/api/v1/rounds/2", timeout=30).json()
    assert [(d["outcome"], d["paid"], d["burned"]) for d in detail["disputes"]] == [
        ("upheld", str(DISPUTE_BOND + RESOLUTION_BOND // 2), str(RESOLUTION_BOND // 2))
    ]
    page = httpx.get(f"{url}/rounds/2", timeout=30).text
    assert "<h2>Disputes</h2>" in page and ">upheld<" in page
    assert "the dispute's report, reproduced" in ruled
    # The keeper posts the honest root again; the watcher finds it OK and leaves it.
    kept = ok(net.ape("oracle", "run", "--once"))
    assert "round 2: posted root" in kept
    honest = "0x" + bytes(net.round_view(2)[4]).hex()
    assert honest != wrong
    checked = ok(net.ape("oracle", "watch", *watch, "--once", extra_env=env))
    assert f"OK round 2 root {honest}" in checked
    assert len(_disputes(net, 2)) == 1


def test_anUnruledDispute_cancelsTheRound_throughTheKeeper(
    net: Devnet, served: dict[str, Any]
) -> None:
    play(net, served["folder"], 3, misstate=True)
    env = stranger(net, served["folder"] / "disputer")
    out = ok(net.ape("oracle", "dispute", "--round", "3", "--service", served["service"].url,
                     "--account", str(DISPUTER), "--yes", extra_env=env))  # fmt: skip
    assert out.startswith("MISMATCH round 3: ") and "disputed round 3 in 0x" in out
    treasury_budget = int(net.round_view(3)[3])
    rule_by = int(net.tournament.functions.getRound(3).call()[12])
    net.travel_to(rule_by + 1)
    late = net.ape("oracle", "rule", "--round", "3", "--reject", "--account", str(GUARDIAN))
    assert "ruling period ended" in error_line(late)
    token = net.token.functions
    disputer = net.account(DISPUTER)
    before = token.balanceOf(disputer).call()
    kept = ok(net.ape("oracle", "run", "--once"))
    assert "round 3: the dispute expired unruled: the round is cancelled" in kept
    assert token.balanceOf(disputer).call() - before == DISPUTE_BOND
    assert int(net.round_view(3)[1]) == 3  # Cancelled
    assert treasury_budget > 0 and int(net.round_view(3)[3]) == 0
