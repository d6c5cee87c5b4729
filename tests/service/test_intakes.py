"""When the service's reveal intake reads chain time afresh rather than reusing a recent read."""

from __future__ import annotations

import pytest

from oracle.service.intakes import WINDOW_EDGE, fresh_read_needed

OPENS, CLOSES = 1_000_000, 1_003_600


@pytest.mark.parametrize(
    ("recent", "needed"),
    [
        (OPENS - 1, True),  # before close: the window may have just opened
        (OPENS, False),  # at close: time only moves forward, so close has passed
        (OPENS + 1, False),  # the burst right after close reuses the recent read
        (CLOSES - WINDOW_EDGE, False),
        (CLOSES - WINDOW_EDGE + 1, True),  # near the deadline: judged exactly
        (CLOSES, True),
        (CLOSES + 1, True),
    ],
)
def test_fresh_read_only_before_close_and_near_the_deadline(recent: int, needed: bool) -> None:
    assert fresh_read_needed(recent, OPENS, CLOSES) is needed
