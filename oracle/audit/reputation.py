"""A model's record across rounds, from published results files alone: its reputation after
each round, its cumulative return and its totals, so anyone can recompute what the service's
leaderboard shows (``ape run oracle reputation``).

The definitions (docs/scoring.md#reputation):

* A round counts once it is **resolved**: its resolution posted and standing on chain (status
  Posted or Finalized; a disputed, vetoed or cancelled round does not count), its results
  file the one whose hash the chain holds. Until the round is finalised its entry is
  provisional: a veto or an upheld dispute replaces the results file, and the records follow.
* A model's entry in a round sums its positions (one per account that staked it): ``stake``,
  ``reward``, ``burn``; ``net = reward - burn``; ``payout = stake + net`` (what claims send).
  Its scores (CORR, MMC, TC and the **payout score**, the round's own combination
  ``combined_score`` of its quantised scores) are the stake-weighted means of its scored
  positions; an entry with no scored position has none.
* **Reputation** after round ``r``: the stake-weighted mean of the payout score over the
  model's last :data:`WINDOW` resolved rounds up to ``r`` that have a score, as Numerai's
  reputation is a mean over the last 20 rounds; weighting by stake makes a large bet count for
  what it risked. Also reported: the plain means of CORR, MMC and TC over the same window.
* **Cumulative return**: the product over every resolved round of ``1 + net / stake`` (a
  rejected or unrevealed position returns ``-burn / stake``), minus 1: one token staked in
  the first round and every payout restaked.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any

from oracle.audit.context import OracleContext
from oracle.chain.events import Status
from oracle.protocol.results import SCORED, Settled

#: The rounds a reputation averages over.
WINDOW = 20
#: The round statuses whose results count.
RESOLVED = (Status.POSTED, Status.FINALIZED)
#: The results file's score scale (``engine.score_scale``): combined scores are in 1e-9 units.
SCORE_SCALE = 10**9


@dataclass(frozen=True)
class RoundEntry(Settled):
    """One model in one resolved round (amounts in base units)."""

    round: int
    stake: int
    reward: int
    burn: int
    status: str
    corr: float | None = None
    mmc: float | None = None
    tc: float | None = None
    payout_score: float | None = None
    #: The model's reputation after this round (None until it has a scored round).
    reputation: float | None = None

    @property
    def round_return(self) -> float:
        """``net / stake``: what one staked token gained or lost in the round."""
        return float(Decimal(self.net) / Decimal(self.stake)) if self.stake else 0.0

    def to_json(self) -> dict[str, Any]:
        return {
            "round": self.round,
            "stake": str(self.stake),
            "reward": str(self.reward),
            "burn": str(self.burn),
            "net": str(self.net),
            "payout": str(self.payout),
            "status": self.status,
            "corr": self.corr,
            "mmc": self.mmc,
            "tc": self.tc,
            "payout_score": self.payout_score,
            "round_return": self.round_return,
            "reputation": self.reputation,
        }


@dataclass(frozen=True)
class ModelRecord:
    """One model across the resolved rounds, oldest first."""

    model_id: str
    rounds: list[RoundEntry] = field(default_factory=list)
    #: Plain means of CORR, MMC and TC over the last ``WINDOW`` scored rounds.
    means: dict[str, float | None] = field(default_factory=dict)

    @property
    def reputation(self) -> float | None:
        return self.rounds[-1].reputation if self.rounds else None

    @property
    def cumulative_return(self) -> float:
        growth = 1.0
        for entry in self.rounds:
            growth *= 1.0 + entry.round_return
        return growth - 1.0

    @property
    def total_staked(self) -> int:
        return sum(e.stake for e in self.rounds)

    @property
    def total_net(self) -> int:
        return sum(e.net for e in self.rounds)

    @property
    def latest(self) -> RoundEntry | None:
        return self.rounds[-1] if self.rounds else None

    def to_json(self) -> dict[str, Any]:
        return {
            "model_id": self.model_id,
            "reputation": self.reputation,
            "cumulative_return": self.cumulative_return,
            "total_staked": str(self.total_staked),
            "total_net": str(self.total_net),
            "means": self.means,
            "rounds": [e.to_json() for e in self.rounds],
        }


def by_reputation(reputation: float | None, label: str) -> tuple[bool, float, str]:
    """The sort key of the leaderboards: highest reputation first, models without one last,
    then by name (or id)."""
    return (reputation is None, -float(reputation or 0.0), label)


def _weighted(values: list[tuple[float, int]]) -> float | None:
    """The stake-weighted mean of (value, stake) pairs (a plain mean when no stake)."""
    if not values:
        return None
    total = sum(stake for _, stake in values)
    if total == 0:
        return sum(v for v, _ in values) / len(values)
    return float(sum((Decimal(repr(v)) * stake for v, stake in values), Decimal(0)) / total)


def round_entries(round_id: int, document: Mapping[str, Any]) -> dict[str, RoundEntry]:
    """Each model's entry in one results file, by model id."""
    by_model: dict[str, list[Mapping[str, Any]]] = {}
    for position in document.get("positions", []):
        by_model.setdefault(str(position["model_id"]), []).append(position)
    scale = int((document.get("engine") or {}).get("score_scale", SCORE_SCALE))
    out = {}
    for model_id, positions in by_model.items():
        scored = [p for p in positions if p["status"] == SCORED and p.get("scores")]

        def mean(name: str, scored: list[Mapping[str, Any]] = scored) -> float | None:
            pairs = [
                (float(p["scores"][name]), int(p["stake"]))
                for p in scored
                if p["scores"].get(name) is not None
            ]
            return _weighted(pairs)

        combined = [
            (int(p["combined_score"]) / scale, int(p["stake"]))
            for p in scored
            if p.get("combined_score") is not None
        ]
        out[model_id] = RoundEntry(
            round=round_id,
            stake=sum(int(p["stake"]) for p in positions),
            reward=sum(int(p["reward"]) for p in positions),
            burn=sum(int(p["burn"]) for p in positions),
            status=SCORED if scored else str(positions[0]["status"]),
            corr=mean("corr"),
            mmc=mean("mmc"),
            tc=mean("tc"),
            payout_score=_weighted(combined),
        )
    return out


