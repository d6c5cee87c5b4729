"""The operator's side of the demo, run as the operator runs it: `ape run oracle <command>`
in a subprocess for each step, and `ape run oracle serve` in the background."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from oracle import PROJECT_ROOT
from oracle.errors import DemoError, one_line

APE_LOG = re.compile(r"^(DEBUG|INFO|SUCCESS|WARNING|ERROR):\s")


def ape_executable() -> str:
    beside = Path(sys.executable).with_name("ape")
    return str(beside) if beside.exists() else "ape"


def network_args(provider: Any) -> list[str]:
    """The options that point a command at the same node as ``provider``."""
    return [
        "--network",
        "ethereum:local:foundry",
        "--provider-settings",
        json.dumps({"host": str(provider.uri)}),
    ]


@dataclass
class Oracle:
    """`ape run oracle <command>` against the demo's node."""

    network: list[str]
    env: dict[str, str]

    def run(self, command: str, *args: str) -> str:
        argv = [ape_executable(), "run", "oracle", command, *args, *self.network]
        result = subprocess.run(
            argv,
            cwd=PROJECT_ROOT,
            env=self.env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode != 0:
            errors = [ln for ln in result.stderr.splitlines() if ln.startswith("Error")]
            line = errors[-1] if errors else one_line(result.stderr[-2000:] or "no output")
            raise DemoError(f"`ape run oracle {command} {' '.join(args)}` failed: {line}")
        # ape logs its transactions on standard output too: keep the command's own lines.
        return "\n".join(line for line in result.stdout.splitlines() if not APE_LOG.match(line))


class ServiceProcess:
    """`ape run oracle serve` in the background, until :meth:`stop`."""

    def __init__(self, oracle: Oracle, port: int) -> None:
        self.url = f"http://127.0.0.1:{port}"
        self.log = Path(os.environ.get("TMPDIR", "/tmp")) / f"tournament-demo-service-{port}.log"
        argv = [ape_executable(), "run", "oracle", "serve", "--port", str(port), *oracle.network]
        self._log_file = self.log.open("wb")
        self.process = subprocess.Popen(
            argv,
            cwd=PROJECT_ROOT,
            env=oracle.env,
            stdin=subprocess.DEVNULL,
            stdout=self._log_file,
            stderr=subprocess.STDOUT,
        )

    def wait_ready(self, timeout: float = 120.0) -> None:
        import httpx

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                lines = [ln for ln in self.log.read_text(errors="replace").splitlines() if ln]
                raise DemoError(f"the oracle service exited: {lines[-1] if lines else 'no output'}")
            try:
                httpx.get(f"{self.url}/api/v1", timeout=2).raise_for_status()
                return
            except httpx.HTTPError:
                time.sleep(0.3)
        self.stop()
        raise DemoError(f"the oracle service did not answer within {timeout:.0f} s: see {self.log}")

    def stop(self) -> None:
        stop_process(self.process)
        self._log_file.close()


def stop_process(process: subprocess.Popen[bytes], timeout: float = 20.0) -> None:
    """Terminate ``process`` (SIGTERM: it stops after the step in progress), killing it if it
    has not stopped within ``timeout`` seconds."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
