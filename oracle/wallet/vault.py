"""The wallet's folder of submissions: every predictions file and salt a stake commits to,
saved before the stake is sent, so that nothing a reveal needs can be lost.

Layout under the root (default ``~/.tournament/``, or ``$TOURNAMENT_WALLET_DIR``), folders
mode 0700 and files mode 0600::

    <chain id>/<tournament>/round-<n>/<account>/<model id>/
        current.json        the submission whose commitment the chain holds
        pending.json        a submission being sent (its stake or replacement not yet seen)
        previous.json       the submission current.json replaced, kept in case a reorg
                            brings its commitment back
        <hash>.<ext>        each record's predictions file, byte for byte, named by its hash

A new submission is written as *pending* (its file first, then the record, each atomically)
before any transaction. Once the chain shows its commitment, :meth:`Vault.confirm` makes it
*current* with one rename of the record, then removes files no record names. Until then the
previous current submission is kept: if the replacement never lands, the chain still holds
the old commitment, and the old salt still reveals it. Sending the same file again after a
crash finds the pending record and reuses its salt, so the commitment is the same.
"""

from __future__ import annotations

import json
import os
import secrets
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from oracle import settings
from oracle.errors import VaultError
from oracle.files import write_atomically
from oracle.protocol.commitments import commitment, model_id_of
from oracle.store import content_hash

RECORD_FORMAT = "tournament-submission-v1"
CURRENT, PENDING, PREVIOUS = "current", "pending", "previous"


@dataclass(frozen=True)
class Submission:
    """One committed predictions file: what the stake's commitment binds and the reveal sends."""

    chain_id: int
    tournament: str
    round: int
    account: str
    model: str
    model_id: str
    salt: str
    predictions_hash: str
    commitment: str
    #: The predictions file's extension ("parquet" or "csv"), kept next to the record.
    extension: str
    format: str = RECORD_FORMAT

    @property
    def predictions_file(self) -> str:
        return f"{self.predictions_hash[2:]}.{self.extension}"

    @property
    def salt_bytes(self) -> bytes:
        return bytes.fromhex(self.salt[2:])

    @property
    def commitment_bytes(self) -> bytes:
        return bytes.fromhex(self.commitment[2:])


def prepare(
    chain_id: int,
    tournament: str,
    round_id: int,
    account: str,
    model: str,
    data: bytes,
    salt: bytes | None = None,
) -> Submission:
    """The submission of ``data`` with ``salt`` (a fresh random 32 bytes by default)."""
    salt = secrets.token_bytes(32) if salt is None else salt
    model_id = model_id_of(model)
    file_hash = content_hash(data)
    commit = commitment(
        chain_id, tournament, round_id, account, model_id, bytes.fromhex(file_hash[2:]), salt
    )
    return Submission(
        chain_id=chain_id,
        tournament=tournament,
        round=round_id,
        account=account,
        model=model,
        model_id="0x" + model_id.hex(),
        salt="0x" + salt.hex(),
        predictions_hash=file_hash,
        commitment="0x" + commit.hex(),
        extension="parquet" if data[:4] == b"PAR1" else "csv",
    )


