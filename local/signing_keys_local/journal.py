"""The embedded DynamoDB's state on disk: an append-only journal of the write requests it applied.

Each line is one request DynamoDB answered 200, as JSON: `{"target": "DynamoDB_20120810.PutItem", "region": ...,
"body": {...}}`, appended under the dispatch lock right after it succeeded, so the journal's order is the order
the writes took effect and replaying it in order rebuilds the same tables (a write's outcome depends only on
the state before it: the handlers compute every timestamp and id themselves). Reads are never written.

At start the journal is replayed, then compacted: the table-level requests (CreateTable, UpdateTimeToLive, ...)
are kept and every item-level write is replaced by one PutItem per item that exists, written to a new file that
atomically replaces the journal. A crash mid-append leaves a partial last line, which replay ignores; a crash
mid-compaction leaves the old journal in place. Appends are flushed to the operating system at once (a killed
runner loses nothing) but not synced to the disk (a power cut may lose the last writes): this is development
state, and a sync per write would slow every request.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

_DYNAMODB = "DynamoDB_20120810."
# What never changes DynamoDB's state. Any other DynamoDB operation (PartiQL, future ones) is journaled: replaying a
# read is harmless. The other services the embedded server answers (DynamoDB Streams' reads for the local edge
# sync, the edge's Secrets Manager secret) are not: the edge makes its secret anew at every start.
_READS = frozenset(
    _DYNAMODB + name
    for name in (
        "GetItem",
        "BatchGetItem",
        "Query",
        "Scan",
        "TransactGetItems",
        "DescribeTable",
        "DescribeTimeToLive",
        "DescribeContinuousBackups",
        "DescribeEndpoints",
        "DescribeLimits",
        "ListTables",
        "ListTagsOfResource",
    )
)
# Item-level writes: compaction replaces them all by one PutItem per item.
_ITEM_WRITES = frozenset(
    _DYNAMODB + name
    for name in ("PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems", "ExecuteStatement")
)
PUT_ITEM = _DYNAMODB + "PutItem"
SCAN = _DYNAMODB + "Scan"
LIST_TABLES = _DYNAMODB + "ListTables"


def changes_state(target: str) -> bool:
    """Whether a request to the embedded server is one of DynamoDB's that may change a table."""
    return target.startswith(_DYNAMODB) and target not in _READS


@dataclass(frozen=True)
class Entry:
    target: str
    region: str
    body: dict[str, Any]

    def line(self) -> str:
        return json.dumps({"target": self.target, "region": self.region, "body": self.body}, separators=(",", ":"))

    @property
    def is_item_write(self) -> bool:
        return self.target in _ITEM_WRITES


class Journal:
    """One journal file (its directory is held by one runner at a time: state.py)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._append: IO[str] | None = None
        self.entries_read = 0
        self.ignored_lines = 0

    def entries(self) -> Iterator[Entry]:
        """What the journal holds, in order; a line that is not a whole entry (a crash mid-append) is skipped."""
        if not self.path.exists():
            return
        with self.path.open(encoding="utf-8") as lines:
            for line in lines:
                entry = _parse(line) if line.endswith("\n") else None
                if entry is None:
                    self.ignored_lines += 1
                    continue
                self.entries_read += 1
                yield entry

    def replace(self, entries: Iterator[Entry]) -> None:
        """Atomically make `entries` the whole journal (compaction)."""
        temporary = self.path.with_suffix(".compacting")
        with temporary.open("w", encoding="utf-8") as out:
            for entry in entries:
                out.write(entry.line() + "\n")
            out.flush()
            os.fsync(out.fileno())
        temporary.replace(self.path)

    def append(self, entry: Entry) -> None:
        if self._append is None:
            self._append = self.path.open("a", encoding="utf-8")
        self._append.write(entry.line() + "\n")  # one write: a crash leaves at most a partial last line
        self._append.flush()

    def close(self) -> None:
        if self._append is not None:
            self._append.close()


def _parse(line: str) -> Entry | None:
    try:
        raw = json.loads(line)
    except ValueError:
        return None
    if not isinstance(raw, dict) or not isinstance(raw.get("body"), dict):
        return None
    target, region = raw.get("target"), raw.get("region")
    if not isinstance(target, str) or not isinstance(region, str):
        return None
    return Entry(target, region, raw["body"])
