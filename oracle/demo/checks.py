"""The incentive checks the demo prints and its test asserts, from the posted results files.

- The hedge (a model and its mirror, p and 1 - p, from one account) never gains: its
  combined reward minus burn is at most zero in every round.
- A copy earns no more per staked token than the model it copies.
- Random predictions' mean payout ratio is reported beside the informed models'.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from oracle.demo.models import Participant
from oracle.protocol.results import Settled

INFORMED = frozenset({"linear", "trees", "noisy", "signals"})


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str

    def line(self) -> str:
        return f"{'ok  ' if self.ok else 'FAIL'} {self.name}: {self.detail}"


@dataclass(frozen=True)
class Outcome(Settled):
    """One position's result in one round: stake, reward and burn in base units."""

    round: int
    model: str
    strategy: str
    status: str
    stake: int
    reward: int
    burn: int

    @property
    def ratio(self) -> Fraction:
        return Fraction(self.net, self.stake)


def outcomes(
    results: dict[str, Any], names: dict[str, str], strategies: dict[str, str]
) -> list[Outcome]:
    """The demo's positions in a results document (``names``: model id to model name)."""
    found = []
    for e in results["positions"]:
        name = names.get(e["model_id"])
        if name is None:
            continue
        found.append(
            Outcome(
                int(results["round"]),
                name,
                strategies[name],
                e["status"],
                int(e["stake"]),
                int(e["reward"]),
                int(e["burn"]),
            )
        )
    return found


def _pct(value: Fraction | float) -> str:
    return f"{float(value) * 100:+.3f}%"


def incentive_checks(people: list[Participant], seen: list[Outcome]) -> list[Check]:
    """The checks over every round in ``seen``."""
    by = {(o.round, o.model): o for o in seen}
    rounds = sorted({o.round for o in seen})
    checks = []
    for person in people:
        for spec in person.models:
            if spec.strategy == "mirror" and spec.source:
                nets = [
                    by[(r, spec.name)].net + by[(r, spec.source)].net
                    for r in rounds
                    if (r, spec.name) in by and (r, spec.source) in by
                ]
                worst = max(nets) if nets else 0
                checks.append(
                    Check(
                        f"hedge {spec.source} + {spec.name} never gains",
                        all(n <= 0 for n in nets),
                        f"largest combined reward - burn over {len(nets)} round(s): {worst} wei",
                    )
                )
            if spec.strategy == "copy" and spec.source:
                pairs = [
                    (by[(r, spec.name)], by[(r, spec.source)])
                    for r in rounds
                    if (r, spec.name) in by and (r, spec.source) in by
                ]
                # One wei of rounding per position is allowed: amounts are whole base units.
                fine = all(c.ratio <= o.ratio + Fraction(1, c.stake) for c, o in pairs)
                detail = ", ".join(
                    f"round {c.round}: {_pct(c.ratio)} vs {_pct(o.ratio)}" for c, o in pairs
                )
                checks.append(
                    Check(
                        f"copy {spec.name} earns no more per token than {spec.source}",
                        fine,
                        detail or "no round",
                    )
                )
    scored = [o for o in seen if o.status == "scored"]
    random = [o.ratio for o in scored if o.strategy == "random"]
    informed = [o.ratio for o in scored if o.strategy in INFORMED]
    if random and informed:
        mean_random = sum(random, Fraction(0)) / len(random)
        mean_informed = sum(informed, Fraction(0)) / len(informed)
        checks.append(
            Check(
                "random predictions' mean payout ratio (reported)",
                True,
                f"{_pct(mean_random)} over {len(random)} position(s); informed models "
                f"{_pct(mean_informed)} over {len(informed)}",
            )
        )
    return checks
