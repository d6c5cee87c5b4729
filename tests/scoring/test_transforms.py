"""Integer tie-kept ranks and the tables built on them."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from scipy import special, stats

from oracle.scoring import metrics
from oracle.scoring.round import score_round
from oracle.scoring.tc import true_contribution
from oracle.scoring.transforms import (
    PACKED_MAX_IDS,
    _packed_ranks,
    gaussian_table,
    gaussianise,
    neutralise_rows,
    neutraliser_basis,
    rank_dtype,
    tie_kept_rank,
    twice_ranks,
    twice_tie_kept_rank,
)
from tests.helpers.reference import load_case

values = st.one_of(
    st.integers(-3, 3).map(float),  # many ties
    st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False),
)


@given(hnp.arrays(np.float64, st.tuples(st.integers(1, 6), st.integers(1, 40)), elements=values))
@settings(max_examples=300, deadline=None)
def test_twice_rank_equals_twice_scipy_average_rank(matrix) -> None:
    expected = 2 * stats.rankdata(matrix, method="average", axis=1)
    assert np.array_equal(twice_tie_kept_rank(matrix), expected.astype(np.int64))


# Values whose float bits differ only in the low bits the packed keys give to the id's place
# (neighbours by nextafter), signed zeros and infinities.
close = st.sampled_from([0.5, -0.5, 1e-300, 0.0, -0.0, np.inf, -np.inf, 3.0]).flatmap(
    lambda base: st.integers(-3, 3).map(
        lambda steps: float(
            base
            if steps == 0 or not np.isfinite(base)
            else np.nextafter(base, np.sign(steps) * np.inf)
            if abs(steps) == 1
            else base + steps
        )
    )
)


@given(
    hnp.arrays(np.float64, st.tuples(st.integers(1, 5), st.integers(1, 60)), elements=close),
    st.randoms(use_true_random=False),
)
@settings(max_examples=300, deadline=None)
def test_packed_ranks_of_near_equal_values_and_a_selection_equal_scipy(matrix, rng) -> None:
    expected = 2 * stats.rankdata(matrix, method="average", axis=1)
    assert np.array_equal(twice_tie_kept_rank(matrix), expected.astype(np.int64))
    # A selection in another order, the ids left out holding NaN (never ranked).
    columns = np.array(rng.sample(range(matrix.shape[1]), rng.randint(1, matrix.shape[1])))
    holed = np.full_like(matrix, np.nan)
    holed[:, columns] = matrix[:, columns]
    chosen = 2 * stats.rankdata(matrix[:, columns], method="average", axis=1)
    assert np.array_equal(twice_tie_kept_rank(holed, columns), chosen.astype(np.int64))


def test_rows_the_packed_keys_cannot_order_fall_back_to_the_exact_sort() -> None:
    rng = np.random.default_rng(4)
    matrix = rng.random((3, 1000))
    matrix[1, :2] = [0.5, np.nextafter(0.5, 1.0)]  # differ only in the last bit
    matrix[2, :10] = 0.25  # a true tie
    out = np.empty(matrix.shape, dtype=rank_dtype(1000))
    assert _packed_ranks(matrix, out, None, None).tolist() == [False, True, False]
    expected = 2 * stats.rankdata(matrix, method="average", axis=1)
    assert np.array_equal(twice_tie_kept_rank(matrix), expected.astype(np.int64))


def test_rows_longer_than_the_packed_keys_allow_rank_exactly() -> None:
    rng = np.random.default_rng(5)
    row = rng.integers(0, 1000, size=(1, PACKED_MAX_IDS + 1)).astype(float)
    expected = 2 * stats.rankdata(row, method="average", axis=1)
    assert np.array_equal(twice_tie_kept_rank(row), expected.astype(np.int64))


def test_repeated_or_out_of_range_selections_behave_as_indexing() -> None:
    matrix = np.array([[3.0, 1.0, 2.0]])
    assert twice_tie_kept_rank(matrix, np.array([0, 0, 2])).tolist() == [[5, 5, 2]]
    with pytest.raises(IndexError):
        twice_tie_kept_rank(matrix, np.array([0, 3]))


def test_chunked_parallel_ranking_equals_one_pass() -> None:
    rng = np.random.default_rng(0)
    matrix = rng.integers(0, 50, size=(37, 300)).astype(float)
    seen: list[int] = []
    ranks = twice_ranks(matrix, chunk=4, workers=2, on_progress=seen.append)
    assert np.array_equal(ranks, twice_tie_kept_rank(matrix))
    assert seen == [*range(4, 37, 4), 37]


def test_rank_type_widens_past_uint16() -> None:
    assert rank_dtype(32_767) == np.uint16
    assert rank_dtype(32_768) == np.uint32
    rng = np.random.default_rng(1)
    row = rng.standard_normal((1, 40_000))
    ranks = twice_tie_kept_rank(row)
    assert ranks.dtype == np.uint32 and ranks.max() == 80_000


def test_tie_kept_rank_matches_pandas_rank_formula() -> None:
    rng = np.random.default_rng(2)
    frame = pd.DataFrame(rng.integers(0, 4, size=(25, 3)).astype(float))
    expected = (frame.rank(method="average") - 0.5) / frame.count()
    assert np.array_equal(tie_kept_rank(frame.to_numpy()), expected.to_numpy())


def test_gaussian_table_is_ndtri_of_centred_percentiles_and_symmetric() -> None:
    table = gaussian_table(7)
    assert table[2] == special.ndtri(0.5 / 7)
    # The rank r and n + 1 - r mirror each other.
    for twice in range(2, 15):
        assert table[twice] == pytest.approx(-table[16 - twice], abs=1e-15)
    vector = gaussianise(np.array([3.0, 1.0, 2.0, 2.0]))
    assert vector[1] < vector[2] == vector[3] < vector[0]


def test_neutralise_leaves_nothing_explained_by_the_factors() -> None:
    rng = np.random.default_rng(3)
    factors = rng.standard_normal((200, 4))
    signal = factors @ rng.standard_normal((4, 3)) + rng.standard_normal((200, 3)) + 5
    neutral = neutralise_rows(signal.T, neutraliser_basis(factors)).T
    assert np.abs(factors.T @ neutral).max() <= 1e-9
    assert np.abs(neutral.mean(axis=0)).max() <= 1e-12


def test_scoring_functions_do_not_modify_their_inputs() -> None:
    case = load_case("correlated_ties")
    data = case.round_data(risk_factors=case.features)
    copies = {name: getattr(data, name).copy(deep=True) for name in data.__dataclass_fields__}
    score_round(data, chunk=2)
    p, t, s = case.predictions, case.targets, case.stakes
    meta = metrics.meta_model(p, s)
    metrics.numerai_corr(p, t)
    metrics.correlation_contribution(p, meta, t)
    metrics.feature_neutral_corr(p, case.features, t)
    metrics.alpha(p, case.neutralizers, case.sample_weights, t)
    metrics.meta_portfolio_contribution(p, s, case.neutralizers, case.sample_weights, t)
    true_contribution(p, s, t, case.features)
    for name, copy in copies.items():
        original = getattr(data, name)
        assert original.equals(copy), name
        assert list(original.index) == list(copy.index), name


def test_alpha_and_mpc_are_the_same_bits_whether_the_weights_are_kept_or_built_again(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    rng = np.random.default_rng(6)
    n, k = 300, 50
    ranks = twice_ranks(rng.random((k, n)))
    stakes, neutralizers = rng.random(k), rng.standard_normal((n, 4))
    weights, target = rng.random(n), rng.standard_normal(n)
    args = (ranks, stakes, neutralizers, weights, target, target - target.mean())
    kept = metrics.signals_from_ranks(*args, chunk=8)
    monkeypatch.setattr(metrics, "SIGNALS_CACHE_BYTES", 3 * 8 * n * 8)  # 3 of the 7 chunks
    partly = metrics.signals_from_ranks(*args, chunk=8)
    monkeypatch.setattr(metrics, "SIGNALS_CACHE_BYTES", 0)
    rebuilt = metrics.signals_from_ranks(*args, chunk=8)
    for a, b, c in zip(kept, partly, rebuilt, strict=True):
        assert a is not None and np.array_equal(a, b) and np.array_equal(a, c)


def test_fnc_split_over_two_threads_is_the_same_bits_as_one_pass() -> None:
    from oracle.scoring.transforms import power

    case = load_case("correlated_ties")
    data = case.round_data()
    assert data.features is not None and len(data.predictions.columns) > 4
    scores = score_round(data, chunk=2)  # several chunks: two halves on two threads
    ids = data.predictions.index.intersection(data.targets.index).sort_values()
    assert len(ids) == len(data.predictions) and list(scores.index) == list(data.predictions)
    ranks = twice_ranks(data.predictions.loc[ids].to_numpy().T)
    target_pow = power(data.targets.loc[ids].to_numpy() - float(data.targets.mean()))
    features = data.features.loc[ids].to_numpy(dtype=np.float64)
    one_pass = metrics.feature_neutral_corr_from_ranks(ranks, features, target_pow, chunk=2)
    assert np.array_equal(scores["fnc"].to_numpy(), one_pass)
