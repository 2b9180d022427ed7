"""The TTL + LRU cache every verifier container keeps its lookups in (pure, with an injected clock)."""

from __future__ import annotations

import pytest

from signing_keys.cache import MISS, TtlLruCache
from tests.unit.verification_support import FakeClock


def test_a_value_is_served_until_its_ttl_and_missed_exactly_then() -> None:
    # Given a one-second cache holding a value whose load started now
    clock = FakeClock()
    cache: TtlLruCache[str, int] = TtlLruCache(1.0, 10, clock)
    cache.store("k", 1, loaded_at=cache.now())
    # When the key is looked up just before and exactly at the TTL
    clock.advance(0.999)
    before = cache.cached("k", cache.now())
    clock.advance(0.001)
    at_ttl = cache.cached("k", cache.now())
    # Then the first is the cached value and the second a miss
    assert (before, at_ttl) == (1, MISS)


def test_the_ttl_runs_from_when_the_load_started_not_when_it_was_stored() -> None:
    # Given a value whose (slow) load started half a second before it was stored
    clock = FakeClock()
    cache: TtlLruCache[str, int] = TtlLruCache(1.0, 10, clock)
    started = cache.now()
    clock.advance(0.5)
    cache.store("k", 1, loaded_at=started)
    # When it is looked up one second after the load started
    clock.advance(0.5)
    # Then it is no longer served: nothing cached is older than the TTL
    assert cache.cached("k", cache.now()) is MISS


def test_a_cached_none_is_a_hit_not_a_miss() -> None:
    # Given a lookup that found nothing, cached as such
    cache: TtlLruCache[str, int | None] = TtlLruCache(1.0, 10, FakeClock())
    cache.store("k", None, loaded_at=cache.now())
    # When it is looked up again / Then "not found" is served from the cache
    assert cache.cached("k", cache.now()) is None


def test_a_ttl_of_zero_holds_nothing() -> None:
    cache: TtlLruCache[str, int] = TtlLruCache(0, 10, FakeClock())
    cache.store("k", 1, loaded_at=cache.now())
    assert cache.cached("k", cache.now()) is MISS
    assert len(cache) == 0


def test_a_full_cache_evicts_the_least_recently_used_entry() -> None:
    # Given a two-entry cache holding a and b, with a used last
    cache: TtlLruCache[str, str] = TtlLruCache(60, 2, FakeClock())
    cache.store("a", "a1", cache.now())
    cache.store("b", "b1", cache.now())
    assert cache.cached("a", cache.now()) == "a1"
    # When a third key arrives
    cache.store("c", "c1", cache.now())
    # Then b went, a stayed
    assert cache.cached("a", cache.now()) == "a1"
    assert cache.cached("b", cache.now()) is MISS
    assert len(cache) == 2


def test_the_cache_never_grows_past_its_bound() -> None:
    cache: TtlLruCache[int, int] = TtlLruCache(60, 100, FakeClock())
    for key in range(10_000):
        cache.store(key, 0, cache.now())
        assert len(cache) <= 100


@pytest.mark.parametrize(("ttl", "entries"), [(-1, 10), (1, 0)])
def test_a_negative_ttl_or_no_room_is_refused(ttl: float, entries: int) -> None:
    with pytest.raises(ValueError, match="ttl_seconds"):
        TtlLruCache(ttl, entries)
