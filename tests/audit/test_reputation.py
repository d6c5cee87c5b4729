"""Reputation and cumulative return from results files: the window, the stake weights, the
aggregation of a model's positions, and rounds without a score."""

from __future__ import annotations

from typing import Any

import pytest

from oracle.audit.reputation import WINDOW, records, round_entries

ONE = 10**18
MODEL = "0x" + "aa" * 32
OTHER = "0x" + "bb" * 32


def entry(model: str, stake: int, score: float | None, *, reward: int = 0, burn: int = 0,
          account: str = "0x1", status: str = "scored") -> dict[str, Any]:  # fmt: skip
    scored = score is not None
    return {
        "account": account,
        "model_id": model,
        "stake": str(stake),
        "reward": str(reward),
        "burn": str(burn),
        "status": status if scored else "unrevealed",
        "scores": {"corr": score, "mmc": score / 2, "tc": 0.0} if scored else None,
        "combined_score": round(score * 10**9) if scored else None,
    }


def document(*positions: dict[str, Any]) -> dict[str, Any]:
    return {"engine": {"score_scale": 10**9}, "positions": list(positions)}


def test_reputation_isTheStakeWeightedMeanPayoutScoreOfTheLastTwentyRounds() -> None:
    docs = [(r, document(entry(MODEL, (r % 3 + 1) * ONE, r / 100))) for r in range(1, 26)]
    record = records(docs)[MODEL]
    assert [e.round for e in record.rounds] == list(range(1, 26))
    window = [(r / 100, (r % 3 + 1)) for r in range(26 - WINDOW, 26)]
    expected = sum(s * w for s, w in window) / sum(w for _, w in window)
    assert record.reputation == pytest.approx(expected, rel=1e-12)
    # After round 1 the reputation is round 1's score alone.
    assert record.rounds[0].reputation == pytest.approx(0.01)
    assert record.means["corr"] == pytest.approx(sum(r / 100 for r in range(6, 26)) / 20)


def test_cumulativeReturn_compoundsNetOverStakeAndCountsBurnsOfUnscoredRounds() -> None:
    docs = [
        (1, document(entry(MODEL, 100 * ONE, 0.1, reward=5 * ONE))),
        (2, document(entry(MODEL, 105 * ONE, -0.1, burn=21 * ONE // 4))),
        (3, document(entry(MODEL, 50 * ONE, None, burn=ONE))),
    ]
    record = records(docs)[MODEL]
    assert record.cumulative_return == pytest.approx(1.05 * 0.95 * 0.98 - 1)
    assert record.total_staked == 255 * ONE
    assert record.total_net == 5 * ONE - 21 * ONE // 4 - ONE
    third = record.rounds[2]
    assert third.payout_score is None and third.reputation == record.rounds[1].reputation
    assert third.net == -ONE and third.payout == 49 * ONE


def test_aModelsPositionsInARound_areSummedAndTheirScoresStakeWeighted() -> None:
    doc = document(
        entry(MODEL, 30 * ONE, 0.2, reward=ONE, account="0x1"),
        entry(MODEL, 10 * ONE, -0.2, burn=ONE, account="0x2"),
        entry(OTHER, 10 * ONE, 0.0, account="0x1"),
    )
    entries = round_entries(4, doc)
    mine = entries[MODEL]
    assert (mine.stake, mine.reward, mine.burn) == (40 * ONE, ONE, ONE)
    assert mine.corr == pytest.approx((0.2 * 30 - 0.2 * 10) / 40)
    assert mine.payout_score == pytest.approx(0.1)
    assert set(entries) == {MODEL, OTHER}


def test_theSameDocuments_giveTheSameRecordsInAnyOrder() -> None:
    docs = [(r, document(entry(MODEL, ONE, r / 10), entry(OTHER, 2 * ONE, -r / 10)))
            for r in range(1, 4)]  # fmt: skip
    forward = {k: v.to_json() for k, v in records(docs).items()}
    backward = {k: v.to_json() for k, v in records(reversed(docs)).items()}
    assert forward == backward
