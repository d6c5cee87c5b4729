"""Off-chain side of the staking tournament: devnet, deployments, oracle, scoring and wallet."""

from pathlib import Path

#: The repository root (the folder holding ape-config.yaml).
PROJECT_ROOT = Path(__file__).resolve().parent.parent

__all__ = ["PROJECT_ROOT"]
