"""What the service shows, read from the chain and the store: rounds with their phase and
totals, a round's leaderboard, one account's leaves and proofs, a model's history, and the
token supply over rounds.

Every value comes from the chain or from public artefacts. Reads of the chain are cached for a
second or two (a page or a burst of requests costs one read); a posted results file is parsed
once per content hash, since its bytes never change.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any, TypeVar

from eth_utils import is_hex_address, to_checksum_address

from oracle.audit.context import OracleContext, manifest_of
from oracle.audit.results import ZERO32
from oracle.chain.events import RoundInfo, Status
from oracle.errors import NotFoundError, NotReadyError, RpcUnavailableError, TournamentError
from oracle.protocol.commitments import model_id_of
from oracle.protocol.manifest import RoundManifest, load_json
from oracle.protocol.results import Settled
from oracle.protocol.units import MAX_SUPPLY
from oracle.resolver import keeper
from oracle.resolver.intake import published
from oracle.service.cache import TtlCache

T = TypeVar("T")
#: The store's log of model names, as participants declare them with their reveals.
NAMES_LOG = "model-names"


def checked_account(text: str) -> str:
    """An address from user input, checksummed; a one-line error otherwise."""
    if not is_hex_address(text):
        raise ValueError(f"'{text}' is not an account address: give 0x and 40 hex digits")
    return str(to_checksum_address(text))


_MODEL_ID = re.compile(r"0x[0-9a-fA-F]{64}\Z")


def checked_model_id(text: str) -> bytes:
    """A model id from user input: 0x and 64 hex digits, or a model name (hashed the way the
    wallet derives ids, see :func:`~oracle.protocol.commitments.model_id_of`)."""
    if _MODEL_ID.match(text):
        return bytes.fromhex(text[2:])
    try:
        return model_id_of(text)
    except ValueError as err:
        raise ValueError(f"'{text}' is not a model name: {err}") from None


@dataclass(frozen=True)
class RoundSummary:
    """One round as the listing and the round page show it (amounts in base units)."""

    round: int
    kind: str
    phase: str
    next_action: str
    close_time: int
    reveal_deadline: int
    resolve_after: int
    resolve_by: int
    challenge_ends: int
    settle_by: int
    universe: int
    positions: int
    reveals_accepted: int
    reveals_rejected: int
    staked: int
    budget: int
    #: What the posted resolution moves (zero before a post).
    reward: int
    burn: int
    #: What has actually moved: claimed rewards and burned tokens so far.
    reward_paid: int
    burned: int
    root: str | None
    results: str | None
    manifest: str
    live_data: str
    training_data: str | None
    scoring_config: str
    targets: str | None
    reveals_bundle: str | None
    #: The end of the guardian's ruling on a standing dispute (0 when none stands).
    rule_by: int = 0
    #: The validation eras and the benchmark predictions, for diagnostics (None: not published).
    validation_data: str | None = None
    benchmarks: str | None = None
    #: Every dispute of the round's roots with its outcome (see ``Dispute.to_json``).
    disputes: list[dict[str, Any]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        out = asdict(self)
        for key in AMOUNT_FIELDS:
            out[key] = str(out[key])
        return out


#: The token amounts of a :class:`RoundSummary`, written as decimal strings in JSON.
AMOUNT_FIELDS = ("staked", "budget", "reward", "burn", "reward_paid", "burned")


@dataclass(frozen=True)
class LeaderboardRow(Settled):
    account: str
    model_id: str
    model: str | None
    stake: int
    status: str
    reason: str = ""
    corr: float | None = None
    mmc: float | None = None
    tc: float | None = None
    fnc: float | None = None
    reward: int = 0
    burn: int = 0
    #: The round's combination of the scores its payout rule weights (None: not scored).
    payout_score: float | None = None

    @property
    def label(self) -> str:
        """The model's name when known, else its id."""
        return self.model or self.model_id


def by_payout_score(rows: list[LeaderboardRow]) -> list[LeaderboardRow]:
    """Rows by payout score, highest first; unscored rows after, by stake (largest first),
    then by name or id, so the order never depends on the accounts' addresses."""
    return sorted(
        rows,
        key=lambda r: (
            r.payout_score is None,
            -(r.payout_score or 0.0),
            -r.stake,
            r.label,
            r.account,
        ),
    )


