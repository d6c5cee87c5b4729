"""Whole tournament rounds on the local devnet, as their users run them.

The operator's steps are `ape run oracle ...` commands in subprocesses, with the oracle
service in the background. The participants use the wallet client (:class:`Wallet`), one
development account each. Only time is cheated: anvil's time travel skips the waits between
close, the reveal deadline and the end of the challenge window.

Per round: every participant trains and submits; the next round is opened; after close the
participants reveal (one tampers, one stays silent); the oracle publishes the targets,
resolves, and after the challenge window finalizes; the participants claim (one restakes
into the next round); then the leaderboard, the summary line, `verify` and the report.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from oracle import PROJECT_ROOT, settings
from oracle.chain.accounts import LOCAL_ROLE_INDEX, test_account
from oracle.chain.devnet import free_port, port_is_free
from oracle.chain.events import Status
from oracle.demo.checks import Check, Outcome, incentive_checks, outcomes
from oracle.demo.drill import DisputeStory, faulty_resolution
from oracle.demo.models import HONEST, SILENT, TAMPERS, Participant, roster
from oracle.demo.processes import Oracle, ServiceProcess, network_args
from oracle.errors import DemoError, WalletError
from oracle.market.frames import Array, predictions_frame
from oracle.models.zoo import ModelZoo, mirror
from oracle.protocol.commitments import model_id_of
from oracle.protocol.units import UNIT, format_amount, parse_amount
from oracle.wallet import ServiceClient, Vault, Wallet
from oracle.wallet.inputs import predictions_bytes

#: Tokens and ether each participant holds at the start of a run (topped up from the
#: treasury and the deployer).
PARTICIPANT_TOKENS = 1_000 * UNIT
PARTICIPANT_ETHER = 10**18
#: Above this many participants, the oracle's `settle` claims for all but the restaker.
WALLET_CLAIMS_UP_TO = 50


@dataclass(frozen=True)
class DemoOptions:
    rounds: int = 1
    participants: int = 22
    kind: str = "classic"
    live_stocks: int = 5000
    budget: str = "1000"
    #: Where the demo keeps its participants' wallets ($TOURNAMENT_DEMO_DIR or .demo/).
    folder: Path = field(default_factory=settings.demo_dir)
    reports: Path = PROJECT_ROOT / "reports"
    service_port: int | None = None
    #: The first round's resolution is deliberately wrong: a watcher disputes it, the
    #: guardian upholds, the oracle posts the honest root (see :mod:`.drill`).
    faulty_oracle: bool = False


@dataclass
class PhaseTime:
    round: int
    phase: str
    seconds: float
    transactions: int
    gas: int


@dataclass
class RoundOutcome:
    round: int
    summary: str
    root: str
    models: int
    reward: int
    burned: int
    supply: int
    verify: str
    report: str
    leaderboard: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class DemoResult:
    rounds: list[RoundOutcome]
    checks: list[Check]
    phases: list[PhaseTime]
    participants: int
    models: int
    disputes: list[DisputeStory] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "participants": self.participants,
            "models": self.models,
            "disputes": [asdict(d) for d in self.disputes],
            "rounds": [
                {k: v for k, v in asdict(r).items() if k != "leaderboard"} for r in self.rounds
            ],
            "checks": [asdict(c) for c in self.checks],
            "phases": [asdict(p) for p in self.phases],
        }


class Demo:
    """Runs ``options.rounds`` rounds on the connected devnet (``provider``)."""

    def __init__(self, provider: Any, options: DemoOptions, console: Console | None = None) -> None:
        self.provider = provider
        self.options = options
        self.console = console or Console(stderr=True, highlight=False)
        self.web3 = provider.web3
        env = {**os.environ}
        self.oracle = Oracle(network_args(provider), env)
        self.people = roster(options.participants, options.kind)
        self.specs = {m.name: m for p in self.people for m in p.models}
        self.names = {"0x" + model_id_of(name).hex(): name for name in self.specs}
        self.phases: list[PhaseTime] = []
        self.seen: list[Outcome] = []
        self.zoo: ModelZoo | None = None
        self.service: ServiceProcess | None = None
        self.client: ServiceClient | None = None
        self.wallets: dict[str, Wallet] = {}
        self.disputes: list[DisputeStory] = []

    # ------------------------------------------------------------------ phases

    @contextmanager
    def phase(self, round_id: int, name: str) -> Iterator[None]:
        """Time a phase and count the transactions and gas of the blocks it mined."""
        first = int(self.web3.eth.block_number) + 1
        started = time.monotonic()
        yield
        seconds = time.monotonic() - started
        last = int(self.web3.eth.block_number)
        txs = gas = 0
        for number in range(first, last + 1):
            block = self.web3.eth.get_block(number)
            txs += len(block["transactions"])
            gas += int(block["gasUsed"])
        self.phases.append(PhaseTime(round_id, name, round(seconds, 3), txs, gas))
        tx_note = f", {txs:,} transactions, {gas:,} gas" if txs else ""
        self.console.print(f"  {name}: {seconds:.1f} s{tx_note}")

    def progress(self) -> Progress:
        return Progress(
            TextColumn("  {task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=self.console,
            transient=True,
            disable=not self.console.is_terminal,
        )

    def _each(self, label: str, items: list[Any], act: Callable[[Any], None]) -> None:
        with self.progress() as bar:
            task = bar.add_task(label, total=len(items))
            for item in items:
                act(item)
                bar.advance(task)

    @property
    def lead(self) -> Wallet:
        """The first participant's wallet, for reads that any participant could make."""
        return self.wallets[self.people[0].name]

    def close(self) -> None:
        """Stop the service and close the participants' connections to it."""
        if self.client is not None:
            self.client.close()
        if self.service is not None:
            self.service.stop()

    # ------------------------------------------------------------------ setup

    def setup(self) -> None:
        """The service in the background, and every participant's ether and tokens."""
        port = self.options.service_port
        if port is None:
            port = 8000 if port_is_free(8000) else free_port()
        self.service = ServiceProcess(self.oracle, port)
        self.client = ServiceClient(self.service.url)
        vault = Vault(self.options.folder / "wallet")
        lead, *rest = self.people
        first = Wallet(self.provider, test_account(lead.account_index), self.client, vault)
        self.wallets = {lead.name: first}
        for p in rest:
            self.wallets[p.name] = Wallet(
                self.provider,
                test_account(p.account_index),
                self.client,
                vault,
                reader=first.reader,
            )
        self._fund()
        self.service.wait_ready()
        self.console.print(f"  the oracle service is at {self.service.url}")

    def _fund(self) -> None:
        """Top every participant up from the treasury (tokens) and the deployer (ether),
        sending the transfers back to back and waiting for the last one."""
        token = self.lead.token_views
        treasury = test_account(LOCAL_ROLE_INDEX["treasury"]).address
        deployer = test_account(LOCAL_ROLE_INDEX["deployer"]).address
        nonces = {
            a: int(self.web3.eth.get_transaction_count(a, "pending")) for a in (treasury, deployer)
        }
        hashes = []
        for person in self.people:
            address = self.wallets[person.name].address
            tokens_short = PARTICIPANT_TOKENS - self.wallets[person.name].token_balance()
            if tokens_short > 0:
                data = token.encode("transfer", address, tokens_short)
                hashes.append(self.send_raw(treasury, str(token.address), 0, data, nonces))
            ether_short = PARTICIPANT_ETHER - int(self.web3.eth.get_balance(address))
            if ether_short > 0:
                hashes.append(self.send_raw(deployer, address, ether_short, "0x", nonces))
        for tx in hashes[-2:]:
            receipt = self.web3.eth.wait_for_transaction_receipt(tx, timeout=300)
            if receipt["status"] != 1:
                raise DemoError(f"funding transaction {tx} reverted")

    def send_raw(self, sender: str, to: str, value: int, data: str, nonces: dict[str, int]) -> str:
        """One transfer from an account the devnet holds unlocked, as one raw request."""
        tx = {
            "from": sender,
            "to": to,
            "value": hex(value),
            "data": data,
            "nonce": hex(nonces[sender]),
            "gas": hex(100_000 if data != "0x" else 21_000),
        }
        nonces[sender] += 1
        reply = self.web3.provider.make_request("eth_sendTransaction", [tx])
        if "error" in reply:
            raise DemoError(f"the devnet refused a funding transfer: {reply['error']}")
        return str(reply["result"])

    def train(self, round_id: int) -> None:
        """Fit every model on the round's training data, as the wallet downloads it (each
        round's market is its own, drawn with the round's secret)."""
        zoo = self.zoo = ModelZoo(self.lead.training_data(round_id))
        specs = [m for p in self.people for m in p.models]
        self._each(f"training {len(specs)} models", specs, zoo.fit)

    # ------------------------------------------------------------------ rounds

    def current_round(self) -> int:
        """An open round with time to stake in (the one a previous run left open), else a
        new one."""
        reader = self.lead.reader
        ids = reader.round_ids()
        if ids:
            info = reader.round_info(ids[-1])
            if info.status == Status.PENDING and reader.latest_timestamp() < info.close_time - 600:
                return ids[-1]
        return self.open_round("1h")

    def open_round(self, close_in: str) -> int:
        out = self.oracle.run(
            "open-round", "--kind", self.options.kind, "--live-stocks",
            str(self.options.live_stocks), "--budget", self.options.budget,
            "--close-in", close_in,
        )  # fmt: skip
        first = out.splitlines()[0]
        if not first.startswith("opened round "):
            raise DemoError(f"unexpected answer from open-round: {first}")
        return int(first.split()[2])

    def run(self) -> DemoResult:
        rounds = []
        round_id = self.current_round()
        for i in range(self.options.rounds):
            self.console.print(f"[bold]round {round_id}[/bold] ({i + 1} of {self.options.rounds})")
            with self.phase(round_id, "train"):
                self.train(round_id)
            rounds.append(self.play(round_id))
            round_id += 1
        checks = incentive_checks(self.people, self.seen)
        return DemoResult(
            rounds, checks, self.phases, len(self.people), len(self.specs), self.disputes
        )

    def play(self, round_id: int) -> RoundOutcome:
        made = self.submit_all(round_id)
        with self.phase(round_id, "open next round"):
            next_round = self.open_round("4d")
        self.travel_to(self.lead.round_info(round_id).close_time + 1)
        with self.phase(round_id, "reveal"):
            self.reveal_all(round_id, made)
        self.travel_to(self.lead.manifest(round_id).schedule.reveal_deadline + 1)
        with self.phase(round_id, "publish targets"):
            self.oracle.run("publish-targets", "--round", str(round_id))
        if self.options.faulty_oracle and not self.disputes:
            with self.phase(round_id, "resolve wrongly, dispute, uphold, resolve"):
                self.disputes.append(faulty_resolution(self, round_id))
        else:
            with self.phase(round_id, "resolve"):
                self.oracle.run("resolve", "--round", str(round_id))
        self.travel_to(self.lead.round_info(round_id).challenge_ends + 1)
        with self.phase(round_id, "finalize"):
            self.oracle.run("finalize", "--round", str(round_id))
        with self.phase(round_id, "claim"):
            self.claim_all(round_id, next_round)
        with self.phase(round_id, "verify"):
            verdict = self.oracle.run("verify", "--round", str(round_id)).strip()
        report = self.options.reports / f"round-{round_id}.html"
        with self.phase(round_id, "report"):
            self.oracle.run("report", "--round", str(round_id), "--out", str(report))
        return self.outcome(round_id, verdict, report)

    def travel_to(self, timestamp: int) -> None:
        """Anvil's time travel: mine a block at ``timestamp``."""
        reply = self.web3.provider.make_request("evm_mine", [timestamp])
        if "error" in reply:
            raise DemoError(f"the devnet refused to move time: {reply['error']}")

    # ------------------------------------------------------------------ participants

    def submit_all(self, round_id: int) -> dict[str, Array]:
        assert self.zoo is not None
        live = self.lead.live_data(round_id)
        made: dict[str, Array] = {}
        with self.phase(round_id, "predict"):
            for person in self.people:
                for spec in person.models:
                    made[spec.name] = self.zoo.predictions(spec, live, made)
        jobs = [(p, m) for p in self.people for m in p.models]

        def submit(job: tuple[Participant, Any]) -> None:
            person, spec = job
            wallet = self.wallets[person.name]
            held = wallet.stake_of(round_id, model_id_of(spec.name))
            stake = max(parse_amount(spec.stake), held)
            wallet.submit(
                round_id, spec.name, predictions_frame(live, made[spec.name]), format_amount(stake)
            )

        with self.phase(round_id, "submit"):
            self._each(f"{len(jobs)} submissions", jobs, submit)
        return made

    def reveal_all(self, round_id: int, made: dict[str, Array]) -> None:
        live = self.lead.live_data(round_id)
        answers: dict[str, str] = {}

        def reveal(person: Participant) -> None:
            wallet = self.wallets[person.name]
            if person.behaviour == SILENT:
                return
            if person.behaviour == TAMPERS:
                # Sends another file with the committed salt: the oracle must reject it.
                for spec in person.models:
                    saved = wallet.vault.current(
                        wallet.chain_id, wallet.reader.address, round_id, wallet.address,
                        spec.name,
                    )  # fmt: skip
                    if saved is None:
                        raise DemoError(f"{spec.name} has no saved submission in round {round_id}")
                    other = predictions_bytes(predictions_frame(live, mirror(made[spec.name])))
                    reply = wallet.service.reveal(
                        round_id, wallet.address, spec.name, saved.salt_bytes, other
                    )
                    answers[spec.name] = f"{reply['status']} ({reply.get('reason', '')})"
                return
            for answer in wallet.reveal(round_id):
                answers[answer.model] = answer.status

        self._each(f"{len(self.people)} participants reveal", self.people, reveal)
        for person in self.people:
            if person.behaviour != HONEST:
                for spec in person.models:
                    said = answers.get(spec.name, "no reveal")
                    self.console.print(f"  {spec.name} ({person.behaviour}): {said}")

    def claim_all(self, round_id: int, next_round: int) -> None:
        restakers = [p for p in self.people if p.restakes]
        for person in restakers:
            wallet = self.wallets[person.name]
            # The restake commits to the model's submission in the next round: make it first,
            # with the model trained on that round's own training data.
            live = wallet.live_data(next_round)
            spec = self.specs[str(person.restakes)]
            values = ModelZoo(wallet.training_data(next_round)).predictions(spec, live, {})
            wallet.submit(next_round, spec.name, predictions_frame(live, values), spec.stake)
            result = wallet.claim(round_id, restake_into=next_round, model=spec.name)
            for name, payout in result.claimed:
                self.console.print(
                    f"  {name}: {payout / UNIT:.4f} NMR restaked into round {next_round}"
                )
        # Everyone claims what is left (the restakers their other models).
        if len(self.people) > WALLET_CLAIMS_UP_TO:
            self.oracle.run("settle", "--round", str(round_id))
            return

        def claim(person: Participant) -> None:
            try:
                self.wallets[person.name].claim(round_id)
            except WalletError as err:
                if "nothing left to claim" not in str(err):
                    raise

        self._each(f"{len(self.people)} participants claim", self.people, claim)

    # ------------------------------------------------------------------ results

    def outcome(self, round_id: int, verdict: str, report: Path) -> RoundOutcome:
        assert self.client is not None
        wallet = self.lead
        results = json.loads(self.client.results(round_id))
        info = wallet.round_info(round_id)
        claimed = wallet.reader.events("Claimed", round_id)
        reward = sum(int(e["reward"]) for e in claimed)
        burned = sum(int(e["burn"]) for e in claimed)
        supply = int(wallet.token_views.call("totalSupply"))
        models = len(results["positions"])
        root = "0x" + info.root.hex()
        summary = (
            f"round {round_id}: {models} models, reward {format_amount(reward)} NMR, burned "
            f"{format_amount(burned)} NMR, supply {format_amount(supply)} NMR, root {root}"
        )
        strategies = {name: spec.strategy for name, spec in self.specs.items()}
        self.seen.extend(outcomes(results, self.names, strategies))
        board = []
        for e in results["positions"]:
            scores = e.get("scores") or {}
            board.append(
                {
                    "model": self.names.get(e["model_id"], e["model_id"][:10]),
                    "status": e["status"],
                    "stake": int(e["stake"]),
                    "corr": scores.get("corr"),
                    "mmc": scores.get("mmc"),
                    "tc": scores.get("tc"),
                    "reward": int(e["reward"]),
                    "burn": int(e["burn"]),
                    "payout_score": e.get("combined_score"),
                }
            )
        # By payout score, as every round table is (unscored positions last, by stake).
        board.sort(
            key=lambda r: (r["payout_score"] is None, -(r["payout_score"] or 0), -r["stake"])
        )
        return RoundOutcome(
            round_id, summary, root, models, reward, burned, supply, verdict, str(report), board
        )
