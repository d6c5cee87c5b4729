"""Anyone's side of a round: the tournament and its store (``context``), the round's inputs and
its results computed from public artefacts (``inputs``, ``results``, ``synthetic``), the check
that recomputes a posted round (``verify``) and the copy of a service's artefacts (``mirror``).

The operator's side (:mod:`oracle.resolver`) resolves with these same functions, and the
participant's side (:mod:`oracle.wallet`) verifies with them; this package imports neither.
"""
