"""The standings across rounds: each model's record over the resolved rounds (reputation,
cumulative return, totals; see :mod:`oracle.audit.reputation`), the positions of rounds not yet
resolved, and the cross-round leaderboard built from both."""

from __future__ import annotations

from typing import Any

from oracle.audit.reputation import RESOLVED, ModelRecord, by_reputation, records
from oracle.chain.events import Status
from oracle.errors import TournamentError
from oracle.service.views import TournamentView


class Standings:
    """The cross-round views of one tournament, over its :class:`TournamentView`."""

    def __init__(self, view: TournamentView) -> None:
        self.view = view

    def model_records(self) -> dict[str, ModelRecord]:
        """Every model's record over the resolved rounds (see :mod:`oracle.audit.reputation`),
        recomputed when a round is resolved."""
        resolved = [
            (r, "0x" + info.results_hash.hex())
            for r in self.view.round_ids()
            if (info := self.view.info(r)).status in RESOLVED
        ]

        def compute() -> dict[str, ModelRecord]:
            documents = []
            for r, _ in resolved:
                try:
                    documents.append((r, self.view.results(r).document))
                except TournamentError:
                    continue  # its results file is not in this store (a partial mirror)
            return records(documents)

        return self.view.remember(("records", tuple(resolved)), compute)

    def open_positions(self) -> dict[str, list[dict[str, Any]]]:
        """The positions of rounds with no posted resolution yet, by model id: ``round``,
        ``account``, ``stake`` (base units) and the round's ``phase``."""
        out: dict[str, list[dict[str, Any]]] = {}
        for round_id in self.view.round_ids():
            info = self.view.info(round_id)
            if info.status in RESOLVED or info.status == Status.CANCELLED:
                continue
            for row in self.view.leaderboard(round_id):
                out.setdefault(row.model_id, []).append(
                    {
                        "round": round_id,
                        "account": row.account,
                        "stake": row.stake,
                        "phase": self.view.summary(round_id).phase,
                    }
                )
        return out

    def model_table(self) -> list[dict[str, Any]]:
        """The leaderboard across rounds: one row per model that ever staked, by reputation
        (highest first; models without one last, by name)."""
        records_ = self.model_records()
        open_ = self.open_positions()
        names = self.view.model_names()
        rows = []
        for model_id in sorted(set(records_) | set(open_)):
            record = records_.get(model_id) or ModelRecord(model_id)
            latest = record.latest
            rows.append(
                {
                    "model_id": model_id,
                    "name": names.get(model_id),
                    "reputation": record.reputation,
                    "cumulative_return": record.cumulative_return,
                    "total_staked": record.total_staked,
                    "total_net": record.total_net,
                    "at_stake": sum(int(p["stake"]) for p in open_.get(model_id, [])),
                    "rounds": len(record.rounds),
                    "latest_round": latest.round if latest else None,
                    "corr": latest.corr if latest else None,
                    "mmc": latest.mmc if latest else None,
                    "tc": latest.tc if latest else None,
                }
            )
        rows.sort(key=_ranking)
        return rows


def _ranking(row: dict[str, Any]) -> tuple[bool, float, str]:
    reputation = row["reputation"]
    return by_reputation(
        None if reputation is None else float(reputation), str(row["name"] or row["model_id"])
    )
