"""A small per-container cache: entries live a fixed time, and the least recently used go first when it is full.

A Lambda container runs one invocation at a time, but the local runner's gateway shares one (its authorizer
policy cache) between the threads that serve requests, so the cache is safe to share between threads. Callers
read (`cached`) and fill (`store`) separately, so that one DynamoDB call can load what several lookups missed;
the read happens outside the lock, and a slow one never blocks cached answers.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Final, Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")

Clock = Callable[[], float]  # monotonic seconds


class Miss:
    """What `cached` returns when it holds nothing fresh (a cached value may itself be None: "not found")."""


MISS: Final = Miss()


class TtlLruCache(Generic[K, V]):
    """Values for `ttl_seconds` after they were loaded, at most `max_entries` of them.

    An entry expires `ttl_seconds` after the clock reading taken *before* its load started (the `loaded_at`
    given to `store`), so what it holds is never older than that when it is last served. A TTL of 0 caches
    nothing: every lookup misses.
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

    def clear(self) -> None:
        """Forget every entry, as a new container starts."""
        with self._lock:
            self._entries.clear()

    def now(self) -> float:
        """A reading of the cache's clock: take it before a load, and give it to `store` as `loaded_at`."""
        return self._clock()

    def cached(self, key: K, now: float) -> V | Miss:
        """The value of `key` if it is still fresh at `now`, else MISS."""
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return MISS
            expires_at, value = entry
            if now >= expires_at:
                del self._entries[key]
                return MISS
            self._entries.move_to_end(key)
            return value

    def store(self, key: K, value: V, loaded_at: float) -> None:
        """Keep `value`, loaded from a read that started at `loaded_at`, evicting the least recently used."""
        if self._ttl <= 0:
            return
        with self._lock:
            self._entries[key] = (loaded_at + self._ttl, value)
            self._entries.move_to_end(key)
            while len(self._entries) > self._max_entries:
                self._entries.popitem(last=False)
