"""The consumed single-use token item (`USED#<sha256(ws \\0 jti)>`/`USED`): its existence is the mark, kept until
no copy of the token can verify any more."""

from __future__ import annotations

import hashlib

from signing_keys.store.transaction import Item


def single_use_pk(workspace_id: str, jti: str) -> Item:
    # Hashed: a jti is the caller's text, of any length; the digest is a fixed-size key. surrogatepass: the
    # token's JSON may carry lone surrogates, which are still a distinct jti.
    material = workspace_id.encode("utf-8") + b"\0" + jti.encode("utf-8", "surrogatepass")
    return {"PK": {"S": f"USED#{hashlib.sha256(material).hexdigest()}"}, "SK": {"S": "USED"}}


def single_use_item(workspace_id: str, jti: str, *, keep_until: int) -> Item:
    """`keep_until`: epoch seconds, when the table's TTL may remove the mark."""
    return {**single_use_pk(workspace_id, jti), "ttl": {"N": str(keep_until)}}
