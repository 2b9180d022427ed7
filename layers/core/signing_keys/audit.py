"""The audit trail: the entry every change writes in its own transaction, and reading a workspace's entries.

Every write of the service goes through `permitted_change`, which refuses a read-scoped caller and returns the
entry that the store writes in the same DynamoDB transaction as the change, so a change without its entry (or
an entry without its change) cannot exist.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from signing_keys.errors import ReadOnlyCredential
from signing_keys.limits import DEFAULT_PAGE_SIZE
from signing_keys.models import Actor, AuditAction, AuditEntry, AuditPage, Scope, utc_now

if TYPE_CHECKING:
    from signing_keys.store.audit import AuditRepository


def require_write(actor: Actor) -> None:
    if actor.scope is not Scope.WRITE:
        raise ReadOnlyCredential()


def permitted_change(
    actor: Actor,
    action: AuditAction,
    *,
    retention_days: int,
    now: datetime | None = None,
    key_id: str | None = None,
    revocation_id: str | None = None,
    credential_token_id: str | None = None,
) -> AuditEntry:
    """The audit entry of `actor`'s change, once it is clear the actor may change anything at all."""
    require_write(actor)
    created_at = now or utc_now()
    return AuditEntry(
        event_id=uuid.uuid4().hex,
        workspace_id=actor.workspace_id,
        action=action,
        created_at=created_at,
        expires_at=created_at + timedelta(days=retention_days),
        token_id=actor.token_id,
        source_ip=actor.source_ip,
        request_id=actor.request_id,
        key_id=key_id,
        revocation_id=revocation_id,
        credential_token_id=credential_token_id,
    )


class AuditLog:
    def __init__(self, trail: AuditRepository) -> None:
        self._trail = trail

    @classmethod
    def connect(cls, table_name: str) -> AuditLog:
        # Imported here: every service imports this module for `permitted_change`, and only the audit listing
        # reads the trail, so no other handler loads its repository.
        from signing_keys.store.audit import AuditRepository

        return cls(AuditRepository.connect(table_name))

    def page(self, workspace_id: str, *, limit: int = DEFAULT_PAGE_SIZE, cursor: str | None = None) -> AuditPage:
        """Newest first; `cursor` is a previous page's `next_cursor` (malformed → InvalidInput)."""
        return self._trail.list_audit(workspace_id, limit=limit, cursor=cursor)
