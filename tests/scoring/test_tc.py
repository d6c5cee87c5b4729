"""TC: the analytic gradient against finite differences, the optimiser against an independent
solver, and the properties the definition implies."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import optimize

from oracle.errors import ScoringInputError
from oracle.scoring.tc import (
    PortfolioConfig,
    constraint_basis,
    meta_signal_from_ranks,
    optimise,
    portfolio_return,
    standardise,
    tc_from_ranks,
    true_contribution,
)
from oracle.scoring.transforms import twice_ranks


def make_round(n: int, k: int, n_factors: int, seed: int):
    rng = np.random.default_rng(seed)
    common = rng.standard_normal(n)
    predictions = 0.4 * common + rng.standard_normal((k, n))
    ranks = twice_ranks(predictions)
    stakes = rng.uniform(1, 100, k)
    target = rng.choice([0.0, 0.25, 0.5, 0.75, 1.0], n, p=[0.05, 0.2, 0.5, 0.2, 0.05])
    target = target + 0.05 * common  # some signal
    factors = rng.standard_normal((n, n_factors)) if n_factors else None
    return ranks, stakes, target, factors


def finite_difference_tc(ranks, stakes, target, factors, config, relative_step=1e-6):
    total = stakes.sum()
    step = relative_step * total
    out = np.empty(stakes.size)
    for i in range(stakes.size):
        up, down = stakes.copy(), stakes.copy()
        up[i] += step
        down[i] -= step
        r_up = portfolio_return(ranks, up, target, factors, config)
        r_down = portfolio_return(ranks, down, target, factors, config)
        out[i] = total * (r_up - r_down) / (2 * step)
    return out


GRADIENT_CASES = [
    # n, models, factors, position bound, risk aversion
    pytest.param(100, 4, 0, 50.0, 0.5, id="small-no-bounds-binding"),
    pytest.param(400, 6, 0, 1.5, 0.5, id="bounds-binding"),
    pytest.param(400, 6, 5, 50.0, 0.5, id="risk-factors"),
    pytest.param(1000, 8, 4, 1.5, 0.3, id="bounds-and-risk-factors"),
    pytest.param(3000, 5, 8, 3.0, 0.5, id="large-default-bound"),
    pytest.param(300, 5, 2, 3.0, 2.0, id="gross-not-binding"),
]


@pytest.mark.parametrize(("n", "k", "n_factors", "bound", "gamma"), GRADIENT_CASES)
def test_tc_gradient_matches_central_finite_differences(n, k, n_factors, bound, gamma) -> None:
    ranks, stakes, target, factors = make_round(n, k, n_factors, seed=n + k)
    config = PortfolioConfig(risk_aversion=gamma, position_bound=bound)
    analytic = tc_from_ranks(ranks, stakes, target, factors, config)
    numeric = finite_difference_tc(ranks, stakes, target, factors, config)
    relative = np.abs(analytic - numeric).max() / np.abs(numeric).max()
    assert relative <= 1e-5


@pytest.mark.parametrize(("n", "k", "n_factors", "bound", "gamma"), GRADIENT_CASES)
def test_portfolio_satisfies_its_constraints(n, k, n_factors, bound, gamma) -> None:
    ranks, stakes, _, factors = make_round(n, k, n_factors, seed=n + k)
    config = PortfolioConfig(risk_aversion=gamma, position_bound=bound)
    basis = constraint_basis(n, factors)
    portfolio = optimise(standardise(meta_signal_from_ranks(ranks, stakes)), basis, config)
    w = portfolio.weights
    assert abs(w.sum()) <= 1e-12
    if factors is not None:
        assert np.abs(factors.T @ w).max() <= 1e-10
    assert np.abs(w).max() <= bound / n * (1 + 1e-12)
    assert portfolio.gross <= 1 + 1e-12
    if gamma < 0.8:
        assert portfolio.gross == pytest.approx(1.0, abs=1e-12)
        assert portfolio.gross_binding
    if bound < 2:
        assert (np.abs(w) >= bound / n * (1 - 1e-12)).any(), "the bound should bind here"


def test_optimiser_agrees_with_an_independent_solver() -> None:
    n, gamma, bound = 40, 0.5, 2.0
    rng = np.random.default_rng(3)
    signal = standardise(rng.standard_normal(n))
    factors = rng.standard_normal((n, 2))
    basis = constraint_basis(n, factors)
    ours = optimise(signal, basis, PortfolioConfig(risk_aversion=gamma, position_bound=bound))

    # u = plus - minus with plus, minus >= 0: a smooth problem for SLSQP.
    def negative_objective(x):
        u = x[:n] - x[n:]
        return -(signal @ u - gamma / 2 * (u @ u) - 1e-9 * x.sum())

    constraints = [
        {"type": "eq", "fun": lambda x: basis.T @ (x[:n] - x[n:])},
        {"type": "ineq", "fun": lambda x: n - x.sum()},
    ]
    result = optimize.minimize(
        negative_objective,
        np.zeros(2 * n),
        method="SLSQP",
        bounds=[(0, bound)] * (2 * n),
        constraints=constraints,
        options={"ftol": 1e-14, "maxiter": 1000},
    )
    assert result.success
    theirs = (result.x[:n] - result.x[n:]) / n
    assert np.abs(ours.weights - theirs).max() <= 1e-6 / n
    value = lambda w: signal @ (n * w) - gamma / 2 * (n * w) @ (n * w)  # noqa: E731
    assert value(ours.weights) >= value(theirs) - 1e-9


def test_tc_is_invariant_to_scaling_all_stakes() -> None:
    ranks, stakes, target, factors = make_round(500, 6, 3, seed=11)
    base = tc_from_ranks(ranks, stakes, target, factors)
    for scale in (1e-6, 3.0, 1e12):
        np.testing.assert_allclose(
            tc_from_ranks(ranks, stakes * scale, target, factors), base, rtol=1e-9, atol=1e-15
        )


def test_stake_weighted_tc_sums_to_zero() -> None:
    ranks, stakes, target, factors = make_round(800, 7, 2, seed=12)
    tc = tc_from_ranks(ranks, stakes, target, factors)
    assert abs(stakes @ tc) <= 1e-12 * stakes.sum() * np.abs(tc).max()
    assert np.abs(tc).max() > 1e-4


def test_a_model_that_is_the_meta_model_has_zero_tc() -> None:
    ranks, _, target, factors = make_round(500, 4, 2, seed=13)
    only = np.zeros(4)
    only[2] = 5.0  # the only staked model is the meta model
    tc = tc_from_ranks(ranks, only, target, factors)
    assert abs(tc[2]) <= 1e-14
    assert np.abs(np.delete(tc, 2)).max() > 1e-4


def test_identical_predictions_get_identical_tc_staked_or_not() -> None:
    ranks, stakes, target, _ = make_round(500, 4, 0, seed=14)
    copies = np.vstack([ranks, ranks[1:2]])
    tc = tc_from_ranks(copies, np.append(stakes, 0.0), target)
    assert tc[4] == pytest.approx(tc[1], abs=1e-14)


def test_negated_predictions_get_negated_tc() -> None:
    rng = np.random.default_rng(15)
    predictions = rng.standard_normal((3, 600))
    predictions = np.vstack([predictions, -predictions[0]])
    target = rng.standard_normal(600)
    tc = tc_from_ranks(twice_ranks(predictions), np.array([3.0, 2.0, 1.0, 0.0]), target)
    assert tc[3] == pytest.approx(-tc[0], abs=1e-12)


def test_true_contribution_aligns_ids_and_keeps_model_order() -> None:
    *_, target, _ = make_round(300, 3, 0, seed=16)
    rng = np.random.default_rng(16)
    ids = [f"id{i:04d}" for i in range(300)]
    values = rng.standard_normal((300, 3))
    predictions = pd.DataFrame(values, index=ids, columns=["a", "b", "c"])
    targets = pd.Series(target, index=ids)
    shuffled = predictions.sample(frac=1.0, random_state=1)
    got = true_contribution(shuffled, pd.Series({"a": 1.0, "c": 2.0}), targets[::-1])
    expected = tc_from_ranks(twice_ranks(values.T), np.array([1.0, 0.0, 2.0]), target)
    np.testing.assert_allclose(got.loc[["a", "b", "c"]].to_numpy(), expected, atol=1e-14)


def test_bad_optimiser_parameters_are_rejected() -> None:
    with pytest.raises(ScoringInputError, match="position_bound"):
        PortfolioConfig(position_bound=1.0)
    with pytest.raises(ScoringInputError, match="risk_aversion"):
        PortfolioConfig(risk_aversion=0.0)
    ranks, _, target, _ = make_round(50, 2, 0, seed=17)
    with pytest.raises(ScoringInputError, match="stake"):
        tc_from_ranks(ranks, np.zeros(2), target)


def test_optimiser_converges_on_a_large_averaged_meta_signal() -> None:
    # Near the optimum the dual's decrease is below its rounding error (|D| ~ n); the solver
    # must still finish with an exact step rather than backtrack until it gives up. This
    # round (the scoring benchmark's 5,000 x 1,000) once did not converge.
    from bench.scoring import generate

    data = generate(5000, 1000, seed=20261125)
    ranks = twice_ranks(data["predictions"].to_numpy().T)
    meta = meta_signal_from_ranks(ranks, data["stakes"].to_numpy())
    portfolio = optimise(standardise(meta), constraint_basis(5000, None), PortfolioConfig())
    assert portfolio.iterations <= 20
    assert portfolio.gross == pytest.approx(1.0, abs=1e-12)
    assert abs(portfolio.weights.sum()) <= 1e-14
