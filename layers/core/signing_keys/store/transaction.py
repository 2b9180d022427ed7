"""One TransactWriteItems, built write by write, each under a name: a cancellation reports the names whose
condition failed, so its meaning never depends on the order the writes were added in."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

Item = dict[str, Any]

# NamedTuples, not dataclasses: every handler that writes imports this module, and a frozen dataclass takes several
# times as long to define (cold start, bench/cold_start.py).


class Put(NamedTuple):
    item: Item
    condition: str | None = None

    def action(self, table_name: str) -> Item:
        return {"Put": _body(table_name, {"Item": self.item}, self.condition)}


class Update(NamedTuple):
    key: Item
    expression: str
    condition: str | None = None
    names: Mapping[str, str] | None = None
    values: Item | None = None

    def action(self, table_name: str) -> Item:
        fields = {"Key": self.key, "UpdateExpression": self.expression}
        return {"Update": _body(table_name, fields, self.condition, self.names, self.values)}


class Delete(NamedTuple):
    key: Item
    condition: str | None = None
    values: Item | None = None

    def action(self, table_name: str) -> Item:
        return {"Delete": _body(table_name, {"Key": self.key}, self.condition, values=self.values)}


def _body(
    table_name: str,
    fields: Item,
    condition: str | None,
    names: Mapping[str, str] | None = None,
    values: Item | None = None,
) -> Item:
    body: Item = {"TableName": table_name, **fields}
    if condition is not None:
        body["ConditionExpression"] = condition
    if names:
        body["ExpressionAttributeNames"] = dict(names)
    if values:
        body["ExpressionAttributeValues"] = values
    return body


Write = Put | Update | Delete


class Transaction:
    """Immutable: `add` returns a new transaction, so one can be extended (the store appends the audit entry)
    without changing what its builder holds."""

    __slots__ = ("_writes",)

    def __init__(self, writes: tuple[tuple[str, Write], ...] = ()) -> None:
        self._writes = writes

    def add(self, name: str, write: Write) -> Transaction:
        if name in self.names:
            raise ValueError(f"the transaction already has a write named {name!r}")
        return Transaction((*self._writes, (name, write)))

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(name for name, _ in self._writes)

    def request(self, table_name: str) -> list[Item]:
        """The writes as TransactWriteItems' `TransactItems`, in the order they were added."""
        return [write.action(table_name) for _, write in self._writes]

    def failed_conditions(self, cancellation_reasons: Sequence[Mapping[str, Any]]) -> frozenset[str]:
        """The names of the writes whose condition failed, from a cancellation's reasons: one per write, in
        order (a shorter list reports on the writes it reaches, and is no failure of its own)."""
        return frozenset(
            name
            for (name, _), reason in zip(self._writes, cancellation_reasons, strict=False)
            if reason.get("Code") == "ConditionalCheckFailed"
        )
