"""Times as people read them: every message and table shows chain time as a UTC date."""

from __future__ import annotations

import time


def utc_time(timestamp: int) -> str:
    """A chain timestamp (unix seconds) as a UTC date and time; "-" for an unset time (0)."""
    if timestamp <= 0:
        return "-"
    return time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(timestamp))
