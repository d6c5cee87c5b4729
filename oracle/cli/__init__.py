"""What the `ape run` scripts share: the devnet-aware command class (:mod:`.commands`), the
common options and parameter types (:mod:`.options`), the error boundary (:mod:`.boundary`)
and the devnet's own command (``python -m oracle.cli.devnet``, :mod:`.devnet`)."""
