"""Reveal intake and publishing: the two sides of a round's reveal-window lock.

:class:`Intake` takes reveals while the window is open, each under the lock held shared, and
stores only those that reproduce their position's on-chain commitment. :func:`publish_targets`
takes the lock exclusively after the reveal deadline and publishes every stored reveal, the
targets and the round secret together, so no reveal can land after the targets are public.
"""

from __future__ import annotations

import threading
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from eth_utils import to_checksum_address

from oracle.audit.checking import COMMITMENT_MISMATCH, judge_reveal
from oracle.audit.context import OracleContext, Say, manifest_of, quiet
from oracle.audit.results import read_frame
from oracle.audit.synthetic import secret_commitment
from oracle.chain.events import Position, Status
from oracle.errors import (
    CommitmentMismatchError,
    NotReadyError,
    RoundDataError,
    RoundStateError,
    TournamentError,
    shortened,
)
from oracle.protocol.manifest import Reveal, reveals_bundle
from oracle.scoring.fast_read import Universe
from oracle.store import content_hash
from oracle.times import utc_time

ACCEPTED, REJECTED = "accepted", "rejected"

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


#: The position locks of a round: a position's decisions are taken under the lock of its
#: stripe (one of this many), so reveals of one position never overlap while a burst of reveals
#: of many positions spreads over the stripes, each a lock file made once per round rather
#: than one per position.
POSITION_LOCK_STRIPES = 64


def _position_lock(ctx: OracleContext, round_id: int, account: str, model_id: bytes) -> str:
    """The lock a position's decisions are taken under: its stripe's (a stable hash, the same
    in every process, of the account and the model)."""
    stripe = zlib.crc32(bytes.fromhex(account[2:]) + model_id) % POSITION_LOCK_STRIPES
    return ctx.ref(round_id, "reveal-locks", f"{stripe:02d}")


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
        # Read after close only, when staking can no longer change them, and only once the
        # close is at depth (a reorg can no longer change them either).
        with self._loading:
            if self._positions is None:
                reader = self.ctx.reader
                if not reader.deep_past(self.info.close_time):
                    raise NotReadyError(
                        reader.depth_line(f"round {self.round_id}'s close", self.info.close_time)
                    )
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
        is taken under its store lock (its stripe's, see :data:`POSITION_LOCK_STRIPES`), and no
        reveal is accepted once :func:`publish_targets` has collected the round's reveals (it
        holds the round's reveal window lock exclusively while it does).
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
        with self.ctx.store.lock(_position_lock(self.ctx, self.round_id, account, model_id)):
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


# ------------------------------------------------------------------------------ publishing


@dataclass(frozen=True)
class Published:
    targets: str
    reveals: str


def published(ctx: OracleContext, round_id: int) -> Published | None:
    record = ctx.store.get_ref(ctx.ref(round_id, "published"))
    return None if record is None else Published(record["targets"], record["reveals"])


def publish_targets(
    ctx: OracleContext, round_id: int, targets_file: Path | None = None, say: Say = quiet
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
