"""Fixtures: role-named accounts and fresh deployments on ape's in-process chain, and a deployed
anvil per module (``net``) for the tests that drive the commands. Every test that needs a chain
is marked ``chain`` (``make test-unit`` runs the others, ``make test-python`` these)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.helpers.harness import Devnet
from tests.helpers.tournament import BOND_DEPOSIT, PERIODS_AND_BONDS, TOKEN_NAME, TOKEN_SYMBOL


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
    """A tournament wired to the token; alice, bob and carol hold 10,000 tokens and approved it;
    the treasury deposited BOND_DEPOSIT into the oracle's bond pool."""
    contract = project.Tournament.deploy(
        token, treasury, deployer, operator, oracle, guardian, *PERIODS_AND_BONDS, sender=deployer
    )
    for who in (alice, bob, carol):
        token.transfer(who, 10_000 * 10**18, sender=treasury)
        token.approve(contract, 2**256 - 1, sender=who)
    token.approve(contract, 2**256 - 1, sender=treasury)
    contract.depositBond(BOND_DEPOSIT, sender=treasury)
    return contract


@pytest.fixture(scope="module")
def net(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Devnet]:
    """A fresh anvil with the contracts deployed, its own store and records; stopped after."""
    devnet = Devnet.start(tmp_path_factory.mktemp(request.module.__name__.rsplit(".", 1)[-1]))
    yield devnet
    devnet.stop()


#: Fixtures that only exist with a chain: a test that asks for one must be marked ``chain``.
CHAIN_FIXTURES = frozenset(
    {"accounts", "chain", "project", "networks", "net", "token", "tournament", "deployer"}
)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Refuse a test that needs a chain but is not marked ``chain`` (it would run in
    ``make test-unit``, which must need no chain)."""
    unmarked = [
        item.nodeid
        for item in items
        if CHAIN_FIXTURES & set(getattr(item, "fixturenames", ()))
        and item.get_closest_marker("chain") is None
    ]
    if unmarked:
        raise pytest.UsageError(
            f"{len(unmarked)} test(s) use a chain fixture without the chain marker, e.g. "
            f"{unmarked[0]}: add `pytestmark = pytest.mark.chain` to the module"
        )
