"""The service's routes, one router per concern: rounds and their data, reveals, results and
proofs, artefacts, and the pages."""
