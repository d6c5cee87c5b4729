"""What the benchmarks that drive anvil share: a free port, timestamped progress lines, the
compiled ABIs, and writing a result with the machine it was measured on."""

from __future__ import annotations

import json
import os
import platform
import socket
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def isolated_env(folder: Path, url: str) -> tuple[dict[str, str], list[str]]:
    """The environment (its own deployment records and store under ``folder``, this process's
    too) and the ``--network`` arguments that point `ape run` commands at the anvil at ``url``."""
    from oracle import PROJECT_ROOT

    env = {
        **os.environ,
        "TOURNAMENT_DEPLOYMENTS_DIR": str(folder / "deployments"),
        "TOURNAMENT_STORE": str(folder / "store"),
        "PATH": f"{PROJECT_ROOT / 'node_modules' / '.bin'}:{os.environ['PATH']}",
    }
    os.environ.update(env)
    network = ["--network", "ethereum:local:foundry", "--provider-settings",
               json.dumps({"host": url})]  # fmt: skip
    return env, network


def say(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def abi(name: str) -> list[dict[str, Any]]:
    """The compiled ABI of contract ``name``, as web3 takes it."""
    from ape import project

    return [
        a.model_dump(mode="json", by_alias=True) for a in getattr(project, name).contract_type.abi
    ]


def write_result(path: Path, result: dict[str, Any]) -> None:
    """Write ``result`` with the machine and the time of the measurement, and print it."""
    result = {
        **result,
        "machine": {
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
        },
        "measured_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))
