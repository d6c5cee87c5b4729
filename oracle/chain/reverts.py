"""A contract's revert as one line: what went wrong, in the contract's own words, and what to do.

What went wrong is the NatSpec ``@notice`` of the custom error, read from the compiled contract
types (the ``userdoc`` ape keeps from the compiler), with every backticked parameter replaced by
the value the revert carried: the text cannot drift from the contract. What to do is
:data:`ACTIONS`. OpenZeppelin's errors carry developer notes only; :data:`LIBRARY_HINTS` says
them for users. ``tests/chain/test_reverts.py`` checks both tables against the compiled ABIs.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from typing import ParamSpec, TypeVar

from oracle.errors import TournamentError, one_line
from oracle.times import utc_time

P = ParamSpec("P")
R = TypeVar("R")

#: The contracts whose NatSpec explains their errors.
DOCUMENTED_CONTRACTS = ("Tournament", "TournamentToken")
#: ITournament.Status, in declaration order.
STATUS_NAMES = ("Pending", "Posted", "Finalized", "Cancelled", "Disputed")
#: Error parameters that hold chain timestamps (shown as UTC dates).
TIME_FIELDS = frozenset(
    {
        "closeTime",
        "resolveAfter",
        "resolveBy",
        "nowTime",
        "earliest",
        "latest",
        "challengeEnds",
        "opensAfter",
        "settleBy",
        "deadline",
    }
)

#: What to do after the contract's notice of each of its own errors.
ACTIONS: dict[str, str] = {
    "UnknownRound": "check the round id",
    "InvalidClip": "use 1 to 1,000,000",
    "ZeroCommitment": "commit to your predictions hash and salt",
    "StakingClosed": "use an open round",
    "StakeBelowMinimum": "stake more or withdraw everything",
    "NoPosition": "check the account, the model and the round",
    "TotalStakedMismatch": "rebuild the resolution from chain state",
    "ChallengeWindowOpen": "finalise after it ends",
    "ResolutionDeadlinePassed": "stakers can take refunds",
    "RefundsNotOpen": "claim instead if the round is finalised",
    "SettlementClosed": "take a refund",
    "InvalidProof": "fetch the proof again from the round's results",
    "StakeMismatch": "the position was settled already, or the leaf is not from this round",
    "LeafAboveClip": "the resolution is not one the contract accepts",
}

#: The whole line for errors the contracts inherit from OpenZeppelin; ``{name}`` fields come
#: from the error's values.
LIBRARY_HINTS: dict[str, str] = {
    "EnforcedPause": "the tournament is paused: new stakes and resolutions wait; exits work",
    "ExpectedPause": "the tournament is not paused",
    "AccessControlUnauthorizedAccount": "{account} lacks the role this call needs",
    "AccessControlBadConfirmation": "renounceRole must be called by the account itself",
    "ReentrancyGuardReentrantCall": "a reentrant call was refused",
    "SafeERC20FailedOperation": "the token refused a transfer of {token}",
    "ERC20InsufficientBalance": "{sender} holds {balance} tokens, needs {needed}",
    "ERC20InsufficientAllowance": "allowance of {spender} is {allowance}, needs {needed}: "
    "approve the tournament first (or stake with permit)",
    "ERC2612ExpiredSignature": "the permit expired at {deadline}: sign a new one",
    "ERC2612InvalidSigner": "the permit was signed by {signer}, not {owner}",
    "ECDSAInvalidSignature": "the permit's signature is not valid: sign it again",
    "ECDSAInvalidSignatureLength": "the permit's signature has {length} bytes, not 65",
    "ECDSAInvalidSignatureS": "the permit's signature is malleable (high s): sign it again",
    "InvalidAccountNonce": "{account}'s nonce is {currentNonce}: sign a new permit",
    "ERC20InvalidSender": "tokens cannot move from {sender}",
    "ERC20InvalidReceiver": "tokens cannot move to {receiver}",
    "ERC20InvalidApprover": "{approver} cannot approve",
    "ERC20InvalidSpender": "{spender} cannot be approved",
    "InvalidShortString": "a token name or symbol is not a valid short string",
    "StringTooLong": "the string {str} is too long",
}

_FIELD = re.compile(r"`(\w+)`")


@functools.cache
def notices() -> dict[str, str]:
    """Each documented custom error's NatSpec notice, by error name, from the compiled
    contracts (empty when the project's contracts are not compiled here)."""
    from ape import project

    found: dict[str, str] = {}
    for name in DOCUMENTED_CONTRACTS:
        try:
            userdoc = getattr(project, name).contract_type.userdoc or {}
        except (AttributeError, KeyError):
            continue
        for signature, entries in (userdoc.get("errors") or {}).items():
            notice = " ".join(str(e.get("notice", "")) for e in entries).strip()
            if notice:
                found.setdefault(signature.split("(")[0], " ".join(notice.split()))
    return found


def readable(field: str, value: object) -> str:
    """A revert's value as a person reads it: hex bytes, UTC dates, status names."""
    if isinstance(value, bytes):
        return "0x" + value.hex()
    if field in TIME_FIELDS and isinstance(value, int):
        return utc_time(value)
    if field == "status" and isinstance(value, int) and value < len(STATUS_NAMES):
        return STATUS_NAMES[value]
    if field == "round":
        return f"round {value}"
    return str(value)


def explain(name: str, values: dict[str, object]) -> str:
    """The one line for the custom error ``name`` with ``values``."""
    shown = {k: readable(k, v) for k, v in values.items()}
    notice = notices().get(name)
    if notice is not None:
        text = _FIELD.sub(lambda m: shown.get(m.group(1), m.group(1)), notice).rstrip(".")
        text = text[:1].lower() + text[1:]
        action = ACTIONS.get(name)
        return f"{name}: {text}" + (f": {action}" if action else "")
    hint = LIBRARY_HINTS.get(name)
    args = ", ".join(f"{k}={v}" for k, v in shown.items())
    if hint is None:
        return f"{name}({args})"
    try:
        return f"{name}: {hint.format(**shown)}"
    except (KeyError, IndexError):
        return f"{name}({args}): {hint}"


def explain_revert(err: BaseException) -> str | None:
    """One line for a contract's custom error (ape's ``CustomError``), or None if not one."""
    from ape.exceptions import CustomError

    if not isinstance(err, CustomError):
        return None
    return explain(err.abi.name, dict(err.inputs or {}))


def ape_error_line(err: BaseException) -> str:
    """One line for any of ape's exceptions: a revert explained, else its type and first line."""
    return explain_revert(err) or f"{type(err).__name__}: {one_line(str(err))}"


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
            raise TournamentError(ape_error_line(err)) from None

    return wrapper
