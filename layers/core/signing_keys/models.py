"""Domain objects shared by the service, the store and the dialects."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import Enum, StrEnum
from typing import Final, Literal


class Algorithm(StrEnum):
    """JWS algorithm of a key; fixed when the key is stored, never taken from a token."""

    RS256 = "RS256"
    ES256 = "ES256"
    EDDSA = "EdDSA"


@dataclass(frozen=True, slots=True)
class KeyPolicy:
    """What a key may sign for (design.md §8 "Key policies"); None everywhere is a key without limits."""

    expires_at: datetime | None = None  # from then on it verifies nothing and leaves the JWKS
    allowed_media: tuple[str, ...] | None = None  # media ids and `prefix*` patterns; None = any media
    max_token_lifetime_seconds: int | None = None  # below the deployment's MaxTokenLifetimeSeconds

    def expired(self, now: float) -> bool:
        """Whether the key has expired at `now`, in epoch seconds."""
        return self.expires_at is not None and now >= self.expires_at.timestamp()


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
    policy: KeyPolicy = field(default_factory=KeyPolicy)
    # Bumped by every management write to the key (not by lastSeen): rotation copies a key's fields only if no
    # write came between its read and its transaction.
    revision: int = 0


class Keep(Enum):
    """The value of a KeyUpdate field that leaves the stored one as it is."""

    KEEP = "keep"


KEEP: Final = Keep.KEEP


@dataclass(frozen=True, slots=True)
class KeyUpdate:
    """What an update changes: fields left at KEEP are untouched; None clears a policy field."""

    name: str | Literal[Keep.KEEP] = KEEP
    disabled: bool | Literal[Keep.KEEP] = KEEP
    expires_at: datetime | Literal[Keep.KEEP] | None = KEEP
    allowed_media: tuple[str, ...] | Literal[Keep.KEEP] | None = KEEP
    max_token_lifetime_seconds: int | Literal[Keep.KEEP] | None = KEEP


@dataclass(frozen=True, slots=True)
class CreatedKey:
    key: SigningKey
    private_key_pem: str | None  # None when the caller brought their own public key


@dataclass(frozen=True, slots=True)
class Rotation:
    """A key's successor, and when the key it replaces stops verifying."""

    successor: SigningKey
    old_key_expires_at: datetime


@dataclass(frozen=True, slots=True)
class KeyPage:
    keys: list[SigningKey]
    total: int
    page: int
    page_count: int


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MILLISECOND = timedelta(milliseconds=1)


def truncated_to_millis(moment: datetime) -> datetime:
    # DynamoDB stores milliseconds; truncating keeps what we return equal to what we read back.
    utc = moment.astimezone(UTC)
    return utc.replace(microsecond=utc.microsecond // 1000 * 1000)


def utc_now() -> datetime:
    return truncated_to_millis(datetime.now(UTC))


def to_millis(moment: datetime) -> int:
    # Integer arithmetic: a float timestamp times 1000 can land a millisecond short.
    return (moment - _EPOCH) // _MILLISECOND


def from_millis(millis: int) -> datetime:
    return _EPOCH + millis * _MILLISECOND


def iso8601(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def from_iso8601(text: str) -> datetime:
    return datetime.fromisoformat(text)
