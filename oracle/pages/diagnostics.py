"""A model's diagnostics as a page: the per-era CORR bars, the cumulative CORR line, the feature
exposure histogram and the summary table, in one self-contained HTML file (or the service's
page). The same diagnostics give the same bytes."""

from __future__ import annotations

from typing import Any

from oracle.pages import plots
from oracle.pages.templating import environment, inline_assets
from oracle.scoring.diagnostics import Diagnostics

#: The summary table's rows: (label, score key).
SUMMARY_ROWS = (
    ("CORR", "corr"),
    ("MMC", "mmc"),
    ("FNC", "fnc"),
    ("corr with example", "example_corr"),
)


def figures(d: Diagnostics) -> dict[str, str]:
    """The page's three plots as inline SVG."""
    eras = [str(e) for e in d.eras.index]
    corr = [None if v != v else float(v) for v in d.eras["corr"]]
    return {
        "eras_plot": plots.bars("era-corr", eras, corr, xlabel="validation era", ylabel="CORR"),
        "cumulative_plot": plots.lines(
            "cumulative",
            list(range(1, len(eras) + 1)),
            {"cumulative CORR": [float(v) for v in d.cumulative_corr]},
            xlabel="validation era (in order)",
            ylabel="cumulative CORR",
        ),
        "exposure_plot": plots.histogram(
            "exposure",
            [float(v) for v in d.exposures],
            xlabel="correlation of the predictions with a feature",
        ),
    }


def render_diagnostics(
    d: Diagnostics,
    *,
    round_id: int,
    chain_id: int,
    tournament: str,
    model: str | None = None,
    standalone: bool = True,
    **values: Any,
) -> str:
    """The diagnostics page; ``standalone`` inlines the stylesheet and drops the service's
    links, so the file opens from disk."""
    env = environment()
    assets = inline_assets() if standalone else {}
    return env.get_template("diagnostics.html").render(
        standalone=standalone,
        assets=assets,
        link=(lambda path: None) if standalone else (lambda path: path),
        generated=None,
        chain_id=chain_id,
        tournament=tournament,
        round_id=round_id,
        model=model,
        d=d,
        summary_rows=SUMMARY_ROWS,
        **figures(d),
        **values,
    )
