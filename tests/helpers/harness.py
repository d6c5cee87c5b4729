"""A real anvil devnet with the tournament deployed, driven the way users drive it: the
operator through `ape run oracle ...` in subprocesses, participants by signing their own
transactions with web3 (anvil's development accounts are unlocked)."""

from __future__ import annotations

import io
import json
import secrets
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from oracle import PROJECT_ROOT
from oracle.chain.abi import abi_of
from oracle.chain.devnet import free_port
from oracle.protocol.commitments import commitment, model_id_of
from oracle.settings import isolated_environment
from oracle.store import LocalStore

APE = PROJECT_ROOT / ".venv" / "bin" / "ape"
PYTHON = PROJECT_ROOT / ".venv" / "bin" / "python"
ONE = 10**18
#: anvil's development accounts by role (see README).
TREASURY, OPERATOR, ORACLE, GUARDIAN = 1, 2, 3, 4


def ok(result: subprocess.CompletedProcess[str]) -> str:
    """The standard output of a command that must have succeeded."""
    assert result.returncode == 0, f"exit {result.returncode}\n{result.stdout}\n{result.stderr}"
    return result.stdout


def error_line(result: subprocess.CompletedProcess[str]) -> str:
    """The one ``Error: ...`` line of a command that must have failed cleanly."""
    assert result.returncode != 0, result.stdout
    assert "Traceback" not in result.stderr, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.startswith("Error")]
    assert len(lines) == 1, result.stderr
    return lines[0]


def fixed_secret(folder: Path, fill: int = 7) -> str:
    """A round secret file for a test whose assertions depend on the round's draw (the signs
    of scores): the same data on every run."""
    path = folder / f"secret-{fill}.hex"
    path.write_text(bytes([fill]).hex() * 32)
    return str(path)


def import_account(env: dict[str, str], alias: str, passphrase: str, key: str) -> None:
    """Import ``key`` as ape keyfile account ``alias`` (in ``env``'s APE_DATA_FOLDER)."""
    code = (
        "import sys; from ape_accounts import import_account_from_private_key as i; "
        "i(sys.argv[1], sys.argv[2], sys.argv[3])"
    )
    subprocess.run(
        [str(PYTHON), "-W", "ignore", "-c", code, alias, passphrase, key],
        env=env,
        check=True,
        cwd=PROJECT_ROOT,
    )


