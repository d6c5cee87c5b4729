"""The content-addressed store: keccak names, integrity on every read, atomic writes."""

from __future__ import annotations

import os
import signal
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from eth_utils import keccak

from oracle.errors import ArtefactMissingError, CorruptArtefactError, StoreError
from oracle.store import LocalStore, content_hash


def test_put_namesArtefactByKeccakOfItsBytes(tmp_path: Path) -> None:
    store = LocalStore(tmp_path)
    digest = store.put(b"predictions")
    assert digest == "0x" + keccak(b"predictions").hex() == content_hash(b"predictions")
    assert store.get(digest) == b"predictions"
    assert store.get(bytes.fromhex(digest[2:])) == b"predictions"
    assert store.put(b"predictions") == digest  # idempotent


def test_get_reportsCorruptEntryByNameAndNeverServesIt(tmp_path: Path) -> None:
    store = LocalStore(tmp_path)
    digest = store.put(b"results file bytes")
    path = tmp_path / "public" / digest[2:4] / digest[2:]
    path.write_bytes(b"results file bytez")
    with pytest.raises(CorruptArtefactError, match=str(path)):
        store.get(digest)
    assert store.put(b"results file bytes") == digest  # a put repairs it
    assert store.get(digest) == b"results file bytes"


def test_privateArtefacts_areHiddenUntilPublished(tmp_path: Path) -> None:
    store = LocalStore(tmp_path)
    digest = store.put(b"a reveal", public=False)
    assert store.get(digest) == b"a reveal"
    with pytest.raises(ArtefactMissingError, match="no public artefact"):
        store.get(digest, public_only=True)
    store.publish(digest)
    assert store.get(digest, public_only=True) == b"a reveal"
    assert not (tmp_path / "private" / digest[2:4] / digest[2:]).exists()


def test_put_isAtomic_aFailedRenameLeavesNoEntryAndNoTemporary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = LocalStore(tmp_path)

    def failing_replace(src: str, dst: str) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", failing_replace)
    with pytest.raises(StoreError, match="No space left on device"):
        store.put(b"half")
    monkeypatch.undo()
    assert not store.has(content_hash(b"half"))
    assert [p for p in tmp_path.rglob("*") if p.is_file()] == []


def test_sweep_removesTemporariesAKilledWriterLeft(tmp_path: Path) -> None:
    store = LocalStore(tmp_path)
    digest = store.put(b"whole")
    leftover = tmp_path / "public" / digest[2:4] / f".{digest[2:]}.abc.tmp"
    leftover.write_bytes(b"wh")
    assert store.sweep() == 1
    assert not leftover.exists() and store.get(digest) == b"whole"


def test_refs_areJsonRecordsListedByPrefix(tmp_path: Path) -> None:
    store = LocalStore(tmp_path)
    store.put_ref("rounds/1/reveals/a", {"status": "accepted"})
    store.put_ref("rounds/1/reveals/b", {"status": "rejected"})
    assert list(store.list_refs("rounds/1/reveals")) == ["rounds/1/reveals/a", "rounds/1/reveals/b"]
    assert store.get_ref("rounds/1/reveals/b") == {"status": "rejected"}
    store.delete_ref("rounds/1/reveals/b")
    assert store.get_ref("rounds/1/reveals/b") is None
    with pytest.raises(StoreError, match="not a valid record name"):
        store.put_ref("../escape", {})


def test_get_rejectsSomethingThatIsNotAHash(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="is not a content hash"):
        LocalStore(tmp_path).get("0x1234")


def test_log_keepsEveryAppendInOrderAndSkipsATornLastLine(tmp_path: Path) -> None:
    store = LocalStore(tmp_path)
    assert store.read_log("rounds/1/intake-log") == []
    for i in range(3):
        store.append("rounds/1/intake-log", {"n": i})
    path = tmp_path / "logs" / "rounds" / "1" / "intake-log.jsonl"
    with open(path, "ab") as handle:
        handle.write(b'{"n": 3, "cut sh')  # a writer that died mid-line
    assert store.read_log("rounds/1/intake-log") == [{"n": 0}, {"n": 1}, {"n": 2}]
    path.write_bytes(b'{"n": 0}\nnot json\n{"n": 2}\n')
    with pytest.raises(StoreError, match="line 2 is not JSON"):
        store.read_log("rounds/1/intake-log")


