"""The results file's format: what a round's results document holds and how a position entry
becomes the Merkle leaf the contract checks (ITournament.Leaf order)."""

from __future__ import annotations

from typing import Any

RESULTS_FORMAT = "tournament-results-v1"
#: What a position's leaf says about it.
SCORED, REJECTED, UNREVEALED = "scored", "rejected", "unrevealed"
#: The scores the results file reports per scored position, when the round has their inputs.
SCORE_NAMES = ("corr", "mmc", "tc", "fnc", "alpha", "mpc")


class Settled:
    """What a position (or a model's positions in a round) moves, in the terms of
    docs/scoring.md#terms; mixed into the dataclasses that hold ``stake``, ``reward`` and
    ``burn`` (base units)."""

    stake: int
    reward: int
    burn: int

    @property
    def net(self) -> int:
        """reward - burn."""
        return self.reward - self.burn

    @property
    def payout(self) -> int:
        """stake + reward - burn: what the claim sends."""
        return self.stake + self.net


def leaf_of(round_id: int, entry: dict[str, Any]) -> tuple[Any, ...]:
    """The leaf values (ITournament.Leaf order) of a results file's position entry."""
    return (
        round_id,
        entry["account"],
        bytes.fromhex(entry["model_id"][2:]),
        int(entry["stake"]),
        int(entry["reward"]),
        int(entry["burn"]),
        bytes.fromhex(entry["predictions_hash"][2:]),
    )
