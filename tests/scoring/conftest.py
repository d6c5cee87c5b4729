"""The reference fixtures as a parametrised fixture: one case per folder of
tests/scoring/reference."""

from __future__ import annotations

import pytest

from tests.helpers.reference import CASES, Case, load_case


@pytest.fixture(params=CASES)
def case(request: pytest.FixtureRequest) -> Case:
    return load_case(request.param)
