"""Contract custom errors become one readable line with their values, in the contract's own
words (its NatSpec) and what to do."""

from __future__ import annotations

import re
import time
from typing import Any

import pytest
from ape.exceptions import CustomError

from oracle.chain.reverts import ACTIONS, LIBRARY_HINTS, explain_revert, notices
from tests.helpers.tournament import ONE, model, open_round, warp

pytestmark = pytest.mark.chain


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
    assert line == (
        f"StakeBelowMinimum: a position would hold {ONE - 1}, below the round's {ONE} (and above "
        "zero): stake more or withdraw everything"
    )


def test_explainRevert_showsTimesAsUtcDatesAndRoundsByNumber(
    tournament: Any, operator: Any, alice: Any
) -> None:
    round_id, s = open_round(tournament, operator)
    close = s.close
    warp(close + 1)
    err = caught(lambda: tournament.stake(round_id, model("a"), ONE, b"\x01" * 32, sender=alice))
    stamp = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(close))
    assert explain_revert(err) == (
        f"StakingClosed: the staking window of round {round_id} closed at {stamp}: "
        "use an open round"
    )


def _errors(project: Any) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for name in ("Tournament", "TournamentToken"):
        for abi in getattr(project, name).contract_type.errors:
            found[abi.name] = [i.name for i in abi.inputs]
    return found


def test_explainRevert_coversEveryContractError(project: Any) -> None:
    errors = _errors(project)
    missing = set(errors) - set(notices()) - set(LIBRARY_HINTS)
    assert not missing, (
        f"errors with neither a NatSpec notice nor a library hint: {sorted(missing)}"
    )


def test_revertTables_nameOnlyErrorsTheContractsHave(project: Any) -> None:
    errors = _errors(project)
    assert not set(ACTIONS) - set(notices()), "an action for an error without a notice"
    assert not set(LIBRARY_HINTS) - set(errors), "a library hint for an error no contract has"
    assert not set(LIBRARY_HINTS) & set(notices()), "a library hint hides the contract's notice"


def test_revertTexts_nameOnlyTheErrorsOwnParameters(project: Any) -> None:
    errors = _errors(project)
    for name, notice in notices().items():
        fields = set(re.findall(r"`(\w+)`", notice))
        assert fields <= set(errors[name]), f"{name}'s notice names {fields - set(errors[name])}"
    for name, hint in LIBRARY_HINTS.items():
        fields = set(re.findall(r"{(\w+)}", hint))
        assert fields <= set(errors[name]), f"{name}'s hint names {fields - set(errors[name])}"


def test_explainRevert_ignoresOtherExceptions() -> None:
    assert explain_revert(ValueError("x")) is None
