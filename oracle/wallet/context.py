"""What every wallet action stands on: one account, the tournament it reads from the chain, the
oracle service (checked to serve that tournament), the vault, and the plans it sends.

The service is trusted for nothing the chain can check: the manifest must hash to the round's
on-chain ``liveDataHash``, and the live and training data to what the manifest names.
"""

from __future__ import annotations

from typing import Any

from oracle import settings
from oracle.chain import deployments
from oracle.chain.abi import Views
from oracle.chain.deploy import TOURNAMENT_CONTRACT
from oracle.chain.events import RoundInfo, Status, TournamentReader
from oracle.errors import InvalidSubmissionError, NotConfirmedError, WalletError
from oracle.protocol.manifest import RoundManifest
from oracle.scoring.fast_read import Universe
from oracle.scoring.validate import read_submission
from oracle.times import utc_time
from oracle.wallet.inputs import Predictions, data_frame, predictions_bytes
from oracle.wallet.plan import Confirm, Plan, Sent, Step, always, estimate, send
from oracle.wallet.service import ServiceClient
from oracle.wallet.vault import Submission, Vault

#: Seconds the wallet waits for a deadline to sink to the confirmation depth.
DEPTH_WAIT = 180.0


class WalletContext:
    """One account on the tournament of the connected chain (see :class:`~oracle.wallet.Wallet`
    for the arguments). Many contexts of one tournament may share one ``service`` and one
    ``reader``."""

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
        self.provider = provider
        self.account = account
        self.address = str(account.address)
        self.chain_id = int(provider.chain_id)
        if not isinstance(service, ServiceClient):
            service = ServiceClient(service or settings.service_url())
        self.service = service
        self.vault = vault or Vault()
        self.confirm = confirm
        self._reader: TournamentReader | None = reader
        self._token: Any = None
        self._manifests: dict[int, RoundManifest] = {}
        self._service_checked = False
        #: The live ids of the last round a file was checked against, by live data hash.
        self._universe: tuple[str, Universe] | None = None

    # ------------------------------------------------------------------ the chain

    @property
    def reader(self) -> TournamentReader:
        """The tournament: from this machine's deployment record of the chain when there is
        one, else from the service (checked against the chain below)."""
        if self._reader is None:
            record = deployments.load(self.chain_id)
            if record is not None:
                address, block = record.address_of(TOURNAMENT_CONTRACT), record.block
            else:
                info = self.service_info()
                address, block = str(info["tournament"]), int(info.get("deployment_block", 0))
            if not self.provider.get_code(address):
                raise WalletError(
                    f"no tournament contract at {address} on chain {self.chain_id}: "
                    "check --network (on the devnet, run `make deploy`)"
                )
            self._reader = TournamentReader(
                self.provider, address, from_block=block, cache_dir=self.vault.root / "chain"
            )
        return self._reader

    @property
    def tournament(self) -> Any:
        """The tournament's ape contract instance (transactions)."""
        return self.reader.contract

    @property
    def token(self) -> Any:
        """The token's ape contract instance (transactions)."""
        if self._token is None:
            from ape import project

            self._token = project.TournamentToken.at(self.token_views.address)
        return self._token

    @property
    def token_views(self) -> Views:
        """The token as a web3 contract, for reads."""
        return self.reader.token_views

    def token_balance(self) -> int:
        return int(self.token_views.call("balanceOf", self.address))

    def stake_of(self, round_id: int, model_id: bytes) -> int:
        """This account's stake on ``model_id`` in ``round_id`` now."""
        return int(self.reader.views.call("stakeOf", round_id, self.address, model_id))

    def now(self) -> int:
        return self.reader.latest_timestamp()

    def wait_for_commitment(
        self, round_id: int, model_id: bytes, commit: bytes, model: str, timeout: float = DEPTH_WAIT
    ) -> None:
        """Wait until the chain holds ``commit`` for ``model_id`` at the confirmation depth;
        one line saying how to re-send if it does not within ``timeout`` seconds."""
        import time

        deadline = time.monotonic() + timeout
        while self.reader.commitment_of(round_id, self.address, model_id) != commit:
            if time.monotonic() > deadline:
                raise WalletError(
                    f"the stake of {model} in round {round_id} is not on chain "
                    f"{self.reader.confirmations} block(s) deep after {timeout:.0f} s (a reorg may "
                    "have dropped it): the file and salt are kept; run the same `wallet submit` "
                    "again to re-send it"
                )
            time.sleep(0.5 if self.reader.confirmations else 0.05)

    def wait_deep_past(self, timestamp: int, what: str, timeout: float = DEPTH_WAIT) -> None:
        """Wait (at most ``timeout`` seconds) until the chain is ``confirmations`` blocks past
        ``timestamp``, so what happened before it can no longer be reorged away."""
        import time

        deadline = time.monotonic() + timeout
        while not self.reader.deep_past(timestamp):
            if time.monotonic() > deadline:
                raise WalletError(self.reader.depth_line(what, timestamp))
            time.sleep(1.0)

    def round_info(self, round_id: int) -> RoundInfo:
        return self.reader.round_info(round_id)

    def open_round(self, round_id: int) -> RoundInfo:
        """``round_id``'s facts, once it is known to take stakes now."""
        info = self.round_info(round_id)
        now = self.now()
        if info.status == Status.CANCELLED:
            raise WalletError(f"round {round_id} was cancelled: stake in another round")
        if now >= info.close_time:
            raise WalletError(
                f"round {round_id} closed for staking at {utc_time(info.close_time)} (chain time "
                f"{utc_time(now)}): stake in an open round"
            )
        return info

    def require_gas(self) -> None:
        if self.provider.get_balance(self.address) == 0:
            raise WalletError(
                f"account {self.address} has no ether to pay for gas: fund it first (on the "
                "devnet, development accounts hold ether)"
            )

    # ------------------------------------------------------------------ plans

    def step(self, label: str, method: str, *args: Any) -> Step:
        """A transaction to the tournament, with its gas estimate (or the contract's refusal)."""
        return Step(label, method, args, estimate(self.tournament, method, args, self.account))

    def run(self, plan: Plan) -> list[Sent]:
        """Send ``plan`` once ``confirm`` agrees (nothing when it has no steps)."""
        if not plan.steps:
            return []
        if not self.confirm(plan):
            raise NotConfirmedError(f"{plan.action}: not confirmed, nothing sent")
        return send(self.tournament, plan.steps, self.account)

    # ------------------------------------------------------------------ the service

    def service_info(self) -> dict[str, Any]:
        info = self.service.info()
        if int(info.get("chain_id", -1)) != self.chain_id:
            raise WalletError(
                f"the service at {self.service.url} serves chain {info.get('chain_id')}, not "
                f"chain {self.chain_id}: pass the service of this network with --service"
            )
        return info

    def checked_service(self) -> ServiceClient:
        """The service, once it is known to serve this chain's tournament."""
        if not self._service_checked:
            info = self.service_info()
            if str(info["tournament"]).lower() != self.reader.address.lower():
                raise WalletError(
                    f"the service at {self.service.url} serves tournament {info['tournament']}, "
                    f"not {self.reader.address}: pass the right service with --service"
                )
            self._service_checked = True
        return self.service

    def manifest(self, round_id: int) -> RoundManifest:
        """The round's manifest, as the chain's ``liveDataHash`` names it (a round's
        parameters never change once it is open, so it is read once)."""
        if round_id not in self._manifests:
            digest = self.round_info(round_id).live_data_hash
            data = self.checked_service().artefact("0x" + digest.hex())
            self._manifests[round_id] = RoundManifest.from_bytes(data)
        return self._manifests[round_id]

    def download(self, round_id: int, *, training: bool = False, validation: bool = False) -> bytes:
        """The live data (or training data, or validation eras) of ``round_id`` as parquet
        bytes, checked against the round's manifest, whose hash is on chain."""
        manifest = self.manifest(round_id)
        if validation:
            if manifest.validation_data is None:
                raise WalletError(
                    f"round {round_id} publishes no validation eras: diagnose on a round opened "
                    "with them (a synthetic round has them)"
                )
            return self.service.artefact(manifest.validation_data)
        digest = manifest.training_data if training else manifest.live_data
        if digest is None:
            raise WalletError(
                f"round {round_id} has no training data (it was opened on the operator's own "
                "live data): train on another source"
            )
        return self.service.artefact(digest)

    def checked_predictions(self, round_id: int, predictions: Predictions) -> bytes:
        """The file's bytes, once the oracle's validator accepts them for ``round_id``."""
        data = predictions_bytes(predictions)
        digest = self.manifest(round_id).live_data
        if self._universe is None or self._universe[0] != digest:
            ids = data_frame(self.download(round_id))["id"].astype(str)
            self._universe = (digest, Universe(ids))
        try:
            read_submission(data, self._universe[1])
        except InvalidSubmissionError as err:
            raise WalletError(f"the predictions are invalid: {err}") from None
        return data

    # ------------------------------------------------------------------ the vault

    def names(self, round_id: int) -> dict[bytes, Submission]:
        """The vault's submissions of this account in ``round_id``, by model id."""
        return {
            bytes.fromhex(s.model_id[2:]): s
            for s in self.vault.models(self.chain_id, self.reader.address, round_id, self.address)
        }

    def saved_for(
        self, round_id: int, model_id: bytes, commit: bytes, names: dict[bytes, Submission]
    ) -> tuple[Submission, bytes] | None:
        """The vault's submission (and file) that reveals ``commit``, if it holds one."""
        saved = names.get(model_id)
        if saved is None:
            return None
        return self.vault.for_commitment(
            self.chain_id, self.reader.address, round_id, self.address, saved.model, commit
        )
