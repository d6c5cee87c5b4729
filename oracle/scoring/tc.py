"""True contribution (TC): how a model's stake moves the return of the optimised meta portfolio.

Numerai's optimiser is not public; this one is defined in the open (docs/scoring.md):

1. Each model's signal is its gaussianised tie-kept rank ``z_i``; the meta signal is the
   stake-weighted mean ``m = sum_i s_i z_i / S`` with ``S = sum_i s_i``, standardised to
   ``m_hat = sqrt(n) C m / ||C m||`` (``C`` removes the mean).
2. The portfolio ``w = u / n`` solves the strictly convex problem

       maximise   m_hat . u - (gamma / 2) ||u||^2
       subject to 1 . u = 0               (dollar neutral)
                  F^T u = 0               (neutral to each risk factor)
                  |u_j| <= b              (position bound: b / n of unit gross)
                  sum_j |u_j| <= n        (gross exposure at most 1)

   solved exactly by Newton's method on its dual in ``(nu, mu)``, which has one variable
   per constraint, so each step costs ``O(n r^2)``.
3. Its return on the realised target is ``R = t . w``. With the active set fixed, ``u`` is
   affine in ``m_hat`` on the free positions ``F``: ``du_F = P_F dm_hat_F / gamma`` with
   ``P_F`` the projection away from the active constraints' columns. Hence
   ``g = dR/dm_hat = P_F t_F / (gamma n)`` and, through the standardisation,
   ``dR/dm = sqrt(n) / ||C m|| (C g - m_hat (m_hat . g) / n)``.
4. ``dm/ds_i = (z_i - m) / S``, so every model's TC comes from one backward pass:
   ``TC_i = S dR/ds_i = (dR/dm) . (z_i - m)``. The factor ``S`` makes TC invariant to
   scaling all stakes; the stake-weighted sum of TC is zero.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

from oracle.errors import ScoringInputError
from oracle.scoring.transforms import (
    DEFAULT_CHUNK,
    FloatArray,
    RankArray,
    chunks,
    gaussian_table,
    twice_ranks,
)

if TYPE_CHECKING:
    import pandas as pd

#: Newton iterations before the solver gives up (it needs about ten).
MAX_ITERATIONS = 200


@dataclass(frozen=True)
class PortfolioConfig:
    """The optimiser's parameters, in units that do not depend on the number of ids."""

    #: ``gamma``: risk aversion against the standardised signal. Below about 0.8 the gross
    #: exposure constraint binds, so the portfolio has unit gross exposure.
    risk_aversion: float = 0.5
    #: ``b``: the largest position, as a multiple of the equal-weight position ``1 / n``.
    position_bound: float = 3.0

    def __post_init__(self) -> None:
        for name in ("risk_aversion", "position_bound"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise ScoringInputError(f"{name} must be a number, got {value!r}")
        if not np.isfinite(self.risk_aversion) or self.risk_aversion <= 0:
            raise ScoringInputError(f"risk_aversion must be positive, got {self.risk_aversion}")
        if not np.isfinite(self.position_bound) or self.position_bound <= 1:
            raise ScoringInputError(
                f"position_bound must exceed 1 (unit gross needs it), got {self.position_bound}"
            )


@dataclass(frozen=True)
class Portfolio:
    """The optimiser's solution for one signal and what the gradient needs of it."""

    weights: FloatArray  #: ``w``, one per id; ``1 . w = 0``, ``F^T w = 0``, ``sum |w| <= 1``
    free: NDArray[np.bool_]  #: boolean mask of positions strictly inside their bounds and non-zero
    gross_binding: bool  #: whether ``sum |w| = 1`` is active (``mu > 0``)
    iterations: int

    @property
    def gross(self) -> float:
        return float(np.abs(self.weights).sum())


def constraint_basis(n: int, factors: FloatArray | None) -> FloatArray:
    """An orthonormal basis of the span of ``[1, F]`` (rank-revealing, so duplicated or
    constant factors are harmless)."""
    columns = [np.ones((n, 1))]
    if factors is not None and factors.size:
        f = np.asarray(factors, dtype=np.float64)
        columns.append(f[:, None] if f.ndim == 1 else f)
    design = np.hstack(columns)
    if not np.isfinite(design).all():
        raise ScoringInputError("risk factors contain NaN or inf: give a value for every id")
    left, singular, _ = np.linalg.svd(design, full_matrices=False)
    rank = int((singular > singular[0] * 1e-10).sum())
    return np.asarray(left[:, :rank], dtype=np.float64)


def standardise(signal: FloatArray) -> FloatArray:
    """``sqrt(n) C m / ||C m||``: mean zero, unit mean square."""
    centred = signal - signal.mean()
    norm = float(np.sqrt(centred @ centred))
    if norm == 0:
        raise ScoringInputError("the meta signal is constant: TC needs varied predictions")
    return np.asarray(np.sqrt(signal.size) * centred / norm, dtype=np.float64)


def optimise(signal: FloatArray, basis: FloatArray, config: PortfolioConfig) -> Portfolio:
    """Solve the portfolio problem for a standardised signal (see the module docstring).

    Newton's method on the dual ``D(nu, mu)``, a convex piecewise-quadratic function whose
    gradient is the constraint residual ``(-Q^T u, n - sum|u|)`` and whose generalised
    Hessian is ``G_F^T G_F / gamma``; a backtracking line search makes every step decrease
    ``D``. When the active set stops changing a full step lands on the exact solution.
    """
    n = signal.size
    gamma, bound = config.risk_aversion, config.position_bound
    nu = np.zeros(basis.shape[1])
    mu = 0.0
    tolerance = 1e-12 * np.sqrt(n) * bound

    def evaluate(nu_: FloatArray, mu_: float) -> tuple[FloatArray, float, float, FloatArray]:
        """At multipliers ``(nu, mu)``: the box maximiser ``u``, the dual value ``D`` and
        its gradient, the constraint residual ``(n - sum|u|, -Q^T u)``."""
        shifted = signal - basis @ nu_
        soft = np.sign(shifted) * np.maximum(np.abs(shifted) - mu_, 0.0)
        u_ = np.clip(soft / gamma, -bound, bound)
        gross = float(np.abs(u_).sum())
        value = float(shifted @ u_ - gamma / 2 * (u_ @ u_) - mu_ * gross + mu_ * n)
        return u_, value, n - gross, -(basis.T @ u_)

    iterations = 0
    u, current, grad_mu, grad_nu = evaluate(nu, mu)
    for iterations in range(1, MAX_ITERATIONS + 1):  # noqa: B007 - reported below
        use_mu = mu > 0 or grad_mu < 0
        if np.abs(grad_nu).max() <= tolerance and (
            abs(grad_mu) <= tolerance * np.sqrt(n) if mu > 0 else grad_mu >= -tolerance
        ):
            break
        free = (np.abs(u) > 0) & (np.abs(u) < bound)
        sides = basis[free]
        grad = np.append(grad_nu, grad_mu) if use_mu else grad_nu
        if use_mu:
            sides = np.hstack((sides, np.sign(u[free])[:, None]))
        hessian = sides.T @ sides / gamma
        step = -np.linalg.lstsq(hessian, grad, rcond=None)[0]
        if not np.isfinite(step).all() or step @ grad >= 0:
            step = -grad
        current_norm = float(np.linalg.norm(grad))
        size = 1.0
        while True:
            nu_new = nu + size * step[: nu.size]
            mu_new = max(mu + size * step[nu.size], 0.0) if use_mu else mu
            trial = evaluate(nu_new, mu_new)
            _, value, new_mu, new_nu = trial
            new_norm = float(np.linalg.norm(np.append(new_nu, new_mu) if use_mu else new_nu))
            # Armijo on the dual; near the optimum its decrease drowns in rounding, so a
            # step that shrinks the constraint residual is taken too.
            if current - value >= 1e-4 * size * -(step @ grad) or new_norm < current_norm:
                break
            size /= 2
            if size < 1e-20:
                break
        nu, mu = nu_new, mu_new
        u, current, grad_mu, grad_nu = trial
    else:
        hint = (
            "check the risk factors for extreme or near-duplicate columns"
            if basis.shape[1] > 1
            else "the meta model may be degenerate; try another risk_aversion or position_bound"
        )
        raise ScoringInputError(
            f"the TC portfolio optimiser did not converge in {MAX_ITERATIONS} iterations: {hint}"
        )
    free = (np.abs(u) > 0) & (np.abs(u) < bound)
    return Portfolio(weights=u / n, free=free, gross_binding=mu > 0, iterations=iterations)


def return_gradient(
    signal: FloatArray,
    portfolio: Portfolio,
    basis: FloatArray,
    target: FloatArray,
    config: PortfolioConfig,
) -> FloatArray:
    """``g = dR/dm_hat``: zero off the free positions, ``P_F t_F / (gamma n)`` on them."""
    n = signal.size
    free = portfolio.free
    sides = basis[free]
    if portfolio.gross_binding:
        sides = np.hstack((sides, np.sign(portfolio.weights[free])[:, None]))
    t_free = target[free]
    if sides.shape[0]:
        t_free = t_free - sides @ np.linalg.lstsq(sides, t_free, rcond=None)[0]
    gradient = np.zeros(n)
    gradient[free] = t_free / (config.risk_aversion * n)
    return gradient


def signal_gradient(
    meta: FloatArray, target: FloatArray, basis: FloatArray, config: PortfolioConfig
) -> tuple[float, FloatArray, Portfolio]:
    """The portfolio's return ``R`` and ``dR/dm`` for an unstandardised meta signal ``m``."""
    n = meta.size
    m_hat = standardise(meta)
    portfolio = optimise(m_hat, basis, config)
    g = return_gradient(m_hat, portfolio, basis, target, config)
    centred = meta - meta.mean()
    scale = np.sqrt(n) / np.sqrt(centred @ centred)
    g_centred = g - g.mean()
    grad_m = scale * (g_centred - m_hat * (m_hat @ g) / n)
    return float(target @ portfolio.weights), np.asarray(grad_m, dtype=np.float64), portfolio


def meta_signal_from_ranks(
    ranks: RankArray, stakes: FloatArray, chunk: int = DEFAULT_CHUNK
) -> FloatArray:
    """``m = sum_i s_i z_i / S`` with ``z_i`` the gaussianised ranks."""
    table = gaussian_table(ranks.shape[1])
    total = np.zeros(ranks.shape[1])
    for part in chunks(ranks.shape[0], chunk):
        total += stakes[part] @ table[ranks[part]]
    return np.asarray(total / stakes.sum(), dtype=np.float64)


def tc_from_ranks(
    ranks: RankArray,
    stakes: FloatArray,
    target: FloatArray,
    factors: FloatArray | None = None,
    config: PortfolioConfig | None = None,
    chunk: int = DEFAULT_CHUNK,
) -> FloatArray:
    """TC of every ranked model (staked or not) in one forward and one backward pass."""
    config = config or PortfolioConfig()
    weights = np.asarray(stakes, dtype=np.float64)
    if weights.shape != (ranks.shape[0],) or (weights < 0).any() or weights.sum() <= 0:
        raise ScoringInputError("TC needs one non-negative stake per model and a positive total")
    t = np.asarray(target, dtype=np.float64)
    meta = meta_signal_from_ranks(ranks, weights, chunk)
    basis = constraint_basis(ranks.shape[1], factors)
    _, grad_m, _ = signal_gradient(meta, t, basis, config)
    table = gaussian_table(ranks.shape[1])
    out = np.empty(ranks.shape[0])
    offset = grad_m @ meta
    for part in chunks(ranks.shape[0], chunk):
        out[part] = table[ranks[part]] @ grad_m - offset
    return out


def portfolio_return(
    ranks: RankArray,
    stakes: FloatArray,
    target: FloatArray,
    factors: FloatArray | None = None,
    config: PortfolioConfig | None = None,
) -> float:
    """``R(s)``: the return of the portfolio built from the stakes ``s`` (for checks)."""
    config = config or PortfolioConfig()
    meta = meta_signal_from_ranks(ranks, np.asarray(stakes, dtype=np.float64))
    basis = constraint_basis(ranks.shape[1], factors)
    portfolio = optimise(standardise(meta), basis, config)
    return float(np.asarray(target, dtype=np.float64) @ portfolio.weights)


def true_contribution(
    predictions: pd.DataFrame,
    stakes: pd.Series,
    targets: pd.Series,
    risk_factors: pd.DataFrame | None = None,
    config: PortfolioConfig | None = None,
) -> pd.Series:
    """TC per column on the ids predictions, targets (and risk factors) share.

    Models missing from ``stakes`` count with stake 0: they are scored but do not move the
    meta signal.
    """
    import pandas as pd

    ids = predictions.index.intersection(targets.index)
    if risk_factors is not None:
        ids = ids.intersection(risk_factors.index)
    ids = ids.sort_values()
    weights = stakes.reindex(predictions.columns).fillna(0.0).to_numpy(dtype=np.float64)
    ranks = twice_ranks(predictions.loc[ids].to_numpy(dtype=np.float64).T)
    factors = None if risk_factors is None else risk_factors.loc[ids].to_numpy(dtype=np.float64)
    scores = tc_from_ranks(
        ranks, weights, targets.loc[ids].to_numpy(dtype=np.float64), factors, config
    )
    return pd.Series(scores, index=predictions.columns)
