"""The workspace item (`WS#<ws>`/`COUNTER`): the key counter the limit is held by, and one `cutoff_<id>` per
issuedBefore revocation, which verification reads with the key."""

from __future__ import annotations

from signing_keys.models import Cutoff, Revocation
from signing_keys.store.transaction import Item


def workspace_pk(workspace_id: str) -> Item:
    return {"PK": {"S": f"WS#{workspace_id}"}, "SK": {"S": "COUNTER"}}


def cutoff_attribute(revocation_id: str) -> str:
    return f"cutoff_{revocation_id}"


def cutoff_value(revocation: Revocation) -> Item:
    return {"M": {"issuedBefore": {"N": str(revocation.value)}}}


def cutoffs_from_item(item: Item) -> tuple[Cutoff, ...]:
    prefix = cutoff_attribute("")
    return tuple(
        Cutoff(
            revocation_id=name.removeprefix(prefix),
            issued_before=int(value["M"]["issuedBefore"]["N"]),
        )
        for name, value in item.items()
        if name.startswith(prefix)
    )
