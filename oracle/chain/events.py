"""Reading the tournament from the chain: its events (from the :mod:`~oracle.chain.cache`,
decoded against the compiled ABI, only those at least ``confirmations`` blocks deep) and its
rounds, as plain Python values."""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum
from functools import cache, cached_property
from pathlib import Path
from typing import Any

from eth_utils import keccak, to_checksum_address

from oracle import settings
from oracle.chain import rpc
from oracle.chain.abi import Views
from oracle.chain.cache import EventCache, Log
from oracle.chain.logs import block_at
from oracle.protocol.hashing import checksummed, decode_static


class Status(IntEnum):
    """ITournament.Status."""

    PENDING = 0
    POSTED = 1
    FINALIZED = 2
    CANCELLED = 3
    DISPUTED = 4


@dataclass(frozen=True)
class RoundInfo:
    """ITournament.RoundView, flattened."""

    round: int
    close_time: int
    resolve_after: int
    resolve_by: int
    challenge_period: int
    clip_ppm: int
    min_stake: int
    live_data_hash: bytes
    scoring_config_hash: bytes
    status: Status
    total_staked: int
    budget: int
    root: bytes
    results_hash: bytes
    total_reward: int
    total_burn: int
    reward_left: int
    burn_left: int
    challenge_ends: int
    settle_by: int
    #: Who disputed the standing root (the zero address when it is not disputed).
    disputer: str = "0x" + "0" * 40
    #: The end of the guardian's ruling period on the dispute (0 when not disputed).
    rule_by: int = 0

    @property
    def disputed(self) -> bool:
        return self.status == Status.DISPUTED


@dataclass(frozen=True)
class Position:
    """One staked position at close: its stake and the last commitment the chain emitted."""

    round: int
    account: str
    model_id: bytes
    stake: int
    commitment: bytes

    @property
    def key(self) -> tuple[str, bytes]:
        return (self.account, self.model_id)

    @property
    def label(self) -> str:
        return f"{self.account}/0x{self.model_id.hex()}"


@dataclass(frozen=True)
class Dispute:
    """One dispute of a round's posted root and how it ended (from the dispute's events)."""

    round: int
    disputer: str
    root: str
    reason: str
    bond: int
    rule_by: int
    #: "pending" until ruled, then "upheld", "rejected" or "expired".
    outcome: str = "pending"
    #: Upheld: what the disputer received; rejected: what went to the oracle's pool.
    paid: int = 0
    #: What the ruling burned of the losing bond.
    burned: int = 0

    def to_json(self) -> dict[str, Any]:
        return {
            "disputer": self.disputer,
            "root": self.root,
            "reason": self.reason,
            "bond": str(self.bond),
            "rule_by": self.rule_by,
            "outcome": self.outcome,
            "paid": str(self.paid),
            "burned": str(self.burned),
        }


@dataclass(frozen=True)
class Holding:
    """One account's position as it stands now: the stake still held (zero once withdrawn,
    claimed or refunded), its last commitment, and its settlement if any."""

    round_id: int
    account: str
    model_id: bytes
    stake: int
    commitment: bytes
    #: "claimed" or "refunded" once settled, else None.
    settled: str | None
    #: What the settlement paid the account (stake + reward - burn, or the refunded stake).
    payout: int


@cache
def _event_abis() -> dict[str, Any]:
    from ape import project

    return {event.name: event for event in project.Tournament.contract_type.events}


def event_topic(name: str) -> bytes:
    abi = _event_abis()[name]
    types = ",".join(str(i.canonical_type) for i in abi.inputs)
    return keccak(text=f"{name}({types})")


def _topic_of_uint(value: int) -> bytes:
    return value.to_bytes(32, "big")


@cache
def _layout(name: str) -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
    """The names and types of the event's indexed inputs, then of its other inputs."""
    abi = _event_abis()[name]
    indexed = [i for i in abi.inputs if i.indexed]
    plain = [i for i in abi.inputs if not i.indexed]
    return (
        tuple(str(i.name) for i in indexed),
        tuple(str(i.canonical_type) for i in indexed),
        tuple(str(i.name) for i in plain),
        tuple(str(i.canonical_type) for i in plain),
    )


