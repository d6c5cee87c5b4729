"""Exception hierarchy whose messages say what to do, and the CLI boundary that prints them."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import ParamSpec, TypeVar

import click

P = ParamSpec("P")
R = TypeVar("R")


class TournamentError(Exception):
    """Base of every error this package raises on purpose; the message is one actionable line."""

    def _render_traceback_(self) -> list[str]:
        """What IPython and Jupyter show instead of a traceback: the line is the whole answer
        (as the command line's ``Error: ...``)."""
        return [f"{type(self).__name__}: {one_line(str(self))}"]


class DevnetError(TournamentError):
    """The local devnet cannot be started, reached or stopped."""


class DeploymentError(TournamentError):
    """A deployment record is missing, stale or cannot be written."""


class AccountError(TournamentError):
    """An account is unknown, locked or lacks funds."""


class NetworkError(TournamentError):
    """The command is not allowed on the selected network."""


class ScoringInputError(TournamentError):
    """Predictions, targets, stakes or another scoring input cannot be scored as given."""


class RoundInputError(ScoringInputError):
    """A round-level cause that leaves every score undefined, blamed on one input
    (``what``: "targets" or "sample weights"), so a caller can name that input's file."""

    def __init__(self, what: str, message: str) -> None:
        super().__init__(message)
        self.what = what


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


#: What to do about each custom error of the contracts; ``{name}`` fields come from the error.
REVERT_HINTS: dict[str, str] = {
    "UnknownRound": "round {round} does not exist: check the round id",
    "InvalidSchedule": "the round's times are out of order: need now < close <= resolveAfter "
    "and resolveAfter + challengePeriod <= resolveBy",
    "InvalidClip": "clip {clipPpm} ppm is out of range: use 1..1,000,000",
    "InvalidMinStake": "the minimum stake must be positive",
    "ZeroAddress": "an address argument is the zero address",
    "ZeroAmount": "the amount is zero (or there is nothing to move)",
    "ZeroCommitment": "the commitment is zero: commit to your predictions hash and salt",
    "StakingClosed": "staking in round {round} closed at {closeTime}: use an open round",
    "StakeBelowMinimum": "the position would hold {stake}, below the minimum {minimum}: "
    "stake more or withdraw everything",
    "InsufficientStake": "cannot withdraw {requested}: the position holds {available}",
    "NoPosition": "account {account} has no unsettled stake on that model in round {round}",
    "AmountTooLarge": "{amount} does not fit the contract's 96-bit amounts",
    "WrongStatus": "round {round} is in state {status}, which does not allow this",
    "OutsideResolutionWindow": "round {round} accepts a resolution from {earliest} to {latest} "
    "(it is {nowTime})",
    "TotalStakedMismatch": "the resolution's total stake {posted} differs from the recorded "
    "{recorded}: rebuild it from chain state",
    "RewardAboveBudget": "total reward {reward} exceeds the round's budget {budget}",
    "BurnAboveClip": "total burn {burn} exceeds clip x total stake = {maxBurn}",
    "ZeroRoot": "the Merkle root is zero",
    "ChallengeWindowOpen": "the challenge window of round {round} is open until {challengeEnds}",
    "ChallengeWindowClosed": "the challenge window of round {round} closed at {challengeEnds}",
    "ResolutionDeadlinePassed": "round {round} passed its resolution deadline {resolveBy}: "
    "stakers can take refunds",
    "RefundsNotOpen": "refunds of round {round} open only if it is cancelled, or after "
    "{opensAfter}",
    "SettlementClosed": "claims of round {round} closed at {settleBy}: unsettled positions are "
    "refunded in full instead",
    "InvalidSettlementPeriod": "the settlement period must be between 1 second and 2^32-1",
    "InvalidProof": "the proof does not match round {round}'s root for that leaf",
    "StakeMismatch": "the leaf's stake {leafStake} differs from the recorded {recordedStake}",
    "LeafAboveClip": "the leaf moves {amount}, above clip x stake = {maxAmount}",
    "ExceedsPostedTotal": "the leaf needs {amount} but only {left} is left of the posted total",
    "NotAccount": "only {account} may restake its own payout",
    "LengthMismatch": "leaves and proofs differ in length",
    "EnforcedPause": "the tournament is paused: new stakes and resolutions wait; exits work",
    "AccessControlUnauthorizedAccount": "{account} lacks the role this call needs",
    "AccessControlBadConfirmation": "renounceRole must be called by the account itself",
    "ExpectedPause": "the tournament is not paused",
    "ReentrancyGuardReentrantCall": "a reentrant call was refused",
    "SafeERC20FailedOperation": "the token refused a transfer of {token}",
    "ERC20InsufficientBalance": "{sender} holds {balance} tokens, needs {needed}",
    "ERC20InsufficientAllowance": "allowance of {spender} is {allowance}, needs {needed}: "
    "approve the tournament first (or stake with permit)",
    "ERC2612ExpiredSignature": "the permit expired at {deadline}: sign a new one",
    "ERC2612InvalidSigner": "the permit was signed by {signer}, not {owner}",
}


def explain_revert(err: BaseException) -> str | None:
    """One line for a contract's custom error (ape's ``CustomError``), or None if not one."""
    from ape.exceptions import CustomError

    if not isinstance(err, CustomError):
        return None
    name = err.abi.name
    inputs = {k: _readable(v) for k, v in (err.inputs or {}).items()}
    hint = REVERT_HINTS.get(name)
    args = ", ".join(f"{k}={v}" for k, v in inputs.items())
    if hint is None:
        return f"{name}({args})"
    try:
        return f"{name}: {hint.format(**inputs)}"
    except (KeyError, IndexError):
        return f"{name}({args}): {hint}"


def _readable(value: object) -> object:
    if isinstance(value, bytes):
        return "0x" + value.hex()
    return value


def one_line_errors(func: Callable[P, R]) -> Callable[P, R]:
    """For a library entry point (the notebook client): ape's own exceptions (a reverted
    transaction, an account that cannot sign, a node that refuses) become a
    :class:`TournamentError` with one line and no chained traceback."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        from ape.exceptions import ApeException

        try:
            return func(*args, **kwargs)
        except ApeException as err:
            message = explain_revert(err) or f"{type(err).__name__}: {one_line(str(err))}"
            raise TournamentError(message) from None

    return wrapper


def cli_errors(func: Callable[P, R]) -> Callable[P, R]:
    """Turn expected failures into a one-line ``Error: ...`` and exit status 1.

    Catches this package's ``TournamentError`` and ape's own ``ApeException`` (for example a
    reverted transaction or an account that cannot sign) at the command boundary.
    """
    from ape.exceptions import ApeException

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return func(*args, **kwargs)
        except TournamentError as err:
            raise click.ClickException(one_line(str(err))) from err
        except ApeException as err:
            message = explain_revert(err) or f"{type(err).__name__}: {one_line(str(err))}"
            raise click.ClickException(message) from err

    return wrapper
