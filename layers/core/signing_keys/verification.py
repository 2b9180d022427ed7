"""Playback token verification: the PlaybackAuthorizer's core. (Minting: `python -m signing_keys_tools.tokens`.)

Each token is parsed once, in work linear in its size (capped at 8 KB), and everything that can be refused
without a key (size, shape, JSON, claim types, `alg: none`, key-carrying or critical headers) is refused before
a key lookup. The key comes from the route's workspace only, and the algorithm from the stored key, never from
the token. Key lookups (found or not) are kept `KeyCacheMillis` per container, with the parsed public key and the
workspace's issuedBefore cut-offs, and so are the revocation lookups of a token's `jti` and `viewer`: a warm
verification is one signature check, a cold one reads everything it lacks in one BatchGetItem, and that TTL is
the bound on how late a key change or a revocation takes effect. A single-use token adds one conditional write.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Protocol

import jwt
from botocore.exceptions import BotoCoreError, ClientError
from jwt.algorithms import Algorithm as JwsAlgorithm

from signing_keys import public_keys
from signing_keys.cache import Clock, Miss, TtlLruCache
from signing_keys.config import Settings
from signing_keys.key_ids import (
    KEY_ID_LENGTH,
    KEY_ID_PATTERN,
    key_id_for,
    revocation_id_for,
    spki_der_from_pub_claim,
)
from signing_keys.models import Cutoff, KeyPolicy, Revocation, RevocationType, SigningKey, to_millis
from signing_keys.observability import count, logger
from signing_keys.patterns import media_allowed
from signing_keys.store import KeyStore, VerificationItems

MAX_TOKEN_BYTES = 8192
FORBIDDEN_HEADERS = frozenset({"jku", "jwk", "x5u", "x5c", "crit"})
# Character classes disjoint from the separators, so matching is linear in the token.
_COMPACT_JWS = re.compile(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+", re.ASCII)
_KEY_ID = re.compile(KEY_ID_PATTERN)
# NumericDate claims are whole seconds from the epoch to the end of year 9999; anything else is no date.
_LATEST_NUMERIC_DATE = 253_402_300_799
_STRING_CLAIMS = ("sub", "iss", "kid", "pub", "jti", "viewer")
# Lookups one container keeps, of each kind: a flood of random key ids (or jti values) evicts the least recently
# used, never grows memory.
KEY_CACHE_ENTRIES = 4096
REVOCATION_CACHE_ENTRIES = 4096
# The claims a revocation can name, in the order they are checked.
_REVOCABLE_CLAIMS = (RevocationType.JTI, RevocationType.VIEWER)


class Rejection(StrEnum):
    """Why a token was refused: a bounded set, so it can be a metric dimension."""

    MALFORMED = "malformed"
    OVERSIZE = "oversize"
    FORBIDDEN_HEADER = "forbidden_header"
    INVALID_CLAIMS = "invalid_claims"
    UNKNOWN_KEY = "unknown_key"
    DISABLED_KEY = "disabled_key"
    ALGORITHM_MISMATCH = "algorithm_mismatch"
    BAD_SIGNATURE = "bad_signature"
    MISSING_EXP = "missing_exp"
    EXPIRED = "expired"
    NOT_YET_VALID = "not_yet_valid"
    LIFETIME_TOO_LONG = "lifetime_too_long"
    WRONG_MEDIA = "wrong_media"
    WRONG_ISSUER = "wrong_issuer"
    KEY_EXPIRED = "key_expired"
    MEDIA_NOT_ALLOWED = "media_not_allowed"
    JTI_REVOKED = "jti_revoked"
    VIEWER_REVOKED = "viewer_revoked"
    ISSUED_BEFORE = "issued_before"
    SINGLE_USE_REPLAYED = "single_use_replayed"


# Refused as "valid token, not for this (any more)": 403. Everything else is an invalid token: 401.
FORBIDDEN_REASONS = frozenset(
    {
        Rejection.DISABLED_KEY,
        Rejection.WRONG_MEDIA,
        Rejection.KEY_EXPIRED,
        Rejection.MEDIA_NOT_ALLOWED,
        Rejection.JTI_REVOKED,
        Rejection.VIEWER_REVOKED,
        Rejection.ISSUED_BEFORE,
        Rejection.SINGLE_USE_REPLAYED,
    }
)
_REVOKED = {RevocationType.JTI: Rejection.JTI_REVOKED, RevocationType.VIEWER: Rejection.VIEWER_REVOKED}


class TokenRejected(Exception):
    def __init__(self, reason: Rejection) -> None:
        super().__init__(reason.value)
        self.reason = reason

    @property
    def status(self) -> int:
        return 403 if self.reason in FORBIDDEN_REASONS else 401


@dataclass(frozen=True, slots=True)
class VerifiedToken:
    key: SigningKey
    claims: dict[str, Any]


@dataclass(frozen=True, slots=True)
class ScreenedToken:
    """A token that passed every check needing no key, its parts decoded once."""

    header: dict[str, Any]
    claims: dict[str, Any]
    signing_input: bytes
    signature: bytes


def _object_without_duplicates(members: list[tuple[str, Any]]) -> dict[str, Any]:
    # Parsers disagree on which duplicate wins; a token that depends on it is no token.
    obj = dict(members)
    if len(obj) != len(members):
        raise ValueError("duplicate member")
    return obj


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _b64url(segment: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))
    except (binascii.Error, ValueError):
        raise TokenRejected(Rejection.MALFORMED) from None


_STRICT_JSON = json.JSONDecoder(object_pairs_hook=_object_without_duplicates, parse_constant=_refuse_constant)


def _json_object(segment: str) -> dict[str, Any]:
    try:
        value = _STRICT_JSON.decode(_b64url(segment).decode("utf-8"))
    # Invalid UTF-8 and JSON are ValueErrors; nesting deeper than the interpreter's limit is a RecursionError
    # (8 KB of brackets reaches it in microseconds); integers over 4,300 digits are refused by int() itself.
    except (ValueError, RecursionError):
        raise TokenRejected(Rejection.MALFORMED) from None
    if not isinstance(value, dict):
        raise TokenRejected(Rejection.MALFORMED)
    return value


def _is_numeric_date(value: Any) -> bool:
    return type(value) is int and 0 <= value <= _LATEST_NUMERIC_DATE


def _check_header(header: Mapping[str, Any]) -> None:
    alg = header.get("alg")
    if not isinstance(alg, str) or alg.lower() == "none" or not isinstance(header.get("kid", ""), str):
        raise TokenRejected(Rejection.MALFORMED)
    if FORBIDDEN_HEADERS & header.keys():
        raise TokenRejected(Rejection.FORBIDDEN_HEADER)


def _check_claim_types(claims: Mapping[str, Any]) -> None:
    """Claims the verifier reads have the types it expects, so no check below meets a surprise."""
    if "exp" not in claims:
        raise TokenRejected(Rejection.MISSING_EXP)
    if not all(_is_numeric_date(claims[name]) for name in ("exp", "iat", "nbf") if name in claims):
        raise TokenRejected(Rejection.INVALID_CLAIMS)
    if not all(isinstance(claims[name], str) for name in _STRING_CLAIMS if name in claims):
        raise TokenRejected(Rejection.INVALID_CLAIMS)
    audience = claims.get("aud", "")
    if not isinstance(audience, str) and not (
        isinstance(audience, list) and all(isinstance(item, str) for item in audience)
    ):
        raise TokenRejected(Rejection.INVALID_CLAIMS)
    # A single-use token is consumed by its jti: without one there is nothing to mark used.
    single_use = claims.get("single_use", False)
    if not isinstance(single_use, bool) or (single_use and "jti" not in claims):
        raise TokenRejected(Rejection.INVALID_CLAIMS)


def screen(token: str) -> ScreenedToken:
    """The token's decoded parts, or TokenRejected for anything refusable without a key."""
    if len(token) > MAX_TOKEN_BYTES:
        raise TokenRejected(Rejection.OVERSIZE)
    if not token.isascii() or not _COMPACT_JWS.fullmatch(token):
        raise TokenRejected(Rejection.MALFORMED)
    header_segment, payload_segment, signature_segment = token.split(".")
    header = _json_object(header_segment)
    _check_header(header)
    claims = _json_object(payload_segment)
    _check_claim_types(claims)
    signing_input = token[: len(header_segment) + 1 + len(payload_segment)].encode("ascii")
    return ScreenedToken(header, claims, signing_input, _b64url(signature_segment))