def records(
    documents: Iterable[tuple[int, Mapping[str, Any]]], window: int = WINDOW
) -> dict[str, ModelRecord]:
    """Every model's record from the resolved rounds' results files ``(round, document)``."""
    history: dict[str, list[RoundEntry]] = {}
    for round_id, document in sorted(documents, key=lambda item: item[0]):
        for model_id, entry in round_entries(round_id, document).items():
            history.setdefault(model_id, []).append(entry)
    out = {}
    for model_id, entries in history.items():
        rated: list[RoundEntry] = []
        for i, entry in enumerate(entries):
            recent = [e for e in entries[: i + 1] if e.payout_score is not None][-window:]
            reputation = _weighted([(float(e.payout_score), e.stake) for e in recent])  # type: ignore[arg-type]
            rated.append(replace(entry, reputation=reputation))
        recent = [e for e in rated if e.payout_score is not None][-window:]
        means = {}
        for name in ("corr", "mmc", "tc"):
            values = [getattr(e, name) for e in recent if getattr(e, name) is not None]
            means[name] = sum(values) / len(values) if values else None
        out[model_id] = ModelRecord(model_id, rated, means)
    return out


def resolved_documents(ctx: OracleContext) -> list[tuple[int, dict[str, Any]]]:
    """The results files of the tournament's resolved rounds (see :data:`RESOLVED`), from the
    store, each the one whose hash the chain holds."""
    from oracle.protocol.manifest import load_json

    out = []
    for round_id in ctx.reader.round_ids():
        info = ctx.reader.round_info(round_id)
        if info.status not in RESOLVED:
            continue
        data = ctx.store.get("0x" + info.results_hash.hex(), public_only=True)
        out.append((round_id, load_json(data, f"round {round_id}'s results file")))
    return out
