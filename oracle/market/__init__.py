"""Round data: a seeded synthetic market (training eras, live eras, a Signals variant)."""

from oracle.market.generator import LiveRound, Market, MarketSpec, to_parquet

__all__ = ["LiveRound", "Market", "MarketSpec", "to_parquet"]
