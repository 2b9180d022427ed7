"""Revocations, dialect-free: revoke one token (`jti`), one viewer (`viewer` claim) or every token issued before a
moment (`issuedBefore`), list them, delete them. The verifier applies them (signing_keys.verification).

An entry stays in force until it is deleted. No earlier moment is safe: a token it covers may become valid only
later (one whose `iat` lies in the future, or one without `iat` whose `exp` lies beyond the lifetime cap becomes
valid once `exp` comes within the cap), so an entry that lapsed would let it play (docs/decisions.md).
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from signing_keys import audit
from signing_keys.config import Settings
from signing_keys.errors import FieldError, InvalidInput, RevocationLimitReached, RevocationNotFound
from signing_keys.key_ids import REVOCATION_ID_PATTERN, revocation_id_for
from signing_keys.limits import MAX_ACTIVE_CUTOFFS, MAX_ISSUED_BEFORE_LEAD_SECONDS
from signing_keys.models import Actor, AuditAction, AuditEntry, Revocation, RevocationPage, RevocationType
from signing_keys.observability import count, logger
from signing_keys.store.revocations import RevocationRepository

_REVOCATION_ID = re.compile(REVOCATION_ID_PATTERN)


@dataclass(frozen=True, slots=True)
class Revoked:
    revocation: Revocation
    created: bool  # False: the same revocation was already in force, and is returned unchanged


class RevocationService:
    def __init__(
        self, revocations: RevocationRepository, settings: Settings, *, now: Callable[[], float] = time.time
    ) -> None:
        """`now` (epoch seconds) stamps entries."""
        self._revocations = revocations
        self._settings = settings
        self._now = now

    @classmethod
    def from_settings(cls, settings: Settings) -> RevocationService:
        return cls(RevocationRepository.connect(settings.table_name), settings)

    def _change(self, actor: Actor, action: AuditAction, revocation_id: str, now: float) -> AuditEntry:
        """The audit entry that goes into the change's own transaction (refused for a read-only credential)."""
        return audit.permitted_change(
            actor,
            action,
            retention_days=self._settings.audit_retention_days,
            now=datetime.fromtimestamp(now, UTC),
            revocation_id=revocation_id,
        )

    def revoke(
        self, actor: Actor, revocation_type: RevocationType, value: str | int, reason: str | None = None
    ) -> Revoked:
        audit.require_write(actor)
        workspace_id = actor.workspace_id
        now = self._now()
        now_ms = int(now * 1000)
        if revocation_type is RevocationType.ISSUED_BEFORE and int(value) > now + MAX_ISSUED_BEFORE_LEAD_SECONDS:
            raise InvalidInput(
                [FieldError("issuedBefore", f"must be at most {MAX_ISSUED_BEFORE_LEAD_SECONDS} seconds from now")]
            )
        revocation_id = revocation_id_for(workspace_id, revocation_type.value, value)
        if revocation_id is None:  # the request models admit only values a revocation can hold
            raise InvalidInput([FieldError(revocation_type.value, "cannot be revoked")])
        revocation = Revocation(
            revocation_id=revocation_id,
            workspace_id=workspace_id,
            type=revocation_type,
            value=value,
            created_at_ms=now_ms,
            reason=reason,
        )
        if revocation_type is RevocationType.ISSUED_BEFORE:
            standing = {cutoff.revocation_id for cutoff in self._revocations.workspace_cutoffs(workspace_id)}
            # Concurrent creates can pass this together: a bound on the item's size, not an exact quota.
            if revocation_id not in standing and len(standing) >= MAX_ACTIVE_CUTOFFS:
                raise RevocationLimitReached()
        change = self._change(actor, AuditAction.REVOCATION_CREATE, revocation_id, now)
        existing = self._revocations.add_revocation(revocation, change)
        if existing is not None:
            return Revoked(existing, created=False)
        count("RevocationsCreated")
        logger.info(
            "revocation created",
            extra={"workspace_id": workspace_id, "revocation_id": revocation_id, "type": revocation_type.value},
        )
        return Revoked(revocation, created=True)

    def page(self, workspace_id: str, *, limit: int, cursor: str | None) -> RevocationPage:
        """Newest first; `cursor` is a previous page's `next_cursor` (malformed → InvalidInput)."""
        return self._revocations.list_revocations(workspace_id, limit=limit, cursor=cursor)

    def delete(self, actor: Actor, revocation_id: str) -> None:
        now = self._now()
        change = self._change(actor, AuditAction.REVOCATION_DELETE, revocation_id, now)
        # Ids are opaque: one of another shape is an entry that does not exist, answered without a read.
        if not _REVOCATION_ID.fullmatch(revocation_id):
            raise RevocationNotFound()
        self._revocations.delete_revocation(actor.workspace_id, revocation_id, change)
        count("RevocationsDeleted")
        logger.info("revocation deleted", extra={"workspace_id": actor.workspace_id, "revocation_id": revocation_id})
