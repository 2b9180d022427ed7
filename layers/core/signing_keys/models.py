"""Domain objects shared by the service, the store and the dialects."""

from __future__ import annotations

import uuid
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
    """What a key may sign for (README "Key policies and rotation"); None everywhere is a key without limits."""

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
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class Cutoff:
    """An issuedBefore revocation as the workspace item carries it, so verification reads it with the key."""

    revocation_id: str
    issued_before: int  # epoch seconds


@dataclass(frozen=True, slots=True)
class RevocationPage:
    revocations: list[Revocation]
    next_cursor: str | None  # opaque to callers; None on the last page


@dataclass(frozen=True, slots=True)
class Rotation:
    """The key it replaces as read (the write holds only if that key is still at this revision), its successor,
    when the replaced key stops verifying, and the audit entry of the change."""

    replaces: SigningKey
    successor: SigningKey
    old_key_expires_at: datetime
    audit: AuditEntry


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


class Scope(StrEnum):
    """What a credential may do: `read` lists and gets; `write` also changes. Credentials stored before scopes
    existed carry no scope and are `write`, as they always could."""

    READ = "read"
    WRITE = "write"


@dataclass(frozen=True, slots=True)
class Credential:
    """One secret of an API credential (stored by its SHA-256 only). A token id has one secret, or two while
    rotate-credential's grace period runs."""

    token_id: str
    workspace_id: str
    scope: Scope
    created_at: datetime
    disabled: bool = False  # the operator's switch: disable-credential / enable-credential
    disable_at: datetime | None = None  # set by rotate-credential on the replaced secret

    def usable_at(self, now: datetime) -> bool:
        return not self.disabled and (self.disable_at is None or now < self.disable_at)


# Who the audit trail names for changes made with the admin tooling (a name, not a secret).
OPERATOR_TOKEN_ID = "operator"  # noqa: S105


@dataclass(frozen=True, slots=True)
class Actor:
    """Who asks for a change, as the audit trail records it: the credential and where the request came from."""

    workspace_id: str
    token_id: str
    scope: Scope
    source_ip: str | None
    request_id: str

    @classmethod
    def operator(cls, workspace_id: str) -> Actor:
        """The admin tooling, acting with the operator's AWS credentials rather than an API credential."""
        return cls(workspace_id, OPERATOR_TOKEN_ID, Scope.WRITE, source_ip=None, request_id=str(uuid.uuid4()))


class AuditAction(StrEnum):
    """Every change the audit trail records (a bounded set: alarms and queries may match on it)."""

    KEY_CREATE = "key.create"
    KEY_UPDATE = "key.update"
    KEY_DELETE = "key.delete"
    KEY_ROTATE = "key.rotate"
    REVOCATION_CREATE = "revocation.create"
    REVOCATION_DELETE = "revocation.delete"
    CREDENTIAL_CREATE = "credential.create"
    CREDENTIAL_DISABLE = "credential.disable"
    CREDENTIAL_ENABLE = "credential.enable"
    CREDENTIAL_ROTATE = "credential.rotate"


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One change, written in the same transaction as the change itself. Names what changed, never its content:
    no key material, secret or token."""

    event_id: str
    workspace_id: str
    action: AuditAction
    created_at: datetime
    expires_at: datetime  # the table's TTL removes the entry after AuditRetentionDays
    token_id: str  # the credential that asked (OPERATOR_TOKEN_ID for the admin tooling)
    source_ip: str | None
    request_id: str
    key_id: str | None = None
    revocation_id: str | None = None
    credential_token_id: str | None = None  # the credential a credential.* action changed
    successor_key_id: str | None = None  # the key a key.rotate action created


@dataclass(frozen=True, slots=True)
class AuditPage:
    entries: list[AuditEntry]
    next_cursor: str | None  # opaque; None on the last page
