"""API credentials: issue them (secret shown once, only its SHA-256 stored) and resolve a caller's."""

from __future__ import annotations

import base64
import binascii
import hmac
import secrets
import uuid
from dataclasses import dataclass

from signing_keys.errors import Unauthenticated
from signing_keys.models import utc_now
from signing_keys.store import Credential, KeyStore, secret_hash

MAX_AUTHORIZATION_CHARS = 1024


@dataclass(frozen=True, slots=True)
class IssuedCredential:
    workspace_id: str
    token_id: str
    secret: str


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
    def __init__(self, store: KeyStore) -> None:
        self._store = store

    def workspace_for(self, authorization: str | None) -> str:
        presented = parse_authorization(authorization)
        credential = self._store.get_credential(secret_hash(presented.secret))
        if credential is None or credential.disabled:
            raise Unauthenticated()
        if presented.token_id is not None and not hmac.compare_digest(
            presented.token_id.encode(), credential.token_id.encode()
        ):
            raise Unauthenticated()
        return credential.workspace_id

    def issue(self, workspace_id: str, token_id: str | None = None, secret: str | None = None) -> IssuedCredential:
        issued = IssuedCredential(
            workspace_id=workspace_id,
            token_id=token_id or str(uuid.uuid4()),
            secret=secret or secrets.token_urlsafe(32),
        )
        self._store.put_credential(
            secret_hash(issued.secret),
            Credential(token_id=issued.token_id, workspace_id=workspace_id, disabled=False),
            created_at=utc_now(),
        )
        return issued
