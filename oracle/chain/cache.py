"""The tournament's logs, kept in SQLite and brought up to date a few new blocks at a time.

One :class:`EventCache` holds every log of one contract on one chain from its deployment
block to the last head it read; a query sees only the logs at least ``confirmations`` blocks
deep. Each :meth:`EventCache.sync` asks the node for the head, and only when it moved, for the
new blocks' logs (paged, see :mod:`oracle.chain.logs`). Reorgs are found by the block hashes
the cache remembers: the hash of the last block read (and of a few before it) is checked
against the chain before anything new is added, and whatever a reorg replaced is dropped and
read again. A file cache is shared by every process of one store (the keeper, the service's
workers, the commands); without a file it lives in memory for the process.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from oracle.chain.logs import Block, PagedLogs, block_at, latest_block
from oracle.errors import TournamentError

#: Tips of past syncs kept for finding where a reorg forked off.
CHECKPOINTS = 64
#: Syncs tried again when the chain reorganises while a sync reads it.
RESYNC_TRIES = 3

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS checkpoints (number INTEGER PRIMARY KEY, hash BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS logs (
    block INTEGER NOT NULL,
    idx INTEGER NOT NULL,
    block_hash BLOB NOT NULL,
    tx BLOB NOT NULL,
    topic0 BLOB,
    topic1 BLOB,
    topic2 BLOB,
    topic3 BLOB,
    data BLOB NOT NULL,
    PRIMARY KEY (block, idx)
);
CREATE INDEX IF NOT EXISTS logs_by_topic ON logs (topic0, topic1, topic2, topic3);
"""


@dataclass(frozen=True)
class Log:
    """One stored log, as the decoders take it."""

    block: int
    index: int
    tx: bytes
    topics: tuple[bytes, ...]
    data: bytes


@dataclass(frozen=True)
class SyncReport:
    """What one sync did."""

    head: Block
    #: The last block whose logs count: ``head - confirmations``.
    safe: int
    added: int
    #: Blocks dropped because a reorg replaced them (0: none).
    reorged: int


def _bytes(text: str) -> bytes:
    return bytes.fromhex(text[2:] if text.startswith("0x") else text)