def _decode(name: str, log: Log) -> dict[str, Any]:
    indexed_names, indexed_types, plain_names, plain_types = _layout(name)
    topics = log.topics[1:]
    if len(topics) != len(indexed_types):
        raise ValueError(f"a {name} log has {len(topics)} indexed topics, not {len(indexed_types)}")
    values = dict(zip(indexed_names, decode_static(indexed_types, b"".join(topics)), strict=True))
    values.update(zip(plain_names, decode_static(plain_types, log.data), strict=True))
    for key, value in values.items():
        if isinstance(value, str) and value.startswith("0x") and len(value) == 42:
            values[key] = checksummed(value)
    values["_block"] = log.block
    values["_index"] = log.index
    values["_tx"] = "0x" + log.tx.hex()
    return values


class TournamentReader:
    """Read-only access to one deployed tournament through a connected ape provider.

    Events come from an :class:`~oracle.chain.cache.EventCache` (in ``cache_dir`` when given,
    shared by every process using that folder; else in memory) and count only once they are
    ``confirmations`` blocks deep (default: ``$TOURNAMENT_CONFIRMATIONS``, else 0 on a
    development chain and 3 elsewhere). Views read the latest block.
    """

    def __init__(
        self,
        provider: Any,
        address: str,
        from_block: int = 0,
        *,
        cache_dir: Path | None = None,
        confirmations: int | None = None,
    ) -> None:
        from oracle.chain.accounts import is_local_chain

        self.provider = provider
        self.web3 = provider.web3
        self.address = to_checksum_address(address)
        self.from_block = from_block
        if confirmations is None:
            confirmations = settings.confirmations(is_local_chain(provider))
        self.confirmations = confirmations
        chain_id = int(provider.chain_id)
        path = None if cache_dir is None else cache_dir / f"events-{chain_id}-{self.address}.sqlite"
        self.cache = EventCache(
            self.web3.provider, self.address, from_block, path=path, confirmations=confirmations
        )
        self._safe_times: dict[int, int] = {}

    def safe_block(self) -> int:
        """The newest block whose events count (head - confirmations), after a sync."""
        return self.cache.sync().safe

    def deep_past(self, timestamp: int) -> bool:
        """True once a block after ``timestamp`` is ``confirmations`` deep: every event up to
        ``timestamp`` is then final enough to act on (a round's stakes, once past its close)."""
        return self.safe_time() > timestamp

    def depth_line(self, what: str, timestamp: int) -> str:
        """Why an action waits for :meth:`deep_past`, in one line."""
        from oracle.times import utc_time

        return (
            f"{what} ({utc_time(timestamp)}) is not yet {self.confirmations} block(s) deep: "
            "try again in a few blocks"
        )

    def safe_time(self) -> int:
        """The timestamp of :meth:`safe_block`: everything before it is at depth."""
        report = self.cache.sync()
        safe = report.safe
        if safe == report.head.number:
            return report.head.timestamp
        if safe not in self._safe_times:
            block = block_at(self.web3.provider, max(safe, 0))
            self._safe_times = {safe: 0 if block is None else block.timestamp}
        return self._safe_times[safe]

    @cached_property
    def contract(self) -> Any:
        """The ape contract instance, for transactions."""
        from ape import project

        return project.Tournament.at(self.address)

    @cached_property
    def views(self) -> Views:
        """The tournament's view functions, one raw ``eth_call`` each."""
        return Views(self.web3, "Tournament", self.address)

    @cached_property
    def token_views(self) -> Views:
        """The token's view functions."""
        return Views(self.web3, "TournamentToken", checksummed(self.views.call("token")))

    def events(
        self,
        name: str,
        round_id: int | None = None,
        account: str | None = None,
        model_id: bytes | None = None,
    ) -> list[dict[str, Any]]:
        """Every ``name`` event at depth, in chain order; of ``round_id`` (its first indexed
        topic), of ``account`` and of ``model_id`` (the position events' second and third)
        when given."""
        return self._events(self.safe_block(), name, round_id, account, model_id)

    def _events(
        self,
        upto: int,
        name: str,
        round_id: int | None = None,
        account: str | None = None,
        model_id: bytes | None = None,
    ) -> list[dict[str, Any]]:
        logs = self.cache.query(
            event_topic(name),
            None if round_id is None else _topic_of_uint(round_id),
            None if account is None else bytes.fromhex(account[2:]).rjust(32, b"\0"),
            model_id,
            upto=upto,
        )
        return [_decode(name, log) for log in logs]

    def round_info(self, round_id: int) -> RoundInfo:
        t = self.views
        last = int(t.call("nextRound")) - 1
        if not 1 <= round_id <= last:
            from oracle.errors import TournamentError

            known = f"rounds 1 to {last} exist" if last >= 1 else "no round has been opened yet"
            raise TournamentError(f"round {round_id} does not exist on this chain: {known}")
        (
            params,
            status,
            staked,
            budget,
            root,
            results,
            reward,
            burn,
            reward_left,
            burn_left,
            ends,
            disputer,
            rule_by,
        ) = t.call("getRound", round_id)
        close, resolve_after, resolve_by, challenge, clip, min_stake, live, config = params
        return RoundInfo(
            round=round_id,
            close_time=int(close),
            resolve_after=int(resolve_after),
            resolve_by=int(resolve_by),
            challenge_period=int(challenge),
            clip_ppm=int(clip),
            min_stake=int(min_stake),
            live_data_hash=bytes(live),
            scoring_config_hash=bytes(config),
            status=Status(int(status)),
            total_staked=int(staked),
            budget=int(budget),
            root=bytes(root),
            results_hash=bytes(results),
            total_reward=int(reward),
            total_burn=int(burn),
            reward_left=int(reward_left),
            burn_left=int(burn_left),
            challenge_ends=int(ends),
            settle_by=int(t.call("settleBy", round_id)),
            disputer=checksummed(str(disputer)),
            rule_by=int(rule_by),
        )

    def round_ids(self) -> list[int]:
        return list(range(1, int(self.views.call("nextRound"))))

    def positions(self, round_id: int, account: str | None = None) -> list[Position]:
        """Every position of ``round_id`` (of ``account`` if given) with stake, as staking left
        it (staking ends at close, so after close this is the state at close), sorted by
        account then model id."""
        stake: dict[tuple[str, bytes], int] = {}
        commit: dict[tuple[str, bytes], bytes] = {}
        changes: list[tuple[int, int, str, dict[str, Any]]] = []
        upto = self.safe_block()
        for name in ("Staked", "Withdrawn", "CommitmentReplaced"):
            changes.extend(
                (e["_block"], e["_index"], name, e)
                for e in self._events(upto, name, round_id, account)
            )
        changes.sort(key=lambda c: (c[0], c[1]))
        for _, _, name, e in changes:
            key = (e["account"], bytes(e["modelId"]))
            if name in ("Staked", "Withdrawn"):
                stake[key] = int(e["stake"])
            if name in ("Staked", "CommitmentReplaced"):
                commit[key] = bytes(e["commitment"])
        return [
            Position(round_id, account, model_id, amount, commit[(account, model_id)])
            for (account, model_id), amount in sorted(stake.items())
            if amount > 0
        ]

    def holdings(self, account: str, round_id: int | None = None) -> list[Holding]:
        """Every position ``account`` ever staked (in ``round_id``, or in every round), as it
        stands now: its stake, its last commitment, and how it was settled."""
        found: dict[tuple[int, bytes], dict[str, Any]] = {}
        changes: list[tuple[int, int, str, dict[str, Any]]] = []
        upto = self.safe_block()
        for name in ("Staked", "Withdrawn", "CommitmentReplaced", "Claimed", "Refunded"):
            changes.extend(
                (e["_block"], e["_index"], name, e)
                for e in self._events(upto, name, round_id, account)
            )
        changes.sort(key=lambda c: (c[0], c[1]))
        for _, _, name, e in changes:
            item = found.setdefault(
                (int(e["round"]), bytes(e["modelId"])),
                {"stake": 0, "commitment": b"", "settled": None, "payout": 0},
            )
            if name in ("Staked", "Withdrawn"):
                item["stake"] = int(e["stake"])
            if name in ("Staked", "CommitmentReplaced"):
                item["commitment"] = bytes(e["commitment"])
            if name == "Claimed":
                item.update(settled="claimed", stake=0, payout=int(e["payout"]))
            if name == "Refunded":
                item.update(settled="refunded", stake=0, payout=int(e["stake"]))
        return [
            Holding(round_id=r, account=account, model_id=m, **item)
            for (r, m), item in sorted(found.items())
        ]

    def disputes(self, round_id: int) -> list[Dispute]:
        """Every dispute of ``round_id``'s posted roots, oldest first, with its outcome."""
        upto = self.safe_block()
        raised = self._events(upto, "ResolutionDisputed", round_id)
        endings: list[tuple[tuple[int, int], str, dict[str, Any]]] = []
        for name, outcome in (
            ("DisputeUpheld", "upheld"),
            ("DisputeRejected", "rejected"),
            ("DisputeExpired", "expired"),
        ):
            endings.extend(
                ((e["_block"], e["_index"]), outcome, e) for e in self._events(upto, name, round_id)
            )
        endings.sort(key=lambda x: x[0])
        found = []
        for i, e in enumerate(raised):
            at = (e["_block"], e["_index"])
            nxt = (
                (raised[i + 1]["_block"], raised[i + 1]["_index"]) if i + 1 < len(raised) else None
            )
            end = next((x for x in endings if x[0] > at and (nxt is None or x[0] < nxt)), None)
            outcome, paid, burned = "pending", 0, 0
            if end is not None:
                outcome = end[1]
                paid = int(end[2].get("paid", end[2].get("toOracle", 0)))
                burned = int(end[2].get("burned", 0))
            found.append(
                Dispute(
                    round=round_id,
                    disputer=str(e["disputer"]),
                    root="0x" + bytes(e["root"]).hex(),
                    reason="0x" + bytes(e["reasonHash"]).hex(),
                    bond=int(e["bond"]),
                    rule_by=int(e["ruleBy"]),
                    outcome=outcome,
                    paid=paid,
                    burned=burned,
                )
            )
        return found

    def bonds(self) -> dict[str, int]:
        """The deployment's bonds: resolution and dispute bonds, ruling period, free pool."""
        v = self.views
        return {
            "resolution_bond": int(v.call("resolutionBond")),
            "dispute_bond": int(v.call("disputeBond")),
            "ruling_period": int(v.call("rulingPeriod")),
            "bond_pool": int(v.call("bondPool")),
        }

    def commitment_of(self, round_id: int, account: str, model_id: bytes) -> bytes:
        """The last commitment ``account`` bound to ``model_id`` in ``round_id`` (empty if it
        never staked there): two log queries filtered down to the one position."""
        latest: tuple[int, int, bytes] | None = None
        upto = self.safe_block()
        for name in ("Staked", "CommitmentReplaced"):
            for e in self._events(upto, name, round_id, account, model_id):
                at = (e["_block"], e["_index"], bytes(e["commitment"]))
                latest = at if latest is None or at[:2] > latest[:2] else latest
        return latest[2] if latest else b""

    def posted_budget(self, round_id: int) -> int:
        """The round's budget when its standing resolution was posted (finalising empties the
        budget, and funding may continue after a post): the running total of the last
        ``RoundFunded`` before the last ``ResolutionPosted``."""
        upto = self.safe_block()
        posts = self._events(upto, "ResolutionPosted", round_id)
        if not posts:
            return self.round_info(round_id).budget
        at = (posts[-1]["_block"], posts[-1]["_index"])
        funded = [
            int(e["budget"])
            for e in self._events(upto, "RoundFunded", round_id)
            if (e["_block"], e["_index"]) < at
        ]
        return funded[-1] if funded else 0

    def settled(self, round_id: int, *, at_head: bool = False) -> set[tuple[str, bytes]]:
        """Positions of ``round_id`` already claimed or refunded (at depth, or with
        ``at_head`` as of the newest block: what a transaction sent now must not repeat)."""
        done: set[tuple[str, bytes]] = set()
        report = self.cache.sync()
        upto = report.head.number if at_head else report.safe
        for name in ("Claimed", "Refunded"):
            done.update(
                (e["account"], bytes(e["modelId"])) for e in self._events(upto, name, round_id)
            )
        return done

    def latest_timestamp(self) -> int:
        # One raw request: the oracle asks for the time on every reveal, and web3's result
        # formatting of a whole block costs more than the round trip.
        found = rpc.request(self.web3.provider, "eth_getBlockByNumber", ["latest", False])
        if not found:
            from oracle.errors import TournamentError

            raise TournamentError("the node did not return its latest block: check the node")
        return int(found["timestamp"], 16)
