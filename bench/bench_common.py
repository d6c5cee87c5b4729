"""What the benchmarks that drive anvil share: a free port, an isolated environment,
timestamped progress lines, a deployed round, and writing a result with the machine it was
measured on."""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from oracle import machine
from oracle.chain.devnet import free_port as free_port  # the benchmarks take it from here
from oracle.settings import isolated_environment


def isolated_env(folder: Path, url: str) -> tuple[dict[str, str], list[str]]:
    """The environment (its own deployment records, store, devnet state and demo wallets under
    ``folder``, this process's too) and the ``--network`` arguments that point `ape run`
    commands at the anvil at ``url``."""
    env = isolated_environment(folder, ape_data=False)
    os.environ.update(env)
    network = ["--network", "ethereum:local:foundry", "--provider-settings",
               json.dumps({"host": url})]  # fmt: skip
    return env, network


def say(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def write_result(path: Path, result: dict[str, Any]) -> None:
    """Write ``result`` with the machine and the time of the measurement, and print it."""
    result = {
        **result,
        "machine": machine(),
        "measured_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


@dataclass
class BenchRound:
    """A fresh deployment on a benchmark's anvil, with one synthetic round open."""

    web3: Any
    tournament: Any
    token: Any
    schedule: Any
    round_id: int
    ids: list[str]


def connected(url: str) -> Any:
    """A web3 client of the node at ``url``, once it answers (a minute at most)."""
    from web3 import HTTPProvider, Web3

    web3 = Web3(HTTPProvider(url))
    for _ in range(600):
        if web3.is_connected():
            break
        time.sleep(0.1)
    return web3


def open_synthetic_round(url: str, folder: Path, stocks: int = 5000) -> BenchRound:
    """Deploy to the anvil at ``url`` (development accounts in their roles), then open and fund
    a synthetic round of ``stocks`` stocks that closes in 2 h and takes reveals for 1 h more."""
    import io

    import pandas as pd
    from ape import networks

    from oracle.audit import synthetic
    from oracle.audit.context import OracleContext
    from oracle.chain.abi import abi_of
    from oracle.chain.deploy import Roles, deploy
    from oracle.market import MarketSpec
    from oracle.protocol.manifest import Schedule
    from oracle.resolver import opening
    from oracle.store import LocalStore

    web3 = connected(url)
    with networks.parse_network_choice(
        "ethereum:local:foundry", provider_settings={"host": url}
    ) as provider:
        from ape import accounts

        dev = accounts.test_accounts
        roles = Roles(*(str(dev[i].address) for i in (1, 2, 3, 4)))
        # The treasury deposits the oracle's resolution bonds, as a devnet deploy does.
        deployment = deploy(provider, dev[0], roles, treasury_signer=dev[1]).deployment
        store = LocalStore(folder / "store")
        ctx = OracleContext.connect(provider, store)
        now, hour = ctx.now(), 3600
        schedule = Schedule(
            now + 2 * hour, now + 3 * hour, now + 3 * hour, now + 9 * 86_400, 86_400
        )
        say(f"opening a round of {stocks:,} stocks")
        one = 10**18
        spec = MarketSpec(live_stocks=stocks)
        artefacts = synthetic.draw_round(opening.next_round_id(ctx), spec, benchmarks=False)
        opened = opening.open_round(
            ctx, dev[2], dev[1], artefacts, schedule=schedule, budget=50_000 * one, min_stake=one
        )
        ids = pd.read_parquet(io.BytesIO(store.get(opened.manifest.live_data)))["id"].tolist()

    def contract(name: str) -> Any:
        return web3.eth.contract(address=deployment.contracts[name].address, abi=abi_of(name))

    return BenchRound(
        web3, contract("Tournament"), contract("TournamentToken"), schedule, opened.round_id, ids
    )


def tree_rss(pid: int) -> int:
    """The resident bytes of process ``pid`` and all its descendants (shared pages counted
    once per process, so an upper bound), from /proc."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(entry.name))
    total, todo = 0, [pid]
    while todo:
        current = todo.pop()
        todo.extend(children.get(current, []))
        try:
            status = Path(f"/proc/{current}/status").read_text()
        except OSError:
            continue
        for line in status.splitlines():
            if line.startswith("VmRSS:"):
                total += int(line.split()[1]) * 1024
    return total


class TreePeak:
    """The peak of :func:`tree_rss` of a process, sampled every ``interval`` s in a thread."""

    def __init__(self, pid: int, interval: float = 0.1) -> None:
        import threading

        self.pid, self.interval, self.peak = pid, interval, 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, tree_rss(self.pid))
            self._stop.wait(self.interval)

    def __enter__(self) -> TreePeak:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()
