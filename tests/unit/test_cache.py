"""The TTL + LRU cache every verifier container keeps its lookups in (pure, with an injected clock)."""

from __future__ import annotations

import pytest

from signing_keys.cache import TtlLruCache
from tests.unit.verification_support import FakeClock


class Loads:
    """A loader that answers with how many times it has been called."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self) -> int:
        self.calls += 1
        return self.calls


def test_a_value_is_served_from_the_cache_until_its_ttl_and_reloaded_exactly_then() -> None:
    # Given a one-second cache holding a value loaded now
    clock, load = FakeClock(), Loads()
    cache: TtlLruCache[str, int] = TtlLruCache(1.0, 10, clock)
    assert cache.get_or_load("k", load) == 1
    # When the same key is asked for just before and exactly at the TTL
    clock.advance(0.999)
    before = cache.get_or_load("k", load)
    clock.advance(0.001)
    at_ttl = cache.get_or_load("k", load)
    # Then the first is the cached value and the second a fresh load
    assert (before, at_ttl, load.calls) == (1, 2, 2)


def test_a_ttl_of_zero_loads_every_time_and_holds_nothing() -> None:
    clock, load = FakeClock(), Loads()
    cache: TtlLruCache[str, int] = TtlLruCache(0, 10, clock)
    assert [cache.get_or_load("k", load) for _ in range(3)] == [1, 2, 3]
    assert len(cache) == 0


def test_a_full_cache_evicts_the_least_recently_used_entry() -> None:
    # Given a two-entry cache holding a and b, with a used last
    clock = FakeClock()
    cache: TtlLruCache[str, str] = TtlLruCache(60, 2, clock)
    cache.get_or_load("a", lambda: "a1")
    cache.get_or_load("b", lambda: "b1")
    cache.get_or_load("a", lambda: "a2")
    # When a third key arrives
    cache.get_or_load("c", lambda: "c1")
    # Then b went, a stayed
    assert cache.get_or_load("a", lambda: "a3") == "a1"
    assert cache.get_or_load("b", lambda: "b2") == "b2"
    assert len(cache) == 2


def test_a_failed_load_is_not_cached() -> None:
    clock = FakeClock()
    cache: TtlLruCache[str, str] = TtlLruCache(60, 2, clock)

    def failing() -> str:
        raise ConnectionError("table unavailable")

    with pytest.raises(ConnectionError):
        cache.get_or_load("k", failing)
    assert cache.get_or_load("k", lambda: "loaded") == "loaded"


def test_the_cache_never_grows_past_its_bound() -> None:
    cache: TtlLruCache[int, int] = TtlLruCache(60, 100, FakeClock())
    for key in range(10_000):
        cache.get_or_load(key, lambda: 0)
        assert len(cache) <= 100


@pytest.mark.parametrize(("ttl", "entries"), [(-1, 10), (1, 0)])
def test_a_negative_ttl_or_no_room_is_refused(ttl: float, entries: int) -> None:
    with pytest.raises(ValueError, match="ttl_seconds"):
        TtlLruCache(ttl, entries)
