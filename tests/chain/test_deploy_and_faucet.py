"""`ape run deploy`, `ape run faucet` and `ape run treasury` as a user runs them, against real
anvil nodes."""

from __future__ import annotations

import json
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from oracle import PROJECT_ROOT
from oracle.chain.devnet import rpc_call
from oracle.settings import DEPLOYMENTS_DIR, isolated_environment
from tests.helpers.harness import error_line, import_account

pytestmark = [pytest.mark.chain, pytest.mark.anvil]

ANVIL = PROJECT_ROOT / "node_modules" / ".bin" / "anvil"
APE = PROJECT_ROOT / ".venv" / "bin" / "ape"
PYTHON = PROJECT_ROOT / ".venv" / "bin" / "python"
#: anvil's first development key (public knowledge; funded only on development chains).
DEV_KEY = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"
UNFUNDED_KEY = "0x" + "11" * 32
PASSPHRASE = "a long passphrase for tests 1!"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    """An environment whose deployments, devnet state and ape accounts live in tmp_path."""
    return isolated_environment(tmp_path)


def run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(APE), "run", *args],
        cwd=PROJECT_ROOT, env=env, stdin=subprocess.DEVNULL,
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip


def local_args(port: int) -> list[str]:
    return [
        "--network",
        "ethereum:local:foundry",
        "--provider-settings",
        json.dumps({"host": f"http://127.0.0.1:{port}"}),
    ]


@pytest.fixture
def devnet_port(env: dict[str, str]) -> Iterator[int]:
    """A port for a devnet the scripts start themselves; stopped after the test."""
    port = free_port()
    yield port
    subprocess.run(
        [str(PYTHON), "-m", "oracle.cli.devnet", "stop", "--port", str(port)],
        env=env,
        check=False,
    )


