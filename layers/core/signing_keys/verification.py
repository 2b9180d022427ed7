"""Playback token verification: the PlaybackAuthorizer's core. (Minting: `python -m signing_keys_tools.tokens`.)

The algorithm comes from the stored key, never from the token. Everything that can be refused without a
key lookup (size, shape, `alg: none`, key-carrying or critical headers) is refused before one.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

from signing_keys.config import Settings
from signing_keys.key_ids import KEY_ID_PATTERN, key_id_for_pem
from signing_keys.models import SigningKey, utc_now
from signing_keys.observability import count, logger
from signing_keys.store import KeyStore

MAX_TOKEN_BYTES = 8192
FORBIDDEN_HEADERS = frozenset({"jku", "jwk", "x5u", "x5c", "crit"})
_COMPACT_JWS = re.compile(r"^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$", re.ASCII)
_KEY_ID = re.compile(KEY_ID_PATTERN)
_PUBLIC_KEY_CACHE_SIZE = 256
VerifyingKey = rsa.RSAPublicKey | ec.EllipticCurvePublicKey | ed25519.Ed25519PublicKey


class Rejection(StrEnum):
    """Why a token was refused: a bounded set, so it can be a metric dimension."""

    MALFORMED = "malformed"
    OVERSIZE = "oversize"
    FORBIDDEN_HEADER = "forbidden_header"
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


# Refused as "valid token, not for this": 403. Everything else is an invalid token: 401.
FORBIDDEN_REASONS = frozenset({Rejection.DISABLED_KEY, Rejection.WRONG_MEDIA})


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


def _b64url_json(segment: str) -> Any:
    try:
        return json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))
    except (binascii.Error, ValueError):
        raise TokenRejected(Rejection.MALFORMED) from None


def _screen(token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """Header and unverified claims of a token that passed every check needing no key."""
    if len(token.encode("utf-8", "surrogatepass")) > MAX_TOKEN_BYTES:
        raise TokenRejected(Rejection.OVERSIZE)
    if not _COMPACT_JWS.match(token):
        raise TokenRejected(Rejection.MALFORMED)
    header_segment, payload_segment, _ = token.split(".")
    header, claims = _b64url_json(header_segment), _b64url_json(payload_segment)
    if not isinstance(header, dict) or not isinstance(claims, dict):
        raise TokenRejected(Rejection.MALFORMED)
    if not isinstance(header.get("alg"), str) or header["alg"].lower() == "none":
        raise TokenRejected(Rejection.MALFORMED)
    if FORBIDDEN_HEADERS & header.keys():
        raise TokenRejected(Rejection.FORBIDDEN_HEADER)
    return header, claims


def _key_id(header: Mapping[str, Any], claims: Mapping[str, Any]) -> str:
    """`kid` from the header or the claims (FastPix), else the key the `pub` claim names (Livepeer)."""
    kid = header.get("kid", claims.get("kid"))
    if kid is None and isinstance(claims.get("pub"), str):
        pub = claims["pub"]
        try:
            pem = pub if "-----BEGIN" in pub else base64.b64decode(pub, validate=True).decode("ascii")
        except (binascii.Error, ValueError):
            raise TokenRejected(Rejection.UNKNOWN_KEY) from None
        kid = key_id_for_pem(pem)
    if not isinstance(kid, str) or not _KEY_ID.match(kid):
        raise TokenRejected(Rejection.UNKNOWN_KEY)
    return kid


def _audiences(claims: Mapping[str, Any]) -> list[Any]:
    audience = claims.get("aud")
    return audience if isinstance(audience, list) else [audience]


class TokenVerifier:
    def __init__(self, store: KeyStore, settings: Settings) -> None:
        self._store = store
        self._settings = settings
        # Parsed public keys by (key id, PEM): public data, and parsing RSA keys costs more than verifying.
        self._public_keys: dict[tuple[str, str], VerifyingKey] = {}

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
        header, unverified = _screen(token)
        key = self._store.get_key(_key_id(header, unverified), consistent=True)
        # Another tenant's key is no key of this workspace's: tenants never open each other's media.
        if key is None or key.workspace_id != workspace_id:
            raise TokenRejected(Rejection.UNKNOWN_KEY)
        if header["alg"] != key.algorithm.value:
            raise TokenRejected(Rejection.ALGORITHM_MISMATCH)
        claims = self._decode(token, key)
        self._check_lifetime(claims)
        self._check_binding(claims, media_id)
        if key.disabled:
            raise TokenRejected(Rejection.DISABLED_KEY)
        self._store.record_last_seen(key, utc_now(), self._settings.last_seen_interval_seconds)
        return VerifiedToken(key=key, claims=claims)

    def _public_key(self, key: SigningKey) -> VerifyingKey:
        cache_key = (key.key_id, key.public_key_pem)
        public_key = self._public_keys.get(cache_key)
        if public_key is None:
            if len(self._public_keys) >= _PUBLIC_KEY_CACHE_SIZE:
                self._public_keys.clear()
            loaded = serialization.load_pem_public_key(key.public_key_pem.encode("ascii"))
            if not isinstance(loaded, VerifyingKey):  # the store only holds keys it accepted
                raise TokenRejected(Rejection.UNKNOWN_KEY)
            public_key = self._public_keys[cache_key] = loaded
        return public_key

    def _decode(self, token: str, key: SigningKey) -> dict[str, Any]:
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                self._public_key(key),
                algorithms=[key.algorithm.value],
                options={"require": ["exp"], "verify_aud": False, "verify_iss": False},
                leeway=self._settings.clock_skew_seconds,
            )
        except jwt.MissingRequiredClaimError:
            raise TokenRejected(Rejection.MISSING_EXP) from None
        except jwt.ExpiredSignatureError:
            raise TokenRejected(Rejection.EXPIRED) from None
        except jwt.ImmatureSignatureError:
            raise TokenRejected(Rejection.NOT_YET_VALID) from None
        except jwt.InvalidSignatureError:
            raise TokenRejected(Rejection.BAD_SIGNATURE) from None
        except jwt.InvalidAlgorithmError:
            raise TokenRejected(Rejection.ALGORITHM_MISMATCH) from None
        except jwt.PyJWTError:
            raise TokenRejected(Rejection.MALFORMED) from None
        return claims

    def _check_lifetime(self, claims: Mapping[str, Any]) -> None:
        issued = claims.get("iat", time.time())
        if not isinstance(issued, int | float):
            raise TokenRejected(Rejection.MALFORMED)
        # An `exp` in milliseconds reads as a lifetime of decades and lands here.
        if claims["exp"] - issued > self._settings.max_token_lifetime_seconds + self._settings.clock_skew_seconds:
            raise TokenRejected(Rejection.LIFETIME_TOO_LONG)

    def _check_binding(self, claims: Mapping[str, Any], media_id: str) -> None:
        issuers = self._settings.allowed_issuers
        if issuers and claims.get("iss") not in issuers:
            raise TokenRejected(Rejection.WRONG_ISSUER)
        if f"media:{media_id}" not in _audiences(claims) and claims.get("sub") != media_id:
            raise TokenRejected(Rejection.WRONG_MEDIA)
