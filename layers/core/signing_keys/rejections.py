"""Why a playback token was refused: one vocabulary (the `reason` of every playback and exchange refusal, a metric
dimension, the token debugger's verdict), the status each reason answers with, and the error that carries a
reason with a human-readable message.

A message may name what the token itself says (its claims, its kid) and the route's own workspace, never a secret
and never anything of another workspace. Free of heavy imports: the exchange and the debugger render these.
"""

from __future__ import annotations

from enum import StrEnum

from signing_keys.errors import TokenRefused


class Rejection(StrEnum):
    """Why a token was refused: a bounded set, so it can be a metric dimension (listed in README, "Why a token
    was refused")."""

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
