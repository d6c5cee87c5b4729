"""The participant's wallet: one account, one tournament, read from the chain and the oracle
service, with every salt and predictions file saved in the :class:`~oracle.wallet.vault.Vault`
before a commitment to it is sent.

From a notebook::

    w = Wallet.connect(account="alice", network="ethereum:local:foundry")
    live = w.live_data(round=3)
    w.submit(round=3, model="alpha-1", predictions=frame, stake="25.5")
    w.reveal(round=3)
    w.status(round=3)
    w.claim(round=3, restake_into=4)

``ape run wallet ...`` (scripts/wallet.py) is a thin layer over the same methods.

Trust: the wallet checks what the service hands over against the chain. The live and
training data must hash to what the round's manifest names, and the manifest to the round's
on-chain ``liveDataHash``; every proof must reach the on-chain root before a claim is sent.
"""

from __future__ import annotations

import io
import os
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeAlias

import pandas as pd

from oracle import settings
from oracle.chain import deployments
from oracle.chain.abi import Views
from oracle.chain.accounts import resolve_account
from oracle.chain.deploy import TOURNAMENT_CONTRACT
from oracle.chain.events import RoundInfo, Status, TournamentReader
from oracle.chain.permit import sign_permit_with
from oracle.chain.reverts import one_line_errors
from oracle.errors import InvalidSubmissionError, NotConfirmedError, ServiceError, WalletError
from oracle.faults import crash_point
from oracle.protocol.commitments import model_id_of
from oracle.protocol.manifest import RoundManifest
from oracle.protocol.merkle import LEAF_ENCODING, leaf_hash, verify
from oracle.protocol.results import leaf_of
from oracle.protocol.units import format_amount, parse_amount
from oracle.scoring.bounded import read_bounded
from oracle.scoring.validate import Universe, read_submission
from oracle.times import utc_time
from oracle.wallet.plan import Confirm, Plan, Sent, Step, always, estimate, send
from oracle.wallet.service import ServiceClient
from oracle.wallet.vault import Submission, Vault

#: How long a signed permit stays valid (seconds of chain time).
PERMIT_LIFETIME = 3600

#: Predictions as a frame (``id``, ``prediction``), a file's bytes, or a file's path.
Predictions: TypeAlias = pd.DataFrame | bytes | str | os.PathLike[str]
#: A token amount in tokens: ``"12.5"``, ``12`` or a Decimal (never base units).
Amount: TypeAlias = str | int | Decimal


def default_service() -> str:
    return settings.service_url()


def tokens(amount: Amount) -> int:
    """Base units of a token amount written in tokens: ``"12.5"``, ``12`` or ``Decimal``."""
    return parse_amount(str(amount))


def predictions_bytes(predictions: Predictions) -> bytes:
    """The file to commit to: a DataFrame (``id``, ``prediction``) becomes parquet; a path is
    read as it is; bytes are taken as they are."""
    if isinstance(predictions, pd.DataFrame):
        frame = predictions.reset_index() if "id" not in predictions.columns else predictions
        buffer = io.BytesIO()
        frame[["id", "prediction"]].to_parquet(buffer, index=False, engine="pyarrow")
        return buffer.getvalue()
    if isinstance(predictions, bytes):
        return predictions
    path = Path(predictions)
    try:
        return path.read_bytes()
    except OSError as err:
        raise WalletError(
            f"cannot read the predictions file {path}: {err.strerror or err}"
        ) from None


# ---------------------------------------------------------------------- answers


@dataclass(frozen=True)
class Balance:
    address: str
    tokens: int
    ether: int
    #: Tokens held in positions not yet settled, over every round.
    staked: int


@dataclass(frozen=True)
class ModelPosition:
    """One of the account's positions, named by the vault when it holds the model's name."""

    round: int
    model: str
    model_id: str
    stake: int
    commitment: str
    settled: str | None
    payout: int
    #: Whether the vault holds the file and salt of the commitment the chain holds.
    saved: bool


@dataclass(frozen=True)
class SubmitResult:
    submission: Submission
    stake: int
    sent: list[Sent]


