"""Domain objects shared by the service, the store and the dialects."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum


class Algorithm(StrEnum):
    """JWS algorithm of a key; fixed when the key is stored, never taken from a token."""

    RS256 = "RS256"
    ES256 = "ES256"
    EDDSA = "EdDSA"


@dataclass(frozen=True, slots=True)
class SigningKey:
    key_id: str
    workspace_id: str
    algorithm: Algorithm
    public_key_pem: str
    created_at: datetime
    name: str | None = None
    project_id: str | None = None
    last_seen: datetime | None = None
    disabled: bool = False


@dataclass(frozen=True, slots=True)
class CreatedKey:
    key: SigningKey
    private_key_pem: str | None  # None when the caller brought their own public key


class RevocationType(StrEnum):
    """What a revocation names: one token (`jti`), one viewer (`viewer` claim), or every token issued before a
    moment (`issuedBefore`, epoch seconds, compared with `iat`)."""

    JTI = "jti"
    VIEWER = "viewer"
    ISSUED_BEFORE = "issuedBefore"


@dataclass(frozen=True, slots=True)
class Revocation:
    revocation_id: str
    workspace_id: str
    type: RevocationType
    value: str | int  # the jti or viewer, or issuedBefore's epoch seconds
    created_at_ms: int
    expires_at_ms: int  # no token it covers can verify after this moment
    reason: str | None = None

    def active_at(self, now_ms: int) -> bool:
        # The table's TTL deletes expired entries late (up to days): expiry is judged here, never by absence.
        return now_ms < self.expires_at_ms


@dataclass(frozen=True, slots=True)
class Cutoff:
    """An issuedBefore revocation as the workspace item carries it, so verification reads it with the key."""

    revocation_id: str
    issued_before: int  # epoch seconds
    expires_at_ms: int

    def active_at(self, now_ms: int) -> bool:
        return now_ms < self.expires_at_ms


@dataclass(frozen=True, slots=True)
class RevocationPage:
    revocations: list[Revocation]
    next_cursor: str | None  # opaque to callers; None on the last page


@dataclass(frozen=True, slots=True)
class KeyPage:
    keys: list[SigningKey]
    total: int
    page: int
    page_count: int


def utc_now() -> datetime:
    # DynamoDB stores milliseconds; truncating here keeps what we return equal to what we read back.
    now = datetime.now(UTC)
    return now.replace(microsecond=now.microsecond // 1000 * 1000)


def to_millis(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def iso8601(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def from_iso8601(text: str) -> datetime:
    return datetime.fromisoformat(text)
