"""The intake's position locks: stable across processes, one stripe a position, spread wide."""

from __future__ import annotations

import secrets
import subprocess
import sys
from types import SimpleNamespace

from eth_utils import to_checksum_address

from oracle import PROJECT_ROOT
from oracle.resolver.intake import POSITION_LOCK_STRIPES, _position_lock


def _ctx() -> SimpleNamespace:
    return SimpleNamespace(ref=lambda round_id, *parts: "/".join(["r", str(round_id), *parts]))


def test_positionLock_isTheSameInAnotherProcess_soWorkersExcludeEachOther() -> None:
    account, model = to_checksum_address("0x" + "ab" * 20), bytes(range(32))
    code = (
        "from types import SimpleNamespace as S; from oracle.resolver.intake import "
        "_position_lock as p; ctx = S(ref=lambda r, *a: '/'.join(['r', str(r), *a])); "
        f"print(p(ctx, 7, {account!r}, bytes(range(32))))"
    )
    other = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=PROJECT_ROOT
    )
    assert other.stdout.strip() == _position_lock(_ctx(), 7, account, model)


def test_positionLocks_spreadABurstOverEveryStripe() -> None:
    names = {
        _position_lock(
            _ctx(), 1, to_checksum_address("0x" + secrets.token_hex(20)), secrets.token_bytes(32)
        )
        for _ in range(2000)
    }
    assert len(names) == POSITION_LOCK_STRIPES
    assert all(name.startswith("r/1/reveal-locks/") for name in names)
