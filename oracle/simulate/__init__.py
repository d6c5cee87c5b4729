"""The incentive study (``make simulate``): many rounds of the synthetic market, a population
of participant strategies, several payout rules on the same rounds, and which strategies
profit. It needs no chain: the payouts are the oracle's own integer arithmetic.

- :mod:`~oracle.simulate.config`: what a run simulates;
- :mod:`~oracle.simulate.population`: the strategies and their positions;
- :mod:`~oracle.simulate.engine`: the rounds, the payouts and each rule's token ledger;
- :mod:`~oracle.simulate.analysis`: returns, intervals and the properties;
- :mod:`~oracle.simulate.report`: the JSON results and the HTML page.
"""

from oracle.errors import SimulationConfigError
from oracle.simulate.config import NamedRule, SimulationConfig
from oracle.simulate.engine import Simulation, simulate

__all__ = ["NamedRule", "Simulation", "SimulationConfig", "SimulationConfigError", "simulate"]
