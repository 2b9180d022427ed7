"""Signing-key domain logic, dialect-free: the handlers call this, this calls the key repository."""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from signing_keys import audit
from signing_keys.config import Settings
from signing_keys.errors import FieldError, InvalidInput, KeyLimitReached, KeyNotFound, ServiceUnavailable
from signing_keys.key_ids import KEY_ID_PATTERN, key_id_for_pem
from signing_keys.limits import DEFAULT_ROTATION_OVERLAP_SECONDS
from signing_keys.models import (
    KEEP,
    Actor,
    Algorithm,
    AuditAction,
    AuditEntry,
    CreatedKey,
    KeyPage,
    KeyPolicy,
    KeyUpdate,
    Rotation,
    SigningKey,
    utc_now,
)
from signing_keys.observability import count, logger
from signing_keys.store import retry
from signing_keys.store.keys import KeyRepository

if TYPE_CHECKING:
    from signing_keys.keys import KeyPair
    from signing_keys.public_keys import PublicKey

_KEY_ID = re.compile(KEY_ID_PATTERN)


def _existing_key_id(key_id: str) -> str:
    """Ids are opaque to callers: one of another shape or length is simply a key that does not exist, answered
    like any missing key (404) without a DynamoDB call."""
    if not _KEY_ID.fullmatch(key_id):
        raise KeyNotFound()
    return key_id


def _key_id(workspace_id: str, public_key_pem: str) -> str:
    # Per workspace: the same public key elsewhere is another, unrelated key (no collision, nothing revealed).
    key_id = key_id_for_pem(workspace_id, public_key_pem)
    if key_id is None:  # our own serializer always writes an SPKI block
        raise InvalidInput([FieldError("publicKey", "is not a valid public key")])
    return key_id