@dataclass(frozen=True)
class RevealAnswer:
    model: str
    model_id: str
    #: The intake's status ("accepted" or "rejected"), or "not-saved" when this wallet holds
    #: no file and salt for the position's commitment.
    status: str
    reason: str


@dataclass(frozen=True)
class PositionStatus:
    model: str
    model_id: str
    stake: int
    settled: str | None
    saved: bool
    #: From the posted results, once there are some.
    result: str | None = None
    reason: str = ""
    scores: dict[str, float] | None = None
    reward: int = 0
    burn: int = 0


@dataclass(frozen=True)
class RoundStatus:
    round: int
    phase: str
    next_action: str
    close_time: int
    reveal_deadline: int
    chain_time: int
    positions: list[PositionStatus] = field(default_factory=list)


@dataclass(frozen=True)
class ClaimResult:
    #: (model, payout) of each claimed position.
    claimed: list[tuple[str, int]]
    #: The round the payouts went into as stakes, if any.
    restaked_into: int | None
    sent: list[Sent]


# ---------------------------------------------------------------------- the wallet


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
        self.provider = provider
        self.account = account
        self.address = str(account.address)
        self.chain_id = int(provider.chain_id)
        if not isinstance(service, ServiceClient):
            service = ServiceClient(service or default_service())
        self.service = service
        self.vault = vault or Vault()
        self.confirm = confirm
        #: Wallets of one tournament may share a reader (its contract handles are reused).
        self._reader: TournamentReader | None = reader
        self._token: Any = None
        self._manifests: dict[int, RoundManifest] = {}
        self._service_checked = False
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
        self.service.close()
        if self._network_context is not None:
            self._network_context.__exit__(None, None, None)
            self._network_context = None

    def __enter__(self) -> Wallet:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ plumbing

    @property
    def reader(self) -> TournamentReader:
        """The tournament: from this machine's deployment record of the chain when there is
        one, else from the service (checked against the chain below)."""
        if self._reader is None:
            record = deployments.load(self.chain_id)
            if record is not None:
                address, block = record.address_of(TOURNAMENT_CONTRACT), record.block
            else:
                info = self._service_info()
                address, block = str(info["tournament"]), int(info.get("deployment_block", 0))
            if not self.provider.get_code(address):
                raise WalletError(
                    f"no tournament contract at {address} on chain {self.chain_id}: "
                    "check --network (on the devnet, run `make deploy`)"
                )
            self._reader = TournamentReader(self.provider, address, from_block=block)
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

    def _service_info(self) -> dict[str, Any]:
        info = self.service.info()
        if int(info.get("chain_id", -1)) != self.chain_id:
            raise WalletError(
                f"the service at {self.service.url} serves chain {info.get('chain_id')}, not "
                f"chain {self.chain_id}: pass the service of this network with --service"
            )
        return info

    def _checked_service(self) -> ServiceClient:
        """The service, once it is known to serve this chain's tournament."""
        if not self._service_checked:
            info = self._service_info()
            if str(info["tournament"]).lower() != self.reader.address.lower():
                raise WalletError(
                    f"the service at {self.service.url} serves tournament {info['tournament']}, "
                    f"not {self.reader.address}: pass the right service with --service"
                )
            self._service_checked = True
        return self.service

    def now(self) -> int:
        return self.reader.latest_timestamp()

    def round_info(self, round_id: int) -> RoundInfo:
        return self.reader.round_info(round_id)

    def _open_round(self, round_id: int) -> RoundInfo:
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

    def _plan(self, plan: Plan) -> list[Sent]:
        if not plan.steps:
            return []
        if not self.confirm(plan):
            raise NotConfirmedError(f"{plan.action}: not confirmed, nothing sent")
        return send(self.tournament, plan.steps, self.account)

    def _step(self, label: str, method: str, *args: Any) -> Step:
        return Step(label, method, args, estimate(self.tournament, method, args, self.account))

    def _require_gas(self) -> None:
        if self.provider.get_balance(self.address) == 0:
            raise WalletError(
                f"account {self.address} has no ether to pay for gas: fund it first (on the "
                "devnet, development accounts hold ether)"
            )

    def _names(self, round_id: int) -> dict[bytes, Submission]:
        """The vault's submissions of this account in ``round_id``, by model id."""
        return {
            bytes.fromhex(s.model_id[2:]): s
            for s in self.vault.models(self.chain_id, self.reader.address, round_id, self.address)
        }

    def _checked_predictions(self, round_id: int, predictions: Predictions) -> bytes:
        """The file's bytes, once the oracle's validator accepts them for ``round_id``."""
        data = predictions_bytes(predictions)
        digest = self.manifest(round_id).live_data
        universe = _UNIVERSES.get(digest)
        if universe is None:
            universe = Universe(self.live_data(round_id)["id"].astype(str))
            _UNIVERSES.clear()  # one round's ids at a time is all a wallet needs
            _UNIVERSES[digest] = universe
        try:
            read_submission(data, universe)
        except InvalidSubmissionError as err:
            raise WalletError(f"the predictions are invalid: {err}") from None
        return data

    def _saved_for(
        self, round_id: int, model_id: bytes, commit: bytes, names: dict[bytes, Submission]
    ) -> tuple[Submission, bytes] | None:
        """The vault's submission (and file) that reveals ``commit``, if it holds one."""
        saved = names.get(model_id)
        if saved is None:
            return None
        return self.vault.for_commitment(
            self.chain_id, self.reader.address, round_id, self.address, saved.model, commit
        )

    # ------------------------------------------------------------------ reads

    def balance(self) -> Balance:
        """Tokens and ether held, and tokens at stake in positions not yet settled."""
        staked = sum(h.stake for h in self.reader.holdings(self.address))
        return Balance(
            self.address,
            self.token_balance(),
            int(self.provider.get_balance(self.address)),
            staked,
        )

    def models(self, round_id: int | None = None) -> list[ModelPosition]:
        """Every position of this account (in ``round_id``, or in every round), with the
        model's name when the vault knows it and whether the vault can reveal it."""
        rows = []
        names_of: dict[int, dict[bytes, Submission]] = {}
        for h in self.reader.holdings(self.address, round_id):
            names = names_of.setdefault(h.round_id, self._names(h.round_id))
            saved = names.get(h.model_id)
            rows.append(
                ModelPosition(
                    round=h.round_id,
                    model=saved.model if saved else "",
                    model_id="0x" + h.model_id.hex(),
                    stake=h.stake,
                    commitment="0x" + h.commitment.hex(),
                    settled=h.settled,
                    payout=h.payout,
                    saved=self._saved_for(h.round_id, h.model_id, h.commitment, names) is not None,
                )
            )
        return rows

    def manifest(self, round_id: int) -> RoundManifest:
        """The round's manifest, as the chain's ``liveDataHash`` names it (a round's
        parameters never change once it is open, so it is read once)."""
        if round_id not in self._manifests:
            digest = self.round_info(round_id).live_data_hash
            data = self._checked_service().artefact("0x" + digest.hex())
            self._manifests[round_id] = RoundManifest.from_bytes(data)
        return self._manifests[round_id]

    def download(self, round_id: int, *, training: bool = False) -> bytes:
        """The live (or training) data of ``round_id`` as parquet bytes, checked against the
        round's manifest, whose hash is on chain."""
        manifest = self.manifest(round_id)
        digest = manifest.training_data if training else manifest.live_data
        if digest is None:
            raise WalletError(
                f"round {round_id} has no training data (it was opened on the operator's own "
                "live data): train on another source"
            )
        return self.service.artefact(digest)

    def live_data(self, round: int) -> pd.DataFrame:
        """The live data of ``round`` (``id`` and the features), checked against the chain."""
        return _frame(self.download(round))

    def training_data(self, round: int) -> pd.DataFrame:
        """The training data of a synthetic ``round`` (``era``, ``id``, features, ``target``)."""
        return _frame(self.download(round, training=True))

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
        model_id = _model_id(model)
        info = self._open_round(round)
        units = tokens(stake)
        if units < info.min_stake:
            raise WalletError(
                f"a stake of {format_amount(units)} is below round {round}'s minimum of "
                f"{format_amount(info.min_stake)} tokens: stake more"
            )
        data = self._checked_predictions(round, predictions)
        self._require_gas()

        tournament = self.reader.address
        current = self.stake_of(round, model_id)
        on_chain = self.reader.commitment_of(round, self.address, model_id) if current else b""
        submission = self.vault.submission_for(
            self.chain_id, tournament, round, self.address, model, data
        )
        commit = submission.commitment_bytes
        need = max(units - current, 0)
        if need:
            have = self.token_balance()
            if have < need:
                short = format_amount(need - have)
                raise WalletError(
                    f"account {self.address} holds {format_amount(have)} tokens; this stake "
                    f"needs {format_amount(need)}, {short} more than it holds: get tokens "
                    f"first (on the devnet: `ape run faucet {self.address} {short}`)"
                )
        # Saved before anything is sent: whatever happens next, the salt is on disk.
        self.vault.save_pending(submission, data)
        crash_point("wallet-after-save")

        plan = Plan(f"submit {model} to round {round}")
        plan.lines.append(
            f"model {model} (id {submission.model_id}), file {submission.predictions_hash}"
        )
        plan.lines.append(
            f"stake {format_amount(current)} -> {format_amount(units)} tokens, commitment "
            f"{submission.commitment}"
        )
        if need:
            v, r, s, deadline = self._permit(need)
            plan.steps.append(
                self._step(
                    f"stakeWithPermit {format_amount(need)} tokens on {model}",
                    "stakeWithPermit",
                    round,
                    model_id,
                    need,
                    commit,
                    deadline,
                    v,
                    r,
                    s,
                )
            )
        elif on_chain != commit:
            plan.steps.append(
                self._step(
                    f"replaceCommitment of {model}", "replaceCommitment", round, model_id, commit
                )
            )
        if units < current:
            plan.steps.append(
                self._step(
                    f"withdraw {format_amount(current - units)} tokens from {model}",
                    "withdraw",
                    round,
                    model_id,
                    current - units,
                )
            )
        sent = self._plan(plan)
        self.vault.confirm(submission)
        return SubmitResult(submission, units, sent)

    def _permit(self, value: int) -> tuple[int, bytes, bytes, int]:
        token = self.token_views
        deadline = self.now() + PERMIT_LIFETIME
        v, r, s = sign_permit_with(
            self.account,
            token_name=str(token.call("name")),
            token_address=str(token.address),
            chain_id=self.chain_id,
            owner=self.address,
            spender=self.reader.address,
            value=value,
            nonce=int(token.call("nonces", self.address)),
            deadline=deadline,
        )
        return v, r, s, deadline

    def withdraw(
        self,
        round: int,
        model: str,
        amount: Amount | None = None,
    ) -> list[Sent]:
        """Take ``amount`` tokens (all by default) out of ``model``'s stake before close."""
        model_id = _model_id(model)
        self._open_round(round)
        current = self.stake_of(round, model_id)
        if current == 0:
            raise WalletError(f"account {self.address} has no stake on {model} in round {round}")
        units = current if amount is None else tokens(amount)
        if units > current:
            raise WalletError(
                f"cannot withdraw {format_amount(units)}: {model} holds {format_amount(current)}"
            )
        self._require_gas()
        plan = Plan(f"withdraw from {model} in round {round}")
        plan.lines.append(
            f"stake {format_amount(current)} -> {format_amount(current - units)} tokens"
        )
        plan.steps.append(
            self._step(
                f"withdraw {format_amount(units)} tokens from {model}",
                "withdraw",
                round,
                model_id,
                units,
            )
        )
        return self._plan(plan)

    # ------------------------------------------------------------------ reveals

    def reveal(self, round: int) -> list[RevealAnswer]:
        """Send every staked model's file and salt of ``round`` to the service, after close.
        Sending again is harmless: the service gives the same answer."""
        info = self.round_info(round)
        now = self.now()
        if now < info.close_time:
            raise WalletError(
                f"round {round} is open for staking until {utc_time(info.close_time)} (chain time "
                f"{utc_time(now)}): reveal after close"
            )
        service = self._checked_service()
        names = self._names(round)
        answers = []
        # The positions as staking left them at close (withdrawn ones are not there).
        for h in self.reader.positions(round, self.address):
            found = self._saved_for(round, h.model_id, h.commitment, names)
            if found is None:
                answers.append(
                    RevealAnswer(
                        _label(names, h.model_id),
                        "0x" + h.model_id.hex(),
                        "not-saved",
                        "this wallet holds no file and salt for the position's commitment",
                    )
                )
                continue
            submission, data = found
            try:
                reply = service.reveal(
                    round, self.address, submission.model, submission.salt_bytes, data
                )
            except ServiceError as err:
                if err.status == 409:
                    raise WalletError(_window_line(round, err)) from None
                if err.status is None or err.status >= 500:
                    raise
                reply = {"status": "error", "reason": str(err)}
            answers.append(
                RevealAnswer(
                    submission.model,
                    submission.model_id,
                    str(reply.get("status")),
                    str(reply.get("reason", "")),
                )
            )
        if not answers:
            raise WalletError(f"account {self.address} has no stake in round {round} to reveal")
        return answers

    # ------------------------------------------------------------------ status

    def status(self, round: int) -> RoundStatus:
        """The round's phase and this account's positions in it, with their results once the
        oracle has posted them."""
        summary = self._checked_service().round(round)
        names = self._names(round)
        results: dict[str, dict[str, Any]] = {}
        if summary.get("results"):
            for leaf in self.service.leaves(round, self.address)["leaves"]:
                results[leaf["model_id"]] = leaf
        rows = []
        for h in self.reader.holdings(self.address, round):
            model_id = "0x" + h.model_id.hex()
            entry = results.get(model_id, {})
            rows.append(
                PositionStatus(
                    model=_label(names, h.model_id),
                    model_id=model_id,
                    stake=h.stake,
                    settled=h.settled,
                    saved=self._saved_for(round, h.model_id, h.commitment, names) is not None,
                    result=entry.get("status"),
                    reason=str(entry.get("reason", "")),
                    scores=entry.get("scores"),
                    reward=int(entry.get("reward", 0)),
                    burn=int(entry.get("burn", 0)),
                )
            )
        return RoundStatus(
            round=round,
            phase=str(summary["phase"]),
            next_action=str(summary.get("next_action", "")),
            close_time=int(summary["close_time"]),
            reveal_deadline=int(summary["reveal_deadline"]),
            chain_time=self.now(),
            positions=rows,
        )

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
        info = self.round_info(round)
        if info.status != Status.FINALIZED:
            after = f" (from {utc_time(info.challenge_ends)})" if info.challenge_ends else ""
            raise WalletError(
                f"round {round} is {info.status.name.lower()}: claims open once it is "
                f"finalized{after}"
            )
        if predictions is not None and (restake_into is None or model is None):
            raise WalletError("predictions for a restake need restake_into and one model")
        wanted = _model_id(model) if model is not None else None
        leaves = self._checked_service().leaves(round, self.address)["leaves"]
        names = self._names(round)
        chosen = []
        for entry in leaves:
            values = leaf_of(round, entry)
            if wanted is not None and values[2] != wanted:
                continue
            proof = [bytes.fromhex(p[2:]) for p in entry["proof"]]
            if not verify(info.root, leaf_hash(LEAF_ENCODING, values), proof):
                raise WalletError(
                    f"the service's proof for {entry['model_id']} does not reach round {round}'s "
                    "root on chain: do not trust this service; ask its operator"
                )
            if self.stake_of(round, values[2]) != values[3]:
                continue  # settled already
            chosen.append((_label(names, values[2]), values, proof))
        if wanted is not None and all(leaf_of(round, e)[2] != wanted for e in leaves):
            yours = sorted({_label(names, leaf_of(round, e)[2]) for e in leaves})
            raise WalletError(
                f"account {self.address} has no model {model!r} in round {round}; its models "
                f"there are: {', '.join(yours) or 'none'}"
            )
        if not chosen:
            which = f"{model} in round {round}" if model else f"round {round}"
            raise WalletError(f"account {self.address} has nothing left to claim in {which}")
        self._require_gas()

        plan = Plan(f"claim round {round}")
        pending: list[Submission] = []
        claimed = [(name, v[3] + v[4] - v[5]) for name, v, _ in chosen]
        for name, payout in claimed:
            plan.lines.append(f"{name}: payout {format_amount(payout)} tokens")
        if restake_into is None:
            plan.steps.append(
                self._step(
                    f"claimMany {len(chosen)} position(s)",
                    "claimMany",
                    [v for _, v, _ in chosen],
                    [p for _, _, p in chosen],
                )
            )
        else:
            self._open_round(restake_into)
            for (name, values, proof), (_, payout) in zip(chosen, claimed, strict=True):
                commit, submission = self._restake_commitment(
                    restake_into, name, values[2], predictions
                )
                if submission is not None:
                    pending.append(submission)
                plan.lines.append(
                    f"{name}: restake {format_amount(payout)} tokens into round {restake_into}"
                )
                plan.steps.append(
                    self._step(
                        f"claimAndRestake {name} into round {restake_into}",
                        "claimAndRestake",
                        values,
                        proof,
                        restake_into,
                        values[2],
                        commit,
                    )
                )
        sent = self._plan(plan)
        for submission in pending:
            self.vault.confirm(submission)
        return ClaimResult(claimed, restake_into, sent)

    def _restake_commitment(
        self, round_id: int, name: str, model_id: bytes, predictions: Predictions | None
    ) -> tuple[bytes, Submission | None]:
        """The commitment a restake into ``round_id`` binds, and the new submission to confirm
        afterwards if ``predictions`` made one."""
        if predictions is not None:
            data = self._checked_predictions(round_id, predictions)
            submission = self.vault.submission_for(
                self.chain_id, self.reader.address, round_id, self.address, name, data
            )
            self.vault.save_pending(submission, data)
            return submission.commitment_bytes, submission
        if self.stake_of(round_id, model_id):
            commit = self.reader.commitment_of(round_id, self.address, model_id)
            saved = self.vault.for_commitment(
                self.chain_id, self.reader.address, round_id, self.address, name, commit
            )
            if saved is not None:
                return commit, None
        raise WalletError(
            f"{name} has no saved submission in round {round_id} to restake into: submit its "
            f"predictions for round {round_id} first, or pass them to the claim"
        )

    def refund(self, round: int) -> list[Sent]:
        """Take back every stake of this account in a cancelled or timed-out ``round``."""
        if not bool(self.reader.views.call("refundsOpen", round)):
            info = self.round_info(round)
            raise WalletError(
                f"refunds of round {round} open only if it is cancelled or not resolved by "
                f"{utc_time(info.resolve_by)}: claim it once finalized instead"
            )
        names = self._names(round)
        held = [h for h in self.reader.holdings(self.address, round) if h.stake]
        if not held:
            raise WalletError(f"account {self.address} has nothing to refund in round {round}")
        self._require_gas()
        plan = Plan(f"refund round {round}")
        for h in held:
            label = _label(names, h.model_id)
            plan.lines.append(f"{label}: refund {format_amount(h.stake)} tokens")
            plan.steps.append(
                self._step(f"refund {label}", "refund", round, self.address, h.model_id)
            )
        return self._plan(plan)


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

