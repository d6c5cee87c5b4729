"""Helpers shared by the tournament tests: round parameters, commitments, resolutions."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import ape
from eth_utils import keccak

from oracle.protocol.commitments import commitment as oracle_commitment
from oracle.protocol.commitments import model_id_of
from oracle.protocol.merkle import LEAF_ENCODING, StandardMerkleTree

ONE = 10**18
PPM = 1_000_000
HOUR = 3600
DAY = 24 * HOUR
#: The tests' settlement period: leaves stay claimable 14 days after the resolution deadline.
TOKEN_NAME = "Tournament Token"
TOKEN_SYMBOL = "TNMR"
CAP = 11_000_000 * 10**18
SETTLEMENT = 14 * DAY
#: The tests' bonds: a post locks RESOLUTION_BOND of the pool; a dispute costs DISPUTE_BOND.
RESOLUTION_BOND = 500 * ONE
DISPUTE_BOND = 100 * ONE
RULING = 2 * DAY
#: What the treasury deposits into the oracle's bond pool in the fixtures (four standing posts).
BOND_DEPOSIT = 4 * RESOLUTION_BOND
#: The constructor's arguments after the roles.
PERIODS_AND_BONDS = (SETTLEMENT, RESOLUTION_BOND, DISPUTE_BOND, RULING)


def model(name: str) -> bytes:
    return model_id_of(name)


def predictions_hash(name: str) -> bytes:
    return keccak(text=f"predictions:{name}")


def commitment(
    tournament: Any, round_id: int, account: str, model_id: bytes, preds: bytes, salt: bytes
) -> bytes:
    """The oracle's commitment (``oracle.protocol.commitments``) on the current chain."""
    return oracle_commitment(
        ape.chain.chain_id, str(tournament.address), round_id, str(account), model_id, preds, salt
    )


@dataclass
class Schedule:
    close: int
    resolve_after: int
    resolve_by: int
    challenge: int


def schedule(
    close_in: int = DAY, gap: int = HOUR, window: int = 7 * DAY, challenge: int = DAY
) -> Schedule:
    now = ape.chain.pending_timestamp
    close = now + close_in
    return Schedule(close, close + gap, close + gap + window, challenge)


def round_params(
    s: Schedule,
    clip_ppm: int = 50_000,
    min_stake: int = ONE,
    live: bytes = b"\x11" * 32,
    config: bytes = b"\x22" * 32,
) -> tuple[Any, ...]:
    return (s.close, s.resolve_after, s.resolve_by, s.challenge, clip_ppm, min_stake, live, config)


def open_round(
    tournament: Any, operator: Any, s: Schedule | None = None, **kwargs: Any
) -> tuple[int, Schedule]:
    s = s or schedule()
    receipt = tournament.openRound(round_params(s, **kwargs), sender=operator)
    # From the event: ape's return_value re-runs the call after the transaction.
    return int(receipt.events.filter(tournament.RoundOpened)[0].round), s


def warp(timestamp: int) -> None:
    """The next transaction runs at exactly ``timestamp``."""
    ape.chain.pending_timestamp = timestamp


@dataclass(frozen=True)
class LeafData:
    round: int
    account: str
    model_id: bytes
    stake: int
    reward: int
    burn: int
    preds: bytes

    def values(self) -> tuple[Any, ...]:
        return (
            self.round,
            self.account,
            self.model_id,
            self.stake,
            self.reward,
            self.burn,
            self.preds,
        )


def build_tree(leaves: list[LeafData]) -> StandardMerkleTree:
    return StandardMerkleTree.of([leaf.values() for leaf in leaves], LEAF_ENCODING)


def totals(leaves: list[LeafData]) -> tuple[int, int, int]:
    return (
        sum(leaf.stake for leaf in leaves),
        sum(leaf.reward for leaf in leaves),
        sum(leaf.burn for leaf in leaves),
    )
