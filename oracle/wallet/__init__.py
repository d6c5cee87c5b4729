"""The participant's side: a numerapi-style client (:class:`Wallet`) over the chain and the
oracle service, and the vault that saves every salt and predictions file before a stake is
sent. ``ape run wallet`` (scripts/wallet.py) is a thin command line over the client."""

from oracle.errors import NotConfirmedError, ServiceError, VaultError, WalletError
from oracle.wallet.client import (
    Balance,
    ClaimResult,
    ModelPosition,
    PositionStatus,
    RevealAnswer,
    RoundStatus,
    SubmitResult,
    Wallet,
)
from oracle.wallet.plan import Plan, Sent, Step
from oracle.wallet.service import ServiceClient
from oracle.wallet.vault import Submission, Vault, prepare

__all__ = [
    "Balance",
    "ClaimResult",
    "ModelPosition",
    "NotConfirmedError",
    "Plan",
    "PositionStatus",
    "RevealAnswer",
    "RoundStatus",
    "Sent",
    "ServiceClient",
    "ServiceError",
    "Step",
    "Submission",
    "SubmitResult",
    "Vault",
    "VaultError",
    "Wallet",
    "WalletError",
    "prepare",
]