class KeyService:
    def __init__(self, keys: KeyRepository, settings: Settings, now: Callable[[], datetime] = utc_now) -> None:
        self._keys = keys
        self._settings = settings
        self._now = now

    @classmethod
    def from_settings(cls, settings: Settings) -> KeyService:
        return cls(KeyRepository.connect(settings.table_name), settings)

    def _change(self, actor: Actor, action: AuditAction, key_id: str) -> AuditEntry:
        """The audit entry that goes into the change's own transaction (refused for a read-only credential)."""
        return audit.permitted_change(
            actor, action, retention_days=self._settings.audit_retention_days, now=self._now(), key_id=key_id
        )

    def _check_expiry(self, expires_at: datetime | None) -> None:
        if expires_at is not None and expires_at <= self._now():
            raise InvalidInput([FieldError("expiresAt", "must be in the future")])

    def _check_token_lifetime(self, seconds: int | None) -> None:
        cap = self._settings.max_token_lifetime_seconds
        if seconds is not None and seconds > cap:
            message = f"must be at most {cap} seconds, the deployment's MaxTokenLifetimeSeconds"
            raise InvalidInput([FieldError("maxTokenLifetimeSeconds", message)])

    def _check_policy(self, policy: KeyPolicy) -> None:
        """What the request models cannot know: the clock, and the deployment's lifetime cap."""
        self._check_expiry(policy.expires_at)
        self._check_token_lifetime(policy.max_token_lifetime_seconds)

    def _limit_reached(self, workspace_id: str) -> None:
        count("KeyLimitReached")
        logger.info("key limit reached", extra={"workspace_id": workspace_id, "key_limit": self._settings.key_limit})

    def create_key(
        self,
        actor: Actor,
        *,
        default_algorithm: Algorithm,
        name: str | None = None,
        project_id: str | None = None,
        public_key: str | None = None,
        policy: KeyPolicy | None = None,
    ) -> CreatedKey:
        audit.require_write(actor)  # before making a key pair for nothing
        workspace_id = actor.workspace_id
        policy = policy or KeyPolicy()
        self._check_policy(policy)
        private_key_pem: str | None = None
        if public_key is not None:
            supplied = _parse_public_key(public_key)
            algorithm, public_key_pem = supplied.algorithm, supplied.public_key_pem
        else:
            pair = _generate(default_algorithm)
            algorithm, public_key_pem, private_key_pem = pair.algorithm, pair.public_key_pem, pair.private_key_pem
        key = SigningKey(
            key_id=_key_id(workspace_id, public_key_pem),
            workspace_id=workspace_id,
            algorithm=algorithm,
            public_key_pem=public_key_pem,
            created_at=self._now(),
            name=name,
            project_id=project_id,
            policy=policy,
        )
        try:
            self._keys.add_key(key, self._settings.key_limit, self._change(actor, AuditAction.KEY_CREATE, key.key_id))
        except KeyLimitReached:
            self._limit_reached(workspace_id)
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
        return self._keys.list_keys(workspace_id)

    def page_of_keys(self, workspace_id: str, *, page_size: int, page: int) -> KeyPage:
        keys = self._keys.list_keys(workspace_id)
        start = (page - 1) * page_size
        return KeyPage(
            keys=keys[start : start + page_size],
            total=len(keys),
            page=page,
            page_count=math.ceil(len(keys) / page_size),
        )

    def get_key(self, workspace_id: str, key_id: str) -> SigningKey:
        key = self._keys.get_key(_existing_key_id(key_id))
        # Another workspace's key is indistinguishable from a missing one.
        if key is None or key.workspace_id != workspace_id:
            raise KeyNotFound()
        return key

    def update_key(self, actor: Actor, key_id: str, update: KeyUpdate) -> None:
        change = self._change(actor, AuditAction.KEY_UPDATE, key_id)
        workspace_id = actor.workspace_id
        if update.expires_at is not KEEP:
            self._check_expiry(update.expires_at)
        if update.max_token_lifetime_seconds is not KEEP:
            self._check_token_lifetime(update.max_token_lifetime_seconds)
        self._keys.update_key(workspace_id, _existing_key_id(key_id), update, change)
        logger.info(
            "signing key updated",
            extra={
                "workspace_id": workspace_id,
                "key_id": key_id,
                "disabled": None if update.disabled is KEEP else update.disabled,
                "policy_changed": any(
                    value is not KEEP
                    for value in (update.expires_at, update.allowed_media, update.max_token_lifetime_seconds)
                ),
            },
        )

    def rotate_key(
        self,
        actor: Actor,
        key_id: str,
        *,
        overlap_seconds: int = DEFAULT_ROTATION_OVERLAP_SECONDS,
        public_key: str | None = None,
    ) -> CreatedKey:
        """A successor for the key, in one transaction with the old key's new expiry (now + overlap, or its own if
        sooner). The successor inherits name, projectId and policy but no expiry; its key pair is generated with the
        old key's algorithm, or is `public_key` (whatever its algorithm: a rotation may move to another).

        Two calls when nothing interferes: a strongly consistent read of the old key, whose fields the successor
        copies (a transaction cannot copy one item into another), then the transaction, which holds only if the
        old key is still at the revision read. When it is not, the key is read and the rotation decided again, a
        bounded number of times (then 503); a generated pair is made once, whatever the number of attempts."""
        change = self._change(actor, AuditAction.KEY_ROTATE, key_id)  # before making a key pair for nothing
        workspace_id = actor.workspace_id
        supplied = None if public_key is None else _parse_public_key(public_key)
        key_id = _existing_key_id(key_id)
        pairs: dict[Algorithm, KeyPair] = {}  # one generated pair, kept across re-reads
        for _ in retry.attempts():
            old = self._keys.get_key(key_id)
            if old is None or old.workspace_id != workspace_id:
                raise KeyNotFound()
            if supplied is not None:
                successor_key: PublicKey | KeyPair = supplied
            else:
                if old.algorithm not in pairs:
                    pairs[old.algorithm] = _generate(old.algorithm)
                successor_key = pairs[old.algorithm]
            rotation = self._rotation(old, successor_key, overlap_seconds, change)
            try:
                written = self._keys.write_rotation(rotation, self._settings.key_limit)
            except KeyLimitReached:
                self._limit_reached(workspace_id)
                raise
            if written:
                break
        else:
            raise ServiceUnavailable()
        successor = rotation.successor
        count("KeysCreated")
        count("KeysRotated")
        logger.info(
            "signing key rotated",
            extra={
                "workspace_id": workspace_id,
                "key_id": key_id,
                "successor_key_id": successor.key_id,
                "algorithm": successor.algorithm.value,
                "bring_your_own_key": supplied is not None,
                "overlap_seconds": overlap_seconds,
            },
        )
        private_key_pem = None if supplied is not None else pairs[successor.algorithm].private_key_pem
        return CreatedKey(key=successor, private_key_pem=private_key_pem)

    def _rotation(
        self, old: SigningKey, successor_key: PublicKey | KeyPair, overlap_seconds: int, change: AuditEntry
    ) -> Rotation:
        """The rotation of `old` as read: the successor it copies, the old key's new expiry, the audit entry."""
        successor_id = _key_id(old.workspace_id, successor_key.public_key_pem)
        if successor_id == old.key_id:
            raise InvalidInput([FieldError("publicKey", "is the key being rotated; send a new public key")])
        now = self._now()
        successor = SigningKey(
            key_id=successor_id,
            workspace_id=old.workspace_id,
            algorithm=successor_key.algorithm,
            public_key_pem=successor_key.public_key_pem,
            created_at=now,
            name=old.name,
            project_id=old.project_id,
            policy=replace(old.policy, expires_at=None),
        )
        overlap_ends = now + timedelta(seconds=overlap_seconds)
        old_expiry = old.policy.expires_at
        return Rotation(
            replaces=old,
            successor=successor,
            old_key_expires_at=overlap_ends if old_expiry is None else min(old_expiry, overlap_ends),
            audit=replace(change, successor_key_id=successor_id),
        )

    def delete_key(self, actor: Actor, key_id: str) -> None:
        workspace_id = actor.workspace_id
        self._keys.delete_key(
            workspace_id, _existing_key_id(key_id), self._change(actor, AuditAction.KEY_DELETE, key_id)
        )
        count("KeysDeleted")
        logger.info("signing key deleted", extra={"workspace_id": workspace_id, "key_id": key_id})


# Imported on call, so that handlers which never make or parse keys never load OpenSSL.
def _parse_public_key(supplied: str) -> PublicKey:
    from signing_keys import public_keys

    return public_keys.parse_public_key(supplied)


def _generate(algorithm: Algorithm) -> KeyPair:
    from signing_keys import keys

    return keys.generate(algorithm)
