"""Fixtures for the ape tests on the in-process chain: role-named accounts and fresh deployments."""

from __future__ import annotations

from typing import Any

import pytest

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
