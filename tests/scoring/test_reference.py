"""The scores agree with numerai-tools 0.7.2 to 1e-9 on every reference case.

The cases (tests/scoring/reference/generate.py) cover ties, few distinct values, binary
predictions, identical models, 5-bin and continuous targets, ids in a different order in
every file, partial overlap with extra target ids, extreme magnitudes and signed zeros,
6 ids and 5,000 ids.
"""

from __future__ import annotations

import pandas as pd
import pytest

from oracle.scoring import metrics
from oracle.scoring.round import score_round
from oracle.scoring.transforms import tie_kept_rank
from tests.helpers.reference import CASES, Case, load_case

TOLERANCE = 1e-9


def assert_matches(got: pd.Series, expected: dict[str, float]) -> None:
    reference = pd.Series(expected)
    assert sorted(got.index) == sorted(reference.index)
    difference = (got.loc[reference.index] - reference).abs().max()
    assert difference <= TOLERANCE, f"max abs difference {difference:.3e}"


def test_fixtures_were_made_with_numerai_tools_0_7_2() -> None:
    for name in CASES:
        assert load_case(name).expected["versions"]["numerai-tools"] == "0.7.2"
    assert len(CASES) >= 9


def common_meta(case: Case) -> pd.Series:
    common = case.predictions.index.intersection(case.targets.index)
    return metrics.meta_model(case.predictions.loc[common], case.stakes)


def test_numerai_corr_matches_reference(case: Case) -> None:
    assert_matches(
        metrics.numerai_corr(case.predictions, case.targets), case.expected["numerai_corr"]
    )


def test_meta_model_is_bit_identical_to_stake_weight_of_ranks(case: Case) -> None:
    got = common_meta(case)
    reference = pd.Series(case.expected["meta_model"])
    assert (got.loc[reference.index] == reference).all()


def test_correlation_contribution_matches_reference(case: Case) -> None:
    got = metrics.correlation_contribution(case.predictions, common_meta(case), case.targets)
    assert_matches(got, case.expected["correlation_contribution"])


def test_feature_neutral_corr_matches_reference(case: Case) -> None:
    got = metrics.feature_neutral_corr(case.predictions, case.features, case.targets)
    assert_matches(got, case.expected["feature_neutral_corr"])


def test_alpha_matches_reference(case: Case) -> None:
    got = metrics.alpha(case.predictions, case.neutralizers, case.sample_weights, case.targets)
    assert_matches(got, case.expected["alpha"])


def test_meta_portfolio_contribution_matches_reference(case: Case) -> None:
    got = metrics.meta_portfolio_contribution(
        case.predictions, case.stakes, case.neutralizers, case.sample_weights, case.targets
    )
    assert_matches(got, case.expected["meta_portfolio_contribution"])


@pytest.mark.parametrize("chunk", [1, 2, 512])
def test_score_round_matches_reference_in_any_chunking(case: Case, chunk: int) -> None:
    scores = score_round(case.round_data(), chunk=chunk)
    assert_matches(scores["corr"], case.expected["numerai_corr"])
    assert_matches(scores["mmc"], case.expected["correlation_contribution"])
    assert_matches(scores["alpha"], case.expected["alpha"])
    assert_matches(scores["mpc"], case.expected["meta_portfolio_contribution"])
    common = case.predictions.index.intersection(case.targets.index)
    if len(common) == len(case.predictions):
        assert_matches(scores["fnc"], case.expected["feature_neutral_corr"])
    else:
        # With partial overlap the round scorer neutralises on the scored ids only.
        reference = metrics.feature_neutral_corr(
            case.predictions.loc[common], case.features.loc[common], case.targets
        )
        assert_matches(scores["fnc"], reference.to_dict())


def test_stake_weight_of_tie_kept_ranks_is_the_meta_model(case: Case) -> None:
    common = case.predictions.index.intersection(case.targets.index)
    ordered = case.predictions.loc[common].sort_index()
    ranked = pd.DataFrame(
        tie_kept_rank(ordered.to_numpy()), index=ordered.index, columns=ordered.columns
    )
    got = metrics.stake_weight(ranked, case.stakes)
    reference = pd.Series(case.expected["meta_model"])
    assert (got.loc[reference.index] == reference).all()