@dataclass
class Devnet:
    """A deployed devnet in ``folder`` on ``port``; stopped by :meth:`stop`."""

    folder: Path
    port: int
    env: dict[str, str] = field(default_factory=dict)

    @classmethod
    def start(cls, folder: Path) -> Devnet:
        port = free_port()
        env = isolated_environment(folder)
        net = cls(folder, port, env)
        result = net.ape("deploy")
        assert result.returncode == 0, result.stderr
        return net

    def stop(self) -> None:
        subprocess.run(
            [str(PYTHON), "-m", "oracle.cli.devnet", "stop", "--port", str(self.port)],
            env=self.env,
            check=False,
            capture_output=True,
        )

    @property
    def network_args(self) -> list[str]:
        return [
            "--network",
            "ethereum:local:foundry",
            "--provider-settings",
            json.dumps({"host": f"http://127.0.0.1:{self.port}"}),
        ]

    def ape(self, *args: str, extra_env: dict[str, str] | None = None) -> Any:
        """``ape run <args> --network <this devnet>``, as a user would type it."""
        script, *rest = args
        if script == "oracle":
            command, *rest = rest
            argv = [str(APE), "run", "oracle", command, *rest, *self.network_args]
        else:
            argv = [str(APE), "run", script, *rest, *self.network_args]
        return subprocess.run(
            argv,
            cwd=PROJECT_ROOT,
            env={**self.env, **(extra_env or {})},
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=600,
        )

    def popen(self, *args: str, extra_env: dict[str, str] | None = None) -> subprocess.Popen[str]:
        script, command, *rest = args
        return subprocess.Popen(
            [str(APE), "run", script, command, *rest, *self.network_args],
            cwd=PROJECT_ROOT,
            env={**self.env, **(extra_env or {})},
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    @property
    def store(self) -> LocalStore:
        return LocalStore(self.folder / "store")

    # ------------------------------------------------------------------ chain access

    @property
    def web3(self) -> Any:
        from web3 import HTTPProvider, Web3

        return Web3(HTTPProvider(f"http://127.0.0.1:{self.port}"))

    def deployment(self) -> dict[str, Any]:
        record = self.folder / "deployments" / "31337.json"
        return dict(json.loads(record.read_text()))

    def contract(self, name: str) -> Any:
        address = self.deployment()["contracts"][name]["address"]
        return self.web3.eth.contract(address=address, abi=abi_of(name))

    @property
    def tournament(self) -> Any:
        return self.contract("Tournament")

    @property
    def token(self) -> Any:
        return self.contract("TournamentToken")

    def account(self, index: int) -> str:
        return str(self.web3.eth.accounts[index])

    def participant(self, number: int) -> str:
        """An account beyond anvil's ten, with 100 ETH for gas; anvil sends its transactions
        unsigned (auto-impersonation), as it does for its own development accounts."""
        from eth_account import Account
        from eth_utils import keccak

        address = str(Account.from_key(keccak(b"participant-%d" % number)).address)
        self.rpc("anvil_autoImpersonateAccount", True)
        self.rpc("anvil_setBalance", address, hex(100 * ONE))
        return address

    def send(self, call: Any, sender: str) -> Any:
        tx_hash = call.transact({"from": sender})
        receipt = self.web3.eth.wait_for_transaction_receipt(tx_hash)
        assert receipt["status"] == 1, f"transaction reverted: {receipt}"
        return receipt

    def rpc(self, method: str, *params: Any) -> Any:
        return self.web3.provider.make_request(method, list(params))

    def now(self) -> int:
        return int(self.web3.eth.get_block("latest")["timestamp"])

    def travel_to(self, timestamp: int) -> None:
        """Mine a block at ``timestamp`` (anvil's time travel)."""
        self.rpc("evm_mine", timestamp)

    def round_view(self, round_id: int) -> Any:
        return self.tournament.functions.getRound(round_id).call()

    def manifest(self, round_id: int) -> dict[str, Any]:
        view = self.round_view(round_id)
        return dict(json.loads(self.store.get(bytes(view[0][6]))))

    def live_data(self, round_id: int) -> pd.DataFrame:
        manifest = self.manifest(round_id)
        return pd.read_parquet(io.BytesIO(self.store.get(manifest["live_data"])))

    def training_data(self, round_id: int) -> pd.DataFrame:
        manifest = self.manifest(round_id)
        return pd.read_parquet(io.BytesIO(self.store.get(manifest["training_data"])))

    def fund(self, who: str, tokens: int) -> None:
        treasury = self.account(TREASURY)
        self.send(self.token.functions.transfer(who, tokens * ONE), treasury)
        self.send(self.token.functions.approve(self.tournament.address, 2**256 - 1), who)


@dataclass
class Submission:
    """A participant's staked model: the file, the salt and what was committed."""

    round_id: int
    account: str
    model: str
    data: bytes
    salt: bytes
    stake: int

    @property
    def model_id(self) -> bytes:
        return model_id_of(self.model)

    def reveal_file(
        self, folder: Path, data: bytes | None = None, salt: bytes | None = None
    ) -> Path:
        """Write a reveal record (and its predictions file) as the intake command reads it."""
        folder.mkdir(parents=True, exist_ok=True)
        stem = f"r{self.round_id}-{self.account[:8]}-{self.model}-{secrets.token_hex(3)}"
        (folder / f"{stem}.csv").write_bytes(self.data if data is None else data)
        record = {
            "round": self.round_id,
            "account": self.account,
            "model_id": "0x" + self.model_id.hex(),
            "salt": "0x" + (self.salt if salt is None else salt).hex(),
            "predictions": f"{stem}.csv",
        }
        path = folder / f"{stem}.json"
        path.write_text(json.dumps(record))
        return path


def _stake_call(
    tournament: Any, round_id: int, account: str, model: str, data: bytes, tokens: int
) -> tuple[Submission, Any]:
    """A fresh salt's commitment to ``data``, and the call staking ``tokens`` on ``model``."""
    from eth_utils import keccak

    salt = secrets.token_bytes(32)
    sub = Submission(round_id, account, model, data, salt, tokens * ONE)
    commit = commitment(
        31337, tournament.address, round_id, account, sub.model_id, keccak(data), salt
    )
    return sub, tournament.functions.stake(round_id, sub.model_id, sub.stake, commit)


def stake(
    net: Devnet, round_id: int, account: str, model: str, data: bytes, tokens: int
) -> Submission:
    """Commit to ``data`` with a fresh salt and stake ``tokens`` on ``model``."""
    sub, call = _stake_call(net.tournament, round_id, account, model, data, tokens)
    net.send(call, account)
    return sub


def stake_many(
    net: Devnet, round_id: int, positions: list[tuple[str, str, bytes, int]]
) -> list[Submission]:
    """Stake every (account, model, data, tokens) with fresh salts, sending the transactions
    back to back and waiting for the last one only (anvil mines each as it arrives)."""
    subs, last = [], None
    tournament = net.tournament
    for account, model, data, tokens in positions:
        sub, call = _stake_call(tournament, round_id, account, model, data, tokens)
        last = call.transact({"from": account, "gas": 250_000})
        subs.append(sub)
    if last is not None:
        receipt = net.web3.eth.wait_for_transaction_receipt(last)
        assert receipt["status"] == 1, receipt
    return subs


def predictions_csv(ids: pd.Index | list[str], values: np.ndarray) -> bytes:
    frame = pd.DataFrame({"id": list(ids), "prediction": values})
    return frame.to_csv(index=False).encode()


def linear_model(training: pd.DataFrame, live: pd.DataFrame) -> np.ndarray:
    """Least squares on the training features, ranked into (0, 1]."""
    features = [c for c in training.columns if c.startswith("feature")]
    x = np.column_stack([np.ones(len(training)), training[features].to_numpy(np.float64)])
    weights = np.linalg.lstsq(x, training["target"].to_numpy(np.float64), rcond=None)[0]
    raw = np.column_stack([np.ones(len(live)), live[features].to_numpy(np.float64)]) @ weights
    return pd.Series(raw).rank(pct=True).to_numpy()


@dataclass
class Service:
    """`ape run oracle serve` on a free port of a devnet, as an operator runs it."""

    process: subprocess.Popen[str]
    url: str

    @classmethod
    def start(cls, net: Devnet, *args: str) -> Service:
        import time

        import httpx

        port = free_port()
        process = net.popen("oracle", "serve", "--port", str(port), *args)
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise AssertionError(f"the service exited: {process.communicate()[1]}")
            try:
                httpx.get(f"{url}/api/v1", timeout=2).raise_for_status()
                return cls(process, url)
            except httpx.HTTPError:
                time.sleep(0.3)
        process.kill()
        raise AssertionError("the service did not answer within 120 s")

    def stop(self) -> str:
        """Stop it; returns what it logged."""
        self.process.terminate()
        try:
            _, err = self.process.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            _, err = self.process.communicate()
        return err

    def reveal(
        self,
        sub: Submission,
        data: bytes | None = None,
        salt: bytes | None = None,
        filename: str = "predictions.csv",
        client: Any = None,
    ) -> Any:
        """Upload ``sub``'s reveal (or a changed file or salt) the way the wallet does."""
        import httpx

        post = (client or httpx).post
        return post(
            f"{self.url}/api/v1/rounds/{sub.round_id}/reveals",
            data={
                "salt": "0x" + (sub.salt if salt is None else salt).hex(),
                "account": sub.account,
                "model": sub.model,
            },
            files={"file": (filename, sub.data if data is None else data)},
            timeout=60,
        )
