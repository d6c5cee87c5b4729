"""Contract custom errors become one readable line with their values."""

from __future__ import annotations

from typing import Any

import pytest
from ape.exceptions import CustomError

from oracle.errors import REVERT_HINTS, explain_revert
from tests.tournament_helpers import ONE, model, open_round


def caught(call: Any) -> CustomError:
    with pytest.raises(CustomError) as info:
        call()
    return info.value


def test_explainRevert_namesTheErrorAndItsValues(
    tournament: Any, operator: Any, alice: Any
) -> None:
    round_id, _ = open_round(tournament, operator)
    err = caught(
        lambda: tournament.stake(round_id, model("a"), ONE - 1, b"\x01" * 32, sender=alice)
    )
    line = explain_revert(err)
    assert (
        line == f"StakeBelowMinimum: the position would hold {ONE - 1}, below the minimum {ONE}: "
        "stake more or withdraw everything"
    )


def test_explainRevert_coversEveryTournamentError(project: Any) -> None:
    errors = {abi.name for abi in project.Tournament.contract_type.errors}
    missing = errors - set(REVERT_HINTS)
    assert not missing, f"errors without a hint: {sorted(missing)}"


def test_explainRevert_ignoresOtherExceptions() -> None:
    assert explain_revert(ValueError("x")) is None
