"""Judging a round's reveals: the one rule the intake applies to each upload and the results
apply to every published reveal, and the results' way of applying it to thousands of files on
every core.

A reveal is scored when its file and salt reproduce the position's last on-chain commitment
and the file passes :func:`~oracle.scoring.validate.read_submission`; otherwise the reason is
recorded. Each file's outcome depends on that file alone, so how the files are spread over
processes cannot change any outcome.

Reading a file is mostly Python-level work under the GIL (the footer, the checks, the glue
around pyarrow), so threads do not speed it up; :func:`check_reveals` spreads large rounds
over worker processes instead. Each worker reads its files from the store itself (checking
their content hashes: keccak256 is a third of a file's cost) and validates them, and sends
back only the predictions, as raw float64 bytes in the universe's order, or the reason: the
parent neither reads nor copies a file, so both cores do the whole work. For that the file
reader must pickle (a store's bound ``get``, or a :func:`functools.partial` of it); one that
does not is run in this process. As with any multiprocessing start method but fork, each
worker imports the program's main module first: a script of one's own that computes a large
round's results keeps its work under ``if __name__ == "__main__":`` (``ape run`` and
``python -m`` entry points do).
"""

from __future__ import annotations

import multiprocessing
import os
import pickle
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from oracle.chain.events import Position
from oracle.errors import CorruptArtefactError, InvalidSubmissionError, ResultsError, StoreError
from oracle.protocol.commitments import commitment
from oracle.protocol.manifest import Reveal
from oracle.scoring.fast_read import Universe
from oracle.scoring.transforms import FloatArray
from oracle.scoring.validate import read_submission

#: Why a reveal whose file and salt are not the ones committed to is rejected.
COMMITMENT_MISMATCH = "the file and salt do not match the position's last on-chain commitment"
#: Below this many files, a round's reveals are checked in this process (a worker's start-up
#: costs about as much as checking a few hundred files).
PARALLEL_FROM = 1000
#: Files per task sent to a worker.
BATCH = 100


@dataclass(frozen=True)
class Checked:
    """Every checked reveal's outcome by key: the row of ``matrix`` that holds its predictions
    (float64 in the universe's order), or the reason it cannot be scored. Rows are in key
    order; a rejected reveal's row holds nothing meaningful."""

    matrix: FloatArray
    outcomes: dict[int, int | str]

    def scored_matrix(self, keys: Sequence[int]) -> FloatArray:
        """The predictions of ``keys`` (each with a row, in increasing key order), one row each,
        in ``matrix``'s memory: rows are moved up over the rejected ones, never copied aside."""
        rows = [self.outcomes[k] for k in keys]
        for j, row in enumerate(rows):
            assert isinstance(row, int) and row >= j
            if row != j:
                self.matrix[j] = self.matrix[row]
        return self.matrix[: len(rows)]


def verdict(data: bytes, universe: Universe) -> pd.Series | str:
    """The file's predictions, or why it cannot be scored."""
    try:
        return read_submission(data, universe)
    except InvalidSubmissionError as err:
        return f"invalid predictions file: {err}"


def judge_reveal(
    chain_id: int,
    tournament: str,
    position: Position,
    salt: bytes,
    file_hash: bytes,
    load: Callable[[], bytes],
    universe: Universe,
) -> pd.Series | str:
    """The reveal's predictions, or the reason it cannot be scored (a str): its file and salt
    must reproduce the position's last commitment, and the file (read by ``load`` only then)
    must pass the validator. The intake and the results apply this same judgment."""
    if not committed(chain_id, tournament, position, salt, file_hash):
        return COMMITMENT_MISMATCH
    return verdict(load(), universe)


def committed(
    chain_id: int, tournament: str, position: Position, salt: bytes, file_hash: bytes
) -> bool:
    """Whether the file hash and salt reproduce the position's last commitment."""
    expected = commitment(
        chain_id,
        tournament,
        position.round,
        position.account,
        position.model_id,
        file_hash,
        salt,
    )
    return expected == position.commitment


@dataclass(frozen=True)
class RevealCheck:
    """What checking one published reveal needs."""

    position: Position
    reveal: Reveal


def _parsed(reveal: Reveal) -> tuple[bytes, bytes] | str:
    try:
        salt = bytes.fromhex(reveal.salt.removeprefix("0x"))
        file_hash = bytes.fromhex(reveal.predictions_hash.removeprefix("0x"))
    except ValueError:
        return "the salt or the predictions hash is not hex"
    if len(salt) != 32 or len(file_hash) != 32:
        return "the salt and the predictions hash must be 32 bytes each"
    return salt, file_hash


