"""moto adapted to serve as a long-running embedded DynamoDB whose memory and per-request cost stay flat.

moto 5.2 grows with use in two places (issue 12: 1,500 create+delete cycles took the runner from 112 to
1,030 MB, and a create+delete from 12.7 to 27.5 ms, with an empty table):

- `DynamoDBBackend.transact_write_items` deep-copies every table a transaction names, once per item, so that
  it can put the copies back if the transaction is cancelled: each transaction costs O(table).
- `BaseModel.__new__` appends every model instance it creates (every item, every copy of a table) to a
  class-level list that moto keeps for its dashboard (`/moto-api/`), so nothing is ever freed.

`flat_moto()` changes both while it is active, and nothing else:

- Transactions run moto's own `transact_write_items`, unchanged, against a view of the backend that saves
  each item just before the transaction first writes it, and hands moto a token instead of a table copy.
  When moto rolls back (it assigns its copies back to `tables`), the view puts the saved items back. So the
  conditions, the cancellation reasons and their order, `ReturnValuesOnConditionCheckFailure` and the
  validation errors are moto's own, while a transaction costs O(items it touches). Saving then restoring is
  safe because the embedded server serializes dispatch (`dynamodb.py`): no other request runs in between.
  A table with a stream keeps moto's full copy (its stream records must roll back too; ours has none).
- Model instances are not tracked (moto's dashboard then shows no DynamoDB data; the runner does not use it).

Checked against moto 5.2.5 (`pyproject.toml` pins `>=5.2.5,<5.3`); `tests/unit/test_moto_adapter.py` fails,
naming what changed, if the moto internals this relies on change. Lives in `local/`: never in a Lambda artifact.
"""

from __future__ import annotations

import contextlib
import copy
from collections.abc import Iterator
from typing import Any

from moto.core.common_models import BaseModel
from moto.core.model_instances import reset_model_data
from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models.dynamo_type import DynamoType, Item
from moto.dynamodb.models.table import Table

_MOTO_TRANSACT_WRITE_ITEMS = DynamoDBBackend.transact_write_items

_ItemKey = tuple[DynamoType, DynamoType | None]


class _RollbackToken:
    """What moto's transaction keeps instead of a deep copy of a table; handing it back means "roll back"."""


_ROLLBACK = _RollbackToken()


class _SavedItems:
    """The items a transaction has written to, as they were before its first write (None: there was none)."""

    def __init__(self) -> None:
        self._saved: dict[tuple[int, DynamoType, DynamoType | None], tuple[Table, Item | None]] = {}

    def save(self, table: Table, key: _ItemKey) -> None:
        hash_key, range_key = key
        entry = (id(table), hash_key, range_key)
        if entry not in self._saved:
            self._saved[entry] = (table, copy.deepcopy(table.get_item(hash_key, range_key)))

    def restore(self, table: Table) -> None:
        for (_, hash_key, range_key), (owner, item) in self._saved.items():
            if owner is not table:
                continue
            if range_key is None:
                if item is None:
                    table.items.pop(hash_key, None)
                else:
                    table.items[hash_key] = item  # type: ignore[assignment]  # moto types only the range layout
            elif item is None:
                table.items[hash_key].pop(range_key, None)
            else:
                table.items[hash_key][range_key] = item


class _Tables:
    """`backend.tables` as moto's transaction uses it: membership, a "copy" per table, and the rollback."""

    def __init__(self, backend: DynamoDBBackend, saved: _SavedItems) -> None:
        self._backend = backend
        self._saved = saved

    def __contains__(self, name: object) -> bool:
        return name in self._backend.tables

    def __getitem__(self, name: str) -> _Snapshot:
        return _Snapshot()

    def __setitem__(self, name: str, value: _RollbackToken) -> None:
        self._saved.restore(self._backend.tables[name])


class _Snapshot:
    def __deepcopy__(self, memo: dict[int, Any]) -> _RollbackToken:
        return _ROLLBACK


class _ItemSavingBackend:
    """The backend as moto's `transact_write_items` sees it: every write first saves the item it replaces."""

    def __init__(self, backend: DynamoDBBackend) -> None:
        self._backend = backend
        self._saved = _SavedItems()
        self.tables = _Tables(backend, self._saved)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._backend, name)  # reads (get_table, get_item) go straight to moto

    def _save(self, table_name: str, source: dict[str, Any]) -> None:
        table = self._backend.get_table(table_name)
        key = _item_key(table, source)
        if key is not None:  # without a full key moto refuses the write before changing anything
            self._saved.save(table, key)

    def put_item(self, table_name: str, item_attrs: dict[str, Any], *args: Any, **kwargs: Any) -> Any:
        self._save(table_name, item_attrs)
        return self._backend.put_item(table_name, item_attrs, *args, **kwargs)

    def update_item(self, table_name: str, key: dict[str, Any], *args: Any, **kwargs: Any) -> Any:
        self._save(table_name, key)
        return self._backend.update_item(table_name, key, *args, **kwargs)

    def delete_item(self, table_name: str, key: dict[str, Any], *args: Any, **kwargs: Any) -> Any:
        self._save(table_name, key)
        return self._backend.delete_item(table_name, key, *args, **kwargs)


def _item_key(table: Table, source: dict[str, Any]) -> _ItemKey | None:
    """The table key of an item or key map, as moto indexes `table.items`; None when it is incomplete."""
    if table.hash_key_attr not in source or (table.range_key_attr is not None and table.range_key_attr not in source):
        return None
    try:
        hash_key = DynamoType(source[table.hash_key_attr])
        range_key = DynamoType(source[table.range_key_attr]) if table.range_key_attr is not None else None
    except (TypeError, AttributeError, IndexError):  # not an attribute value: moto answers a validation error
        return None
    return hash_key, range_key


def transact_write_items(backend: DynamoDBBackend, transact_items: list[dict[str, Any]]) -> None:
    """moto's transaction, saving and restoring only the items it writes (see the module docstring)."""
    if any(table.stream_shard is not None for table in backend.tables.values()):
        _MOTO_TRANSACT_WRITE_ITEMS(backend, transact_items)
        return
    _MOTO_TRANSACT_WRITE_ITEMS(_ItemSavingBackend(backend), transact_items)  # type: ignore[arg-type]


def _untracked_new(cls: type[BaseModel], *args: Any, **kwargs: Any) -> BaseModel:
    # BaseModel.__new__ without the append to cls.instances_tracked.
    return super(BaseModel, cls).__new__(cls)


# (class, attribute, replacement) while flat_moto() is active.
_REPLACEMENTS: list[tuple[type, str, Any]] = [
    (DynamoDBBackend, "transact_write_items", transact_write_items),
    (BaseModel, "__new__", staticmethod(_untracked_new)),
]


@contextlib.contextmanager
def flat_moto() -> Iterator[None]:
    """Transactions at O(items touched) and no instance tracking, for as long as the context is active."""
    originals = [(owner, name, owner.__dict__[name]) for owner, name, _ in _REPLACEMENTS]
    for owner, name, replacement in _REPLACEMENTS:
        setattr(owner, name, replacement)
    reset_model_data()  # drop what was tracked before (table creation, imports)
    try:
        yield
    finally:
        for owner, name, original in originals:
            setattr(owner, name, original)
