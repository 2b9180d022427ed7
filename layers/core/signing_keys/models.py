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
