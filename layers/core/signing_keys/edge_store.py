"""The edge's KeyValueStore, written through its data-plane API (SigV4A: the edge functions' layer carries the
CRT): deny-list changes, the HMAC secrets' versions, and the sweep of entries no session needs any more.

Writes are one UpdateKeys per batch with the store's ETag (`If-Match`), retried on a conflict with another writer,
so a batch is applied whole or not at all, and replaying one is harmless (every change sets a value or removes
one). The store holds 5 MB at most (CloudFront's quota): a deny entry that would not fit is never dropped
silently: its workspace gets a sessions-before cut instead (every viewer of it re-exchanges, and the exchange
refuses the revoked ones), counted as `EdgeDenyListOverflow`. If even that cut cannot be written (the store is
at its quota), the batch fails, and Lambda retries it, then hands it to the dead-letter queue: alarmed either way.
"""

from __future__ import annotations

import math
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import boto3
from botocore.exceptions import ClientError

from signing_keys.edge_deny_list import Change, Delete, Put, SetIssuedBefore, Value, decode, encode, expired
from signing_keys.observability import count, logger

MAX_BYTES = 5 * 1024 * 1024
# Room kept free for the secrets and the overflow cuts themselves.
DENY_CAPACITY_BYTES = int(MAX_BYTES * 0.9)
_CONFLICT_ATTEMPTS = 5
SECRET_PREFIX = "s:"  # noqa: S105 - the prefix of the secrets' keys, not a secret


# Given the store's size, what to write: puts, deletes, and how many workspaces were cut for want of room.
Plan = Callable[[int], tuple[dict[str, str], list[str], int]]


def _size(key: str, value: str) -> int:
    return len(key.encode("utf-8")) + len(value.encode("utf-8"))


@dataclass(frozen=True, slots=True)
class Applied:
    puts: int
    deletes: int
    overflowed: int
    total_bytes: int


