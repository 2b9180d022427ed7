"""Why a playback token was refused: one vocabulary (the `reason` of every playback and exchange refusal, a metric
dimension, the token debugger's verdict), what each means, the status each reason answers with, and the error
that carries a reason with a human-readable message.

A message may name what the token itself says (its claims, its kid) and the route's own workspace, never a secret
and never anything of another workspace. Free of heavy imports: the exchange and the debugger render these.
"""

from __future__ import annotations

from enum import StrEnum

from signing_keys.errors import TokenRefused


class Rejection(StrEnum):
    """Why a playback token was refused: a bounded set, so it can be a metric dimension (MEANINGS says what each
    means; listed in README, "Why a token was refused", and in the OpenAPI descriptions of the operations that
    judge tokens)."""

    MISSING_TOKEN = "missing_token"  # noqa: S105 - a reason, not a secret
    MALFORMED = "malformed"
    OVERSIZE = "oversize"
    FORBIDDEN_HEADER = "forbidden_header"
    MISSING_EXP = "missing_exp"
    INVALID_CLAIMS = "invalid_claims"
    UNKNOWN_KEY = "unknown_key"
    ALGORITHM_MISMATCH = "algorithm_mismatch"
    BAD_SIGNATURE = "bad_signature"
    EXPIRED = "expired"
    NOT_YET_VALID = "not_yet_valid"
    LIFETIME_TOO_LONG = "lifetime_too_long"
    WRONG_ISSUER = "wrong_issuer"
    WRONG_MEDIA = "wrong_media"
    DISABLED_KEY = "disabled_key"
    KEY_EXPIRED = "key_expired"
    MEDIA_NOT_ALLOWED = "media_not_allowed"
    JTI_REVOKED = "jti_revoked"
    VIEWER_REVOKED = "viewer_revoked"
    ISSUED_BEFORE = "issued_before"
    SINGLE_USE_REPLAYED = "single_use_replayed"


# What each reason means, for the people who minted the token: shown in the OpenAPI document.
MEANINGS: dict[Rejection, str] = {
    Rejection.MISSING_TOKEN: "no token: pass it as `?token=<JWT>` or `Authorization: Bearer <JWT>`",
    Rejection.MALFORMED: (
        "not a JWS in compact form (three base64url segments of UTF-8 JSON objects, no repeated names, no NaN), "
        "or its header's `alg` names no signature algorithm (`none` included)"
    ),
    Rejection.OVERSIZE: "the token is longer than the size limit above",
    Rejection.FORBIDDEN_HEADER: "the header carries a key of its own (`jku`, `jwk`, `x5u`, `x5c`) or `crit`",
    Rejection.MISSING_EXP: "no `exp` claim: every token must expire",
    Rejection.INVALID_CLAIMS: (
        "a claim of the wrong type: `exp`, `iat`, `nbf` not whole seconds since the epoch (milliseconds are past "
        "year 9999), `sub`, `iss`, `kid`, `pub`, `jti`, `viewer` not strings, `aud` not a string or a list of "
        "strings, `single_use` not a boolean, or `single_use` without a `jti`"
    ),
    Rejection.UNKNOWN_KEY: (
        "`kid` (or the key `pub` derives) names no key of this workspace: a deleted key, another workspace's key, "
        "or no key named at all"
    ),
    Rejection.ALGORITHM_MISMATCH: "the header's `alg` is not the algorithm the key signs with",
    Rejection.BAD_SIGNATURE: "the signature does not verify with the key",
    Rejection.EXPIRED: "`exp` has passed (beyond the clock skew allowed)",
    Rejection.NOT_YET_VALID: "`nbf` or `iat` lies in the future (beyond the clock skew allowed)",
    Rejection.LIFETIME_TOO_LONG: (
        "the token lives longer (`exp` - `iat`, or `exp` - now without `iat`) than MaxTokenLifetimeSeconds or "
        "the key's `maxTokenLifetimeSeconds`"
    ),
    Rejection.WRONG_ISSUER: "`iss` is not one of the deployment's AllowedIssuers (checked only when they are set)",
    Rejection.WRONG_MEDIA: (
        "the token opens another media: `aud` `media:<id>` (FastPix), else `sub` (Livepeer), names another id"
    ),
    Rejection.DISABLED_KEY: "the key that signed it is disabled",
    Rejection.KEY_EXPIRED: "the key that signed it is past its `expiresAt` (a rotation's overlap has ended)",
    Rejection.MEDIA_NOT_ALLOWED: "the media is outside the key's `allowedMedia`",
    Rejection.JTI_REVOKED: "a revocation refuses the token's `jti`",
    Rejection.VIEWER_REVOKED: "a revocation refuses the token's `viewer`",
    Rejection.ISSUED_BEFORE: (
        "an issuedBefore revocation refuses it: its `iat` is earlier than the cut-off, or it has no `iat`"
    ),
    Rejection.SINGLE_USE_REPLAYED: "a `single_use` token that was already used once",
}

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


def status_of(reason: Rejection) -> int:
    return 403 if reason in FORBIDDEN_REASONS else 401


class TokenRejected(Exception):
    """A refused token: its reason, and a message saying what to fix."""

    def __init__(self, reason: Rejection, message: str | None = None) -> None:
        super().__init__(reason.value)
        self.reason = reason
        self.message = message or reason.value.replace("_", " ")

    @property
    def status(self) -> int:
        return status_of(self.reason)

    def refused(self) -> TokenRefused:
        """The HTTP answer of this refusal (the playback route, the exchange)."""
        return TokenRefused(self.status, self.reason.value, self.message)