class Vault:
    """Saved submissions, by chain, tournament, round, account and model."""

    def __init__(self, root: Path | None = None) -> None:
        self.root = Path(root) if root is not None else settings.wallet_dir()

    def folder(
        self, chain_id: int, tournament: str, round_id: int, account: str, model: str
    ) -> Path:
        model_id = "0x" + model_id_of(model).hex()
        return self.root / str(chain_id) / tournament / f"round-{round_id}" / account / model_id

    def _folder_of(self, s: Submission) -> Path:
        return self.folder(s.chain_id, s.tournament, s.round, s.account, s.model)

    def submission_for(
        self, chain_id: int, tournament: str, round_id: int, account: str, model: str, data: bytes
    ) -> Submission:
        """The submission to send for ``data``: a saved one for the same file (pending first,
        then current), so a retry after a crash reuses its salt and commitment; else a new one
        with a fresh salt."""
        file_hash = content_hash(data)
        folder = self.folder(chain_id, tournament, round_id, account, model)
        for which in (PENDING, CURRENT):
            saved = self._read(folder, which)
            if saved is not None and saved.predictions_hash == file_hash:
                return saved
        return prepare(chain_id, tournament, round_id, account, model, data)

    # ------------------------------------------------------------------ writing

    def save_pending(self, submission: Submission, data: bytes) -> Path:
        """Save ``data`` and the record as the pending submission, durably, before anything is
        sent. The predictions file goes first: a record never names a file that is not there."""
        if content_hash(data) != submission.predictions_hash:
            raise VaultError("the predictions changed between preparing and saving: submit again")
        folder = self._folder_of(submission)
        self._make_private(folder)
        try:
            write_atomically(folder / submission.predictions_file, data)
            record = json.dumps(asdict(submission), indent=1, sort_keys=True).encode() + b"\n"
            write_atomically(folder / f"{PENDING}.json", record)
        except OSError as err:
            raise VaultError(
                f"cannot save the submission in {folder}: {err.strerror or err}"
            ) from None
        return folder

    def confirm(self, submission: Submission) -> None:
        """Make ``submission`` current (the chain now holds its commitment at the confirmation
        depth): the current record becomes the previous one and the pending record current,
        each by one atomic rename; then the files no record names any more are removed."""
        folder = self._folder_of(submission)
        current = self._read(folder, CURRENT)
        pending = self._read(folder, PENDING)
        if current is not None and current.commitment == submission.commitment:
            if pending is not None and pending.commitment == submission.commitment:
                (folder / f"{PENDING}.json").unlink(missing_ok=True)  # the same file again
            return
        if pending is None or pending.commitment != submission.commitment:
            raise VaultError(f"no pending submission with commitment {submission.commitment}")
        try:
            if current is not None:
                os.replace(folder / f"{CURRENT}.json", folder / f"{PREVIOUS}.json")
            os.replace(folder / f"{PENDING}.json", folder / f"{CURRENT}.json")
            keep = {pending.predictions_file} | ({current.predictions_file} if current else set())
            for path in folder.iterdir():
                if path.suffix != ".json" and path.name not in keep:
                    path.unlink()
        except OSError as err:
            raise VaultError(f"cannot update {folder}: {err.strerror or err}") from None

    def _make_private(self, folder: Path) -> None:
        """Create ``folder`` and its parents below the root (and the root), each mode 0700."""
        try:
            folder.mkdir(parents=True, exist_ok=True)
            for path in (folder, *folder.parents):
                path.chmod(0o700)
                if path == self.root:
                    break
        except OSError as err:
            raise VaultError(f"cannot create {folder}: {err.strerror or err}") from None

    # ------------------------------------------------------------------ reading

    def _read(self, folder: Path, which: str) -> Submission | None:
        path = folder / f"{which}.json"
        try:
            raw: dict[str, Any] = json.loads(path.read_text())
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as err:
            raise VaultError(f"{path} cannot be read ({err}): restore it from a backup") from None
        if raw.get("format") != RECORD_FORMAT:
            raise VaultError(f"{path} is not a submission record")
        try:
            return Submission(**raw)
        except TypeError as err:
            raise VaultError(f"{path} is malformed ({err})") from None

    def pending(
        self, chain_id: int, tournament: str, round_id: int, account: str, model: str
    ) -> Submission | None:
        return self._read(self.folder(chain_id, tournament, round_id, account, model), PENDING)

    def current(
        self, chain_id: int, tournament: str, round_id: int, account: str, model: str
    ) -> Submission | None:
        return self._read(self.folder(chain_id, tournament, round_id, account, model), CURRENT)

    def for_commitment(
        self, chain_id: int, tournament: str, round_id: int, account: str, model: str, commit: bytes
    ) -> tuple[Submission, bytes] | None:
        """The saved submission (current, pending or previous) whose commitment is ``commit``,
        with its
        predictions bytes, checked against its hash; None if neither matches."""
        folder = self.folder(chain_id, tournament, round_id, account, model)
        for which in (CURRENT, PENDING, PREVIOUS):
            saved = self._read(folder, which)
            if saved is None or saved.commitment_bytes != commit:
                continue
            path = folder / saved.predictions_file
            try:
                data = path.read_bytes()
            except OSError as err:
                raise VaultError(f"cannot read {path}: {err.strerror or err}") from None
            if content_hash(data) != saved.predictions_hash:
                raise VaultError(
                    f"{path} no longer hashes to its commitment: restore it from a backup"
                )
            return saved, data
        return None

    def models(
        self, chain_id: int, tournament: str, round_id: int, account: str
    ) -> list[Submission]:
        """Every model with a saved submission in this round (current, else pending)."""
        folder = self.root / str(chain_id) / tournament / f"round-{round_id}" / account
        found = []
        for model_folder in sorted(folder.glob("0x*")) if folder.is_dir() else []:
            saved = self._read(model_folder, CURRENT) or self._read(model_folder, PENDING)
            if saved is not None:
                found.append(saved)
        return found