class EdgeStore:
    def __init__(self, client: Any, arn: str, *, capacity_bytes: int = DENY_CAPACITY_BYTES) -> None:
        self._client = client
        self._arn = arn
        self._capacity = capacity_bytes

    @classmethod
    def connect(cls, arn: str) -> EdgeStore:
        """Endpoint overrides come from AWS_ENDPOINT_URL_CLOUDFRONT_KEYVALUESTORE, as boto3 reads it."""
        return cls(boto3.client("cloudfront-keyvaluestore"), arn)

    def get(self, key: str) -> str | None:
        try:
            value: str = self._client.get_key(KvsARN=self._arn, Key=key)["Value"]
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") == "ResourceNotFoundException":
                return None
            raise
        return value

    def keys(self) -> list[tuple[str, str]]:
        items: list[tuple[str, str]] = []
        for page in self._client.get_paginator("list_keys").paginate(KvsARN=self._arn):
            items.extend((item["Key"], item["Value"]) for item in page.get("Items", []))
        return items

    def _update(self, puts: dict[str, str], deletes: list[str], etag: str) -> dict[str, Any]:
        request: dict[str, Any] = {"KvsARN": self._arn, "IfMatch": etag}
        request["Puts"] = [{"Key": key, "Value": value} for key, value in puts.items()]
        request["Deletes"] = [{"Key": key} for key in deletes]
        answer: dict[str, Any] = self._client.update_keys(**request)
        return answer

    def write(self, plan: Plan) -> Applied:
        """Apply what `plan(store_bytes) -> (puts, deletes, overflowed)` decides against the store as it is now;
        a conflicting writer makes it decide again, against the new state."""
        for attempt in range(_CONFLICT_ATTEMPTS):
            described = self._client.describe_key_value_store(KvsARN=self._arn)
            puts, deletes, overflowed = plan(int(described.get("TotalSizeInBytes", 0)))
            if not puts and not deletes:
                return Applied(0, 0, overflowed, int(described.get("TotalSizeInBytes", 0)))
            try:
                answer = self._update(puts, deletes, described["ETag"])
            except ClientError as error:
                if (
                    error.response.get("Error", {}).get("Code") != "ConflictException"
                    or attempt + 1 == _CONFLICT_ATTEMPTS
                ):
                    raise
                time.sleep(random.uniform(0, 0.05 * 2**attempt))  # noqa: S311 - jitter, not a secret
                continue
            return Applied(len(puts), len(deletes), overflowed, int(answer.get("TotalSizeInBytes", 0)))
        raise AssertionError("unreachable: the last attempt raises")

    # -- the deny list ----------------------------------------------------------------------------------------
    def apply(self, changes: list[Change], *, now: int, cut_lead_seconds: int, session_seconds: int) -> Applied:
        """Apply a batch's deny-list changes (the last change of an entry wins). `cut_lead_seconds`: how long after
        a change sessions it covers may still be minted (the exchange's key cache), for an overflow's cut."""
        final: dict[str, Change] = {}
        for change in changes:
            final[change.key] = change

        def plan(store_bytes: int) -> tuple[dict[str, str], list[str], int]:
            puts: dict[str, str] = {}
            deletes: list[str] = []
            workspaces = {key: change for key, change in final.items() if isinstance(change, SetIssuedBefore)}
            cuts: dict[str, int] = {}  # workspace entry → sessions-before
            free = self._capacity - store_bytes
            for key, change in final.items():
                if isinstance(change, Put):
                    text = encode(change.value)
                    if _size(key, text) <= free:
                        free -= _size(key, text)
                        puts[key] = text
                    else:
                        cuts[f"w:{change.workspace_id}"] = now + cut_lead_seconds
                elif isinstance(change, Delete) and self.get(key) is not None:
                    deletes.append(key)
            for key in workspaces.keys() | cuts.keys():
                merged = self._workspace_entry(key, workspaces.get(key), cuts.get(key), now + session_seconds)
                if merged is None:
                    if self.get(key) is not None:
                        deletes.append(key)
                else:
                    puts[key] = merged
            return puts, deletes, len(cuts)

        applied = self.write(plan)
        if applied.overflowed:
            count("EdgeDenyListOverflow")
            logger.error(
                "the edge's KeyValueStore is full: workspaces' sessions are cut instead of single entries",
                extra={"workspaces": applied.overflowed, "total_bytes": applied.total_bytes},
            )
        return applied

    def _workspace_entry(
        self, key: str, change: SetIssuedBefore | None, sessions_before: int | None, cut_until: int
    ) -> str | None:
        """The workspace entry merged with what the store holds: `ib` as the change says (or as it was), `sb`
        raised to an overflow's cut; None when it holds neither any more."""
        current_text = self.get(key)
        current = (decode(current_text) or {}) if current_text is not None else {}
        value: Value = dict(current)
        until = current.get("until", 0)
        if change is not None:
            value.pop("ib", None)
            if change.issued_before is not None:
                value["ib"] = change.issued_before
            until = max(until, change.until)
        if sessions_before is not None:
            value["sb"] = max(value.get("sb", 0), sessions_before)
            until = max(until, cut_until)
        if "ib" not in value and "sb" not in value:
            return None
        value["until"] = until
        return encode(value)

    def sweep(self, now: int) -> int:
        """Delete the deny entries no session needs any more (never a secret: rotation owns those)."""
        stale = [key for key, value in self.keys() if not key.startswith(SECRET_PREFIX) and expired(value, now)]

        def plan(_: int) -> tuple[dict[str, str], list[str], int]:
            return {}, stale, 0

        return self.write(plan).deletes if stale else 0

    # -- the HMAC secrets -------------------------------------------------------------------------------------
    def put_secret(self, secret_id: str, value: str) -> None:
        def plan(_: int) -> tuple[dict[str, str], list[str], int]:
            return {SECRET_PREFIX + secret_id: value}, [], 0

        self.write(plan)

    def secret(self, secret_id: str) -> str | None:
        return self.get(SECRET_PREFIX + secret_id)

    def keep_only_secrets(self, secret_ids: set[str]) -> int:
        """Remove every secret version but these (the current and the previous one)."""
        retired = [
            key
            for key, _ in self.keys()
            if key.startswith(SECRET_PREFIX) and key[len(SECRET_PREFIX) :] not in secret_ids
        ]

        def plan(_: int) -> tuple[dict[str, str], list[str], int]:
            return {}, retired, 0

        return self.write(plan).deletes if retired else 0


def cut_lead_seconds(key_cache_millis: int) -> int:
    return math.ceil(key_cache_millis / 1000) + 1
