"""The service's pages, rendered from a :class:`~oracle.service.views.TournamentView` with
Jinja2 templates. The same renderer serves the pages and writes them as standalone files (the
stylesheet, the script and every plot inline), which open from disk with no server."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

from oracle.audit.reputation import WINDOW
from oracle.pages import plots
from oracle.pages.templating import environment, inline_assets
from oracle.protocol.units import MAX_SUPPLY, UNIT
from oracle.service.standings import Standings
from oracle.service.views import TournamentView

TEMPLATES = Path(__file__).resolve().parent / "templates"


class Pages:
    """The pages of one tournament.

    ``standalone`` inlines the stylesheet and the script; links then point at ``base_url``
    (the service's address) when given, and are left out when not.
    """

    def __init__(
        self,
        view: TournamentView,
        standings: Standings | None = None,
        *,
        standalone: bool = False,
        base_url: str | None = None,
    ) -> None:
        self.view = view
        self.standings = standings or Standings(view)
        self.standalone = standalone
        self.base_url = base_url.rstrip("/") if base_url else None
        self.env = environment(TEMPLATES)

    def link(self, path: str) -> str | None:
        if not self.standalone:
            return path
        return f"{self.base_url}{path}" if self.base_url else None

    def _render(self, template: str, **values: Any) -> str:
        assets = inline_assets() if self.standalone else {}
        link: Callable[[str], str | None] = self.link
        generated = (
            dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC") if self.standalone else None
        )
        return self.env.get_template(template).render(
            standalone=self.standalone,
            assets=assets,
            link=link,
            generated=generated,
            chain_id=self.view.ctx.chain_id,
            tournament=self.view.ctx.tournament,
            **values,
        )

    def cached(self, path: str, render: Callable[[], str]) -> str:
        """The page at ``path``, rendered at most once per couple of seconds."""
        return self.view.cached(("page", path), render)

    # ------------------------------------------------------------------ pages

    def error(self, status: int, message: str) -> str:
        return self._render("error.html", status=status, message=message)

    def index(self) -> str:
        rounds = self.view.summaries()
        return self._render(
            "index.html",
            rounds=rounds,
            supply=self.view.total_supply(),
            cap=MAX_SUPPLY,
            now=self.view.now(),
            supply_plot=_supply_plot(self.view.supply_series(rounds)),
            flows_plot=plots.lines(
                "flows",
                [s.round for s in rounds],
                {
                    "reward paid": [s.reward_paid / UNIT for s in rounds],
                    "burned": [s.burned / UNIT for s in rounds],
                },
                xlabel="round",
                ylabel="NMR",
            ),
        )

    def round(self, round_id: int) -> str:
        summary = self.view.summary(round_id)
        rows = self.view.leaderboard(round_id)
        resolved = summary.results is not None
        scored = [r for r in rows if r.status == "scored"]
        values: dict[str, Any] = {}
        if resolved:
            values["corr_mmc_plot"] = plots.scatter(
                "corr-mmc",
                [r.corr or 0.0 for r in scored],
                [r.mmc or 0.0 for r in scored],
                xlabel="CORR",
                ylabel="MMC",
                sign=[r.net for r in scored],
                empty="no scored position",
            )
            values["payout_plot"] = plots.scatter(
                "payout-stake",
                [r.stake / UNIT for r in scored],
                [r.net / UNIT for r in scored],
                xlabel="stake (NMR)",
                ylabel="net: reward - burn (NMR)",
                sign=[r.net for r in scored],
                empty="no scored position",
            )
        series = [(r, s) for r, s in self.view.supply_series() if r <= round_id]
        values["supply_plot"] = _supply_plot(series)
        values["burned_plot"] = plots.lines(
            "burned",
            [r for r, _ in series],
            {"burned": [(MAX_SUPPLY - s) / UNIT for _, s in series]},
            xlabel="round",
            ylabel="NMR",
        )
        return self._render("round.html", r=summary, rows=rows, resolved=resolved, **values)

    def model(self, model_id: bytes) -> str:
        history = self.view.model_history(model_id)
        hex_id = "0x" + model_id.hex()
        record = self.standings.model_records().get(hex_id)
        resolved = record.rounds if record else []
        labels = [str(e.round) for e in resolved]
        cumulative, total = [], 0
        for e in resolved:
            total += e.net
            cumulative.append(total / UNIT)
        return self._render(
            "model.html",
            model_id=hex_id,
            name=self.view.model_names().get(hex_id),
            history=history,
            record=record,
            open_positions=self.standings.open_positions().get(hex_id, []),
            scores_plot=plots.grouped_bars(
                "scores",
                labels,
                {
                    "CORR": [e.corr for e in resolved],
                    "MMC": [e.mmc for e in resolved],
                    "TC": [e.tc for e in resolved],
                },
                xlabel="round",
                ylabel="score",
                empty="no resolved round yet",
            ),
            payouts_plot=plots.lines(
                "cumulative-net",
                [e.round for e in resolved],
                {"cumulative net": cumulative},
                xlabel="round",
                ylabel="NMR",
                empty="no resolved round yet",
            ),
            reputation_plot=plots.lines(
                "reputation",
                [e.round for e in resolved],
                {"reputation": [e.reputation for e in resolved]},
                xlabel="round",
                ylabel="reputation",
                empty="no resolved round yet",
            ),
        )

    def diagnostics_form(self, round_id: int) -> str:
        """The upload form of round ``round_id``'s diagnostics."""
        validation = self.view.validation(round_id)
        return self._render(
            "diagnostics_form.html",
            round_id=round_id,
            eras=validation.eras,
            ids=len(validation.universe.index),
            benchmarks=validation.stakes,
        )

    def leaderboard(self) -> str:
        return self._render("leaderboard.html", rows=self.standings.model_table(), window=WINDOW)


def _supply_plot(series: list[tuple[int, int]]) -> str:
    """The token supply (in tokens) after each round of ``series``, on an axis from just below
    the lowest supply to just above the cap, so burns of a few tokens out of millions show."""
    values = [s / UNIT for _, s in series]
    cap = MAX_SUPPLY / UNIT
    low = min(values, default=cap)
    pad = max((cap - low) * 0.15, 1.0)
    return plots.lines(
        "supply",
        [r for r, _ in series],
        {"supply": values},
        xlabel="round",
        ylabel="NMR",
        ylim=(low - pad, cap + pad),
        decimals=0 if cap - low >= 50 else 2,
    )


def write_round_report(view: TournamentView, round_id: int, path: Path) -> Path:
    """Save round ``round_id``'s page as one self-contained HTML file at ``path``."""
    from oracle.files import write_atomically

    html = Pages(view, standalone=True).round(round_id)
    write_atomically(Path(path), html.encode(), mode=0o644)  # a report is for anyone to read
    return Path(path)
