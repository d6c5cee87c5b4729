"""A small thread-safe cache of values by key, each kept for a number of seconds or for good,
computed once even when many threads ask at once."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")


class TtlCache:
    """Values by key, each kept for ``ttl`` seconds (None: for good), computed once even when
    many threads ask at the same time."""

    def __init__(self, max_items: int = 4096) -> None:
        self._values: OrderedDict[Any, tuple[float, Any]] = OrderedDict()
        self._locks: dict[Any, threading.Lock] = {}
        self._guard = threading.Lock()
        self.max_items = max_items

    def peek(self, key: Any) -> Any:
        """The value of ``key`` if it is cached and fresh, else None (never computes)."""
        with self._guard:
            hit = self._values.get(key)
        return hit[1] if hit is not None and hit[0] >= time.monotonic() else None

    def get(self, key: Any, ttl: float | None, compute: Callable[[], T]) -> T:
        now = time.monotonic()
        with self._guard:
            hit = self._values.get(key)
            if hit is not None and (hit[0] >= now):
                self._values.move_to_end(key)
                return hit[1]  # type: ignore[no-any-return]
            lock = self._locks.setdefault(key, threading.Lock())
        with lock:
            with self._guard:
                hit = self._values.get(key)
                if hit is not None and hit[0] >= time.monotonic():
                    return hit[1]  # type: ignore[no-any-return]
            value = compute()
            expires = float("inf") if ttl is None else time.monotonic() + ttl
            with self._guard:
                self._values[key] = (expires, value)
                self._values.move_to_end(key)
                while len(self._values) > self.max_items:
                    old, _ = self._values.popitem(last=False)
                    self._locks.pop(old, None)
        return value
