"""Off-chain side of the staking tournament: devnet, deployments, oracle, scoring and wallet."""

import os
import platform
from pathlib import Path

#: The repository root (the folder holding ape-config.yaml).
PROJECT_ROOT = Path(__file__).resolve().parent.parent


def machine() -> dict[str, object]:
    """The machine a measurement ran on, as benchmark results record it."""
    return {
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "platform": platform.platform(),
    }


__all__ = ["PROJECT_ROOT", "machine"]
