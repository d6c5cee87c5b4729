"""The pages' plots: matplotlib figures rendered to inline SVG, text kept as text.

Rendering is deterministic (fixed ids, no date), so the same data gives the same bytes, and
needs nothing at view time: the SVG goes into the page itself, which works offline and saved
to disk. Every plot's marks carry an id (``<name>-points``, ``<name>-<series>``), so a test
can count what was drawn.
"""

from __future__ import annotations

import io
import threading
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from matplotlib.axes import Axes

#: matplotlib's own state is not thread safe: one figure is drawn at a time.
_LOCK = threading.Lock()
_STYLE: dict[str, Any] = {
    "svg.fonttype": "none",
    "svg.hashsalt": "tournament",
    "font.size": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.alpha": 0.3,
}
POSITIVE, NEGATIVE, NEUTRAL = "#1a7f37", "#cf222e", "#57606a"
SERIES_COLOURS = ("#0969da", "#bc4c00", "#8250df", "#1a7f37")


def _render(draw: Callable[[Axes], None], size: tuple[float, float]) -> str:
    import matplotlib

    matplotlib.use("Agg", force=False)
    from matplotlib.figure import Figure

    with _LOCK, matplotlib.rc_context(_STYLE):  # type: ignore[arg-type]
        figure = Figure(figsize=size, layout="constrained")
        axes = figure.subplots()
        draw(axes)
        out = io.StringIO()
        figure.savefig(out, format="svg", metadata={"Date": None, "Creator": None})
    svg = out.getvalue()
    return svg[svg.index("<svg") :]


def _plain(value: float, _position: int) -> str:
    """A tick label with thousands separators and no exponent."""
    return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:,.4g}"


def _empty(axes: Axes, message: str) -> None:
    axes.text(0.5, 0.5, message, ha="center", va="center", transform=axes.transAxes)
    axes.set_xticks([])
    axes.set_yticks([])


def scatter(
    name: str,
    x: Sequence[float],
    y: Sequence[float],
    *,
    xlabel: str,
    ylabel: str,
    sign: Sequence[float] | None = None,
    empty: str = "nothing to plot yet",
    size: tuple[float, float] = (5.0, 3.6),
) -> str:
    """A scatter of (x, y); points coloured by the sign of ``sign`` when given."""

    def draw(axes: Axes) -> None:
        if not x:
            _empty(axes, empty)
            return
        colours = (
            [POSITIVE if s > 0 else NEGATIVE if s < 0 else NEUTRAL for s in sign]
            if sign is not None
            else SERIES_COLOURS[0]
        )
        axes.scatter(x, y, s=18, c=colours, alpha=0.8, linewidths=0, gid=f"{name}-points")
        axes.axhline(0, color=NEUTRAL, linewidth=0.6)
        axes.set_xlabel(xlabel)
        axes.set_ylabel(ylabel)

    return _render(draw, size)


def lines(
    name: str,
    x: Sequence[float],
    series: Mapping[str, Sequence[float | None]],
    *,
    xlabel: str,
    ylabel: str,
    empty: str = "nothing to plot yet",
    size: tuple[float, float] = (6.0, 3.0),
) -> str:
    """One line per series over ``x`` (None values are gaps), with markers."""

    def draw(axes: Axes) -> None:
        from matplotlib.ticker import FuncFormatter, MaxNLocator

        if not x:
            _empty(axes, empty)
            return
        for colour, (label, values) in zip(SERIES_COLOURS, series.items(), strict=False):
            ys = [float("nan") if v is None else v for v in values]
            axes.plot(
                x, ys, marker="o", markersize=4, color=colour, label=label, gid=f"{name}-{label}"
            )
        if len(series) > 1:
            axes.legend(frameon=False)
        axes.set_xlabel(xlabel)
        axes.set_ylabel(ylabel)
        # Whole rounds on x, plain numbers with separators on y (no 1e7 offset).
        axes.xaxis.set_major_locator(MaxNLocator(integer=True))
        if len(set(x)) == 1:
            axes.set_xlim(x[0] - 1, x[0] + 1)
        axes.yaxis.set_major_formatter(FuncFormatter(_plain))

    return _render(draw, size)
