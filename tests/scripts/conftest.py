"""A deployed devnet per test module, for the tests that drive the oracle's commands."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.scripts.harness import Devnet


@pytest.fixture(scope="module")
def net(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Devnet]:
    """A fresh anvil with the contracts deployed, its own store and records; stopped after."""
    devnet = Devnet.start(tmp_path_factory.mktemp(request.module.__name__.rsplit(".", 1)[-1]))
    yield devnet
    devnet.stop()