#: The live ids of the last round checked against, by live data hash (shared by wallets).
_UNIVERSES: dict[str, Universe] = {}


def _label(names: dict[bytes, Submission], model_id: bytes) -> str:
    """The model's name when the vault knows it, else its id."""
    saved = names.get(model_id)
    return saved.model if saved else "0x" + model_id.hex()


def _model_id(name: str) -> bytes:
    try:
        return model_id_of(name)
    except ValueError as err:
        raise WalletError(f"model name {name!r}: {err}") from None


def _frame(data: bytes) -> pd.DataFrame:
    return read_bounded(data, "the round's data", error=WalletError).to_pandas()


def _window_line(round_id: int, err: ServiceError) -> str:
    facts = err.facts
    if {"close_time", "reveal_deadline", "chain_time"} <= facts.keys():
        return (
            f"round {round_id} takes reveals from {utc_time(int(facts['close_time']))} to "
            f"{utc_time(int(facts['reveal_deadline']))} (chain time "
            f"{utc_time(int(facts['chain_time']))}): {err}"
        )
    return str(err)


__all__ = [
    "Balance",
    "ClaimResult",
    "ModelPosition",
    "PositionStatus",
    "RevealAnswer",
    "RoundStatus",
    "SubmitResult",
    "Wallet",
]