class EventCache:
    """Every log of ``address`` on the chain of ``provider`` from ``from_block`` on."""

    def __init__(
        self,
        provider: Any,
        address: str,
        from_block: int,
        *,
        path: Path | None = None,
        confirmations: int = 0,
        pages: PagedLogs | None = None,
    ) -> None:
        self.provider = provider
        self.address = address
        self.from_block = from_block
        self.confirmations = confirmations
        self.path = path
        self.pages = pages or PagedLogs(provider, address)
        self._lock = threading.RLock()
        self._db = self._open(path)
        #: Seconds a sync stays good for in this process (0: every read asks the node).
        self.fresh_for = 0.0
        self._synced_at = float("-inf")
        self.last: SyncReport | None = None
        self.syncs = 0

    # ------------------------------------------------------------------ storage

    def _open(self, path: Path | None) -> sqlite3.Connection:
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
        try:
            db = sqlite3.connect(
                str(path) if path else ":memory:",
                timeout=30,
                isolation_level=None,
                check_same_thread=False,
            )
            if path is not None:
                db.execute("PRAGMA journal_mode=WAL")
                db.execute("PRAGMA synchronous=NORMAL")
            db.executescript(_SCHEMA)
        except sqlite3.Error as err:
            raise TournamentError(
                f"cannot open the event cache {path}: {err}: remove the file to rebuild it"
            ) from None
        return db

    def _meta(self, key: str) -> str | None:
        row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def _set_meta(self, key: str, value: str) -> None:
        self._db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))

    @property
    def synced(self) -> int:
        """The last block the cache holds the logs of (``from_block - 1``: none yet)."""
        value = self._meta("synced")
        return self.from_block - 1 if value is None else int(value)

    def _clear(self) -> None:
        self._db.execute("DELETE FROM logs")
        self._db.execute("DELETE FROM checkpoints")
        self._db.execute("DELETE FROM meta")

    def _check_identity(self) -> None:
        """Start over when the file was filled from another deployment (another chain under
        the same id, a redeploy at the same address): the deployment block's hash tells."""
        origin = block_at(self.provider, self.from_block)
        origin_hex = "" if origin is None else origin.hash.hex()
        identity = f"{self.address.lower()}@{self.from_block}:{origin_hex}"
        if self._meta("identity") != identity:
            self._clear()
            self._set_meta("identity", identity)

    # ------------------------------------------------------------------ syncing

    def sync(self) -> SyncReport:
        """Bring the cache up to ``head - confirmations`` (at most once per ``fresh_for``
        seconds); drop and read again what a reorg replaced."""
        with self._lock:
            if self.last is not None and time.monotonic() - self._synced_at < self.fresh_for:
                return self.last
            for _ in range(RESYNC_TRIES):
                report = self._sync_once()
                if report is not None:
                    self.last = report
                    self._synced_at = time.monotonic()
                    self.syncs += 1
                    return report
            raise TournamentError(
                "the chain kept reorganising while its logs were read: try again shortly"
            )

    def _sync_once(self) -> SyncReport | None:
        if self.syncs == 0:
            self._begin()
            try:
                self._check_identity()
            finally:
                self._db.execute("COMMIT")
        head = latest_block(self.provider)
        safe = head.number - self.confirmations
        if self._meta("head") == head.hash.hex():
            return SyncReport(head, safe, 0, 0)
        base, reorged = self._common_ancestor(head)
        logs = self.pages.fetch(base + 1, head.number) if head.number > base else []
        if any(
            int(log["blockNumber"], 16) == head.number and _bytes(log["blockHash"]) != head.hash
            for log in logs
        ):
            return None  # the head was replaced while its logs were read
        added = self._store(logs, base, head)
        return SyncReport(head, safe, added, reorged)

    def _begin(self) -> None:
        self._db.execute("BEGIN IMMEDIATE")

    def _common_ancestor(self, tip: Block) -> tuple[int, int]:
        """The last block read that is still on the chain, and how many blocks a reorg
        replaced since (0: none)."""
        synced = self.synced
        rows = self._db.execute(
            "SELECT number, hash FROM checkpoints ORDER BY number DESC"
        ).fetchall()
        for number, stored in rows:
            number = int(number)
            if number > tip.number:
                continue  # a chain now shorter than what was read: not a witness
            if number == tip.number:
                on_chain: bytes | None = tip.hash
            elif number == tip.number - 1:
                on_chain = tip.parent
            else:
                block = block_at(self.provider, number)
                on_chain = None if block is None else block.hash
            if on_chain == bytes(stored):
                return number, synced - number
        if not rows:
            return synced, 0
        return self.from_block - 1, synced - self.from_block + 1

    def _drop_after(self, base: int) -> None:
        self._db.execute("DELETE FROM logs WHERE block > ?", (base,))
        self._db.execute("DELETE FROM checkpoints WHERE number > ?", (base,))
        self._set_meta("synced", str(base))

    def _store(self, logs: list[dict[str, Any]], base: int, tip: Block) -> int:
        rows = []
        for log in logs:
            topics = [_bytes(t) for t in log["topics"]] + [None] * 4
            rows.append(
                (
                    int(log["blockNumber"], 16),
                    int(log["logIndex"], 16),
                    _bytes(log["blockHash"]),
                    _bytes(log["transactionHash"]),
                    *topics[:4],
                    _bytes(log["data"]),
                )
            )
        self._begin()
        try:
            self._drop_after(base)
            self._db.executemany(
                "INSERT OR REPLACE INTO logs VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", rows
            )
            self._db.execute(
                "INSERT OR REPLACE INTO checkpoints VALUES (?, ?)", (tip.number, tip.hash)
            )
            self._db.execute(
                "DELETE FROM checkpoints WHERE number NOT IN "
                "(SELECT number FROM checkpoints ORDER BY number DESC LIMIT ?)",
                (CHECKPOINTS,),
            )
            self._set_meta("synced", str(tip.number))
            self._set_meta("head", tip.hash.hex())
            self._db.execute("COMMIT")
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        return len(rows)

    # ------------------------------------------------------------------ reading

    def query(self, *topics: bytes | None, upto: int | None = None) -> list[Log]:
        """The stored logs whose first topics are ``topics`` (None: any), of blocks up to
        ``upto`` if given, in chain order."""
        where: list[str] = []
        args: list[Any] = []
        if upto is not None:
            where.append("block <= ?")
            args.append(upto)
        for position, topic in enumerate(topics):
            if topic is not None:
                where.append(f"topic{position} = ?")
                args.append(topic)
        sql = "SELECT block, idx, tx, topic0, topic1, topic2, topic3, data FROM logs"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY block, idx"
        with self._lock:
            rows = self._db.execute(sql, args).fetchall()
        return [
            Log(int(b), int(i), bytes(tx), tuple(bytes(t) for t in ts if t is not None), bytes(d))
            for b, i, tx, *ts, d in rows
        ]

    def close(self) -> None:
        with self._lock:
            self._db.close()
