"""The participant's wallet: one account, one tournament, read from the chain and the oracle
service, with every salt and predictions file saved in the :class:`~oracle.wallet.vault.Vault`
before a commitment to it is sent.

From a notebook::

    w = Wallet.connect(account="alice", network="ethereum:local:foundry")
    live = w.live_data(round=3)
    w.diagnose(round=3, predictions=my_validation_predictions)
    w.submit(round=3, model="alpha-1", predictions=frame, stake="25.5")
    w.reveal(round=3)
    w.status(round=3)
    w.claim(round=3, restake_into=4)

``ape run wallet ...`` (scripts/wallet.py) is a thin layer over the same methods, and each
method here is a thin layer over the module that does the work: :mod:`.reads`,
:mod:`.staking`, :mod:`.settlement`, on the account's :class:`~.context.WalletContext`.

Trust: the wallet checks what the service hands over against the chain. The live and
training data must hash to what the round's manifest names, and the manifest to the round's
on-chain ``liveDataHash``; every proof must reach the on-chain root before a claim is sent.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pandas as pd

from oracle.audit.verify import Verdict
from oracle.chain.abi import Views
from oracle.chain.accounts import resolve_account
from oracle.chain.events import RoundInfo, TournamentReader
from oracle.chain.reverts import one_line_errors
from oracle.protocol.manifest import RoundManifest
from oracle.scoring.diagnostics import Diagnostics
from oracle.wallet import diagnose, reads, settlement, staking
from oracle.wallet.answers import (
    Balance,
    ClaimResult,
    ModelPosition,
    PositionStatus,
    RevealAnswer,
    RoundStatus,
    SubmitResult,
)
from oracle.wallet.context import WalletContext
from oracle.wallet.inputs import Amount, Predictions, data_frame, predictions_bytes, tokens
from oracle.wallet.plan import Confirm, Sent, always
from oracle.wallet.service import ServiceClient
from oracle.wallet.vault import Vault


class Wallet:
    """One account's wallet on the tournament of the connected chain.

    ``provider`` is a connected ape provider and ``account`` an ape account. ``confirm`` sees
    every :class:`Plan` before it is sent (the CLI prints it and asks); ``service`` is the
    oracle service's client; ``vault`` holds the salts and files. Many wallets of one
    tournament (a simulation's participants) can share one ``service`` and one ``reader``.
    """

    def __init__(
        self,
        provider: Any,
        account: Any,
        service: ServiceClient | str | None = None,
        vault: Vault | None = None,
        *,
        confirm: Confirm = always,
        reader: TournamentReader | None = None,
    ) -> None:
        self.context = WalletContext(
            provider, account, service, vault, confirm=confirm, reader=reader
        )
        self._network_context: Any = None

    @classmethod
    def connect(
        cls,
        account: str,
        network: str = "ethereum:local:foundry",
        service: str | None = None,
        *,
        provider_settings: dict[str, Any] | None = None,
        vault_dir: str | os.PathLike[str] | None = None,
        confirm: Confirm = always,
    ) -> Wallet:
        """Connect to ``network`` (starting the local devnet if it is the devnet's address)
        and load ``account``: an ape account alias (its passphrase from
        ``APE_ACCOUNTS_<alias>_PASSPHRASE``), or ``test:N`` on a local chain."""
        from ape import networks

        from oracle.chain.devnet import ensure_devnet

        choice = networks.parse_network_choice(network, provider_settings=provider_settings or {})
        ensure_devnet(getattr(choice, "_provider", None))
        provider = choice.__enter__()
        try:
            wallet = cls(
                provider,
                resolve_account(account, "participant", provider),
                service,
                Vault(Path(vault_dir)) if vault_dir is not None else None,
                confirm=confirm,
            )
        except BaseException:
            choice.__exit__(None, None, None)
            raise
        wallet._network_context = choice
        return wallet

    def close(self) -> None:
        self.context.service.close()
        if self._network_context is not None:
            self._network_context.__exit__(None, None, None)
            self._network_context = None

    def __enter__(self) -> Wallet:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ what it stands on

    @property
    def provider(self) -> Any:
        return self.context.provider

    @property
    def account(self) -> Any:
        return self.context.account

    @property
    def address(self) -> str:
        return self.context.address

    @property
    def chain_id(self) -> int:
        return self.context.chain_id

    @property
    def service(self) -> ServiceClient:
        return self.context.service

    @property
    def vault(self) -> Vault:
        return self.context.vault

    @property
    def reader(self) -> TournamentReader:
        """The tournament (from this machine's deployment record, else from the service)."""
        return self.context.reader

    @property
    def tournament(self) -> Any:
        """The tournament's ape contract instance (transactions)."""
        return self.context.tournament

    @property
    def token(self) -> Any:
        """The token's ape contract instance (transactions)."""
        return self.context.token

    @property
    def token_views(self) -> Views:
        """The token as a web3 contract, for reads."""
        return self.context.token_views

    # ------------------------------------------------------------------ reads

    def token_balance(self) -> int:
        return self.context.token_balance()

    def stake_of(self, round_id: int, model_id: bytes) -> int:
        """This account's stake on ``model_id`` in ``round_id`` now."""
        return self.context.stake_of(round_id, model_id)

    def now(self) -> int:
        return self.context.now()

    def round_info(self, round_id: int) -> RoundInfo:
        return self.context.round_info(round_id)

    def balance(self) -> Balance:
        """Tokens and ether held, and tokens at stake in positions not yet settled."""
        return reads.balance(self.context)

    def models(self, round_id: int | None = None) -> list[ModelPosition]:
        """Every position of this account (in ``round_id``, or in every round), with the
        model's name when the vault knows it and whether the vault can reveal it."""
        return reads.models(self.context, round_id)

    def manifest(self, round_id: int) -> RoundManifest:
        """The round's manifest, as the chain's ``liveDataHash`` names it."""
        return self.context.manifest(round_id)

    def download(self, round_id: int, *, training: bool = False, validation: bool = False) -> bytes:
        """The live data (or training data, or validation eras) of ``round_id`` as parquet
        bytes, checked against the round's manifest, whose hash is on chain."""
        return self.context.download(round_id, training=training, validation=validation)

    def live_data(self, round: int) -> pd.DataFrame:
        """The live data of ``round`` (``id`` and the features), checked against the chain."""
        return data_frame(self.download(round))

    def training_data(self, round: int) -> pd.DataFrame:
        """The training data of a synthetic ``round`` (``era``, ``id``, features, ``target``)."""
        return data_frame(self.download(round, training=True))

    def validation_data(self, round: int) -> pd.DataFrame:
        """The validation eras of ``round`` (``era``, ``id``, features, ``target``): held-out
        eras with their targets, for :meth:`diagnose`."""
        return diagnose.validation_data(self.context, round)

    def diagnose(self, round: int, predictions: Predictions) -> Diagnostics:
        """``predictions`` (``id``, ``prediction`` for every validation id) scored era by era
        on ``round``'s validation eras: CORR, MMC against the benchmark models' meta model, FNC
        and the correlation with the example model, with their means, Sharpe ratios, the
        drawdown, the worst era and the feature exposure. ``.to_json()`` has every number."""
        return diagnose.diagnose_round(self.context, round, predictions)

    def status(self, round: int) -> RoundStatus:
        """The round's phase and this account's positions in it, with their results once the
        oracle has posted them."""
        return reads.status(self.context, round)

    # ------------------------------------------------------------------ staking

    def submit(
        self,
        round: int,
        model: str,
        predictions: Predictions,
        stake: Amount,
    ) -> SubmitResult:
        """Commit ``model``'s ``predictions`` for ``round`` with ``stake`` tokens in total.

        The file is checked with the oracle's validator against the round's live data, then
        saved with a fresh salt in the vault before any transaction. A first submission, or a
        larger stake, is one ``stakeWithPermit`` carrying the new commitment; the same stake
        with another file is ``replaceCommitment``; a smaller stake also withdraws the
        difference. Sending the same file again reuses its saved salt, so a submission that
        was interrupted finishes with the same commitment.
        """
        return staking.submit(self.context, round, model, predictions, stake)

    def withdraw(self, round: int, model: str, amount: Amount | None = None) -> list[Sent]:
        """Take ``amount`` tokens (all by default) out of ``model``'s stake before close."""
        return staking.withdraw(self.context, round, model, amount)

    def reveal(self, round: int) -> list[RevealAnswer]:
        """Send every staked model's file and salt of ``round`` to the service, after close.
        Sending again is harmless: the service gives the same answer."""
        return staking.reveal(self.context, round)

    # ------------------------------------------------------------------ settlement

    def claim(
        self,
        round: int,
        restake_into: int | None = None,
        model: str | None = None,
        predictions: Predictions | None = None,
    ) -> ClaimResult:
        """Claim this account's positions of a finalised ``round`` (only ``model``'s if
        given) with the service's proofs, each checked against the on-chain root first.

        With ``restake_into``, each payout becomes a stake on the same model in that round
        (``claimAndRestake``), committed to the model's saved submission there, or to
        ``predictions`` (one model only), which is saved like a submission first.
        """
        return settlement.claim(self.context, round, restake_into, model, predictions)

    def refund(self, round: int) -> list[Sent]:
        """Take back every stake of this account in a cancelled or timed-out ``round``."""
        return settlement.refund(self.context, round)

    # ------------------------------------------------------------------ checking

    def verify(self, round: int) -> Verdict:
        """Recompute ``round`` from the service's public artefacts (each checked against its
        hash, into a temporary folder) and the chain: its ``line()`` is ``OK round N root
        0x...`` or ``MISMATCH round N: ...``, as ``ape run oracle verify`` prints it."""
        import tempfile

        from oracle.audit.mirror import remote_context
        from oracle.audit.verify import verify_round

        with tempfile.TemporaryDirectory(prefix="verify-") as folder:
            ctx = remote_context(
                self.provider, self.service.url, Path(folder), tournament=self.reader.address
            )
            return verify_round(ctx, round)


def _answer_in_one_line(cls: type[Wallet]) -> None:
    """Every public method of the client raises one line: a :class:`TournamentError` (ape's
    own exceptions included), which a notebook shows without a traceback."""
    for name, member in list(vars(cls).items()):
        if name.startswith("_"):
            continue
        if isinstance(member, classmethod):
            setattr(cls, name, classmethod(one_line_errors(member.__func__)))
        elif callable(member):
            setattr(cls, name, one_line_errors(member))


_answer_in_one_line(Wallet)

__all__ = [
    "Balance",
    "ClaimResult",
    "ModelPosition",
    "PositionStatus",
    "RevealAnswer",
    "RoundStatus",
    "SubmitResult",
    "Wallet",
    "predictions_bytes",
    "tokens",
]
