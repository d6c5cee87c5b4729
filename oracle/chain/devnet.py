"""The persistent local devnet: one anvil in the background whose state survives restarts.

``python -m oracle.cli.devnet start|stop|status`` (``make devnet`` / ``make devnet-stop``).
The node listens on ``127.0.0.1:8545`` (the ``foundry.host`` of ape-config.yaml), uses anvil's
default mnemonic and chain id 31337, and keeps its whole state in ``.devnet/state.json``: anvil
writes it every few seconds and on a clean stop, and loads it on the next start.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import click

from oracle import PROJECT_ROOT, settings
from oracle.errors import DevnetError

DEVNET_HOST = "127.0.0.1"
DEVNET_PORT = 8545
DEVNET_CHAIN_ID = 31337
#: anvil's (and ape's test provider's) well-known development mnemonic.
DEVNET_MNEMONIC = "test test test test test test test test test test test junk"
#: Seconds between anvil's state dumps, so even a killed node loses at most this much. Each
#: dump writes the whole history (blocks, receipts, traces) and grows with the chain: on a
#: 2,500-block devnet, dumping every 2 s instead of every 30 s cost a quarter of the
#: participants' transaction rate (3.3 against 4.3 stakes per second, `make bench-e2e`).
STATE_INTERVAL_SECONDS = 10
START_TIMEOUT_SECONDS = 30.0


@dataclass(frozen=True)
class Devnet:
    """Where a devnet lives: its address and the folder holding its state, pid and log."""

    host: str = DEVNET_HOST
    port: int = DEVNET_PORT
    #: Where the devnet keeps state, pid and log ($TOURNAMENT_DEVNET_DIR or .devnet/).
    folder: Path = field(default_factory=settings.devnet_dir)
    chain_id: int = DEVNET_CHAIN_ID

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def state_file(self) -> Path:
        return self.folder / "state.json"

    @property
    def pid_file(self) -> Path:
        return self.folder / "anvil.pid"

    @property
    def log_file(self) -> Path:
        return self.folder / "anvil.log"


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now (the kernel's pick)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def port_is_free(port: int) -> bool:
    """True if ``port`` on 127.0.0.1 can be bound now."""
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def is_listening(host: str, port: int, timeout: float = 0.5) -> bool:
    """True if something accepts TCP connections at host:port."""
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def rpc_call(url: str, method: str, params: list[object] | None = None) -> object:
    """One JSON-RPC call; raises DevnetError when the node does not answer properly."""
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": params or []})
    request = urllib.request.Request(
        url, data=body.encode(), headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            reply = json.loads(response.read())
    except (OSError, ValueError) as err:
        raise DevnetError(f"no JSON-RPC node answers at {url} ({err})") from err
    if "error" in reply:
        raise DevnetError(f"{method} failed at {url}: {reply['error']}")
    return reply.get("result")


def chain_id_at(url: str) -> int:
    """The chain id reported by the node at ``url``."""
    result = rpc_call(url, "eth_chainId")
    if not isinstance(result, str):
        raise DevnetError(f"eth_chainId at {url} returned {result!r}, not a hex number")
    return int(result, 16)


def anvil_executable() -> str:
    """The anvil shipped in node_modules (npm @foundry-rs/anvil-linux-amd64), else one on PATH."""
    local = PROJECT_ROOT / "node_modules" / ".bin" / "anvil"
    if local.exists():
        return str(local)
    found = shutil.which("anvil")
    if found is None:
        raise DevnetError("anvil not found: run `make setup` to install it from npm")
    return found


def _read_pid(devnet: Devnet) -> int | None:
    try:
        pid = int(devnet.pid_file.read_text().strip())
    except (OSError, ValueError):
        return None
    try:
        os.kill(pid, 0)
    except OSError:
        return None
    return pid


def start(devnet: Devnet, quiet: bool = False) -> bool:
    """Start the devnet in the background unless it already runs. Returns True if it started.

    Raises DevnetError if the port is taken by something that is not the devnet's chain, or
    anvil does not come up within ``START_TIMEOUT_SECONDS``.
    """
    if is_listening(devnet.host, devnet.port):
        found = chain_id_at(devnet.url)
        if found != devnet.chain_id:
            raise DevnetError(
                f"port {devnet.port} is taken by a node with chain id {found}, not the devnet's "
                f"{devnet.chain_id}: stop that node or free the port"
            )
        return False
    devnet.folder.mkdir(parents=True, exist_ok=True)
    command = [
        anvil_executable(),
        "--host", devnet.host,
        "--port", str(devnet.port),
        "--chain-id", str(devnet.chain_id),
        "--mnemonic", DEVNET_MNEMONIC,
        "--state", str(devnet.state_file),
        "--state-interval", str(STATE_INTERVAL_SECONDS),
    ]  # fmt: skip
    with open(devnet.log_file, "ab") as log:
        process = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # outlives the command that started it
        )
    devnet.pid_file.write_text(f"{process.pid}\n")
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise DevnetError(
                f"anvil exited with status {process.returncode}: see {devnet.log_file}"
            )
        if is_listening(devnet.host, devnet.port):
            if not quiet:
                click.echo(f"devnet started at {devnet.url} (state in {devnet.state_file})")
            return True
        time.sleep(0.1)
    process.terminate()
    raise DevnetError(f"anvil did not listen on {devnet.url} within {START_TIMEOUT_SECONDS:.0f}s")


def stop(devnet: Devnet) -> bool:
    """Stop the devnet started by :func:`start`, letting anvil write its state. True if stopped."""
    pid = _read_pid(devnet)
    if pid is None:
        devnet.pid_file.unlink(missing_ok=True)
        if is_listening(devnet.host, devnet.port):
            raise DevnetError(
                f"a node listens on {devnet.url} but was not started by `make devnet`: "
                "stop it yourself"
            )
        return False
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except OSError:
            break
        time.sleep(0.1)
    else:
        os.kill(pid, signal.SIGKILL)
    devnet.pid_file.unlink(missing_ok=True)
    return True


def ensure_devnet(provider: Any) -> None:
    """Start the persistent devnet first when ``provider`` (not yet connected) points at it."""
    devnet = devnet_for(provider) if provider is not None else None
    if devnet is not None:
        start(devnet)


def devnet_for(provider: Any) -> Devnet | None:
    """The devnet a local foundry provider points at (loopback host), else None."""
    if getattr(provider, "name", None) != "foundry":
        return None
    if getattr(getattr(provider, "network", None), "name", None) != "local":
        return None
    url = urlparse(str(getattr(provider, "uri", "")))
    if url.hostname not in {"127.0.0.1", "localhost"} or url.port is None:
        return None
    return Devnet(port=url.port)
