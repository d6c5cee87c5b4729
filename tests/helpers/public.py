"""A chain that behaves like a public testnet, for flows run in real time: anvil with Sepolia's
chain id and a block every second (no instant mining, and no time travel in these tests),
reached only through a :class:`~tests.helpers.rpcproxy.Proxy` that limits log ranges,
rate-limits and adds latency, with every role and participant a passphrase-locked keyfile
account (no development accounts: on this chain id the project does not offer them)."""

from __future__ import annotations

import json
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from oracle import PROJECT_ROOT
from oracle.chain.devnet import DEVNET_MNEMONIC, anvil_executable, free_port, is_listening
from oracle.settings import isolated_environment, passphrase_variable
from tests.helpers.harness import APE, PYTHON
from tests.helpers.rpcproxy import Faults, Proxy

SEPOLIA = 11155111
ROLES = ("deployer", "treasury", "operator", "oracle", "guardian")
PARTICIPANTS = ("alice", "bob", "carol")
PASSPHRASE = "a passphrase only this test knows"


def development_key(index: int) -> str:
    """The private key of account ``index`` of anvil's mnemonic (anvil funds the first ten)."""
    from eth_account import Account

    Account.enable_unaudited_hdwallet_features()
    account = Account.from_mnemonic(DEVNET_MNEMONIC, account_path=f"m/44'/60'/0'/0/{index}")
    return "0x" + bytes(account.key).hex()


@dataclass
class PublicNet:
    """anvil on ``node_port`` behind ``proxy``; keyfile accounts in ``folder``'s ape data."""

    folder: Path
    node: subprocess.Popen[bytes]
    node_port: int
    proxy: Proxy
    env: dict[str, str]
    addresses: dict[str, str] = field(default_factory=dict)

    @classmethod
    def start(cls, folder: Path, *, block_time: int = 1, faults: Faults | None = None) -> PublicNet:
        port = free_port()
        node = subprocess.Popen(
            [
                anvil_executable(),
                "--port",
                str(port),
                "--chain-id",
                str(SEPOLIA),
                "--block-time",
                str(block_time),
                "--mnemonic",
                DEVNET_MNEMONIC,
                "--silent",
            ],
            stdin=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 30
        while not is_listening("127.0.0.1", port):
            if time.monotonic() > deadline or node.poll() is not None:
                node.kill()
                raise AssertionError("anvil did not start")
            time.sleep(0.1)
        proxy = Proxy(f"http://127.0.0.1:{port}", faults or Faults()).start()
        env = isolated_environment(folder)
        names = (*ROLES, *PARTICIPANTS)
        for name in names:
            env[passphrase_variable(name)] = PASSPHRASE
        net = cls(folder, node, port, proxy, env)
        net._import_accounts(names)
        return net

    def _import_accounts(self, names: tuple[str, ...]) -> None:
        from eth_account import Account

        keys = {name: development_key(i) for i, name in enumerate(names)}
        self.addresses = {name: str(Account.from_key(k).address) for name, k in keys.items()}
        code = (
            "import json, sys\n"
            "from ape_accounts import import_account_from_private_key as i\n"
            "for alias, key in json.loads(sys.argv[1]).items():\n"
            "    i(alias, sys.argv[2], key)\n"
        )
        subprocess.run(
            [str(PYTHON), "-W", "ignore", "-c", code, json.dumps(keys), PASSPHRASE],
            env=self.env,
            check=True,
            cwd=PROJECT_ROOT,
            capture_output=True,
        )

    def stop(self) -> None:
        self.proxy.stop()
        self.node.terminate()
        try:
            self.node.wait(10)
        except subprocess.TimeoutExpired:
            self.node.kill()

    # ------------------------------------------------------------------ commands

    def argv(self, *args: str) -> list[str]:
        """``ape run <args> --network <the proxy>``, as an operator on a testnet types it."""
        return [str(APE), "run", *args, "--network", self.proxy.url]

    def ape(self, *args: str, timeout: float = 600, **env: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            self.argv(*args),
            cwd=PROJECT_ROOT,
            env={**self.env, **env},
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    def popen(self, *args: str, **env: str) -> subprocess.Popen[str]:
        return subprocess.Popen(
            self.argv(*args),
            cwd=PROJECT_ROOT,
            env={**self.env, **env},
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    # ------------------------------------------------------------------ the node itself

    def node_rpc(self, method: str, *params: Any) -> Any:
        """A request straight to anvil (test set-up only: ageing the chain, reorgs)."""
        import requests

        reply = requests.post(
            f"http://127.0.0.1:{self.node_port}",
            json={"jsonrpc": "2.0", "id": 1, "method": method, "params": list(params)},
            timeout=60,
        ).json()
        assert "error" not in reply, reply
        return reply["result"]

    def block_number(self) -> int:
        return int(self.node_rpc("eth_blockNumber"), 16)

    def now(self) -> int:
        return int(self.node_rpc("eth_getBlockByNumber", "latest", False)["timestamp"], 16)

    def age(self, blocks: int) -> None:
        """Make the chain ``blocks`` blocks older at once, without moving its clock on: what a
        deployment months old looks like to a log reader."""
        self.node_rpc("anvil_mine", hex(blocks), hex(0))

    def deploy(self) -> subprocess.CompletedProcess[str]:
        """Deploy as on a public network, then the treasury deposits the oracle's bond pool
        (as the deploy command tells an operator to); the first failure's result, else the
        deposit's."""
        deployed = self._deploy()
        if deployed.returncode != 0:
            return deployed
        return self.ape("treasury", "bond", "5000", "--account", "treasury", "--yes")

    def _deploy(self) -> subprocess.CompletedProcess[str]:
        a = self.addresses
        return self.ape(
            "deploy",
            "--account",
            "deployer",
            "--treasury",
            a["treasury"],
            "--operator",
            a["operator"],
            "--oracle",
            a["oracle"],
            "--guardian",
            a["guardian"],
            "--yes",
        )