@dataclass(frozen=True)
class ValidationSet:
    """A round's validation eras as diagnostics use them, parsed once per content hash."""

    frame: Any  # pandas.DataFrame: era, id, features, target
    universe: Any  # oracle.scoring.validate.Universe of the validation ids
    benchmarks: Any  # pandas.DataFrame by id, one column per benchmark model, or None
    stakes: dict[str, int]

    @property
    def eras(self) -> int:
        return int(self.frame["era"].nunique())


@dataclass(frozen=True)
class ResultsIndex:
    """A posted results file, parsed once, with its positions indexed by account."""

    digest: str
    data: bytes
    document: dict[str, Any]
    by_account: dict[str, list[dict[str, Any]]]

    @classmethod
    def of(cls, digest: str, data: bytes) -> ResultsIndex:
        document = load_json(data, "the results file")
        by_account: dict[str, list[dict[str, Any]]] = {}
        for entry in document.get("positions", []):
            by_account.setdefault(entry["account"], []).append(entry)
        return cls(digest, data, document, by_account)


class TournamentView:
    """Read-only views of one tournament, shared by the API and the pages."""

    #: Seconds a chain read is reused.
    CHAIN_TTL = 0.5
    #: Seconds a round's phase and counts (a scan of its events and reveal records) are reused.
    STATUS_TTL = 2.0

    def __init__(self, ctx: OracleContext) -> None:
        self.ctx = ctx
        self._cache = TtlCache()
        #: Parsed validation eras are megabytes each: only the last few rounds' are kept.
        self._validation = TtlCache(max_items=4)
        self._named: set[str] = set()
        self._names_lock = threading.Lock()

    def cached(self, key: Any, compute: Callable[[], T], ttl: float | None = None) -> T:
        """``compute()``, reused for ``ttl`` seconds (default: as long as a round's status)."""
        return self._cache.get(("cached", key), self.STATUS_TTL if ttl is None else ttl, compute)

    # ------------------------------------------------------------------ chain facts

    def info(self, round_id: int) -> RoundInfo:
        def read() -> RoundInfo:
            try:
                return self.ctx.reader.round_info(round_id)
            except RpcUnavailableError:
                raise  # the node, not the round: a 503
            except TournamentError as err:
                raise NotFoundError(str(err)) from None

        return self._cache.get(("info", round_id), self.CHAIN_TTL, read)

    def round_ids(self) -> list[int]:
        return self._cache.get(("rounds",), self.CHAIN_TTL, self.ctx.reader.round_ids)

    def now(self) -> int:
        return self._cache.get(("now",), self.CHAIN_TTL, self.ctx.now)

    def total_supply(self) -> int:
        def read() -> int:
            from ape import project

            token = project.TournamentToken.at(self.ctx.contract.token())
            return int(token.totalSupply())

        return self._cache.get(("supply",), self.CHAIN_TTL, read)

    def bonds(self) -> dict[str, int]:
        """The deployment's bonds and the oracle's free pool (see ``TournamentReader.bonds``)."""
        return self._cache.get(("bonds",), self.STATUS_TTL, self.ctx.reader.bonds)

    def token_address(self) -> str:
        return self._cache.get(("token",), None, lambda: str(self.ctx.contract.token()))

    def manifest(self, round_id: int) -> RoundManifest:
        info = self.info(round_id)
        return self._cache.get(
            ("manifest", info.live_data_hash), None, lambda: manifest_of(self.ctx, info)
        )

    def validation(self, round_id: int) -> ValidationSet:
        """The round's validation eras and benchmark predictions (a 404 when it has none)."""
        from oracle.scoring.bounded import read_bounded
        from oracle.scoring.diagnostics import benchmarks_by_id
        from oracle.scoring.fast_read import Universe

        manifest = self.manifest(round_id)
        digest = manifest.validation_data
        if digest is None:
            raise NotFoundError(f"round {round_id} publishes no validation eras")

        def load() -> ValidationSet:
            def frame(h: str) -> Any:
                data = self.ctx.store.get(h, public_only=True)
                table = read_bounded(data, "the validation artefact", error=TournamentError)
                out = table.to_pandas()
                out["id"] = out["id"].astype(str)
                return out

            validation = frame(digest)
            bench = None
            if manifest.benchmarks is not None:
                bench = benchmarks_by_id(frame(manifest.benchmarks))
            return ValidationSet(
                validation, Universe(validation["id"]), bench, manifest.benchmark_stakes
            )

        return self._validation.get((digest, manifest.benchmarks), None, load)

    # ------------------------------------------------------------------ rounds

    def summary(self, round_id: int) -> RoundSummary:
        info = self.info(round_id)
        manifest = self.manifest(round_id)
        status = self._cache.get(
            ("status", round_id),
            self.STATUS_TTL,
            lambda: keeper.round_status(self.ctx, round_id, self.now()),
        )
        done = published(self.ctx, round_id)
        posted = info.root != ZERO32
        finished = info.status == Status.FINALIZED
        return RoundSummary(
            round=round_id,
            kind=manifest.kind,
            phase=status.phase,
            next_action=status.next_action,
            close_time=info.close_time,
            reveal_deadline=manifest.schedule.reveal_deadline,
            resolve_after=info.resolve_after,
            resolve_by=info.resolve_by,
            challenge_ends=info.challenge_ends,
            settle_by=info.settle_by,
            universe=manifest.universe,
            positions=status.positions,
            reveals_accepted=status.accepted,
            reveals_rejected=status.rejected,
            staked=info.total_staked,
            budget=self._cache.get(
                ("budget", round_id),
                self.STATUS_TTL,
                lambda: self.ctx.reader.posted_budget(round_id),
            )
            if posted
            else info.budget,
            reward=info.total_reward,
            burn=info.total_burn,
            reward_paid=info.total_reward - info.reward_left if finished else 0,
            burned=info.total_burn - info.burn_left if finished else 0,
            root="0x" + info.root.hex() if posted else None,
            results="0x" + info.results_hash.hex() if posted else None,
            manifest="0x" + info.live_data_hash.hex(),
            live_data=manifest.live_data,
            training_data=manifest.training_data,
            scoring_config=manifest.scoring_config,
            targets=done.targets if done else None,
            reveals_bundle=done.reveals if done else None,
            rule_by=info.rule_by,
            validation_data=manifest.validation_data,
            benchmarks=manifest.benchmarks,
            disputes=self._cache.get(
                ("disputes", round_id),
                self.STATUS_TTL,
                lambda: [d.to_json() for d in self.ctx.reader.disputes(round_id)],
            ),
        )

    def summaries(self) -> list[RoundSummary]:
        return [self.summary(r) for r in self.round_ids()]

    def supply_series(self, summaries: list[RoundSummary] | None = None) -> list[tuple[int, int]]:
        """(round, supply after that round's burns so far): the cap less every round's burned
        tokens up to and including it (from ``summaries`` when the caller has them)."""
        supply, series = MAX_SUPPLY, []
        for s in self.summaries() if summaries is None else summaries:
            supply -= s.burned
            series.append((s.round, supply))
        return series

    # ------------------------------------------------------------------ results

    def results(self, round_id: int) -> ResultsIndex:
        info = self.info(round_id)
        if info.results_hash == ZERO32:
            raise NotReadyError(
                f"round {round_id} has no posted resolution yet: results appear once the "
                "oracle posts its root"
            )
        digest = "0x" + info.results_hash.hex()
        return self._cache.get(
            ("results", digest),
            None,
            lambda: ResultsIndex.of(digest, self.ctx.store.get(digest, public_only=True)),
        )

    def leaves(self, round_id: int, account: str) -> dict[str, Any]:
        """One account's leaves of a posted round, each with its proof."""
        index = self.results(round_id)
        entries = index.by_account.get(account, [])
        return {
            "round": round_id,
            "account": account,
            "root": index.document["root"],
            "results": index.digest,
            "leaves": entries,
        }

    def cached_results(self, round_id: int) -> ResultsIndex | None:
        """:meth:`results` when it can be answered from memory alone, else None."""
        info = self._cache.peek(("info", round_id))
        if info is None or info.results_hash == ZERO32:
            return None
        value: ResultsIndex | None = self._cache.peek(("results", "0x" + info.results_hash.hex()))
        return value

    def cached_leaves_json(self, round_id: int, account: str) -> bytes | None:
        """:meth:`leaves_json` when it can be answered from memory alone, else None."""
        index = self.cached_results(round_id)
        if index is None:
            return None
        value: bytes | None = self._cache.peek(("leaves", index.digest, account))
        return value

    def leaves_json(self, round_id: int, account: str) -> bytes:
        """:meth:`leaves` as JSON bytes, encoded once per results file and account."""
        digest = self.results(round_id).digest
        return self._cache.get(
            ("leaves", digest, account),
            None,
            lambda: json.dumps(self.leaves(round_id, account), separators=(",", ":")).encode(),
        )

    def leaderboard(self, round_id: int) -> list[LeaderboardRow]:
        """The round's positions: from its results once posted, from the chain before."""
        names = self.model_names()
        info = self.info(round_id)
        if info.results_hash == ZERO32:
            positions = self._cache.get(
                ("positions", round_id),
                self.STATUS_TTL,
                lambda: self.ctx.reader.positions(round_id),
            )
            return by_payout_score(
                [
                    LeaderboardRow(
                        p.account,
                        "0x" + p.model_id.hex(),
                        names.get("0x" + p.model_id.hex()),
                        p.stake,
                        "staked",
                    )
                    for p in positions
                ]
            )
        rows = []
        document = self.results(round_id).document
        scale = int((document.get("engine") or {}).get("score_scale", 10**9))
        for e in document["positions"]:
            scores = e.get("scores") or {}
            combined = e.get("combined_score")
            rows.append(
                LeaderboardRow(
                    e["account"],
                    e["model_id"],
                    names.get(e["model_id"]),
                    int(e["stake"]),
                    e["status"],
                    e["reason"],
                    scores.get("corr"),
                    scores.get("mmc"),
                    scores.get("tc"),
                    scores.get("fnc"),
                    int(e["reward"]),
                    int(e["burn"]),
                    None if combined is None else int(combined) / scale,
                )
            )
        return by_payout_score(rows)

    def model_history(self, model_id: bytes) -> list[dict[str, Any]]:
        """Every posted round's entries for ``model_id`` (any account), oldest first."""
        wanted = "0x" + model_id.hex()
        history = []
        for round_id in self.round_ids():
            try:
                index = self.results(round_id)
            except TournamentError:
                continue  # not posted yet, or its results file is not in this store
            for e in index.document["positions"]:
                if e["model_id"] == wanted:
                    history.append({"round": round_id, **e})
        return history

    def remember(self, key: Any, compute: Callable[[], T]) -> T:
        """``compute()``, kept for good under ``key`` (for values of content that never
        changes, such as a results file's parse)."""
        return self._cache.get(("remembered", key), None, compute)

    # ------------------------------------------------------------------ model names

    def model_names(self) -> dict[str, str]:
        """Model names participants declared with their reveals, by model id (from the store's
        ``model-names`` log, re-read at most every couple of seconds)."""

        def read() -> dict[str, str]:
            return {r["model_id"]: r["name"] for r in self.ctx.store.read_log(NAMES_LOG)}

        return self._cache.get(("names",), self.STATUS_TTL, read)

    def remember_name(self, model_id: bytes, name: str) -> None:
        """Record a model's name (only ever the name its id was derived from)."""
        if model_id_of(name) != model_id:
            raise ValueError(f"model '{name}' does not hash to 0x{model_id.hex()}")
        hex_id = "0x" + model_id.hex()
        if self.model_names().get(hex_id) == name:
            return
        with self._names_lock:
            if hex_id in self._named:
                return
            # A name can be learnt again from the next reveal: no need to sync it to disk.
            record = {"model_id": hex_id, "name": name}
            self.ctx.store.append(NAMES_LOG, record, durable=False)
            self._named.add(hex_id)
            self.model_names()[hex_id] = name  # this process sees it at once
