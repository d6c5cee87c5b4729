"""The results of two fixed rounds are the committed bytes: every change to reading, ranking,
scoring, payouts, the tree or the JSON must leave a round's results file bit for bit the same
(verify's determinism is the contract). See tests/helpers/golden.py for the rounds."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from oracle.audit.results import compute_results
from tests.helpers.golden import KINDS, build, golden_path


@pytest.mark.parametrize("kind", KINDS)
def test_fixedRound_givesTheCommittedResultsFile_byteForByte(tmp_path: Path, kind: str) -> None:
    expected = golden_path(kind).read_bytes()
    data = compute_results(build(tmp_path, kind)).data
    if data != expected:
        got, want = json.loads(data), json.loads(expected)
        changed = [key for key in want if got.get(key) != want[key]]
        pairs = zip(got["positions"], want["positions"], strict=False)
        first = next((i for i, (a, b) in enumerate(pairs) if a != b), None)
        pytest.fail(f"the {kind} round's results differ in {changed}; first position {first}")


def test_fixedRounds_reachEveryOutcome() -> None:
    for kind in KINDS:
        document = json.loads(golden_path(kind).read_bytes())
        totals = document["totals"]
        assert totals["scored"] > 20 and totals["rejected"] > 5 and totals["unrevealed"] > 0
        reasons = {r["reason"].split(":")[0] for r in document["rejections"]}
        assert {
            "invalid predictions file",
            "the file and salt do not match the position's last on-chain commitment",
        } <= reasons
        assert int(totals["reward"]) > 0 and int(totals["burn"]) > 0


@pytest.mark.parametrize("kind", KINDS)
def test_fixedRound_checkedInWorkerProcesses_givesTheSameBytes(
    tmp_path: Path, kind: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The reveals of a large round are checked in worker processes: the same bytes again."""
    from oracle.audit import checking

    monkeypatch.setattr(checking, "PARALLEL_FROM", 1)
    monkeypatch.setattr(checking, "BATCH", 5)
    data = compute_results(build(tmp_path, kind), workers=2).data
    assert data == golden_path(kind).read_bytes()


def test_fixedRound_withAReaderThatDoesNotPickle_isCheckedInProcess_givingTheSameBytes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Worker processes read the files themselves through the inputs' reader; a reader that
    cannot be sent to them (a lambda) is run here instead, with the same outcome."""
    from dataclasses import replace

    from oracle.audit import checking

    monkeypatch.setattr(checking, "PARALLEL_FROM", 1)
    inputs = build(tmp_path, "classic")
    reader = inputs.load_file
    data = compute_results(replace(inputs, load_file=lambda d: reader(d)), workers=2).data
    assert data == golden_path("classic").read_bytes()


def test_fixedRound_withACorruptFileReadInAWorker_raisesNamingThePosition(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from oracle.audit import checking
    from oracle.errors import CorruptArtefactError

    monkeypatch.setattr(checking, "PARALLEL_FROM", 1)
    monkeypatch.setattr(checking, "BATCH", 5)
    inputs = build(tmp_path, "classic")
    reveal = inputs.reveals[17]
    digest = reveal.predictions_hash[2:]
    entry = tmp_path / "store" / "public" / digest[:2] / digest
    entry.write_bytes(entry.read_bytes()[:-1] + b"\x00")
    with pytest.raises(CorruptArtefactError) as raised:
        compute_results(inputs, workers=2)
    message = str(raised.value)
    assert f"reveal of {reveal.account}" in message and "corrupt" in message, message
