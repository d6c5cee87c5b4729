"""Every environment variable the project reads, in one place, with its default.

Each folder the tools keep state in can be moved with a variable, so tests, benchmarks and a
second tournament on the same machine each get their own (:func:`isolated_environment`).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from oracle import PROJECT_ROOT

#: The operator's artefact store (``--store`` overrides it).
STORE_DIR = "TOURNAMENT_STORE"
#: The deployment records, one ``<chain id>.json`` per chain.
DEPLOYMENTS_DIR = "TOURNAMENT_DEPLOYMENTS_DIR"
#: The local devnet's chain state, pid and log.
DEVNET_DIR = "TOURNAMENT_DEVNET_DIR"
#: The demo participants' wallets.
DEMO_DIR = "TOURNAMENT_DEMO_DIR"
#: A participant's saved salts and files (``--wallet-dir`` overrides it).
WALLET_DIR = "TOURNAMENT_WALLET_DIR"
#: The oracle service a wallet talks to (``--service`` overrides it).
SERVICE_URL = "TOURNAMENT_SERVICE"
#: The service's worker settings, set by ``ape run oracle serve`` for its workers.
SERVICE_CONFIG = "TOURNAMENT_SERVICE_CONFIG"
#: Names a crash point to kill the process at (crash tests only; see :mod:`oracle.faults`).
FAULT_INJECT = "TOURNAMENT_FAULT_INJECT"
#: ape's own data folder (accounts, caches).
APE_DATA_FOLDER = "APE_DATA_FOLDER"

#: Tries per request to a node, and seconds each may take (see :mod:`oracle.chain.rpc`).
RPC_ATTEMPTS = "TOURNAMENT_RPC_ATTEMPTS"
RPC_TIMEOUT = "TOURNAMENT_RPC_TIMEOUT"
#: The widest block range one ``eth_getLogs`` asks for (see :mod:`oracle.chain.logs`).
LOG_RANGE = "TOURNAMENT_LOG_RANGE"
#: The highest total fee per gas the oracle pays, in gwei, and the seconds a transaction may
#: wait unmined before it is replaced with higher fees (see :mod:`oracle.resolver.transactions`).
MAX_FEE_GWEI = "TOURNAMENT_MAX_FEE_GWEI"
STUCK_SECONDS = "TOURNAMENT_STUCK_SECONDS"
#: How many blocks deep an event must be before anything acts on it (``--confirmations``).
CONFIRMATIONS = "TOURNAMENT_CONFIRMATIONS"

DEFAULT_SERVICE_URL = "http://127.0.0.1:8000"
DEFAULT_RPC_ATTEMPTS = 8
DEFAULT_RPC_TIMEOUT = 30.0
DEFAULT_LOG_RANGE = 2000
DEFAULT_MAX_FEE_GWEI = 500
DEFAULT_STUCK_SECONDS = 180.0
#: Confirmations on a chain that is not a development chain (development chains: 0).
DEFAULT_CONFIRMATIONS = 3


def passphrase_variable(alias: str) -> str:
    """The variable ape reads a keyfile account's passphrase from."""
    return f"APE_ACCOUNTS_{alias}_PASSPHRASE"


def _folder(variable: str, default: Path) -> Path:
    return Path(os.environ.get(variable, default))


def store_dir() -> Path:
    """``$TOURNAMENT_STORE`` or ``.store/`` in the project."""
    return _folder(STORE_DIR, PROJECT_ROOT / ".store")


def deployments_dir() -> Path:
    """``$TOURNAMENT_DEPLOYMENTS_DIR`` or ``deployments/`` in the project."""
    return _folder(DEPLOYMENTS_DIR, PROJECT_ROOT / "deployments")


def devnet_dir() -> Path:
    """``$TOURNAMENT_DEVNET_DIR`` or ``.devnet/`` in the project."""
    return _folder(DEVNET_DIR, PROJECT_ROOT / ".devnet")


def demo_dir() -> Path:
    """``$TOURNAMENT_DEMO_DIR`` or ``.demo/`` in the project."""
    return _folder(DEMO_DIR, PROJECT_ROOT / ".demo")


def wallet_dir() -> Path:
    """``$TOURNAMENT_WALLET_DIR`` or ``~/.tournament``."""
    return _folder(WALLET_DIR, Path.home() / ".tournament")


def service_url() -> str:
    """``$TOURNAMENT_SERVICE`` or the local service."""
    return os.environ.get(SERVICE_URL, DEFAULT_SERVICE_URL)


def fault() -> str | None:
    """The crash point named by ``$TOURNAMENT_FAULT_INJECT``, if any."""
    return os.environ.get(FAULT_INJECT)


def _number(variable: str, default: float, kind: type[int] | type[float], least: float) -> float:
    text = os.environ.get(variable)
    if text is None or not text.strip():
        return default
    try:
        value = kind(text)
    except ValueError:
        from oracle.errors import TournamentError

        raise TournamentError(f"{variable}={text!r} is not a number: unset it or fix it") from None
    if value < least:
        from oracle.errors import TournamentError

        raise TournamentError(f"{variable}={text!r} is below {least:g}: unset it or raise it")
    return value


def rpc_attempts() -> int:
    """``$TOURNAMENT_RPC_ATTEMPTS``: tries per request to a node (default 8)."""
    return int(_number(RPC_ATTEMPTS, DEFAULT_RPC_ATTEMPTS, int, 1))


def rpc_timeout() -> float:
    """``$TOURNAMENT_RPC_TIMEOUT``: seconds one request to a node may take (default 30)."""
    return float(_number(RPC_TIMEOUT, DEFAULT_RPC_TIMEOUT, float, 0.1))


def log_range() -> int:
    """``$TOURNAMENT_LOG_RANGE``: the widest ``eth_getLogs`` block range (default 2,000)."""
    return int(_number(LOG_RANGE, DEFAULT_LOG_RANGE, int, 1))


def max_fee_gwei() -> int:
    """``$TOURNAMENT_MAX_FEE_GWEI``: the highest fee per gas the oracle pays (default 500)."""
    return int(_number(MAX_FEE_GWEI, DEFAULT_MAX_FEE_GWEI, int, 1))


def stuck_seconds() -> float:
    """``$TOURNAMENT_STUCK_SECONDS``: how long a transaction waits unmined before it is
    replaced with higher fees (default 180)."""
    return float(_number(STUCK_SECONDS, DEFAULT_STUCK_SECONDS, float, 1))


def confirmations(local: bool) -> int:
    """``$TOURNAMENT_CONFIRMATIONS``, else 0 on a development chain and 3 elsewhere."""
    return int(_number(CONFIRMATIONS, 0 if local else DEFAULT_CONFIRMATIONS, int, 0))


def isolated_environment(
    folder: Path, *, ape_data: bool = True, base: Mapping[str, str] | None = None
) -> dict[str, str]:
    """This process's environment with every state folder under ``folder`` (deployments, store,
    devnet, demo wallets and, with ``ape_data``, ape's accounts) and the project's node tools
    first on PATH: what tests and benchmarks give the commands they start."""
    env = dict(os.environ if base is None else base)
    env.update(
        {
            DEPLOYMENTS_DIR: str(folder / "deployments"),
            STORE_DIR: str(folder / "store"),
            DEVNET_DIR: str(folder / "devnet"),
            DEMO_DIR: str(folder / "demo"),
            "PATH": f"{PROJECT_ROOT / 'node_modules' / '.bin'}:{env.get('PATH', '')}",
        }
    )
    if ape_data:
        env[APE_DATA_FOLDER] = str(folder / "ape")
    return env
