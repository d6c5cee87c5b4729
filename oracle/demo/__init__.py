"""Whole tournament rounds on the local devnet with simulated participants (`make demo`):
the participants and their models, the round driver, and the incentive checks."""