def check_reveals(
    chain_id: int,
    tournament: str,
    checks: dict[int, RevealCheck],
    load_file: Callable[[str], bytes],
    universe: Universe,
    *,
    workers: int | None = None,
) -> Checked:
    """Each reveal's predictions or its reason, by key (see :class:`Checked`).

    A file that cannot be read from the store raises (naming the position): a round is never
    resolved without one of its committed files. ``workers`` defaults to one per core; with
    one worker, fewer than :data:`PARALLEL_FROM` files or a ``load_file`` that does not pickle,
    everything runs in this process.
    """
    outcomes: dict[int, int | str] = {}
    wanted: list[tuple[int, RevealCheck]] = []
    for key, check in sorted(checks.items()):
        parsed = _parsed(check.reveal)
        if isinstance(parsed, str):
            outcomes[key] = parsed
        elif not committed(chain_id, tournament, check.position, *parsed):
            outcomes[key] = COMMITMENT_MISMATCH
        else:
            wanted.append((key, check))
    # One row per file to read, filled as the verdicts come (the pages are touched then).
    matrix = np.empty((len(wanted), len(universe.index)), dtype=np.float64)
    rows = {key: row for row, (key, _) in enumerate(wanted)}

    n_workers = max(1, workers or os.cpu_count() or 1)
    verdicts: Iterator[tuple[int, FloatArray | str]]
    if n_workers == 1 or len(wanted) < PARALLEL_FROM or not _pickles(load_file):
        verdicts = (
            (key, _row_of(verdict(_load(load_file, check), universe))) for key, check in wanted
        )
    else:
        verdicts = _in_workers(wanted, load_file, universe, n_workers)
    for key, found in verdicts:
        if isinstance(found, str):
            outcomes[key] = found
        else:
            matrix[rows[key]] = found
            outcomes[key] = rows[key]
    return Checked(matrix, outcomes)


def _row_of(found: pd.Series | str) -> FloatArray | str:
    return found if isinstance(found, str) else found.to_numpy()


def _pickles(value: object) -> bool:
    try:
        pickle.dumps(value)
    except Exception:  # a lambda, a closure, an object holding a lock: checked in process
        return False
    return True


def _load(load_file: Callable[[str], bytes], check: RevealCheck) -> bytes:
    label = check.position.label
    try:
        return load_file(check.reveal.predictions_hash)
    except CorruptArtefactError as err:
        raise CorruptArtefactError(f"reveal of {label}: {err}") from None
    except StoreError as err:
        raise ResultsError(f"predictions of {label}: {err}") from None


def _context() -> Any:
    """The workers' start method: a server that imports this module once and forks them."""
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload([__name__])
    return context


def warm_up(files: int) -> None:
    """If ``files`` reveals are enough to be checked in worker processes, start their server
    now: it imports this module and what it needs (about a second of one core), in parallel
    with whatever the caller reads meanwhile, so the checks do not wait for it. The server
    lives as long as this process."""
    from multiprocessing import forkserver

    if files >= PARALLEL_FROM:
        _context()
        forkserver.ensure_running()


def _in_workers(
    wanted: list[tuple[int, RevealCheck]],
    load_file: Callable[[str], bytes],
    universe: Universe,
    n_workers: int,
) -> Iterator[tuple[int, FloatArray | str]]:
    """The files' verdicts (predictions read from the raw float64 bytes a worker sends) from
    ``n_workers`` processes, each reading its own files, as they come; at most two batches
    per worker in flight (so the predictions are never all in flight at once). A file that
    cannot be read raises here, naming its position."""
    ids = universe.index.tolist()
    with ProcessPoolExecutor(
        max_workers=n_workers,
        mp_context=_context(),
        initializer=_start,
        initargs=(ids, load_file),
    ) as pool:
        pending: set[Future[list[tuple[int, bytes | str]]]] = set()
        for batch in _batches(iter(wanted), BATCH):
            if len(pending) >= 2 * n_workers:
                done, pending = wait(pending, return_when=FIRST_COMPLETED)
                for future in done:
                    yield from _rows(future.result())
            pending.add(pool.submit(_check_batch, batch))
        for future in pending:
            yield from _rows(future.result())


def _rows(batch: list[tuple[int, bytes | str]]) -> Iterator[tuple[int, FloatArray | str]]:
    for key, found in batch:
        yield key, found if isinstance(found, str) else np.frombuffer(found)


def _batches(items: Iterator[Any], size: int) -> Iterator[list[Any]]:
    batch: list[Any] = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


_UNIVERSE: Universe | None = None
_LOAD_FILE: Callable[[str], bytes] | None = None


def _start(ids: Sequence[str], load_file: Callable[[str], bytes]) -> None:
    global _UNIVERSE, _LOAD_FILE
    _UNIVERSE = Universe(ids)
    _LOAD_FILE = load_file


def _check_batch(batch: list[tuple[int, RevealCheck]]) -> list[tuple[int, bytes | str]]:
    """In a worker: each file read and judged, predictions as raw float64 bytes."""
    assert _UNIVERSE is not None and _LOAD_FILE is not None
    out: list[tuple[int, bytes | str]] = []
    for key, check in batch:
        found = verdict(_load(_LOAD_FILE, check), _UNIVERSE)
        out.append((key, found if isinstance(found, str) else found.to_numpy().tobytes()))
    return out