def _key_id(workspace_id: str, token: ScreenedToken) -> str | None:
    """`kid` from the header or the claims (FastPix), else the id the `pub` claim's key has in this workspace."""
    kid = token.header.get("kid", token.claims.get("kid"))
    if kid is not None:
        return kid if len(kid) == KEY_ID_LENGTH and _KEY_ID.fullmatch(kid) else None
    pub = token.claims.get("pub")
    der = None if pub is None else spki_der_from_pub_claim(pub)
    return None if der is None else key_id_for(workspace_id, der)


def _binds(claims: Mapping[str, Any], media_id: str) -> bool:
    """A `media:` audience alone binds when the token has one (FastPix); otherwise `sub` does (Livepeer)."""
    audience = claims.get("aud")
    audiences = audience if isinstance(audience, list) else [] if audience is None else [audience]
    media_audiences = [item for item in audiences if item.startswith("media:")]
    if media_audiences:
        return f"media:{media_id}" in media_audiences
    return claims.get("sub") == media_id


def _revocation_ids(workspace_id: str, claims: Mapping[str, Any]) -> list[str]:
    """Ids of the revocations that would name this token's jti and viewer (values no revocation can hold have none)."""
    ids = []
    for revocation_type in _REVOCABLE_CLAIMS:
        value = claims.get(revocation_type.value)
        revocation_id = None if value is None else revocation_id_for(workspace_id, revocation_type.value, value)
        if revocation_id is not None:
            ids.append(revocation_id)
    return ids