def test_log_concurrentAppendsFromManyThreadsAllLand(tmp_path: Path) -> None:
    store = LocalStore(tmp_path)
    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(lambda i: store.append("log", {"n": i, "pad": "x" * 500}), range(400)))
    assert sorted(r["n"] for r in store.read_log("log")) == list(range(400))


def test_lock_exclusiveWaitsForSharedHoldersAndSharedOnesOverlap(tmp_path: Path) -> None:
    store = LocalStore(tmp_path)
    events: list[str] = []
    both_in = threading.Barrier(2, timeout=5)
    inside = threading.Event()

    def reader(name: str) -> None:
        with store.lock("rounds/1/window", shared=True):
            both_in.wait()  # two shared holders at once, or this times out
            events.append(f"{name} in")
            inside.set()
            time.sleep(0.2)
            events.append(f"{name} out")

    readers = [threading.Thread(target=reader, args=(n,)) for n in ("a", "b")]
    for t in readers:
        t.start()
    assert inside.wait(5)
    with store.lock("rounds/1/window"):
        events.append("writer")
    for t in readers:
        t.join()
    assert events[-1] == "writer" and sorted(events[:4]) == ["a in", "a out", "b in", "b out"]


def test_writeAtomically_isPrivateUnlessAModeIsGivenAndLeavesNoTemporary(tmp_path: Path) -> None:
    from oracle.files import write_atomically

    private, public = tmp_path / "salt.json", tmp_path / "report.html"
    write_atomically(private, b"{}")
    write_atomically(public, b"<html>", durable=False, mode=0o644)
    assert private.stat().st_mode & 0o777 == 0o600
    assert public.stat().st_mode & 0o777 == 0o644 and public.read_bytes() == b"<html>"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.html", "salt.json"]


def test_groupSync_everyCallerReturnsAfterAnFsyncBegunAfterItsCall_andABurstSharesThem(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import itertools

    from oracle import files

    ticks = itertools.count()  # one clock for the callers and the fsyncs
    fsyncs: list[tuple[int, int]] = []
    real_fsync = os.fsync

    def slow_fsync(fd: int) -> None:
        began = next(ticks)
        time.sleep(0.02)
        real_fsync(fd)
        fsyncs.append((began, next(ticks)))

    monkeypatch.setattr(files.os, "fsync", slow_fsync)
    syncs = files.GroupSync()
    calls: list[tuple[int, int]] = []

    def caller(_: int) -> None:
        called = next(ticks)
        syncs.sync(tmp_path)
        calls.append((called, next(ticks)))

    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(caller, range(64)))
    for called, returned in calls:
        served = any(called < began and ended < returned for began, ended in fsyncs)
        assert served, (called, returned)
    assert len(fsyncs) < len(calls) / 2  # callers that arrive during an fsync share the next


def test_groupSync_aFailedFsyncFailsEveryLaterSyncOfThatPath(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from oracle import files

    def failing_fsync(fd: int) -> None:
        raise OSError(5, "Input/output error")

    syncs = files.GroupSync()
    syncs.sync(tmp_path)
    monkeypatch.setattr(files.os, "fsync", failing_fsync)
    with pytest.raises(OSError, match="Input/output error"):
        syncs.sync(tmp_path)
    monkeypatch.undo()
    with pytest.raises(OSError, match="Input/output error"):  # the pages may be gone
        syncs.sync(tmp_path)
    syncs.sync(tmp_path / "..")  # another path is not affected


def test_groupSync_inAForkedChild_doesNotWaitOnTheParentsThreads(tmp_path: Path) -> None:
    from oracle import files

    syncs = files.GroupSync()
    syncs.sync(tmp_path)
    with syncs._guard:  # another thread of the parent holds it when the child is forked
        pid = os.fork()
        if pid == 0:  # the child: its sync must not wait on the parent's lock
            code = 1
            try:
                signal.alarm(10)  # a child that waits for ever dies of SIGALRM instead
                syncs.sync(tmp_path)
                code = 0
            finally:
                os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