@pytest.fixture
def remote_anvil() -> Iterator[str]:
    """A second anvil with another chain id, reached by RPC URI like any remote network."""
    port = free_port()
    proc = subprocess.Popen(
        [str(ANVIL), "--port", str(port), "--chain-id", "4242", "--silent"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                proc.wait(timeout=0.1) if proc.poll() is not None else None
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def record(env: dict[str, str], chain_id: int) -> dict[str, object]:
    return json.loads((Path(env[DEPLOYMENTS_DIR]) / f"{chain_id}.json").read_text())


def test_deploy_local_startsDevnetReusesAndSurvivesRestart(
    env: dict[str, str], devnet_port: int
) -> None:
    first = run(env, "deploy", *local_args(devnet_port))
    assert first.returncode == 0, first.stderr
    assert f"devnet started at http://127.0.0.1:{devnet_port}" in first.stdout
    data = record(env, 31337)
    token = data["contracts"]["TournamentToken"]["address"]  # type: ignore[index]
    assert data["chain_id"] == 31337
    assert data["deployer"] == "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"
    assert data["roles"]["treasury"] == "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"
    assert data["roles"]["oracle"] == "0x90F79bf6EB2c4f870365E785982E1f101E93b906"
    assert set(data["contracts"]) == {"TournamentToken", "Tournament"}  # type: ignore[arg-type]

    again = run(env, "deploy", *local_args(devnet_port))
    assert again.returncode == 0, again.stderr
    assert "reused" in again.stdout
    assert record(env, 31337) == data

    stop = subprocess.run(
        [str(PYTHON), "-m", "oracle.cli.devnet", "stop", "--port", str(devnet_port)],
        env=env,
        capture_output=True,
        text=True,
    )
    assert "devnet stopped" in stop.stdout
    after_restart = run(env, "deploy", *local_args(devnet_port))
    assert "devnet started" in after_restart.stdout
    assert "reused" in after_restart.stdout, after_restart.stdout + after_restart.stderr

    forced = run(env, "deploy", *local_args(devnet_port), "--force")
    assert forced.returncode == 0, forced.stderr
    assert "forced redeploy" in forced.stdout
    assert record(env, 31337)["contracts"]["TournamentToken"]["address"] != token  # type: ignore[index]


def test_faucet_local_sendsTokensAndRejectsBadInput(env: dict[str, str], devnet_port: int) -> None:
    missing = run(
        env, "faucet", "0x000000000000000000000000000000000000dEaD", "1", *local_args(devnet_port)
    )
    assert missing.returncode == 1
    assert "run `ape run deploy` first" in error_line(missing)

    assert run(env, "deploy", *local_args(devnet_port)).returncode == 0
    sent = run(
        env,
        "faucet",
        "0x000000000000000000000000000000000000dEaD",
        "12.5",
        *local_args(devnet_port),
    )
    assert sent.returncode == 0, sent.stderr
    assert "its balance is 12.5" in sent.stdout
    assert "sent 1 ether for gas too, as it held none" in sent.stdout
    url = f"http://127.0.0.1:{devnet_port}"
    dead = "0x000000000000000000000000000000000000dEaD"
    assert int(str(rpc_call(url, "eth_getBalance", [dead, "latest"])), 16) == 10**18
    again = run(env, "faucet", dead, "1", *local_args(devnet_port))
    assert "ether" not in again.stdout, "an address with ether gets tokens only"

    for args, needle in (
        (["0xdead", "1"], "is not an address"),
        (["0x000000000000000000000000000000000000dEaD", "lots"], "is not a token amount"),
        (["0x000000000000000000000000000000000000dEaD", "0"], "amount must be positive"),
        (["0x000000000000000000000000000000000000dEaD", "20000000"], "the treasury holds only"),
    ):
        bad = run(env, "faucet", *args, *local_args(devnet_port))
        assert bad.returncode == 1
        assert needle in error_line(bad)


def test_treasury_sendsAndFundsAfterAPlan_andRefusesWhatItCannotDo(
    env: dict[str, str], devnet_port: int
) -> None:
    network = local_args(devnet_port)
    assert run(env, "deploy", *network).returncode == 0
    dead = "0x000000000000000000000000000000000000dEaD"
    balance = run(env, "treasury", "balance", *network)
    # The devnet deployment deposited ten resolution bonds (5,000 tokens) into the pool.
    assert "10995000 tokens" in balance.stdout, balance.stdout + balance.stderr
    unconfirmed = run(env, "treasury", "send", dead, "12.5", *network)
    assert "pass --yes" in error_line(unconfirmed)
    sent = run(env, "treasury", "send", dead, "12.5", "--yes", *network)
    assert sent.returncode == 0, sent.stderr
    assert "transfer 12.5 tokens" in sent.stdout and "gas about" in sent.stdout
    assert "it holds 12.5" in sent.stdout
    too_much = run(env, "treasury", "send", dead, "20000000", "--yes", *network)
    assert "less than 20000000: send less" in error_line(too_much)
    assert "is not an address" in error_line(run(env, "treasury", "send", "0x1", "1", *network))
    opened = run(env, "oracle", "open-round", "--no-benchmarks", "--live-stocks", "20", *network)
    assert opened.returncode == 0, opened.stderr
    assert "staking open for" in opened.stdout
    funded = run(env, "treasury", "fund", "--round", "1", "5", "--yes", *network)
    assert funded.returncode == 0, funded.stderr
    assert "funded round 1: its budget is 1005 tokens" in funded.stdout
    bonded = run(env, "treasury", "bond", "500", "--yes", *network)
    assert bonded.returncode == 0, bonded.stderr
    assert "a post locks 500" in bonded.stdout
    assert "the oracle's bond pool holds 5500 tokens (11 post(s))" in bonded.stdout


def test_deploy_remote_needsAnUnlockedFundedAccount(env: dict[str, str], remote_anvil: str) -> None:
    remote = ["--network", remote_anvil]
    records = Path(env[DEPLOYMENTS_DIR])

    no_account = run(env, "deploy", *remote, "--yes")
    assert no_account.returncode == 1
    assert "pass --account ALIAS" in error_line(no_account)

    unknown = run(env, "deploy", *remote, "--account", "nobody", "--yes")
    assert unknown.returncode == 1
    assert "no account named 'nobody'" in error_line(unknown)

    import_account(env, "operator_key", PASSPHRASE, DEV_KEY)
    locked = run(env, "deploy", *remote, "--account", "operator_key", "--yes")
    assert locked.returncode == 1
    assert "is locked: set APE_ACCOUNTS_operator_key_PASSPHRASE" in error_line(locked)

    import_account(env, "empty_key", PASSPHRASE, UNFUNDED_KEY)
    poor = run(
        {**env, "APE_ACCOUNTS_empty_key_PASSPHRASE": PASSPHRASE},
        "deploy",
        *remote,
        "--account",
        "empty_key",
        "--yes",
    )
    assert poor.returncode == 1
    assert "has no ether on chain 4242" in error_line(poor)
    assert not records.exists() or not any(records.iterdir()), "no deployment file after a failure"

    unlocked = {**env, "APE_ACCOUNTS_operator_key_PASSPHRASE": PASSPHRASE}
    deployed = run(unlocked, "deploy", *remote, "--account", "operator_key", "--yes")
    assert deployed.returncode == 0, deployed.stderr
    data = record(env, 4242)
    assert data["chain_id"] == 4242
    assert data["roles"]["treasury"] == "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"

    again = run(unlocked, "deploy", *remote, "--account", "operator_key", "--yes")
    assert "reused" in again.stdout
    assert sorted(p.name for p in records.iterdir()) == ["4242.json"]

    faucet = run(unlocked, "faucet", "0x000000000000000000000000000000000000dEaD", "1", *remote)
    assert faucet.returncode == 1
    assert "works on local chains only" in error_line(faucet)


def test_deploy_unknownNetwork_failsWithoutWriting(env: dict[str, str]) -> None:
    result = run(env, "deploy", "--network", "ethereum:nowhere")
    assert result.returncode != 0
    assert "No network in 'ethereum' named 'nowhere'" in result.stderr
    assert not Path(env[DEPLOYMENTS_DIR]).exists()
