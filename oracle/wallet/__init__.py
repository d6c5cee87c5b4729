"""The participant's side: saved submissions (salts and files) before anything is sent; the
client and the `ape run wallet` commands build on it."""

from oracle.wallet.service import ServiceClient, ServiceError
from oracle.wallet.vault import Submission, Vault, VaultError, prepare

__all__ = ["ServiceClient", "ServiceError", "Submission", "Vault", "VaultError", "prepare"]
