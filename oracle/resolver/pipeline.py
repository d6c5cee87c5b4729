"""The operator's side of a round: open, intake, publish, resolve, finalize, settle.

Every step derives what is done from the chain and the store, so running it again is safe:
a step that already happened is reported, not repeated.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from eth_utils import to_checksum_address

from oracle.chain.events import Position, RoundInfo, Status
from oracle.errors import (
    CommitmentMismatchError,
    IncompleteLogsError,
    RoundDataError,
    RoundStateError,
    TournamentError,
    shortened,
)
from oracle.faults import crash_point
from oracle.market import Market, MarketSpec, to_parquet
from oracle.protocol.manifest import (
    Reveal,
    RoundManifest,
    Schedule,
    load_json,
    read_reveals_bundle,
    reveals_bundle,
)
from oracle.protocol.results import leaf_of
from oracle.resolver.context import OracleContext
from oracle.resolver.results import (
    COMMITMENT_MISMATCH,
    Results,
    RoundInputs,
    compute_results,
    judge_reveal,
    read_frame,
)
from oracle.resolver.synthetic import RoundSecret, secret_commitment
from oracle.resolver.transactions import send_once
from oracle.scoring import ScoringConfig
from oracle.scoring.validate import Universe
from oracle.store import content_hash
from oracle.times import utc_time

Say = Callable[[str], None]
ACCEPTED, REJECTED = "accepted", "rejected"


def _quiet(_message: str) -> None:
    pass


# ---------------------------------------------------------------------------------- open


@dataclass(frozen=True)
class OpenedRound:
    round_id: int
    manifest_hash: str
    manifest: RoundManifest
    budget: int


def open_round(
    ctx: OracleContext,
    operator: Any,
    treasury: Any,
    *,
    schedule: Schedule,
    budget: int,
    min_stake: int,
    config: ScoringConfig | None = None,
    kind: str = "classic",
    market: MarketSpec | None = None,
    live_data: Path | None = None,
    secret: bytes | None = None,
    say: Say = _quiet,
) -> OpenedRound:
    """Write the round's artefacts and manifest to the store, open it on chain and fund it.

    A synthetic round (``market``) draws its world, training data, live era and targets with a
    round secret (a fresh one from the OS's CSPRNG unless ``secret`` gives its 32 bytes) and
    commits to the secret and the targets in the manifest; a round on ``live_data`` of the
    operator's own takes its targets later (``publish_targets``).
    """
    config = config or ScoringConfig()
    schedule.check(ctx.now())
    round_id = int(ctx.contract.nextRound())
    store = ctx.store
    targets_hash = training_hash = secret_hash = None
    market_info = None
    if live_data is not None:
        say(f"reading the live data {live_data}")
        live_bytes = _own_live_data(live_data)
    else:
        spec = market or MarketSpec()
        # The round's world and live era are drawn with a secret that, like the targets, stays
        # private until the reveal deadline; the manifest commits to both.
        drawn_with = RoundSecret.new(round_id) if secret is None else RoundSecret(round_id, secret)
        secret_hash = store.put(drawn_with.to_bytes(), public=False)
        world = Market(spec, drawn_with.secret)
        say(f"generating round {round_id}'s live era ({spec.live_stocks:,} stocks)")
        drawn = world.draw(kind, round_id)
        live_bytes = to_parquet(drawn.live)
        targets_hash = store.put(to_parquet(drawn.targets), public=False)
        say("generating the training data")
        training_hash = store.put(to_parquet(world.training()))
        market_info = {
            "spec": spec.to_dict(),
            "round_number": round_id,
            "secret_commitment": secret_hash,
        }
    universe = len(read_frame(live_bytes, "live data"))
    manifest = RoundManifest(
        kind=kind,
        chain_id=ctx.chain_id,
        tournament=ctx.tournament,
        live_data=store.put(live_bytes),
        scoring_config=store.put(config.to_json().encode()),
        universe=universe,
        schedule=schedule,
        clip_ppm=config.payout.clip_ppm,
        min_stake=min_stake,
        targets_commitment=targets_hash,
        training_data=training_hash,
        market=market_info,
    )
    manifest_hash = store.put(manifest.to_bytes())
    params = (
        schedule.close_time,
        schedule.resolve_after,
        schedule.resolve_by,
        schedule.challenge_period,
        config.payout.clip_ppm,
        min_stake,
        bytes.fromhex(manifest_hash[2:]),
        bytes.fromhex(manifest.scoring_config[2:]),
    )
    say(f"opening round {round_id} on chain")
    receipt = ctx.contract.openRound(params, sender=operator)
    opened = [e for e in receipt.events if e.event_name == "RoundOpened"]
    round_id = int(opened[0].round) if opened else round_id
    store.put_ref(
        ctx.ref(round_id, "open"),
        {"manifest": manifest_hash, "targets": targets_hash, "secret": secret_hash},
    )
    if budget:
        fund_round(ctx, treasury, round_id, budget)
    return OpenedRound(round_id, manifest_hash, manifest, budget)


def _own_live_data(path: Path) -> bytes:
    """An operator's live data file (parquet, an ``id`` column and features), as stored."""
    try:
        data = Path(path).read_bytes()
    except OSError as err:
        raise RoundDataError(f"cannot read {path}: {err.strerror or err}") from None
    frame = read_frame(data, f"live data {path}")
    if frame.index.has_duplicates:
        raise RoundDataError(f"live data {path} repeats ids: give each id once")
    if len(frame) < 2:
        raise RoundDataError(f"live data {path} needs at least 2 ids")
    return data


def fund_round(ctx: OracleContext, treasury: Any, round_id: int, amount: int) -> None:
    """Move ``amount`` from the treasury into the round's budget (approving it first)."""
    from ape import project

    token = project.TournamentToken.at(ctx.contract.token())
    if token.allowance(treasury.address, ctx.tournament) < amount:
        token.approve(ctx.tournament, amount, sender=treasury)
    ctx.contract.fundRound(round_id, amount, sender=treasury)


def manifest_of(ctx: OracleContext, info: RoundInfo, *, public_only: bool = False) -> RoundManifest:
    return RoundManifest.from_bytes(ctx.store.get(info.live_data_hash, public_only=public_only))


# ---------------------------------------------------------------------------------- intake


#: Why a reveal came at the wrong time (IntakeResult.timing).
TOO_EARLY, TOO_LATE = "too-early", "too-late"


@dataclass(frozen=True)
class IntakeResult:
    status: str
    reason: str
    predictions_hash: str
    #: TOO_EARLY or TOO_LATE when the reveal came outside the reveal window, else "".
    timing: str = ""

    @property
    def accepted(self) -> bool:
        return self.status == ACCEPTED


def _reveal_ref(ctx: OracleContext, round_id: int, account: str, model_id: bytes) -> str:
    return ctx.ref(round_id, "reveals", f"{account}-0x{model_id.hex()}")


def _window_lock(ctx: OracleContext, round_id: int) -> str:
    """The lock between taking reveals (shared) and publishing them (exclusive)."""
    return ctx.ref(round_id, "reveal-window")


class Intake:
    """Reveal intake for one round: the round's facts are read once, then :meth:`take`
    checks each reveal (a batch of thousands costs one read of the positions)."""

    def __init__(
        self, ctx: OracleContext, round_id: int, clock: Callable[[], int] | None = None
    ) -> None:
        self.ctx = ctx
        self.round_id = round_id
        #: Chain time (a long-running service may pass a clock that reuses a recent read).
        self.clock = clock or ctx.now
        self.error: str | None = None
        try:
            self.info = ctx.reader.round_info(round_id)
        except TournamentError as err:
            self.error = str(err)
            return
        self.manifest = manifest_of(ctx, self.info)
        self._positions: dict[tuple[str, bytes], Position] | None = None
        self._universe: Universe | None = None
        # The first reveals may arrive together: the facts are read by one of them only.
        self._loading = threading.Lock()

    @property
    def positions(self) -> dict[tuple[str, bytes], Position]:
        # Read after close only, when staking can no longer change them.
        with self._loading:
            if self._positions is None:
                self._positions = {p.key: p for p in self.ctx.reader.positions(self.round_id)}
            return self._positions

    @property
    def universe(self) -> Universe:
        with self._loading:
            if self._universe is None:
                live = read_frame(self.ctx.store.get(self.manifest.live_data), "live data")
                self._universe = Universe(live.index)
            return self._universe

    def preload(self) -> None:
        """Read the round's positions and live ids now (after close), so the first reveal
        does not wait for them."""
        if self.error is None:
            _ = self.positions, self.universe

    def take(self, account: str, model_id: bytes, salt: bytes, data: bytes) -> IntakeResult:
        """Check one reveal and record it as accepted or rejected, with the reason.

        Accepted only after close and before the reveal deadline (chain time), for a position
        with stake, when the file and salt reproduce its last commitment and the file is valid.
        The file stays private until the deadline. The same reveal again gets the same answer;
        a later reveal never replaces an accepted one. Only the committed file and salt are
        kept (a stranger's wrong reveal leaves no file and no record, so the position stays
        unrevealed until its owner reveals), and every reason is cut to
        :data:`MAX_REASON_CHARS` characters. The round's intake log (the store's
        ``intake-log`` log) gets each first decision about a staked position's reveal inside
        the window, and at most :data:`MAX_LOGGED_REJECTIONS` rejections a position: its size
        is bounded by the staked positions, whoever sends what.

        Safe to call from many threads and processes at once: the decision about one position
        is taken under that position's store lock, and no reveal is accepted once
        :func:`publish_targets` has collected the round's reveals (it holds the round's reveal
        window lock exclusively while it does).
        """
        if self.error is not None:
            return IntakeResult(REJECTED, self.error, content_hash(data))
        now = self.clock()
        with self.ctx.store.lock(_window_lock(self.ctx, self.round_id), shared=True):
            result, logged = self._decide(account, model_id, salt, data, now)
        if logged:
            self.ctx.store.append(
                self.ctx.ref(self.round_id, "intake-log"),
                {
                    "account": account,
                    "model_id": "0x" + model_id.hex(),
                    "predictions_hash": result.predictions_hash,
                    "status": result.status,
                    "reason": result.reason,
                    "chain_time": now,
                },
            )
        return result

    def _decide(
        self, account: str, model_id: bytes, salt: bytes, data: bytes, now: int
    ) -> tuple[IntakeResult, bool]:
        """The answer, and whether it goes into the intake log: only reveals of a staked
        position inside the reveal window are logged, at most :data:`MAX_LOGGED_REJECTIONS`
        rejections a position."""
        file_hash = content_hash(data)
        try:
            account = to_checksum_address(account)
        except ValueError:
            return _rejected(f"'{shortened(account, 60)}' is not an address", file_hash), False
        info, deadline = self.info, self.manifest.schedule.reveal_deadline
        if now < info.close_time:
            opens, it_is = utc_time(info.close_time), utc_time(now)
            reason = f"too early: reveals open at close ({opens}); it is {it_is}"
            return _rejected(reason, file_hash, TOO_EARLY), False
        if now > deadline:
            closed, it_is = utc_time(deadline), utc_time(now)
            reason = f"too late: the reveal deadline was {closed}; it is {it_is}"
            return _rejected(reason, file_hash, TOO_LATE), False
        if published(self.ctx, self.round_id) is not None:
            reason = (
                f"too late: round {self.round_id}'s reveals were published at its deadline "
                f"{utc_time(deadline)}"
            )
            return _rejected(reason, file_hash, TOO_LATE), False
        if info.status == Status.CANCELLED:
            return _rejected(f"round {self.round_id} was cancelled", file_hash), False
        position = self.positions.get((account, model_id))
        if position is None:
            reason = f"{account} has no stake on model 0x{model_id.hex()} in round {self.round_id}"
            return _rejected(reason, file_hash), False
        ref = _reveal_ref(self.ctx, self.round_id, account, model_id)
        with self.ctx.store.lock(ref):
            return self._decide_position(ref, position, salt, data, file_hash)

    def _decide_position(
        self, ref: str, position: Position, salt: bytes, data: bytes, file_hash: str
    ) -> tuple[IntakeResult, bool]:
        previous = self.ctx.store.get_ref(ref)
        if previous is not None:
            same = (
                previous["salt"] == "0x" + salt.hex() and previous["predictions_hash"] == file_hash
            )
            if same:
                return IntakeResult(previous["status"], previous["reason"], file_hash), False
            if previous["status"] == ACCEPTED:
                reason = "this position already has an accepted reveal"
                return _rejected(reason, file_hash), self._count_rejection(ref)
        result, committed = self._check(position, salt, data, file_hash)
        if not committed:
            # Not the committed file and salt: nothing of it is kept, and it never replaces
            # what the position's owner revealed (only they know the salt).
            return result, self._count_rejection(ref)
        # The committed file (valid or not) is kept: it is what the round's bundle publishes.
        self.ctx.store.put(data, public=False, digest=file_hash)
        self.ctx.store.put_ref(
            ref,
            {
                "account": position.account,
                "model_id": "0x" + position.model_id.hex(),
                "salt": "0x" + salt.hex(),
                "predictions_hash": file_hash,
                "status": result.status,
                "reason": result.reason,
            },
        )
        return result, True

    def _count_rejection(self, ref: str) -> bool:
        """Count a rejected reveal of a position (under its lock); True while the position
        has had at most :data:`MAX_LOGGED_REJECTIONS` of them, so the log stays bounded."""
        name = ref.replace("/reveals/", "/rejections/", 1)
        count = int((self.ctx.store.get_ref(name) or {}).get("count", 0)) + 1
        if count > MAX_LOGGED_REJECTIONS:
            return False
        self.ctx.store.put_ref(name, {"count": count}, durable=False)
        return True

    def _check(
        self, position: Position, salt: bytes, data: bytes, file_hash: str
    ) -> tuple[IntakeResult, bool]:
        """The answer, and whether the file and salt are the committed ones."""
        if len(salt) != 32:
            return _rejected("the salt must be 32 bytes", file_hash), False
        judged = judge_reveal(
            self.ctx.chain_id,
            self.ctx.tournament,
            position,
            salt,
            bytes.fromhex(file_hash[2:]),
            lambda: data,
            self.universe,
        )
        if isinstance(judged, str) and judged == COMMITMENT_MISMATCH:
            return _rejected(judged, file_hash), False
        if isinstance(judged, str):
            return _rejected(judged, file_hash), True
        return IntakeResult(ACCEPTED, "", file_hash), True


#: The longest rejection reason kept or answered, in characters.
MAX_REASON_CHARS = 300
#: Rejected reveals of one position written to the intake log; later ones are answered only.
MAX_LOGGED_REJECTIONS = 20


def _rejected(reason: str, file_hash: str, timing: str = "") -> IntakeResult:
    return IntakeResult(REJECTED, shortened(reason, MAX_REASON_CHARS), file_hash, timing)


def reveal_records(ctx: OracleContext, round_id: int) -> list[Reveal]:
    prefix = ctx.ref(round_id, "reveals")
    records = [ctx.store.get_ref(name) for name in ctx.store.list_refs(prefix)]
    return [Reveal(**r) for r in records if r is not None]


# ---------------------------------------------------------------------------------- publish


@dataclass(frozen=True)
class Published:
    targets: str
    reveals: str


def published(ctx: OracleContext, round_id: int) -> Published | None:
    record = ctx.store.get_ref(ctx.ref(round_id, "published"))
    return None if record is None else Published(record["targets"], record["reveals"])


def publish_targets(
    ctx: OracleContext, round_id: int, targets_file: Path | None = None, say: Say = _quiet
) -> Published:
    """After the reveal deadline: publish every reveal together (the bundle and the files) and
    the realised targets, which must match the manifest's commitment when it made one."""
    with ctx.store.lock(_window_lock(ctx, round_id)):
        return _publish(ctx, round_id, targets_file, say)


def _publish(ctx: OracleContext, round_id: int, targets_file: Path | None, say: Say) -> Published:
    done = published(ctx, round_id)
    if done is not None:
        return done
    info = ctx.reader.round_info(round_id)
    manifest = manifest_of(ctx, info)
    now = ctx.now()
    if now <= manifest.schedule.reveal_deadline:
        raise RoundStateError(
            f"round {round_id}'s reveals are open until "
            f"{utc_time(manifest.schedule.reveal_deadline)} (it is {utc_time(now)}): publish "
            "after that"
        )
    if targets_file is not None:
        try:
            targets = Path(targets_file).read_bytes()
        except OSError as err:
            raise RoundDataError(f"cannot read {targets_file}: {err.strerror or err}") from None
    elif manifest.targets_commitment is not None:
        targets = ctx.store.get(manifest.targets_commitment)
    else:
        raise RoundStateError(
            f"round {round_id} was opened on the operator's live data: pass --targets FILE"
        )
    targets_hash = content_hash(targets)
    if manifest.targets_commitment is not None and targets_hash != manifest.targets_commitment:
        raise CommitmentMismatchError(
            f"the targets hash to {targets_hash}, not the {manifest.targets_commitment} the "
            f"round's manifest committed to"
        )
    frame = read_frame(targets, "targets")
    universe = read_frame(ctx.store.get(manifest.live_data), "live data").index
    if not frame.index.equals(universe) or "target" not in frame.columns:
        raise RoundDataError(
            "the targets need an id column with exactly the live data's ids, in its order, "
            "and a target column"
        )
    reveals = reveal_records(ctx, round_id)
    say(f"publishing {len(reveals):,} reveals and the targets of round {round_id}")
    for reveal in reveals:
        ctx.store.publish(reveal.predictions_hash)
    secret_hash = secret_commitment(manifest.market)
    if secret_hash is not None:
        ctx.store.publish(secret_hash)
    bundle = ctx.store.put(reveals_bundle(round_id, reveals))
    ctx.store.put(targets, public=True)
    ctx.store.publish(targets_hash)
    record = Published(targets_hash, bundle)
    ctx.store.put_ref(ctx.ref(round_id, "published"), {"targets": targets_hash, "reveals": bundle})
    return record


# ---------------------------------------------------------------------------------- resolve


def round_inputs(
    ctx: OracleContext,
    info: RoundInfo,
    targets_hash: str,
    reveals_hash: str,
    *,
    public_only: bool,
    budget: int,
) -> RoundInputs:
    """Gather a round's inputs from the store and the chain (public artefacts only for verify)."""
    get = ctx.store.get
    manifest_hash = "0x" + info.live_data_hash.hex()
    manifest = manifest_of(ctx, info, public_only=public_only)
    config_hash = "0x" + info.scoring_config_hash.hex()
    if manifest.scoring_config != config_hash:
        raise CommitmentMismatchError(
            f"the manifest names scoring config {manifest.scoring_config}, the chain {config_hash}"
        )
    return RoundInputs(
        chain_id=ctx.chain_id,
        tournament=ctx.tournament,
        round_id=info.round,
        manifest_hash=manifest_hash,
        manifest=manifest,
        config_bytes=get(config_hash, public_only=public_only),
        live_data=get(manifest.live_data, public_only=public_only),
        targets=get(targets_hash, public_only=public_only),
        reveals_hash=reveals_hash,
        reveals=read_reveals_bundle(get(reveals_hash, public_only=public_only)),
        positions=ctx.reader.positions(info.round),
        budget=budget,
        clip_ppm=info.clip_ppm,
        load_file=lambda digest: get(digest, public_only=public_only),
    )


@dataclass(frozen=True)
class Resolution:
    round_id: int
    root: bytes
    results_hash: str
    totals: tuple[int, int, int]
    results: Results | None
    posted_now: bool
    tx_hash: str | None


def resolve(
    ctx: OracleContext, oracle_account: Any, round_id: int, say: Say = _quiet
) -> Resolution:
    """Score the round, store its results file and post its root (once).

    Safe to run again at any point: a posted round is reported; a results file already
    stored is the same bytes; a post already broadcast is found and waited for.
    """
    info = ctx.reader.round_info(round_id)
    if info.status in (Status.POSTED, Status.FINALIZED):
        return Resolution(
            round_id,
            info.root,
            "0x" + info.results_hash.hex(),
            (info.total_staked, info.total_reward, info.total_burn),
            None,
            False,
            None,
        )
    if info.status == Status.CANCELLED:
        raise RoundStateError(f"round {round_id} was cancelled: its stakes are refunded")
    now = ctx.now()
    if now > info.resolve_by - info.challenge_period:
        raise RoundStateError(
            f"round {round_id} can no longer be resolved (deadline {utc_time(info.resolve_by)}): "
            "stakers take refunds"
        )
    done = published(ctx, round_id) or publish_targets(ctx, round_id, say=say)
    inputs = round_inputs(
        ctx, info, done.targets, done.reveals, public_only=False, budget=info.budget
    )
    staked = sum(p.stake for p in inputs.positions)
    if staked != info.total_staked:
        raise IncompleteLogsError(
            f"the positions from the chain's events add up to {staked}, but the round records "
            f"{info.total_staked}: is the node missing logs?"
        )
    results = compute_results(inputs, progress=say)
    crash_point("before-store")
    results_hash = ctx.store.put(results.data, public=True)
    crash_point("after-store")
    if now < info.resolve_after:
        raise RoundStateError(
            f"round {round_id}'s results are stored ({results_hash}); it can be posted from "
            f"{utc_time(info.resolve_after)} (it is {utc_time(now)})"
        )
    total_staked, reward, burn = results.totals
    vetoes = len(ctx.reader.events("ResolutionVetoed", round_id))
    say(f"posting root 0x{results.root.hex()}")
    tx_hash = send_once(
        ctx,
        ctx.ref(round_id, f"post-{vetoes}"),
        oracle_account,
        ctx.contract.postResolution,
        (round_id, results.root, total_staked, reward, burn, bytes.fromhex(results_hash[2:])),
    )
    crash_point("after-receipt")
    return Resolution(
        round_id,
        results.root,
        results_hash,
        results.totals,
        results,
        True,
        tx_hash,
    )


def results_of(ctx: OracleContext, info: RoundInfo, *, public_only: bool = False) -> dict[str, Any]:
    """The posted results file of a round, parsed."""
    if info.results_hash == b"\x00" * 32:
        raise RoundStateError(f"round {info.round} has no posted resolution")
    return load_json(ctx.store.get(info.results_hash, public_only=public_only), "the results file")


# ------------------------------------------------------------------------- finalize / settle


def finalize(ctx: OracleContext, account: Any, round_id: int) -> bool:
    """Finalise a posted round once its challenge window has passed; False if nothing to do."""
    info = ctx.reader.round_info(round_id)
    if info.status == Status.FINALIZED:
        return False
    if info.status != Status.POSTED:
        raise RoundStateError(f"round {round_id} has no posted resolution to finalise")
    now = ctx.now()
    if now < info.challenge_ends:
        raise RoundStateError(
            f"round {round_id}'s challenge window is open until {utc_time(info.challenge_ends)} "
            f"(it is {utc_time(now)})"
        )
    ctx.contract.finalize(round_id, sender=account)
    return True


@dataclass(frozen=True)
class Settlement:
    settled: int
    skipped: int
    transactions: int
    gas_used: int


def settle(
    ctx: OracleContext,
    account: Any,
    round_id: int,
    *,
    max_batch: int | None = None,
    on_batch: Callable[[int, int], None] | None = None,
) -> Settlement:
    """Claim every unsettled leaf of a finalised round on behalf of its owner with
    ``claimMany``, in batches sized to the block gas limit."""
    info = ctx.reader.round_info(round_id)
    if info.status != Status.FINALIZED:
        raise RoundStateError(f"round {round_id} is not finalised: nothing to settle yet")
    document = results_of(ctx, info)
    done = ctx.reader.settled(round_id)
    pending = []
    for entry in document["positions"]:
        leaf = leaf_of(round_id, entry)
        if (leaf[1], leaf[2]) in done:
            continue
        pending.append((leaf, [bytes.fromhex(p[2:]) for p in entry["proof"]]))
    skipped = len(document["positions"]) - len(pending)
    if not pending:
        return Settlement(0, skipped, 0, 0)
    batch = max_batch or _batch_size(ctx, account, pending)
    transactions = gas = settled = 0
    for start in range(0, len(pending), batch):
        part = pending[start : start + batch]
        receipt = ctx.contract.claimMany(
            [leaf for leaf, _ in part], [proof for _, proof in part], sender=account
        )
        transactions += 1
        gas += int(receipt.gas_used)
        settled += len(part)
        if on_batch:
            on_batch(settled, len(pending))
    return Settlement(settled, skipped, transactions, gas)


def _batch_size(ctx: OracleContext, account: Any, pending: list[Any]) -> int:
    """Leaves per ``claimMany``: what half a block's gas pays for, from an estimate of a
    sample batch (the other half leaves room for everyone else's transactions)."""
    sample = pending[: min(len(pending), 32)]
    estimate = ctx.contract.claimMany.estimate_gas_cost(
        [leaf for leaf, _ in sample], [proof for _, proof in sample], sender=account
    )
    per_leaf = max(1, int(estimate) // len(sample))
    block_limit = int(ctx.provider.web3.eth.get_block("latest")["gasLimit"])
    return max(1, min(len(pending), block_limit // 2 // per_leaf))
