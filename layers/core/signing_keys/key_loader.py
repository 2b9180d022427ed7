"""What verifying one token needs from the table, none of it older than KeyCacheMillis: the key (with the
workspace's issuedBefore cut-offs, which live on the workspace item read with it) and the revocation entries the
token's jti and viewer would have.

Each lookup, found or not, is kept per container for KeyCacheMillis in a bounded TTL+LRU cache (a flood of random
key ids or jti values evicts the least recently used, never grows memory), with the parsed public key: a warm
verification reads nothing, a cold one reads whatever it lacks in one strongly consistent BatchGetItem. That TTL
is the bound on how late a key change or a revocation takes effect.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import jwt
from jwt.algorithms import Algorithm as JwsAlgorithm

from signing_keys import public_keys
from signing_keys.cache import Clock, Miss, TtlLruCache
from signing_keys.models import Cutoff, Revocation, SigningKey, to_millis
from signing_keys.observability import logger
from signing_keys.store.keys import KeyRepository, VerificationItems

# Lookups one container keeps, of each kind.
KEY_CACHE_ENTRIES = 4096
REVOCATION_CACHE_ENTRIES = 4096


class VerifierStore(Protocol):
    """What verification needs of the table (KeyRepository; benchmarks and tests bring their own)."""

    def read_for_verification(
        self, workspace_id: str, *, key_id: str | None, revocation_ids: Sequence[str]
    ) -> VerificationItems: ...

    def record_last_seen(self, key_id: str, seen_at_ms: int, interval_seconds: int) -> None: ...

    def consume_single_use(self, workspace_id: str, jti: str, *, keep_until: int) -> bool: ...

    def single_use_spent(self, workspace_id: str, jti: str) -> bool: ...


@dataclass(slots=True)
class UsableKey:
    """A key of the route's workspace, safe to verify with, parsed once; the workspace's cut-offs read with it,
    and when this container last wrote its lastSeen."""

    key: SigningKey
    verifying_key: public_keys.VerifyingKey
    algorithm: JwsAlgorithm
    last_seen_ms: int
    cutoffs: tuple[Cutoff, ...]


@dataclass(frozen=True, slots=True)
class NoSuchKey:
    """No key with that id in the route's workspace (another workspace's is none of its keys)."""


@dataclass(frozen=True, slots=True)
class UnsafeKey:
    """A key stored before uploads were checked as they are now: it must not verify what anyone could forge."""


KeyLookup = UsableKey | NoSuchKey | UnsafeKey
NO_SUCH_KEY = NoSuchKey()
UNSAFE_KEY = UnsafeKey()


@dataclass(frozen=True, slots=True)
class Loaded:
    key: KeyLookup
    revocations: tuple[Revocation, ...]  # those naming the token's jti or viewer, in that order


def _lookup(workspace_id: str, key_id: str, read: VerificationItems) -> KeyLookup:
    key = read.key
    if key is None or key.workspace_id != workspace_id:
        return NO_SUCH_KEY
    verifying_key = public_keys.stored_verifying_key(key)
    if verifying_key is None:
        logger.warning("stored key is unsafe to verify with; refusing its tokens", extra={"key_id": key_id})
        return UNSAFE_KEY
    last_seen_ms = 0 if key.last_seen is None else to_millis(key.last_seen)
    return UsableKey(key, verifying_key, jwt.get_algorithm_by_name(key.algorithm.value), last_seen_ms, read.cutoffs)


class KeyLoader:
    def __init__(self, store: VerifierStore, key_cache_millis: int, *, clock: Clock = time.monotonic) -> None:
        ttl_seconds = key_cache_millis / 1000
        self.store = store
        self.keys: TtlLruCache[tuple[str, str], KeyLookup] = TtlLruCache(ttl_seconds, KEY_CACHE_ENTRIES, clock)
        self.revocations: TtlLruCache[tuple[str, str], Revocation | None] = TtlLruCache(
            ttl_seconds, REVOCATION_CACHE_ENTRIES, clock
        )

    @classmethod
    def connect(cls, table_name: str, key_cache_millis: int) -> KeyLoader:
        return cls(KeyRepository.connect(table_name), key_cache_millis)

    def load(self, workspace_id: str, key_id: str, revocation_ids: Sequence[str]) -> Loaded:
        """The key and the revocations named, each from the cache while fresh, else from one read (then cached,
        found or not)."""
        started = self.keys.now()
        key_slot = (workspace_id, key_id)
        key = self.keys.cached(key_slot, started)
        revocations = {rid: self.revocations.cached((workspace_id, rid), started) for rid in revocation_ids}
        missing = [rid for rid, found in revocations.items() if isinstance(found, Miss)]
        if isinstance(key, Miss) or missing:
            read = self.store.read_for_verification(
                workspace_id, key_id=key_id if isinstance(key, Miss) else None, revocation_ids=missing
            )
            if isinstance(key, Miss):
                key = _lookup(workspace_id, key_id, read)
                self.keys.store(key_slot, key, started)
            for rid in missing:
                found = read.revocations.get(rid)
                revocation = found if found is not None and found.workspace_id == workspace_id else None
                self.revocations.store((workspace_id, rid), revocation, started)
                revocations[rid] = revocation
        return Loaded(key, tuple(found for found in revocations.values() if isinstance(found, Revocation)))
