"""The wallet's saved submissions: what a stake commits to is on disk, private, before
anything is sent, and survives a crash at any point of a replacement."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from oracle.errors import VaultError
from oracle.protocol.commitments import commitment, model_id_of
from oracle.store import content_hash
from oracle.wallet import Vault, prepare

CHAIN, TOURNAMENT, ACCOUNT = (
    31337,
    "0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512",
    ("0x9965507D1a55bcC2695C58ba16FB37d819B0A4dc"),
)
FIRST = b"id,prediction\na,0.1\nb,0.9\n"
SECOND = b"id,prediction\na,0.8\nb,0.2\n"


def submit(vault: Vault, data: bytes, model: str = "alpha") -> tuple[object, Path]:
    sub = vault.submission_for(CHAIN, TOURNAMENT, 3, ACCOUNT, model, data)
    return sub, vault.save_pending(sub, data)


def test_prepare_commitsExactlyAsTheContractDoes() -> None:
    salt = bytes(range(32))
    sub = prepare(CHAIN, TOURNAMENT, 3, ACCOUNT, "alpha", FIRST, salt)
    expected = commitment(
        CHAIN, TOURNAMENT, 3, ACCOUNT, model_id_of("alpha"),
        bytes.fromhex(content_hash(FIRST)[2:]), salt,
    )  # fmt: skip
    assert sub.commitment_bytes == expected and sub.salt_bytes == salt
    assert sub.model_id == "0x" + model_id_of("alpha").hex() and sub.extension == "csv"
    assert prepare(CHAIN, TOURNAMENT, 3, ACCOUNT, "alpha", FIRST).salt != sub.salt


def test_savePending_writesFileThenRecordPrivately(tmp_path: Path) -> None:
    vault = Vault(tmp_path / "wallet")
    sub, folder = submit(vault, FIRST)
    assert (folder / sub.predictions_file).read_bytes() == FIRST
    assert vault.pending(CHAIN, TOURNAMENT, 3, ACCOUNT, "alpha") == sub
    for path in [vault.root, *vault.root.rglob("*")]:
        mode = stat.S_IMODE(path.stat().st_mode)
        assert mode == (0o700 if path.is_dir() else 0o600), path


def test_submissionFor_sameFileAfterACrashReusesTheSaltAndCommitment(tmp_path: Path) -> None:
    vault = Vault(tmp_path)
    first, _ = submit(vault, FIRST)
    # The process died before (or after) sending: the same file gets the same commitment.
    again = Vault(tmp_path).submission_for(CHAIN, TOURNAMENT, 3, ACCOUNT, "alpha", FIRST)
    assert again == first
    other = vault.submission_for(CHAIN, TOURNAMENT, 3, ACCOUNT, "alpha", SECOND)
    assert other.salt != first.salt


def test_confirm_keepsTheOldSubmissionUntilTheReplacementLands_thenAsPrevious(
    tmp_path: Path,
) -> None:
    vault = Vault(tmp_path)
    first, folder = submit(vault, FIRST)
    vault.confirm(first)
    assert vault.current(CHAIN, TOURNAMENT, 3, ACCOUNT, "alpha") == first
    second, _ = submit(vault, SECOND)
    # The replacement is not on chain yet: both reveal what they committed to.
    on_chain = vault.for_commitment(CHAIN, TOURNAMENT, 3, ACCOUNT, "alpha", first.commitment_bytes)
    assert on_chain == (first, FIRST)
    replaced = vault.for_commitment(CHAIN, TOURNAMENT, 3, ACCOUNT, "alpha", second.commitment_bytes)
    assert replaced == (second, SECOND)
    vault.confirm(second)
    vault.confirm(second)  # again: nothing to do
    assert vault.current(CHAIN, TOURNAMENT, 3, ACCOUNT, "alpha") == second
    # The replaced one stays as the previous submission: a reorg may bring its commitment back.
    previous = vault.for_commitment(CHAIN, TOURNAMENT, 3, ACCOUNT, "alpha", first.commitment_bytes)
    assert previous == (first, FIRST)
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        ["current.json", "previous.json", first.predictions_file, second.predictions_file]
    )
    assert [s.model for s in vault.models(CHAIN, TOURNAMENT, 3, ACCOUNT)] == ["alpha"]
    same, _ = submit(vault, SECOND)  # the same file once more: the same commitment
    assert same == second
    vault.confirm(same)
    assert vault.pending(CHAIN, TOURNAMENT, 3, ACCOUNT, "alpha") is None
    # A third file: the second becomes the previous one, and the first is gone.
    third, _ = submit(vault, FIRST + b"x")
    vault.confirm(third)
    assert (
        vault.for_commitment(CHAIN, TOURNAMENT, 3, ACCOUNT, "alpha", first.commitment_bytes) is None
    )
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        ["current.json", "previous.json", second.predictions_file, third.predictions_file]
    )


def test_forCommitment_refusesAFileThatNoLongerMatches(tmp_path: Path) -> None:
    vault = Vault(tmp_path)
    sub, folder = submit(vault, FIRST)
    (folder / sub.predictions_file).write_bytes(SECOND)
    with pytest.raises(VaultError, match="no longer hashes to its commitment"):
        vault.for_commitment(CHAIN, TOURNAMENT, 3, ACCOUNT, "alpha", sub.commitment_bytes)
    with pytest.raises(VaultError, match="no pending submission"):
        vault.confirm(prepare(CHAIN, TOURNAMENT, 3, ACCOUNT, "alpha", SECOND))
    (folder / "pending.json").write_text("{not json")
    with pytest.raises(VaultError, match="cannot be read"):
        vault.pending(CHAIN, TOURNAMENT, 3, ACCOUNT, "alpha")
