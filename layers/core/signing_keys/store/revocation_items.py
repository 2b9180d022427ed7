"""The revocation item (`REV#<revocationId>`/`REV`) ↔ Revocation, and its place in the workspace's listing."""

from __future__ import annotations

import re

from signing_keys.key_ids import REVOCATION_ID_PATTERN
from signing_keys.models import Revocation, RevocationType
from signing_keys.store.transaction import Item

# A revocation's index sort key: creation time in epoch ms (13 digits), then its id.
REVOCATION_SORT_KEY = re.compile(r"[0-9]{13}#" + REVOCATION_ID_PATTERN.strip("^$"))


def revocation_pk(revocation_id: str) -> Item:
    return {"PK": {"S": f"REV#{revocation_id}"}, "SK": {"S": "REV"}}


def revocations_partition(workspace_id: str) -> str:
    """GSI1PK of a workspace's revocations."""
    return f"REVS#{workspace_id}"


def revocation_sort_key(revocation: Revocation) -> str:
    """GSI1SK of a revocation: creation time (zero-padded ms, so text order is time order), then its id."""
    return f"{revocation.created_at_ms:013d}#{revocation.revocation_id}"


def revocation_item(revocation: Revocation) -> Item:
    value = revocation.value
    item: Item = {
        **revocation_pk(revocation.revocation_id),
        "workspaceId": {"S": revocation.workspace_id},
        "type": {"S": revocation.type.value},
        "value": {"N": str(value)} if isinstance(value, int) else {"S": value},
        # No `ttl`: an entry stays until it is deleted (signing_keys.revocations says why).
        "createdAt": {"N": str(revocation.created_at_ms)},
        "GSI1PK": {"S": revocations_partition(revocation.workspace_id)},
        "GSI1SK": {"S": revocation_sort_key(revocation)},
    }
    if revocation.reason is not None:
        item["reason"] = {"S": revocation.reason}
    return item


def revocation_from_item(item: Item) -> Revocation:
    value = item["value"]
    return Revocation(
        revocation_id=item["PK"]["S"].removeprefix("REV#"),
        workspace_id=item["workspaceId"]["S"],
        type=RevocationType(item["type"]["S"]),
        value=int(value["N"]) if "N" in value else value["S"],
        created_at_ms=int(item["createdAt"]["N"]),
        reason=item["reason"]["S"] if "reason" in item else None,
    )
