"""The demo's dispute drill (``--faulty-oracle``): the oracle posts a deliberately wrong
resolution (one position's payout changed); a watcher, started as anyone would start it
(`ape run oracle watch` against the service, from its own account and folder), disputes it
within the challenge window; the guardian upholds; the oracle posts the honest root again.
"""

from __future__ import annotations

import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from oracle import PROJECT_ROOT
from oracle.chain.accounts import LOCAL_ROLE_INDEX, test_account
from oracle.chain.events import Status
from oracle.demo.processes import Oracle, ape_executable, stop_process
from oracle.errors import DemoError
from oracle.protocol.units import UNIT, format_amount


class Demo(Protocol):
    """What the drill uses of :class:`~oracle.demo.runner.Demo`."""

    oracle: Oracle
    service: Any
    options: Any
    web3: Any

    @property
    def lead(self) -> Any: ...

    def send_raw(
        self, sender: str, to: str, value: int, data: str, nonces: dict[str, int]
    ) -> str: ...


#: The development account the watcher disputes from: a stranger to the tournament.
WATCHER_INDEX = 9
#: Tokens the watcher is given for its dispute bonds.
WATCHER_TOKENS = 1_000 * UNIT
#: Seconds the watcher has to dispute a wrong root before the drill gives up.
DISPUTE_WAIT = 240.0


@dataclass(frozen=True)
class DisputeStory:
    """What the drill did, for the demo's summary."""

    round: int
    wrong_root: str
    honest_root: str
    disputer: str
    bond: int
    paid: int
    burned: int

    def lines(self) -> list[str]:
        return [
            f"round {self.round}: the faulty oracle posted root {self.wrong_root}",
            f"  the watcher {self.disputer} disputed it with a {format_amount(self.bond)} NMR "
            "bond; the guardian upheld",
            f"  the watcher received {format_amount(self.paid)} NMR (its bond and half the "
            f"oracle's); {format_amount(self.burned)} NMR of the oracle's bond was burned",
            f"  the oracle posted the honest root {self.honest_root}",
        ]


class Watcher:
    """`ape run oracle watch` in the background, logging to a file, until :meth:`stop`."""

    def __init__(self, demo: Demo, service: str, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.log = folder / "watch.log"
        self._log_file = self.log.open("ab")
        argv = [ape_executable(), "run", "oracle", "watch", "--service", service,
                "--account", str(WATCHER_INDEX), "--store", str(folder / "store"),
                "--interval", "1s", *demo.oracle.network]  # fmt: skip
        self.process = subprocess.Popen(
            argv,
            cwd=PROJECT_ROOT,
            env=demo.oracle.env,
            stdin=subprocess.DEVNULL,
            stdout=self._log_file,
            stderr=subprocess.STDOUT,
        )

    def stop(self) -> None:
        stop_process(self.process, timeout=30)
        self._log_file.close()

    def last_line(self) -> str:
        lines = [ln for ln in self.log.read_text(errors="replace").splitlines() if ln]
        return lines[-1] if lines else "no output"


def _fund_watcher(demo: Demo) -> str:
    address = str(test_account(WATCHER_INDEX).address)
    token = demo.lead.token_views
    short = WATCHER_TOKENS - int(token.call("balanceOf", address))
    if short > 0:
        treasury = str(test_account(LOCAL_ROLE_INDEX["treasury"]).address)
        nonces = {treasury: int(demo.web3.eth.get_transaction_count(treasury, "pending"))}
        tx = demo.send_raw(
            treasury, str(token.address), 0, token.encode("transfer", address, short), nonces
        )
        demo.web3.eth.wait_for_transaction_receipt(tx, timeout=120)
    return address


def faulty_resolution(demo: Demo, round_id: int) -> DisputeStory:
    """Resolve ``round_id`` wrongly, have the watcher dispute it, uphold, resolve honestly."""
    assert demo.service is not None
    disputer = _fund_watcher(demo)
    watcher = Watcher(demo, demo.service.url, demo.options.folder / "watcher")
    try:
        demo.oracle.run("resolve", "--round", str(round_id), "--misstate")
        wrong = "0x" + demo.lead.round_info(round_id).root.hex()
        deadline = time.monotonic() + DISPUTE_WAIT
        while demo.lead.round_info(round_id).status != Status.DISPUTED:
            if watcher.process.poll() is not None:
                raise DemoError(f"the watcher exited: {watcher.last_line()}")
            if time.monotonic() > deadline:
                raise DemoError(
                    f"the watcher did not dispute within {DISPUTE_WAIT:.0f} s: "
                    f"{watcher.last_line()}"
                )
            time.sleep(0.5)
    finally:
        watcher.stop()
    guardian = str(LOCAL_ROLE_INDEX["guardian"])
    demo.oracle.run("rule", "--round", str(round_id), "--uphold", "--account", guardian, "--yes")
    dispute = demo.lead.reader.disputes(round_id)[-1]
    demo.oracle.run("resolve", "--round", str(round_id))
    honest = "0x" + demo.lead.round_info(round_id).root.hex()
    if honest == wrong or dispute.outcome != "upheld":
        raise DemoError(f"round {round_id}: the drill ended {dispute.outcome}, root {honest}")
    return DisputeStory(
        round_id, wrong, honest, disputer, dispute.bond, dispute.paid, dispute.burned
    )
