"""The study's two outputs: a JSON document (the numbers, the properties, the run's time and
a digest of every exact amount) and a self-contained HTML page with its plots.

The digest is the SHA-256 of every position's stake, score, ratio, reward and burn in every
round under every rule (integers), with the regimes and the rejected models: two runs of the
same config agree on it bit for bit, whatever machine they ran on.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from pathlib import Path
from typing import Any

from oracle import machine
from oracle.files import write_atomically
from oracle.pages import plots
from oracle.pages.templating import environment, inline_assets
from oracle.protocol.units import UNIT
from oracle.simulate import analysis
from oracle.simulate.engine import RuleRun, Simulation
from oracle.simulate.population import BY_NAME

#: The benchmark's goal: 200 rounds of about 40 participants, 5,000 stocks, under 2 minutes.
GOAL_SECONDS = 120
TEMPLATES = Path(__file__).resolve().parent / "templates"


def digest(sim: Simulation) -> str:
    """SHA-256 over every exact number the run produced (see the module's docstring)."""
    exact = {
        "positions": [(p.name, p.account, p.strategy, p.stake) for p in sim.positions],
        "regimes": sim.regimes,
        "rejected": sim.rejected,
        "runs": {
            run.rule.name: [
                run.stakes, run.scores, run.ratios, run.rewards, run.burns, run.budgets,
                run.returned, run.supply,
            ]
            for run in sim.runs
        },
    }  # fmt: skip
    encoded = json.dumps(exact, sort_keys=True, separators=(",", ":")).encode()
    return "0x" + hashlib.sha256(encoded).hexdigest()


def _tokens(units: int) -> float:
    value: float = units / UNIT
    return round(value, 6)


def _pct(value: float | None) -> float | None:
    return None if value is None else round(value * 100, 6)


def document(sim: Simulation) -> dict[str, Any]:
    """Everything the run found, as JSON-ready values (percentages are per round)."""
    config = sim.config
    summary = analysis.summary(sim)
    strategies = []
    for row in summary[config.reference.name]:
        members = [p for p in sim.positions if p.strategy == row.strategy]
        strategies.append(
            {
                "name": row.strategy,
                "description": BY_NAME[row.strategy].description,
                "positions": len(members),
                "accounts": len({p.account for p in members}),
                "stake": _tokens(sum(p.stake for p in members)),
                "scores": analysis.mean_scores(sim, row.strategy),
            }
        )
    accounts = len({p.account for p in sim.positions})
    return {
        "what": "incentive study: every strategy's payout per unit of stake under each payout "
        "rule, on the same simulated rounds",
        "config": config.to_dict(),
        "population": {
            "positions": len(sim.positions),
            "accounts": accounts,
            "strategies": strategies,
        },
        "rules": [{"name": r.name, "label": r.label} for r in config.rules],
        "summary": {
            rule: [
                {
                    "strategy": s.strategy,
                    "rounds": s.rounds,
                    "mean_pct": _pct(s.mean),
                    "ci95_pct": [_pct(s.ci_low), _pct(s.ci_high)],
                    "cumulative_pct": _pct(s.cumulative),
                    "burn_share": round(s.burn_share, 6),
                    "verdict": s.verdict,
                }
                for s in rows
            ]
            for rule, rows in summary.items()
        },
        "properties": [
            {"property": f.property, "rule": f.rule, "holds": f.holds, "detail": f.detail}
            for f in analysis.properties(sim)
        ],
        "rounds": {run.rule.name: _round_columns(sim, run) for run in sim.runs},
        "digest": digest(sim),
        "benchmark": {
            "rounds": config.rounds,
            "participants": accounts,
            "positions": len(sim.positions),
            "live_stocks": config.market.live_stocks,
            "rules": len(config.rules),
            "seconds": sim.seconds,
            "goal_seconds": GOAL_SECONDS,
            "goal": "200 rounds, about 40 participants, 5,000 stocks",
        },
    }


def _round_columns(sim: Simulation, run: RuleRun) -> dict[str, list[Any]]:
    rows = analysis.round_rows(sim, run)
    return {
        "regime": [r.regime for r in rows],
        "staked": [_tokens(r.staked) for r in rows],
        "budget": [_tokens(r.budget) for r in rows],
        "reward": [_tokens(r.reward) for r in rows],
        "burned": [_tokens(r.burned) for r in rows],
        "budget_used": [round(r.budget_used, 6) for r in rows],
        "supply": [_tokens(r.supply) for r in rows],
    }


def results_document(sim: Simulation) -> dict[str, Any]:
    """:func:`document` with the machine and the time of the run, as benchmarks record."""
    return {
        **document(sim),
        "machine": machine(),
        "measured_at": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }


def write_results(path: Path, doc: dict[str, Any]) -> Path:
    data = (json.dumps(doc, indent=1) + "\n").encode()
    write_atomically(Path(path), data, durable=False, mode=0o644)
    return Path(path)


# ------------------------------------------------------------------ the page


def _cumulative(values: list[float | None]) -> list[float]:
    total, out = 0.0, []
    for v in values:
        total += v or 0.0
        out.append(round(total * 100, 4))
    return out


def page(sim: Simulation, doc: dict[str, Any]) -> str:
    """The self-contained HTML report (stylesheet, script and every plot inline)."""
    rounds = list(range(1, sim.config.rounds + 1))
    sections = []
    for run in sim.runs:
        strategies = [s["strategy"] for s in doc["summary"][run.rule.name]]
        per_round = {s: analysis.returns(sim, run, s) for s in strategies}
        rows = analysis.round_rows(sim, run)
        slug = run.rule.name
        sections.append(
            {
                "name": run.rule.name,
                "label": run.rule.label,
                "rows": doc["summary"][run.rule.name],
                "cumulative_plot": plots.lines(
                    f"cumulative-{slug}",
                    rounds,
                    {s: _cumulative(v) for s, v in per_round.items()},
                    xlabel="round",
                    ylabel="cumulative return (% of stake)",
                    markers=False,
                    legend_outside=True,
                    size=(8.0, 4.2),
                ),
                "distribution_plot": plots.boxes(
                    f"distribution-{slug}",
                    {s: [x * 100 for x in v if x is not None] for s, v in per_round.items()},
                    xlabel="payout per round (% of stake)",
                    size=(6.0, 4.6),
                ),
                "flows_plot": plots.lines(
                    f"flows-{slug}",
                    rounds,
                    {
                        "budget": [r.budget / UNIT for r in rows],
                        "owed before scaling": [r.wanted / UNIT for r in rows],
                        "reward paid": [r.reward / UNIT for r in rows],
                        "burned": [r.burned / UNIT for r in rows],
                    },
                    xlabel="round",
                    ylabel="tokens",
                    markers=False,
                    size=(8.0, 3.2),
                ),
            }
        )
    properties: dict[str, dict[str, dict[str, Any]]] = {}
    for f in doc["properties"]:
        properties.setdefault(f["property"], {})[f["rule"]] = f
    return (
        environment(TEMPLATES)
        .get_template("incentives.html")
        .render(
            standalone=True,
            assets=inline_assets(),
            doc=doc,
            sections=sections,
            properties=properties,
            rules=doc["rules"],
            generated=dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        )
    )


def write_page(path: Path, html: str) -> Path:
    write_atomically(Path(path), html.encode(), durable=False, mode=0o644)  # for anyone to read
    return Path(path)
