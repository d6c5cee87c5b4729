"""What the wallet's methods answer: plain frozen records, amounts in base units."""

from __future__ import annotations

from dataclasses import dataclass, field

from oracle.wallet.plan import Sent
from oracle.wallet.vault import Submission


@dataclass(frozen=True)
class Balance:
    address: str
    tokens: int
    ether: int
    #: Tokens held in positions not yet settled, over every round.
    staked: int


@dataclass(frozen=True)
class ModelPosition:
    """One of the account's positions, named by the vault when it holds the model's name."""

    round: int
    model: str
    model_id: str
    stake: int
    commitment: str
    settled: str | None
    payout: int
    #: Whether the vault holds the file and salt of the commitment the chain holds.
    saved: bool
    #: What needs doing, when the vault and the chain disagree ("" when they agree).
    note: str = ""


@dataclass(frozen=True)
class SubmitResult:
    submission: Submission
    stake: int
    sent: list[Sent]


@dataclass(frozen=True)
class RevealAnswer:
    model: str
    model_id: str
    #: The intake's status ("accepted" or "rejected"), or "not-saved" when this wallet holds
    #: no file and salt for the position's commitment.
    status: str
    reason: str


@dataclass(frozen=True)
class PositionStatus:
    model: str
    model_id: str
    stake: int
    settled: str | None
    saved: bool
    #: From the posted results, once there are some.
    result: str | None = None
    reason: str = ""
    scores: dict[str, float] | None = None
    reward: int = 0
    burn: int = 0


@dataclass(frozen=True)
class RoundStatus:
    round: int
    phase: str
    next_action: str
    close_time: int
    reveal_deadline: int
    chain_time: int
    positions: list[PositionStatus] = field(default_factory=list)


@dataclass(frozen=True)
class ClaimResult:
    #: (model, payout) of each claimed position.
    claimed: list[tuple[str, int]]
    #: The round the payouts went into as stakes, if any.
    restaked_into: int | None
    sent: list[Sent]
