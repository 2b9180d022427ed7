"""The credential item (`CRED#<sha256(secret)>`/`CRED`, one per secret) ↔ Credential; the secret itself is never
stored, only its digest."""

from __future__ import annotations

import hashlib

from signing_keys.models import Credential, Scope, from_iso8601, from_millis, iso8601
from signing_keys.store.transaction import Item


def secret_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def credential_pk(secret_digest: str) -> Item:
    return {"PK": {"S": f"CRED#{secret_digest}"}, "SK": {"S": "CRED"}}


def credentials_partition(workspace_id: str) -> str:
    """GSI1PK of a workspace's credentials; their GSI1SK begins with the token id."""
    return f"CREDS#{workspace_id}"


def credential_item(secret_digest: str, credential: Credential) -> Item:
    created = iso8601(credential.created_at)
    return {
        **credential_pk(secret_digest),
        "tokenId": {"S": credential.token_id},
        "workspaceId": {"S": credential.workspace_id},
        "scope": {"S": credential.scope.value},
        "createdAt": {"S": created},
        "disabled": {"BOOL": credential.disabled},
        "GSI1PK": {"S": credentials_partition(credential.workspace_id)},
        "GSI1SK": {"S": f"{credential.token_id}#{created}"},
    }


def credential_from_item(item: Item) -> Credential:
    disable_at = item.get("disableAt")
    return Credential(
        token_id=item["tokenId"]["S"],
        workspace_id=item["workspaceId"]["S"],
        # Items written before scopes existed have none: they could always write.
        scope=Scope(item.get("scope", {}).get("S", Scope.WRITE.value)),
        created_at=from_iso8601(item["createdAt"]["S"]),
        disabled=item.get("disabled", {}).get("BOOL", False),
        disable_at=from_millis(int(disable_at["N"])) if disable_at else None,
    )
