"""Records the DynamoDB requests each of the template's functions makes, for the IAM evaluation that checks them
against the function's own policy (tests/iam, docs/iam.md#evaluated-not-read).

Off unless `SIGNING_KEYS_DYNAMODB_CALL_LOG` names a directory: then every process (the test process, the runner's
containers) appends JSON lines to its own file there, one per item request, so that runner subprocesses record
too and nothing is shared between processes.

The hosts attribute calls to functions: a botocore hook (`provide-client-params.dynamodb`) bound to a function is
on the clients that function's module creates while it is imported (`recorded_clients`), and records only while
that function runs (`running`), or in a container, which runs one function only (`record_process_as`). Clients
the tests build themselves never carry it.

A call is split as IAM authorizes it, one record per item request: each part of a TransactWriteItems or
TransactGetItems as the single-item action it is authorized as (Put → PutItem, Update → UpdateItem, Delete →
DeleteItem, ConditionCheck → ConditionCheckItem, Get → GetItem), each key of a BatchGetItem and each request of a
BatchWriteItem on its own. Each record holds what the request's condition keys are made of: the item's key (for a
Query, the equality comparisons of its key condition), the top-level attribute names the request names (key,
item, update, condition, key condition, filter and projection expressions), ReturnValues and Select as given. Key
values are partition and sort keys (item kinds, ids, SHA-256 digests of secrets), never attribute values.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import re
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TextIO

import boto3

from signing_keys_local.template import Template, TemplateError

CALL_LOG_VARIABLE = "SIGNING_KEYS_DYNAMODB_CALL_LOG"
_EVENT = "provide-client-params.dynamodb"
_TRANSACTION_ACTIONS = {
    "Put": "PutItem",
    "Update": "UpdateItem",
    "Delete": "DeleteItem",
    "ConditionCheck": "ConditionCheckItem",
    "Get": "GetItem",
}
_EXPRESSIONS = (
    "UpdateExpression",
    "ConditionExpression",
    "KeyConditionExpression",
    "FilterExpression",
    "ProjectionExpression",
)
# Words of DynamoDB's expression grammar; a name followed by "(" is a function.
_KEYWORDS = {"AND", "OR", "NOT", "BETWEEN", "IN", "SET", "REMOVE", "ADD", "DELETE"}
_TOKEN = re.compile(
    r"(?P<value>:\w+)|(?P<name>#\w+|[A-Za-z_][A-Za-z0-9_]*)|(?P<dot>\.)|(?P<index>\[\d+\])|(?P<other>.)"
)
_KEY_EQUALITY = re.compile(r"(#?\w+)\s*=\s*(:\w+)")

_running = threading.local()
_process_function: str | None = None


# -- what one call asks of IAM --------------------------------------------------------------------------------------
def _scalar(value: dict[str, Any]) -> str:
    """A key attribute's value as IAM sees it: the string of its S, N or B."""
    return str(next(iter(value.values())))


def expression_attributes(expression: str, names: dict[str, str]) -> set[str]:
    """The top-level attribute names an expression names (`a.b[0]` names `a`), placeholders resolved."""
    tokens = [match for match in _TOKEN.finditer(expression) if not match.group().isspace()]
    found = set()
    for position, match in enumerate(tokens):
        name = match.group("name")
        after_dot = position > 0 and tokens[position - 1].group() == "."
        is_function = position + 1 < len(tokens) and tokens[position + 1].group() == "("
        if name and not after_dot and not is_function and name.upper() not in _KEYWORDS:
            found.add(names.get(name, name))
    return found


def _named(params: dict[str, Any]) -> set[str]:
    names = params.get("ExpressionAttributeNames") or {}
    found = set(params.get("AttributesToGet") or ())
    for field in _EXPRESSIONS:
        if params.get(field):
            found |= expression_attributes(params[field], names)
    return found


def _query_key(params: dict[str, Any]) -> dict[str, Any]:
    names = params.get("ExpressionAttributeNames") or {}
    values = params.get("ExpressionAttributeValues") or {}
    pairs = _KEY_EQUALITY.findall(params.get("KeyConditionExpression") or "")
    return {names.get(name, name): values[value] for name, value in pairs if value in values}


def _request(
    operation: str, action: str, params: dict[str, Any], key: dict[str, Any], item: dict[str, Any] | None = None
) -> dict[str, Any]:
    return {
        "operation": operation,
        "action": action,
        "table": params.get("TableName"),
        "index": params.get("IndexName"),
        "key": {name: _scalar(value) for name, value in key.items()},
        "attributes": sorted(set(key) | set(item or ()) | _named(params)),
        "returnValues": params.get("ReturnValues"),
        "select": params.get("Select"),
        "projected": bool(params.get("ProjectionExpression") or params.get("AttributesToGet")),
    }


