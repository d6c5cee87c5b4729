"""A whole round in real time on a chain that behaves like a public one (see
tests/helpers/public.py): Sepolia's chain id, a block a second, no time travel, keyfile accounts
only, and every command through a proxy that refuses log ranges over 1,000 blocks, answers one
request in five with 429 and adds latency. The deployment is made older than 1,000 blocks
first. The keeper is SIGKILLed right after broadcasting its resolution and restarted; it must
carry on without sending anything twice."""

from __future__ import annotations

import re
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from oracle.chain.devnet import free_port
from tests.helpers.harness import error_line, ok
from tests.helpers.public import PARTICIPANTS, PublicNet

pytestmark = [pytest.mark.chain, pytest.mark.anvil]

#: Windows of the round, in seconds of chain time (a block a second).
CLOSE_IN, REVEAL_WINDOW, CHALLENGE, SETTLE_AFTER = 90, 30, 20, 60


def wait_for(what: str, check: Any, timeout: float, every: float = 2.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(every)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


def round_view(url: str) -> dict[str, Any]:
    return dict(httpx.get(f"{url}/api/v1/rounds/1", timeout=30).json())


def stop(process: subprocess.Popen[str]) -> tuple[str, str]:
    process.terminate()
    try:
        return process.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        process.kill()
        return process.communicate()


@pytest.fixture(scope="module")
def played(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """The round, played from deployment to settlement; what each step printed."""
    net = PublicNet.start(tmp_path_factory.mktemp("public"))
    facts: dict[str, Any] = {"net": net}
    processes: list[subprocess.Popen[str]] = []
    try:
        ok(net.deploy())
        deployed_at = net.block_number()
        net.age(1500)
        facts["age"] = net.block_number() - deployed_at
        for name in PARTICIPANTS:
            ok(net.ape("treasury", "send", net.addresses[name], "50", "--account", "treasury",
                       "--yes"))  # fmt: skip
        facts["open"] = ok(net.ape(
            "oracle", "open-round", "--no-benchmarks", "--live-stocks", "300", "--budget", "100",
            "--close-in", f"{CLOSE_IN}s", "--reveal-window", f"{REVEAL_WINDOW}s",
            "--challenge", f"{CHALLENGE}s", "--resolve-window", "1h",
            "--account", "operator", "--treasury-account", "treasury",
        ))  # fmt: skip
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        facts["url"] = url
        service = net.popen("oracle", "serve", "--port", str(port))
        processes.append(service)
        wait_for("the service", lambda: _answers(url), 120, 0.5)
        keeper_args = ("oracle", "run", "--interval", "2", "--account", "oracle",
                       "--settle-after", f"{SETTLE_AFTER}s")  # fmt: skip
        # The first keeper dies (SIGKILL) right after it broadcasts its first transaction.
        first = net.popen(*keeper_args, TOURNAMENT_FAULT_INJECT="after-broadcast")
        processes.append(first)
        # The participants, each on their own machine, at the same time.
        facts["submitted"] = together(net, [
            ("wallet", "example-model", "--round", "1", "--stake", "10", "--account", name,
             "--service", url, "--yes")
            for name in PARTICIPANTS
        ])  # fmt: skip
        facts["status_before_close"] = ok(
            net.ape("wallet", "status", "--round", "1", "--account", "alice", "--service", url)
        )
        close = int(round_view(url)["close_time"])
        wait_for("close", lambda: net.now() > close, CLOSE_IN + 120)
        facts["revealed"] = together(net, [
            ("wallet", "reveal", "--round", "1", "--account", name, "--service", url, "--yes")
            for name in PARTICIPANTS
        ])  # fmt: skip
        first.wait(timeout=REVEAL_WINDOW + 240)
        processes.remove(first)
        facts["first_keeper"] = (first.returncode, *first.communicate())
        second = net.popen(*keeper_args)
        processes.append(second)
        wait_for(
            "finalization",
            lambda: round_view(url)["phase"] == "finalized",
            CHALLENGE + 240,
        )
        facts["claim"] = ok(net.ape("wallet", "claim", "--round", "1", "--account", "alice",
                                    "--service", url, "--yes"))  # fmt: skip
        wait_for("settlement", lambda: "settled" in ok(net.ape("oracle", "status")), 240, 3)
        facts["verify"] = ok(net.ape("oracle", "verify", "--round", "1"))
        facts["second_keeper"] = stop(second)
        processes.remove(second)
        yield facts
    finally:
        for process in processes:
            stop(process)
        net.stop()


def together(net: PublicNet, commands: list[tuple[str, ...]]) -> list[str]:
    """Run ``commands`` at once; the standard output of each, all of which must succeed."""
    started = [net.popen(*command) for command in commands]
    outputs = []
    for process in started:
        out, err = process.communicate(timeout=600)
        assert process.returncode == 0, f"exit {process.returncode}\n{out}\n{err}"
        outputs.append(out)
    return outputs


def _answers(url: str) -> bool:
    try:
        return httpx.get(f"{url}/api/v1", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def test_publicLikeRound_isPlayedToSettlementInRealTime(played: dict[str, Any]) -> None:
    assert played["age"] >= 1500
    assert "opened round 1 (classic, 300 ids)" in played["open"]
    for out in played["submitted"]:
        assert "submitted example to round 1: stake 10 tokens" in out
    for out in played["revealed"]:
        assert "example: accepted" in out
    assert "example: " in played["claim"] and "tokens paid" in played["claim"]
    assert "OK round 1 root 0x" in played["verify"]


def test_proxy_limitedLogRangesAndRateLimited_andNothingFailed(played: dict[str, Any]) -> None:
    proxy = played["net"].proxy
    assert proxy.refused["429"] > 50, proxy.refused
    assert proxy.refused["range"] >= 1, proxy.refused
    assert proxy.counts["eth_getLogs"] > 0


def test_keeper_killedAfterBroadcast_carriesOnAndSendsNothingTwice(
    played: dict[str, Any],
) -> None:
    code, out, _err = played["first_keeper"]
    assert code == -9, out
    net: PublicNet = played["net"]
    log, err = played["second_keeper"]
    assert "Traceback" not in err
    assert "stopped" in log, log
    actions = [line for line in log.splitlines() if "round 1:" in line]
    assert any("finalized" in line for line in actions), log
    for line in actions:
        assert re.match(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ (INFO|WARNING) ", line), line
    # Exactly one resolution was posted: the restarted keeper waited for the broadcast one.
    posted = _events(net, "ResolutionPosted")
    assert len(posted) == 1
    nonce = int(net.node_rpc("eth_getTransactionCount", net.addresses["oracle"], "latest"), 16)
    journal = list((net.folder / "store" / "refs").rglob("*.json"))
    sent = [p for p in journal if p.parent.name == "1" and not p.stem.endswith("-stale")]
    # post, finalize and the settle batches: one transaction per journal record.
    assert nonce == len([p for p in sent if p.stem.startswith(("post-", "finalize", "settle"))])


def _events(net: PublicNet, name: str) -> list[Any]:
    import json

    from oracle.chain.events import event_topic

    record = json.loads((net.folder / "deployments" / "11155111.json").read_text())
    address = record["contracts"]["Tournament"]["address"]
    return list(
        net.node_rpc(
            "eth_getLogs",
            {"address": address, "fromBlock": "0x0", "topics": ["0x" + event_topic(name).hex()]},
        )
    )


def test_nodeDown_givesOneLineInTheCli_and503InTheService(
    played: dict[str, Any], tmp_path: Path
) -> None:
    net: PublicNet = played["net"]
    net.proxy.faults.down = True
    try:
        fast = {"TOURNAMENT_RPC_ATTEMPTS": "2"}
        line = error_line(net.ape("oracle", "status", **fast))
        assert "is failing (HTTP 503 after retries)" in line, line
        line = error_line(net.ape("wallet", "balance", "--account", "bob", **fast))
        assert "is failing (HTTP 503 after retries)" in line, line
        # The running service answers 503 with the reason once its short caches run out.
        time.sleep(3)
        reply = httpx.get(f"{played['url']}/api/v1/rounds/1", timeout=120)
        assert reply.status_code == 503, reply.text
        assert "is failing (HTTP 503 after retries)" in reply.json()["error"]
        assert reply.headers.get("retry-after") == "5"
        service = net.popen("oracle", "serve", "--port", str(port := free_port()))
        try:
            # The service cannot start against a node that is down: one line, no traceback.
            _, err = service.communicate(timeout=300)
            assert service.returncode != 0
            assert "Traceback" not in err, err
        finally:
            if service.poll() is None:
                service.kill()
        del port
    finally:
        net.proxy.faults.down = False
