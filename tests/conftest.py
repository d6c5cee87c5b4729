"""Fixtures for the ape tests on the in-process chain: role-named accounts and fresh deployments."""

from __future__ import annotations

from typing import Any

import pytest

from tests.tournament_helpers import SETTLEMENT

TOKEN_NAME = "Tournament Token"
TOKEN_SYMBOL = "TNMR"
CAP = 11_000_000 * 10**18


@pytest.fixture(scope="session")
def deployer(accounts: Any) -> Any:
    return accounts[0]


@pytest.fixture(scope="session")
def treasury(accounts: Any) -> Any:
    return accounts[1]


@pytest.fixture(scope="session")
def alice(accounts: Any) -> Any:
    return accounts[5]


@pytest.fixture(scope="session")
def bob(accounts: Any) -> Any:
    return accounts[6]


@pytest.fixture
def token(project: Any, deployer: Any, treasury: Any) -> Any:
    return project.TournamentToken.deploy(TOKEN_NAME, TOKEN_SYMBOL, treasury, sender=deployer)


@pytest.fixture(scope="session")
def operator(accounts: Any) -> Any:
    return accounts[2]


@pytest.fixture(scope="session")
def oracle(accounts: Any) -> Any:
    return accounts[3]


@pytest.fixture(scope="session")
def guardian(accounts: Any) -> Any:
    return accounts[4]


@pytest.fixture(scope="session")
def carol(accounts: Any) -> Any:
    return accounts[7]


@pytest.fixture
def tournament(
    project: Any,
    token: Any,
    deployer: Any,
    treasury: Any,
    operator: Any,
    oracle: Any,
    guardian: Any,
    alice: Any,
    bob: Any,
    carol: Any,
) -> Any:
    """A tournament wired to the token; alice, bob and carol hold 10,000 tokens and approved it."""
    contract = project.Tournament.deploy(
        token, treasury, deployer, operator, oracle, guardian, SETTLEMENT, sender=deployer
    )
    for who in (alice, bob, carol):
        token.transfer(who, 10_000 * 10**18, sender=treasury)
        token.approve(contract, 2**256 - 1, sender=who)
    token.approve(contract, 2**256 - 1, sender=treasury)
    return contract
