"""Fault injection for the crash-safety tests: a process kills itself (SIGKILL, as a power cut
would) at the crash point that ``$TOURNAMENT_FAULT_INJECT`` names. Never set in normal use."""

from __future__ import annotations

import os
import signal

from oracle import settings


def crash_point(name: str) -> None:
    """Die here when ``$TOURNAMENT_FAULT_INJECT`` names this point."""
    if settings.fault() == name:
        os.kill(os.getpid(), signal.SIGKILL)