class VerifierStore(Protocol):
    """What the verifier needs of the table (KeyStore; benchmarks and tests bring their own)."""

    def read_for_verification(
        self, workspace_id: str, *, key_id: str | None, revocation_ids: Sequence[str]
    ) -> VerificationItems: ...

    def record_last_seen(self, key_id: str, seen_at_ms: int, interval_seconds: int) -> None: ...

    def consume_single_use(self, workspace_id: str, jti: str, *, keep_until: int) -> bool: ...


@dataclass(slots=True)
class CachedKey:
    """A key as a container holds it between reads: parsed and checked once, the workspace's cut-offs read with
    it, and when it last wrote lastSeen."""

    key: SigningKey
    verifying_key: public_keys.VerifyingKey
    algorithm: JwsAlgorithm
    last_seen_ms: int
    cutoffs: tuple[Cutoff, ...]


@dataclass(frozen=True, slots=True)
class Loaded:
    """What verifying one token needs from the table, none of it older than KeyCacheMillis."""

    key: CachedKey | None
    revocations: tuple[Revocation, ...]  # those naming the token's jti or viewer, in that order


KeyCache = TtlLruCache[tuple[str, str], CachedKey | None]
RevocationCache = TtlLruCache[tuple[str, str], Revocation | None]


class TokenVerifier:
    def __init__(
        self,
        store: VerifierStore,
        settings: Settings,
        *,
        clock: Clock = time.monotonic,
        now: Callable[[], float] = time.time,
    ) -> None:
        """`clock` (monotonic seconds) ages the caches; `now` (epoch seconds) judges the token's times and which
        revocations are still active."""
        self._store = store
        self._settings = settings
        self._now = now
        ttl_seconds = settings.key_cache_millis / 1000
        self.key_cache: KeyCache = TtlLruCache(ttl_seconds, KEY_CACHE_ENTRIES, clock)
        self.revocation_cache: RevocationCache = TtlLruCache(ttl_seconds, REVOCATION_CACHE_ENTRIES, clock)

    @classmethod
    def from_settings(cls, settings: Settings) -> TokenVerifier:
        return cls(KeyStore.connect(settings.table_name), settings)

    def verify(self, token: str, workspace_id: str, media_id: str) -> VerifiedToken:
        """The token's claims if one of `workspace_id`'s enabled keys signed it for `media_id`."""
        try:
            verified = self._verify(token, workspace_id, media_id)
        except TokenRejected as rejected:
            count("TokensRejected", reason=rejected.reason.value)
            logger.info("playback token rejected", extra={"reason": rejected.reason.value})
            raise
        count("TokensVerified")
        return verified

    def _verify(self, token: str, workspace_id: str, media_id: str) -> VerifiedToken:
        screened = screen(token)
        key_id = _key_id(workspace_id, screened)
        if key_id is None:
            raise TokenRejected(Rejection.UNKNOWN_KEY)
        loaded = self._load(workspace_id, key_id, _revocation_ids(workspace_id, screened.claims))
        cached = loaded.key
        # Another tenant's key is no key of this workspace's: tenants never open each other's media.
        if cached is None:
            raise TokenRejected(Rejection.UNKNOWN_KEY)
        if screened.header["alg"] != cached.key.algorithm.value:
            raise TokenRejected(Rejection.ALGORITHM_MISMATCH)
        if not cached.algorithm.verify(screened.signing_input, cached.verifying_key, screened.signature):
            raise TokenRejected(Rejection.BAD_SIGNATURE)
        now = self._now()
        self._check_times(screened.claims, now, cached.key.policy)
        self._check_binding(screened.claims, media_id)
        self._check_key(cached.key, media_id, now)
        self._check_revocations(cached.cutoffs, loaded.revocations, screened.claims)
        # Last of all: a single-use token is spent only by a verification that succeeds.
        self._consume_if_single_use(workspace_id, screened.claims)
        self._record_use(cached, now)
        return VerifiedToken(key=cached.key, claims=screened.claims)

    def _load(self, workspace_id: str, key_id: str, revocation_ids: Sequence[str]) -> Loaded:
        """What verifying this token needs from the table: the key with the workspace's cut-offs, and the
        revocations its jti and viewer would have. Each comes from the cache while fresh; whatever is not, from
        one strongly consistent BatchGetItem, then cached (found or not) for KeyCacheMillis."""
        started = self.key_cache.now()
        key_slot = (workspace_id, key_id)
        key = self.key_cache.cached(key_slot, started)
        revocations = {rid: self.revocation_cache.cached((workspace_id, rid), started) for rid in revocation_ids}
        missing = [rid for rid, found in revocations.items() if isinstance(found, Miss)]
        if isinstance(key, Miss) or missing:
            read = self._store.read_for_verification(
                workspace_id, key_id=key_id if isinstance(key, Miss) else None, revocation_ids=missing
            )
            if isinstance(key, Miss):
                key = self._checked_key(workspace_id, key_id, read)
                self.key_cache.store(key_slot, key, started)
            for rid in missing:
                found = read.revocations.get(rid)
                revocation = found if found is not None and found.workspace_id == workspace_id else None
                self.revocation_cache.store((workspace_id, rid), revocation, started)
                revocations[rid] = revocation
        return Loaded(key, tuple(found for found in revocations.values() if isinstance(found, Revocation)))

    def _checked_key(self, workspace_id: str, key_id: str, read: VerificationItems) -> CachedKey | None:
        key = read.key
        if key is None or key.workspace_id != workspace_id:
            return None
        verifying_key = public_keys.stored_verifying_key(key)
        if verifying_key is None:
            # Stored before uploads were checked as they are now: it must not verify what anyone could forge.
            logger.warning("stored key is unsafe to verify with; refusing its tokens", extra={"key_id": key_id})
            return None
        last_seen_ms = 0 if key.last_seen is None else to_millis(key.last_seen)
        algorithm = jwt.get_algorithm_by_name(key.algorithm.value)
        return CachedKey(key, verifying_key, algorithm, last_seen_ms, read.cutoffs)

    def _check_times(self, claims: Mapping[str, Any], now: float, policy: KeyPolicy) -> None:
        skew = self._settings.clock_skew_seconds
        expires, issued = claims["exp"], claims.get("iat")
        if expires <= now - skew:
            raise TokenRejected(Rejection.EXPIRED)
        if claims.get("nbf", 0) > now + skew or (issued is not None and issued > now + skew):
            raise TokenRejected(Rejection.NOT_YET_VALID)
        # An `exp` in milliseconds reads as a lifetime of decades and lands here. A key's own cap only lowers the
        # deployment's (which may have been lowered since the key's was set).
        longest = self._settings.max_token_lifetime_seconds
        if policy.max_token_lifetime_seconds is not None:
            longest = min(longest, policy.max_token_lifetime_seconds)
        if expires - (now if issued is None else issued) > longest + skew:
            raise TokenRejected(Rejection.LIFETIME_TOO_LONG)

    def _check_binding(self, claims: Mapping[str, Any], media_id: str) -> None:
        issuers = self._settings.allowed_issuers
        if issuers and claims.get("iss") not in issuers:
            raise TokenRejected(Rejection.WRONG_ISSUER)
        if not _binds(claims, media_id):
            raise TokenRejected(Rejection.WRONG_MEDIA)

    @staticmethod
    def _check_key(key: SigningKey, media_id: str, now: float) -> None:
        """The key's state and policy, judged now: a cached key expires exactly on time."""
        if key.disabled:
            raise TokenRejected(Rejection.DISABLED_KEY)
        if key.policy.expired(now):
            raise TokenRejected(Rejection.KEY_EXPIRED)
        if key.policy.allowed_media is not None and not media_allowed(key.policy.allowed_media, media_id):
            raise TokenRejected(Rejection.MEDIA_NOT_ALLOWED)

    @staticmethod
    def _check_revocations(
        cutoffs: Sequence[Cutoff], revocations: Sequence[Revocation], claims: Mapping[str, Any]
    ) -> None:
        """The token's jti and viewer are not revoked, and it was issued after the latest issuedBefore. Entries
        never lapse (signing_keys.revocations): one that exists refuses."""
        if revocations:
            raise TokenRejected(_REVOKED[revocations[0].type])
        if cutoffs:
            issued = claims.get("iat")
            # Without iat, nothing tells the token was issued after the cut-off.
            if issued is None or issued < max(cutoff.issued_before for cutoff in cutoffs):
                raise TokenRejected(Rejection.ISSUED_BEFORE)

    def _consume_if_single_use(self, workspace_id: str, claims: Mapping[str, Any]) -> None:
        """One conditional write: the first verification of a single-use token spends it, any later one is refused.
        The mark is kept until the token could no longer verify anyway (exp + skew)."""
        if claims.get("single_use") is not True:
            return
        keep_until = claims["exp"] + self._settings.clock_skew_seconds
        if not self._store.consume_single_use(workspace_id, claims["jti"], keep_until=keep_until):
            raise TokenRejected(Rejection.SINGLE_USE_REPLAYED)

    def _record_use(self, cached: CachedKey, now: float) -> None:
        """lastSeen at most once per interval per key and container, never failing verification: a failed write
        (throttling, a denied permission) is logged with its error code and counted (`LastSeenWriteFailures`),
        so it cannot stop silently.

        The cache entry remembers the last write (attempted, too), so warm hits never write.
        """
        now_ms = int(now * 1000)
        interval_seconds = self._settings.last_seen_interval_seconds
        if now_ms - cached.last_seen_ms < interval_seconds * 1000:
            return
        cached.last_seen_ms = now_ms
        try:
            self._store.record_last_seen(cached.key.key_id, now_ms, interval_seconds)
        except (ClientError, BotoCoreError) as error:
            code = error.response.get("Error", {}).get("Code", "") if isinstance(error, ClientError) else ""
            count("LastSeenWriteFailures")
            logger.warning(
                "lastSeen write failed",
                extra={"key_id": cached.key.key_id, "error_type": type(error).__name__, "error_code": code},
            )
