"""Playback token verification: the PlaybackAuthorizer's core. (Minting: `python -m signing_keys_tools.tokens`.)

Each token is parsed once, in work linear in its size (capped at 8 KB), and everything that can be refused
without a key (size, shape, JSON, claim types, `alg: none`, key-carrying or critical headers) is refused before
a key lookup. The key comes from the route's workspace only, and the algorithm from the stored key, never from
the token. Key lookups (found or not) are kept `KeyCacheMillis` per container, with the parsed public key, so a
warm verification is one signature check; that is also the bound on how late a key change takes effect.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Protocol

import jwt
from jwt.algorithms import Algorithm as JwsAlgorithm

from signing_keys import keys
from signing_keys.cache import Clock, TtlLruCache
from signing_keys.config import Settings
from signing_keys.errors import InvalidInput
from signing_keys.key_ids import KEY_ID_LENGTH, KEY_ID_PATTERN, key_id_for, spki_der_from_pem, spki_der_from_pub_claim
from signing_keys.models import Algorithm, KeyPolicy, SigningKey, to_millis
from signing_keys.observability import count, logger
from signing_keys.patterns import media_allowed
from signing_keys.store import KeyStore

MAX_TOKEN_BYTES = 8192
FORBIDDEN_HEADERS = frozenset({"jku", "jwk", "x5u", "x5c", "crit"})
# Character classes disjoint from the separators, so matching is linear in the token.
_COMPACT_JWS = re.compile(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+", re.ASCII)
_KEY_ID = re.compile(KEY_ID_PATTERN)
# NumericDate claims are whole seconds from the epoch to the end of year 9999; anything else is no date.
_LATEST_NUMERIC_DATE = 253_402_300_799
_STRING_CLAIMS = ("sub", "iss", "kid", "pub")
# Lookups one container keeps: a flood of random key ids evicts the least recently used, never grows memory.
KEY_CACHE_ENTRIES = 4096


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


# Refused as "valid token, not for this": 403. Everything else is an invalid token: 401.
FORBIDDEN_REASONS = frozenset(
    {Rejection.DISABLED_KEY, Rejection.WRONG_MEDIA, Rejection.KEY_EXPIRED, Rejection.MEDIA_NOT_ALLOWED}
)


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


def _checked_public_key(pem: str) -> tuple[Algorithm, keys.VerifyingKey] | None:
    der = spki_der_from_pem(pem)
    if der is None:
        return None
    try:
        return keys.load_spki(der)
    except InvalidInput:
        return None


class KeyReader(Protocol):
    """What the verifier needs of the table (KeyStore; benchmarks and tests bring their own)."""

    def get_key(self, key_id: str, *, consistent: bool = True) -> SigningKey | None: ...

    def record_last_seen(self, key_id: str, seen_at_ms: int, interval_seconds: int) -> None: ...


@dataclass(slots=True)
class CachedKey:
    """A key as a container holds it between reads: parsed and checked once, and when it last wrote lastSeen."""

    key: SigningKey
    verifying_key: keys.VerifyingKey
    algorithm: JwsAlgorithm
    last_seen_ms: int


KeyCache = TtlLruCache[tuple[str, str], CachedKey | None]


class TokenVerifier:
    def __init__(
        self,
        store: KeyReader,
        settings: Settings,
        *,
        clock: Clock = time.monotonic,
        now: Callable[[], float] = time.time,
    ) -> None:
        """`clock` (monotonic seconds) ages the key cache; `now` (epoch seconds) judges the token's times."""
        self._store = store
        self._settings = settings
        self._now = now
        self.key_cache: KeyCache = TtlLruCache(settings.key_cache_millis / 1000, KEY_CACHE_ENTRIES, clock)

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
        cached = None if key_id is None else self._load(workspace_id, key_id)
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
        self._record_use(cached, now)
        return VerifiedToken(key=cached.key, claims=screened.claims)

    def _load(self, workspace_id: str, key_id: str) -> CachedKey | None:
        """What verifying this token needs from the table: from the cache, or one strongly consistent read.

        Whatever else a token will need (revocations of its jti or viewer, the workspace's cut-offs) belongs
        here too, read with the key in one BatchGetItem and cached the same way.
        """
        return self.key_cache.get_or_load((workspace_id, key_id), lambda: self._read_key(workspace_id, key_id))

    def _read_key(self, workspace_id: str, key_id: str) -> CachedKey | None:
        key = self._store.get_key(key_id, consistent=True)
        if key is None or key.workspace_id != workspace_id:
            return None
        loaded = _checked_public_key(key.public_key_pem)
        if loaded is None or loaded[0] is not key.algorithm:
            # Stored before uploads were checked as they are now: it must not verify what anyone could forge.
            logger.warning("stored key is unsafe to verify with; refusing its tokens", extra={"key_id": key_id})
            return None
        last_seen_ms = 0 if key.last_seen is None else to_millis(key.last_seen)
        return CachedKey(key, loaded[1], jwt.get_algorithm_by_name(key.algorithm.value), last_seen_ms)

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

    def _record_use(self, cached: CachedKey, now: float) -> None:
        """lastSeen at most once per interval per key and container; best effort, never failing verification.

        The cache entry remembers the last write (attempted, too), so warm hits never write; the store's
        condition settles containers writing at once.
        """
        now_ms = int(now * 1000)
        interval_seconds = self._settings.last_seen_interval_seconds
        if now_ms - cached.last_seen_ms < interval_seconds * 1000:
            return
        cached.last_seen_ms = now_ms
        self._store.record_last_seen(cached.key.key_id, now_ms, interval_seconds)
