"""Signing-key domain logic, dialect-free: the handlers call this, this calls the store."""

from __future__ import annotations

import math
import re

from signing_keys import audit
from signing_keys.config import Settings
from signing_keys.errors import FieldError, InvalidInput, KeyLimitReached, KeyNotFound
from signing_keys.key_ids import KEY_ID_PATTERN, key_id_for_pem
from signing_keys.models import Actor, Algorithm, AuditAction, AuditEntry, CreatedKey, KeyPage, SigningKey, utc_now
from signing_keys.observability import count, logger
from signing_keys.store import KeyStore

_KEY_ID = re.compile(KEY_ID_PATTERN)


def _existing_key_id(key_id: str) -> str:
    """Ids are opaque to callers: one of another shape or length is simply a key that does not exist, answered
    like any missing key (404) without a DynamoDB call."""
    if not _KEY_ID.fullmatch(key_id):
        raise KeyNotFound()
    return key_id


class KeyService:
    def __init__(self, store: KeyStore, settings: Settings) -> None:
        self._store = store
        self._settings = settings

    @classmethod
    def from_settings(cls, settings: Settings) -> KeyService:
        return cls(KeyStore.connect(settings.table_name), settings)

    def _change(self, actor: Actor, action: AuditAction, key_id: str) -> AuditEntry:
        """The audit entry that goes into the change's own transaction (refused for a read-only credential)."""
        return audit.permitted_change(actor, action, retention_days=self._settings.audit_retention_days, key_id=key_id)

    def create_key(
        self,
        actor: Actor,
        *,
        default_algorithm: Algorithm,
        name: str | None = None,
        project_id: str | None = None,
        public_key: str | None = None,
    ) -> CreatedKey:
        audit.require_write(actor)  # before making a key pair for nothing
        # Imported here so that handlers which never make or parse keys never load OpenSSL.
        from signing_keys import keys

        workspace_id = actor.workspace_id
        private_key_pem: str | None = None
        if public_key is not None:
            supplied = keys.parse_public_key(public_key)
            algorithm, public_key_pem = supplied.algorithm, supplied.public_key_pem
        else:
            pair = keys.generate(default_algorithm)
            algorithm, public_key_pem, private_key_pem = pair.algorithm, pair.public_key_pem, pair.private_key_pem
        # Per workspace: the same public key elsewhere is another, unrelated key (no collision, nothing revealed).
        key_id = key_id_for_pem(workspace_id, public_key_pem)
        if key_id is None:  # our own serializer always writes an SPKI block
            raise InvalidInput([FieldError("publicKey", "is not a valid public key")])
        key = SigningKey(
            key_id=key_id,
            workspace_id=workspace_id,
            algorithm=algorithm,
            public_key_pem=public_key_pem,
            created_at=utc_now(),
            name=name,
            project_id=project_id,
        )
        try:
            self._store.add_key(key, self._settings.key_limit, self._change(actor, AuditAction.KEY_CREATE, key_id))
        except KeyLimitReached:
            count("KeyLimitReached")
            logger.info(
                "key limit reached", extra={"workspace_id": workspace_id, "key_limit": self._settings.key_limit}
            )
            raise
        count("KeysCreated")
        logger.info(
            "signing key created",
            extra={
                "workspace_id": workspace_id,
                "key_id": key.key_id,
                "algorithm": algorithm.value,
                "bring_your_own_key": private_key_pem is None,
            },
        )
        return CreatedKey(key=key, private_key_pem=private_key_pem)

    def list_keys(self, workspace_id: str) -> list[SigningKey]:
        return self._store.list_keys(workspace_id)

    def page_of_keys(self, workspace_id: str, *, page_size: int, page: int) -> KeyPage:
        keys = self._store.list_keys(workspace_id)
        start = (page - 1) * page_size
        return KeyPage(
            keys=keys[start : start + page_size],
            total=len(keys),
            page=page,
            page_count=math.ceil(len(keys) / page_size),
        )

    def get_key(self, workspace_id: str, key_id: str) -> SigningKey:
        key = self._store.get_key(_existing_key_id(key_id))
        # Another workspace's key is indistinguishable from a missing one.
        if key is None or key.workspace_id != workspace_id:
            raise KeyNotFound()
        return key

    def update_key(self, actor: Actor, key_id: str, *, name: str | None, disabled: bool | None) -> None:
        change = self._change(actor, AuditAction.KEY_UPDATE, key_id)
        self._store.update_key(actor.workspace_id, _existing_key_id(key_id), name=name, disabled=disabled, audit=change)
        logger.info(
            "signing key updated", extra={"workspace_id": actor.workspace_id, "key_id": key_id, "disabled": disabled}
        )

    def delete_key(self, actor: Actor, key_id: str) -> None:
        change = self._change(actor, AuditAction.KEY_DELETE, key_id)
        self._store.delete_key(actor.workspace_id, _existing_key_id(key_id), change)
        count("KeysDeleted")
        logger.info("signing key deleted", extra={"workspace_id": actor.workspace_id, "key_id": key_id})
