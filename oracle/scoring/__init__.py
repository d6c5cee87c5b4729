"""Scoring: Numerai's CORR, MMC, FNC and Signals scores (agreeing with numerai-tools 0.7.2),
an open definition of TC, and integer payouts. Needs no chain.

Start with :func:`score_round` for a whole round, or the numerai-tools-shaped functions
in :mod:`oracle.scoring.metrics` for one score.
"""

from oracle.scoring.config import ScoringConfig
from oracle.scoring.metrics import (
    alpha,
    correlation_contribution,
    feature_neutral_corr,
    meta_model,
    meta_portfolio_contribution,
    numerai_corr,
    stake_weight,
)
from oracle.scoring.payouts import Payout, PayoutRule, compute_payouts
from oracle.scoring.round import RoundData, score_round
from oracle.scoring.tc import PortfolioConfig, true_contribution

__all__ = [
    "Payout",
    "PayoutRule",
    "PortfolioConfig",
    "RoundData",
    "ScoringConfig",
    "alpha",
    "compute_payouts",
    "correlation_contribution",
    "feature_neutral_corr",
    "meta_model",
    "meta_portfolio_contribution",
    "numerai_corr",
    "score_round",
    "stake_weight",
    "true_contribution",
]
