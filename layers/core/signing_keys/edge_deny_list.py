"""The edge's deny list: what the CloudFront Function reads from its KeyValueStore to end sessions (docs/edge.md §
KeyValueStore entries), derived from the table's changes as DynamoDB Streams delivers them.

| table change | entry | the Function denies |
|---|---|---|
| a key disabled or deleted | `k:<kid>` `{"from": 0}` | every session of the key |
| a key's `expiresAt` set or moved | `k:<kid>` `{"from": expiresAt}` | its sessions from that moment |
| a `jti` or `viewer` revocation | `r:<revocationId>` | sessions whose token names that id |
| the workspace's issuedBefore cut-offs | `w:<ws>` `{"ib": latest}` | sessions of JWTs issued before it |

An entry is needed only while a session it covers can still be valid: sessions are minted at most
`KeyCacheMillis` after a change (the exchange's cached lookups), and last at most EdgeSessionSeconds; so every
entry carries `until` = the change + that bound, after which the Function ignores it and the sweeper deletes it.
Re-enabling a key (with no expiry) and deleting a revocation delete their entries: their sessions play again, as
their tokens do.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from signing_keys.models import RevocationType
from signing_keys.store.key_items import key_from_item
from signing_keys.store.revocation_items import revocation_from_item
from signing_keys.store.workspace_items import cutoffs_from_item

# What besides the session's own length may pass between a change and the last session it covers: the clock skew
# the verifier allows, and a margin for the Function's clock.
_SLACK_SECONDS = 60
# Attributes of a key item whose change changes what the edge must deny; lastSeen and the rest do not.
_KEY_ATTRIBUTES = ("disabled", "expiresAt")

Value = dict[str, int]


@dataclass(frozen=True, slots=True)
class Put:
    key: str
    value: Value
    workspace_id: str  # whose sessions it ends: the store's overflow cuts that workspace's sessions instead


@dataclass(frozen=True, slots=True)
class Delete:
    key: str


@dataclass(frozen=True, slots=True)
class SetIssuedBefore:
    """The workspace entry's `ib` (None: remove it); its `sb` (an overflow's cut) is kept as it is."""

    key: str
    issued_before: int | None
    until: int


Change = Put | Delete | SetIssuedBefore


def entry_lifetime_seconds(session_seconds: int, key_cache_millis: int) -> int:
    """How long after a change a session it covers may still be valid."""
    return session_seconds + math.ceil(key_cache_millis / 1000) + _SLACK_SECONDS


def encode(value: Value) -> str:
    return json.dumps(value, separators=(",", ":"), sort_keys=True)


def decode(text: str) -> Value | None:
    try:
        value = json.loads(text)
    except ValueError:
        return None
    if not isinstance(value, dict) or not all(isinstance(number, int) for number in value.values()):
        return None
    return value


def _pk(image: Mapping[str, Any] | None) -> str:
    return str(((image or {}).get("PK") or {}).get("S", ""))


def _key_change(old: Mapping[str, Any] | None, new: Mapping[str, Any] | None, until: int) -> Change | None:
    if new is not None and old is not None and all(old.get(name) == new.get(name) for name in _KEY_ATTRIBUTES):
        return None  # lastSeen, a rename, a policy change: nothing the edge judges
    key = key_from_item(dict(new if new is not None else old or {}))
    entry = f"k:{key.key_id}"
    if new is None or key.disabled:
        return Put(entry, {"from": 0, "until": until}, key.workspace_id)
    if key.policy.expires_at is not None:
        return Put(entry, {"from": math.floor(key.policy.expires_at.timestamp()), "until": until}, key.workspace_id)
    return Delete(entry)


def _revocation_change(old: Mapping[str, Any] | None, new: Mapping[str, Any] | None, lifetime: int) -> Change | None:
    image = new if new is not None else old
    assert image is not None
    revocation = revocation_from_item(dict(image))
    if revocation.type is RevocationType.ISSUED_BEFORE:
        return None  # enforced through the workspace item's cut-offs
    entry = f"r:{revocation.revocation_id}"
    if new is None:
        return Delete(entry)
    return Put(entry, {"until": revocation.created_at_ms // 1000 + lifetime}, revocation.workspace_id)


def _workspace_change(old: Mapping[str, Any] | None, new: Mapping[str, Any] | None, until: int) -> Change | None:
    before = cutoffs_from_item(dict(old or {}))
    after = cutoffs_from_item(dict(new or {}))
    if {c.revocation_id for c in before} == {c.revocation_id for c in after}:
        return None  # the key count, nothing of the cut-offs
    latest = max((cutoff.issued_before for cutoff in after), default=None)
    return SetIssuedBefore(f"w:{_pk(new or old).removeprefix('WS#')}", latest, until)


def changes(records: Iterable[Mapping[str, Any]], *, now: int, lifetime: int) -> list[Change]:
    """The deny-list changes of a batch of DynamoDB Streams records (NEW_AND_OLD_IMAGES), in record order."""
    found: list[Change] = []
    for record in records:
        stream = record.get("dynamodb") or {}
        old, new = stream.get("OldImage"), stream.get("NewImage")
        kind = _pk(new or old).partition("#")[0]
        sort_key = str(((new or old or {}).get("SK") or {}).get("S", ""))
        change: Change | None = None
        if kind == "KEY" and sort_key == "KEY":
            change = _key_change(old, new, now + lifetime)
        elif kind == "REV" and sort_key == "REV":
            change = _revocation_change(old, new, lifetime)
        elif kind == "WS" and sort_key == "COUNTER":
            change = _workspace_change(old, new, now + lifetime)
        if change is not None:
            found.append(change)
    return found


def expired(value_text: str, now: int) -> bool:
    """Whether a deny entry can go: no session it covers can still be valid (an unreadable one is kept)."""
    value = decode(value_text)
    return value is not None and "until" in value and value["until"] < now
