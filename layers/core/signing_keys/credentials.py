"""API credentials: resolve a caller's, and their lifecycle (issue, list, disable, enable, rotate). A secret is
shown once, when issued; only its SHA-256 is stored. Every lifecycle change writes an audit entry in its own
transaction, naming the credential's token id, never its secret or hash."""

from __future__ import annotations

import base64
import binascii
import hmac
import secrets
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from signing_keys import audit
from signing_keys.config import Settings
from signing_keys.errors import Unauthenticated
from signing_keys.models import Actor, AuditAction, AuditEntry, Credential, Scope, utc_now
from signing_keys.store.credential_items import secret_hash
from signing_keys.store.credentials import CredentialRepository

MAX_AUTHORIZATION_CHARS = 1024


@dataclass(frozen=True, slots=True)
class IssuedCredential:
    workspace_id: str
    token_id: str
    secret: str
    scope: Scope = Scope.WRITE


@dataclass(frozen=True, slots=True)
class Presented:
    secret: str
    token_id: str | None  # Basic carries the token id; Bearer carries the secret alone


def parse_authorization(header: str | None) -> Presented:
    if not header or len(header) > MAX_AUTHORIZATION_CHARS:
        raise Unauthenticated()
    scheme, _, value = header.strip().partition(" ")
    value = value.strip()
    if not value:
        raise Unauthenticated()
    if scheme.lower() == "bearer":
        return Presented(secret=value, token_id=None)
    if scheme.lower() != "basic":
        raise Unauthenticated()
    try:
        decoded = base64.b64decode(value, validate=True).decode("utf-8")
    except (binascii.Error, ValueError):
        raise Unauthenticated() from None
    token_id, colon, secret = decoded.partition(":")
    if not colon or not token_id or not secret:
        raise Unauthenticated()
    return Presented(secret=secret, token_id=token_id)


class CredentialService:
    def __init__(
        self,
        credentials: CredentialRepository,
        audit_retention_days: int = Settings.audit_retention_days,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self._credentials = credentials
        self._audit_retention_days = audit_retention_days
        self._clock = clock

    @classmethod
    def from_settings(cls, settings: Settings) -> CredentialService:
        return cls(CredentialRepository.connect(settings.table_name), settings.audit_retention_days)

    def authenticate(self, authorization: str | None) -> Credential:
        """The credential an Authorization header presents, if it is usable now; else Unauthenticated."""
        presented = parse_authorization(authorization)
        credential = self._credentials.get_credential(secret_hash(presented.secret))
        if credential is None or not credential.usable_at(self._clock()):
            raise Unauthenticated()
        if presented.token_id is not None and not hmac.compare_digest(
            presented.token_id.encode(), credential.token_id.encode()
        ):
            raise Unauthenticated()
        return credential

    def _change(self, workspace_id: str, action: AuditAction, token_id: str, now: datetime) -> AuditEntry:
        return audit.permitted_change(
            Actor.operator(workspace_id),
            action,
            retention_days=self._audit_retention_days,
            now=now,
            credential_token_id=token_id,
        )

    def issue(
        self, workspace_id: str, token_id: str | None = None, secret: str | None = None, scope: Scope = Scope.WRITE
    ) -> IssuedCredential | None:
        """A new credential; None (nothing written) when one with that secret exists already."""
        issued = IssuedCredential(
            workspace_id=workspace_id,
            token_id=token_id or str(uuid.uuid4()),
            secret=secret or secrets.token_urlsafe(32),
            scope=scope,
        )
        now = self._clock()
        credential = Credential(token_id=issued.token_id, workspace_id=workspace_id, scope=scope, created_at=now)
        change = self._change(workspace_id, AuditAction.CREDENTIAL_CREATE, issued.token_id, now)
        return issued if self._credentials.add_credential(secret_hash(issued.secret), credential, change) else None

    def list(self, workspace_id: str) -> list[Credential]:
        """Every secret of every token id of the workspace (a token id has two while a rotation's grace runs)."""
        return self._credentials.list_credentials(workspace_id)

    def set_disabled(self, workspace_id: str, token_id: str, disabled: bool) -> None:
        action = AuditAction.CREDENTIAL_DISABLE if disabled else AuditAction.CREDENTIAL_ENABLE
        change = self._change(workspace_id, action, token_id, self._clock())
        self._credentials.set_credential_disabled(workspace_id, token_id, disabled, change)

    def rotate(self, workspace_id: str, token_id: str, grace_seconds: int = 0) -> IssuedCredential:
        """A new secret for the same token id; the current one stops working after `grace_seconds` (0: now)."""
        now = self._clock()
        secret = secrets.token_urlsafe(32)
        change = self._change(workspace_id, AuditAction.CREDENTIAL_ROTATE, token_id, now)
        retire_at = now + timedelta(seconds=grace_seconds)
        replacement = self._credentials.rotate_credential(
            workspace_id, token_id, secret_hash(secret), retire_at, change
        )
        return IssuedCredential(workspace_id=workspace_id, token_id=token_id, secret=secret, scope=replacement.scope)
