"""A small per-container cache: entries live a fixed time, and the least recently used go first when it is full.

Lambda runs one invocation per container at a time, but the local runner serves requests from threads, so the
cache is safe to share between them. Loads run outside the lock: a slow read never blocks cached answers.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")

Clock = Callable[[], float]  # monotonic seconds


class TtlLruCache(Generic[K, V]):
    """Values for `ttl_seconds` after they were loaded, at most `max_entries` of them.

    An entry expires `ttl_seconds` after the clock reading taken *before* its load started, so what it holds is
    never older than that when it is last served. A TTL of 0 caches nothing: every lookup loads.
    """

    def __init__(self, ttl_seconds: float, max_entries: int, clock: Clock = time.monotonic) -> None:
        if ttl_seconds < 0 or max_entries < 1:
            raise ValueError("ttl_seconds must be >= 0 and max_entries >= 1")
        self._ttl = ttl_seconds
        self._max_entries = max_entries
        self._clock = clock
        self._entries: OrderedDict[K, tuple[float, V]] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._entries)

    @property
    def max_entries(self) -> int:
        return self._max_entries

    def get_or_load(self, key: K, load: Callable[[], V]) -> V:
        """The cached value of `key` while it is fresh, else what `load()` returns (then cached)."""
        started = self._clock()
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None:
                expires_at, value = entry
                if started < expires_at:
                    self._entries.move_to_end(key)
                    return value
                del self._entries[key]
        value = load()
        if self._ttl > 0:
            with self._lock:
                self._entries[key] = (started + self._ttl, value)
                self._entries.move_to_end(key)
                while len(self._entries) > self._max_entries:
                    self._entries.popitem(last=False)
        return value
