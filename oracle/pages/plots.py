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
#: For plots of more series than SERIES_COLOURS: twelve more, told apart in print too.
MORE_COLOURS = (
    "#cf222e", "#57606a", "#bf8700", "#1b7c83", "#e85aad", "#6e7781",
    "#953800", "#0550ae", "#4d2d00", "#116329", "#a475f9", "#24292f",
)  # fmt: skip


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


def _colours(count: int) -> tuple[str, ...]:
    palette = SERIES_COLOURS + MORE_COLOURS
    if count > len(palette):
        raise ValueError(f"at most {len(palette)} series can be told apart, got {count}")
    return palette[:count]


def lines(
    name: str,
    x: Sequence[float],
    series: Mapping[str, Sequence[float | None]],
    *,
    xlabel: str,
    ylabel: str,
    empty: str = "nothing to plot yet",
    size: tuple[float, float] = (6.0, 3.0),
    markers: bool = True,
    legend_outside: bool = False,
    ylim: tuple[float, float] | None = None,
    decimals: int | None = None,
) -> str:
    """One line per series over ``x`` (None values are gaps), with markers unless told not;
    ``ylim`` fixes the y axis and ``decimals`` the y tick labels' decimals."""

    def draw(axes: Axes) -> None:
        from matplotlib.ticker import FuncFormatter, MaxNLocator

        if not x:
            _empty(axes, empty)
            return
        for colour, (label, values) in zip(_colours(len(series)), series.items(), strict=True):
            ys = [float("nan") if v is None else v for v in values]
            axes.plot(
                x,
                ys,
                marker="o" if markers else None,
                markersize=4,
                linewidth=1.5 if markers else 1.2,
                color=colour,
                label=label,
                gid=f"{name}-{label}",
            )
        if len(series) > 1:
            if legend_outside:
                axes.legend(frameon=False, loc="upper left", bbox_to_anchor=(1.0, 1.0))
            else:
                axes.legend(frameon=False)
        axes.set_xlabel(xlabel)
        axes.set_ylabel(ylabel)
        # Whole rounds on x, plain numbers with separators on y (no 1e7 offset).
        axes.xaxis.set_major_locator(MaxNLocator(integer=True))
        if len(set(x)) == 1:
            axes.set_xlim(x[0] - 1, x[0] + 1)
        if ylim is not None:
            axes.set_ylim(*ylim)
        if decimals is None:
            axes.yaxis.set_major_formatter(FuncFormatter(_plain))
        else:
            axes.yaxis.set_major_formatter(FuncFormatter(lambda v, _p: f"{v:,.{decimals}f}"))

    return _render(draw, size)


def boxes(
    name: str,
    groups: Mapping[str, Sequence[float]],
    *,
    xlabel: str,
    size: tuple[float, float] = (6.0, 4.0),
) -> str:
    """One horizontal box per group (quartiles, whiskers at 1.5 IQR, outliers as dots), in the
    order given, top to bottom."""

    def draw(axes: Axes) -> None:
        kept = {label: list(values) for label, values in groups.items() if len(values)}
        if not kept:
            _empty(axes, "nothing to plot")
            return
        labels = list(kept)[::-1]
        plotted = axes.boxplot(
            [kept[label] for label in labels],
            orientation="horizontal",
            widths=0.6,
            patch_artist=True,
            flierprops={"marker": ".", "markersize": 3, "alpha": 0.5},
            medianprops={"color": "#24292f"},
        )
        for box, label in zip(plotted["boxes"], labels, strict=True):
            box.set(facecolor=SERIES_COLOURS[0], alpha=0.35, gid=f"{name}-{label}")
        axes.set_yticks(range(1, len(labels) + 1), labels)
        axes.axvline(0, color=NEUTRAL, linewidth=0.6)
        axes.set_xlabel(xlabel)

    return _render(draw, size)


def bars(
    name: str,
    labels: Sequence[str],
    values: Sequence[float | None],
    *,
    xlabel: str,
    ylabel: str,
    empty: str = "nothing to plot yet",
    size: tuple[float, float] = (6.0, 3.0),
) -> str:
    """One bar per label, green when positive and red when negative (None: no bar); bar ``i``
    has the id ``<name>-bar-<i>``."""

    def draw(axes: Axes) -> None:
        if not labels:
            _empty(axes, empty)
            return
        ys = [0.0 if v is None else float(v) for v in values]
        colours = [POSITIVE if v > 0 else NEGATIVE if v < 0 else NEUTRAL for v in ys]
        bars_ = axes.bar(range(len(labels)), ys, color=colours, width=0.8)
        for i, patch in enumerate(bars_):
            patch.set_gid(f"{name}-bar-{i}")
        axes.axhline(0, color=NEUTRAL, linewidth=0.6)
        step = max(1, len(labels) // 10)
        ticks = list(range(0, len(labels), step))
        axes.set_xticks(ticks, [labels[i] for i in ticks], rotation=30, ha="right")
        axes.set_xlabel(xlabel)
        axes.set_ylabel(ylabel)

    return _render(draw, size)


def histogram(
    name: str,
    values: Sequence[float],
    *,
    xlabel: str,
    bins: int = 20,
    size: tuple[float, float] = (5.0, 3.0),
) -> str:
    """A histogram of ``values`` in ``bins`` equal bins."""

    def draw(axes: Axes) -> None:
        if not values:
            _empty(axes, "nothing to plot")
            return
        _, _, patches = axes.hist(list(values), bins=bins, color=SERIES_COLOURS[0], alpha=0.8)
        for i, patch in enumerate(patches):  # type: ignore[arg-type]
            patch.set_gid(f"{name}-bin-{i}")
        axes.axvline(0, color=NEUTRAL, linewidth=0.6)
        axes.set_xlabel(xlabel)
        axes.set_ylabel("features")

    return _render(draw, size)


def grouped_bars(
    name: str,
    labels: Sequence[str],
    series: Mapping[str, Sequence[float | None]],
    *,
    xlabel: str,
    ylabel: str,
    empty: str = "nothing to plot yet",
    size: tuple[float, float] = (6.0, 3.0),
) -> str:
    """Side-by-side bars of each series at each label (None: no bar); the ``i``-th label's
    bar of series ``s`` has the id ``<name>-<s>-<i>``."""

    def draw(axes: Axes) -> None:
        if not labels:
            _empty(axes, empty)
            return
        width = 0.8 / max(1, len(series))
        for k, (colour, (label, values)) in enumerate(
            zip(_colours(len(series)), series.items(), strict=True)
        ):
            xs = [i - 0.4 + width * (k + 0.5) for i in range(len(labels))]
            ys = [0.0 if v is None else float(v) for v in values]
            drawn = axes.bar(xs, ys, width=width, color=colour, label=label)
            for i, patch in enumerate(drawn):
                patch.set_gid(f"{name}-{label}-{i}")
        axes.axhline(0, color=NEUTRAL, linewidth=0.6)
        axes.set_xticks(range(len(labels)), list(labels))
        if len(series) > 1:
            axes.legend(frameon=False)
        axes.set_xlabel(xlabel)
        axes.set_ylabel(ylabel)

    return _render(draw, size)
