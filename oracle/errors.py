"""The exception tree: every error this package raises on purpose, each message one line that
says what to do. Command lines print it as ``Error: ...`` (:mod:`oracle.cli.boundary`), the
notebook client as one line with no traceback, the service as a JSON answer."""

from __future__ import annotations

from typing import Any


class TournamentError(Exception):
    """Base of every error this package raises on purpose; the message is one actionable line."""

    def _render_traceback_(self) -> list[str]:
        """What IPython and Jupyter show instead of a traceback: the line is the whole answer
        (as the command line's ``Error: ...``)."""
        return [f"{type(self).__name__}: {one_line(str(self))}"]


# ---------------------------------------------------------------- chain and accounts


class DevnetError(TournamentError):
    """The local devnet cannot be started, reached or stopped."""


class DeploymentError(TournamentError):
    """A deployment record is missing, stale or cannot be written."""


class AccountError(TournamentError):
    """An account is unknown, locked or lacks funds."""


class NetworkError(TournamentError):
    """The command is not allowed on the selected network."""


class RpcUnavailableError(TournamentError):
    """The node did not answer (rate-limited, failing, unreachable, slow) after retries; the
    message names the node and what it did."""


class RpcRefusedError(TournamentError):
    """The node answered a request with a JSON-RPC error."""

    def __init__(self, method: str, code: int, message: str) -> None:
        super().__init__(f"the node refused {method} (code {code}): {message}")
        self.method = method
        self.code = code
        self.message = message


class TransactionFailedError(TournamentError):
    """A journalled transaction was mined but reverted."""


# ---------------------------------------------------------------- scoring


class ScoringInputError(TournamentError):
    """Predictions, targets, stakes or another scoring input cannot be scored as given."""


class RoundInputError(ScoringInputError):
    """A round-level cause that leaves every score undefined, blamed on one input
    (``what``: "targets" or "sample weights"), so a caller can name that input's file."""

    def __init__(self, what: str, message: str) -> None:
        super().__init__(message)
        self.what = what


class InvalidSubmissionError(ScoringInputError):
    """A predictions file that cannot be scored; the message is the rejection reason."""


class EngineError(TournamentError):
    """This process cannot compute scores bit for bit as the results' engine defines them."""


class SimulationConfigError(TournamentError):
    """A simulation config or option cannot be used as given."""


# ---------------------------------------------------------------- artefacts and rounds


class StoreError(TournamentError):
    """The artefact store cannot serve or keep an artefact."""


class ArtefactMissingError(StoreError):
    """No artefact with this content hash is in the store (or it is not public yet)."""


class CorruptArtefactError(StoreError):
    """An entry's bytes no longer hash to its name: it is reported, never served."""


class ManifestError(TournamentError):
    """A manifest or another round artefact is malformed."""


class RoundDataError(TournamentError):
    """A round's live data or targets cannot be read or used as given."""


class CommitmentMismatchError(TournamentError):
    """An artefact differs from what the round's manifest or the chain committed to."""


class IncompleteLogsError(TournamentError):
    """The chain's events do not add up to the state the contract records (missing logs)."""


class RoundStateError(TournamentError):
    """The round is not in a state that allows this step (yet, or any more)."""


class ResultsError(TournamentError):
    """A round cannot be resolved from its artefacts (a round-level cause, not one position's)."""


class NotFoundError(TournamentError):
    """The round, account, model or artefact asked for does not exist (yet)."""


class NotReadyError(TournamentError):
    """What was asked for exists only in a later phase of the round (say, results before the
    resolution is posted)."""


# ---------------------------------------------------------------- the participant's side


class WalletError(TournamentError):
    """The wallet refuses a request: the message says why and what to do."""


class NotConfirmedError(WalletError):
    """The user declined the plan: nothing was sent."""


class VaultError(TournamentError):
    """The wallet's folder cannot be read or written, or holds something unexpected."""


class ServiceError(TournamentError):
    """The service cannot be reached, or refused the request (its one-line reason)."""

    def __init__(
        self, message: str, status: int | None = None, facts: dict[str, Any] | None = None
    ):
        super().__init__(message)
        self.status = status
        self.facts = facts or {}


class DemoError(TournamentError):
    """A step of the demo failed; the message names the step and its error line."""


# ---------------------------------------------------------------- message helpers


def one_line(message: str) -> str:
    """Collapse a message to its first non-empty line (chain errors can be long)."""
    for line in str(message).splitlines():
        if line.strip():
            return line.strip()
    return str(message).strip()


def first_line(err: BaseException) -> str:
    """An exception's first line, at most 200 characters (its type's name if it has none)."""
    text = str(err).strip()
    return text.splitlines()[0][:200] if text else type(err).__name__


def shortened(text: str, limit: int) -> str:
    """``text`` as it is, or cut to ``limit`` characters ending in "..." (for a message that
    quotes a value someone else chose)."""
    return text if len(text) <= limit else text[: limit - 3] + "..."
