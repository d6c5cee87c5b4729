"""The participants' models, above the market data: the zoo the demo and the incentive study
draw their participants from (:mod:`.zoo`), and the wallet's LightGBM example (:mod:`.example`)."""