def item_requests(operation: str, params: dict[str, Any], key_attributes: frozenset[str]) -> list[dict[str, Any]]:
    """The call as the item requests IAM authorizes, one each. A put's key is its item's `key_attributes`."""

    def key_of(part: dict[str, Any]) -> dict[str, Any]:
        if "Key" in part:
            return dict(part["Key"])
        return {name: value for name, value in (part.get("Item") or {}).items() if name in key_attributes}

    if operation in ("TransactWriteItems", "TransactGetItems"):
        return [
            _request(operation, _TRANSACTION_ACTIONS[kind], part, key_of(part), part.get("Item"))
            for item in params.get("TransactItems") or []
            for kind, part in item.items()
        ]
    if operation == "BatchGetItem":
        return [
            _request(operation, operation, {"TableName": table, **request}, key)
            for table, request in (params.get("RequestItems") or {}).items()
            for key in request.get("Keys") or []
        ]
    if operation == "BatchWriteItem":
        return [
            _request(operation, operation, {"TableName": table, **part}, key_of(part), part.get("Item"))
            for table, writes in (params.get("RequestItems") or {}).items()
            for write in writes
            for part in write.values()
        ]
    if operation == "Query":
        return [_request(operation, operation, params, _query_key(params))]
    return [_request(operation, operation, params, key_of(params), params.get("Item"))]


# -- recording -------------------------------------------------------------------------------------------------------
class _Log:
    """This process's record file, opened on first use (and again in a forked child)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._file: TextIO | None = None
        self._opened_as: tuple[int, str] = (0, "")  # the process and the directory it was opened for
        self._calls = itertools.count(1)

    def write(self, directory: str, source: dict[str, str], requests: list[dict[str, Any]]) -> None:
        with self._lock:
            pid = os.getpid()
            if self._file is None or self._opened_as != (pid, directory):
                if self._file is not None and self._opened_as[0] == pid:
                    self._file.close()
                self._opened_as = (pid, directory)
                Path(directory).mkdir(parents=True, exist_ok=True)
                # Kept open while the process records there; one write per call.
                self._file = open(Path(directory) / f"dynamodb-calls-{pid}.jsonl", "a", encoding="utf-8")  # noqa: SIM115
            call = f"{pid}-{next(self._calls)}"
            self._file.write("".join(json.dumps({"call": call, **source, **request}) + "\n" for request in requests))
            self._file.flush()


_LOG = _Log()


def _key_attributes(template: Path) -> frozenset[str]:
    """The key attributes of the template's table and its indexes (an item's key, for a put)."""
    try:
        definition = Template(template).table_definition()
    except TemplateError:
        return frozenset()
    schemas = [definition["KeySchema"], *(index["KeySchema"] for index in definition.get("GlobalSecondaryIndexes", []))]
    return frozenset(element["AttributeName"] for schema in schemas for element in schema)


def _default_session() -> boto3.Session:
    """The session boto3.client() builds clients from."""
    if boto3.DEFAULT_SESSION is None:
        boto3.setup_default_session()
    assert boto3.DEFAULT_SESSION is not None
    return boto3.DEFAULT_SESSION


def _register(function: str, template: Path) -> tuple[boto3.Session, str]:
    """The function's recorder on the default session, whose clients are built with it from now on."""
    source = {"function": function, "template": str(template.resolve())}
    key_attributes = _key_attributes(template)

    def record(params: dict[str, Any], model: Any, **_: Any) -> None:
        directory = os.environ.get(CALL_LOG_VARIABLE)
        if directory and function in (_process_function, getattr(_running, "function", None)):
            _LOG.write(directory, source, item_requests(model.name, params, key_attributes))

    unique_id = f"signing-keys-dynamodb-calls-{function}"
    session = _default_session()
    session.events.register(_EVENT, record, unique_id=unique_id)
    return session, unique_id


@contextlib.contextmanager
def recorded_clients(function: str, template: Path) -> Iterator[None]:
    """The DynamoDB clients created meanwhile (the function's module being imported) carry its recorder."""
    if not os.environ.get(CALL_LOG_VARIABLE):
        yield
        return
    session, unique_id = _register(function, template)
    try:
        yield
    finally:
        session.events.unregister(_EVENT, unique_id=unique_id)


@contextlib.contextmanager
def running(function: str) -> Iterator[None]:
    """The function runs in this thread: its clients' calls are recorded meanwhile."""
    previous = getattr(_running, "function", None)
    _running.function = function
    try:
        yield
    finally:
        _running.function = previous


def record_process_as(function: str, template: Path) -> None:
    """This process runs `function` alone (a container): every call of a client created from now on is its."""
    global _process_function  # noqa: PLW0603 - one function per container process
    if os.environ.get(CALL_LOG_VARIABLE):
        _process_function = function
        _register(function, template)
