"""The API in-process from template.yaml: its handlers (handler tier) and the runner's gateway in front of them
(api tier).

Importing the handler modules costs about a quarter of a second (mostly their boto3 clients), so each set of
template parameter overrides gets them once per test process (`WarmFunctions`), as a warm Lambda container keeps
them, and every test gets them reset to a cold start's state with a table, a gateway and hooks of its own.
"""

from __future__ import annotations

import base64
import json
import os
import threading
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

import boto3
from botocore.hooks import HierarchicalEmitter

from signing_keys.budget import invocation_budget
from signing_keys.cache import TtlLruCache
from signing_keys.credentials import CredentialService, IssuedCredential
from signing_keys.models import Scope
from signing_keys.observability import logger, metrics
from signing_keys.store.credentials import CredentialRepository
from signing_keys.store.table import Table
from signing_keys_local.events import LambdaContext
from signing_keys_local.functions import FunctionHost, LambdaHandler
from signing_keys_local.gateway import Gateway
from signing_keys_local.template import LOCAL_STACK, Function, Template
from tests.conftest import TEMPLATE


class ClientHooks:
    """botocore hooks that reach clients created before they were registered.

    A client copies its session's hooks when it is created, so a hook registered later never reaches the warm
    handler modules' clients. Those clients (and the tests' own, `LocalFunctions.dynamodb`) come from `session`,
    which holds one relay instead: it hands each `before-call` and `after-call` event to the hooks registered
    here. Register through the `client_hooks` fixture, which removes them after the test.
    """

    RELAYED_EVENTS = ("before-call", "after-call")

    def __init__(self) -> None:
        self._hooks = HierarchicalEmitter()
        self._lock = threading.Lock()
        self._session: boto3.Session | None = None
        self._clients: dict[str, Any] = {}

    def register(self, event_name: str, handler: Any) -> None:
        self._hooks.register(event_name, handler)

    def clear(self) -> None:
        self._hooks = HierarchicalEmitter()

    def _relay(self, event_name: str, **kwargs: Any) -> Any:
        if event_name.startswith("before-call"):
            # Like the client's own emitter for this event: the first hook that answers short-circuits the call.
            return self._hooks.emit_until_response(event_name, **kwargs)[1]
        self._hooks.emit(event_name, **kwargs)
        return None

    @property
    def session(self) -> boto3.Session:
        with self._lock:
            if self._session is None:
                self._session = boto3.Session()
                for event_name in self.RELAYED_EVENTS:
                    self._session.events.register(event_name, self._relay)
            return self._session

    def client(self, service: str) -> Any:
        """One client per service for the tests' own calls: moto answers whichever mock is active."""
        with self._lock:
            found = self._clients.get(service)
        if found is None:
            found = self._clients.setdefault(service, self.session.client(service))  # type: ignore[call-overload]
        return found


CLIENT_HOOKS = ClientHooks()


@dataclass
class WarmFunctions:
    """The handler modules of one set of parameter overrides, imported once per test process."""

    template: Template
    host: FunctionHost
    environment: dict[str, str]  # what loading the modules set; the offline environment fixture drops it

    @classmethod
    def load(cls, parameters: dict[str, str]) -> WarmFunctions:
        """Import every function of the template (call inside `mock_aws`), their clients from CLIENT_HOOKS."""
        before = dict(os.environ)
        boto3.DEFAULT_SESSION = CLIENT_HOOKS.session
        try:
            template = Template(TEMPLATE, parameters)
            host = FunctionHost(template)
            host.load_all()
        finally:
            boto3.DEFAULT_SESSION = None
        environment = {name: value for name, value in os.environ.items() if before.get(name) != value}
        return cls(template, host, environment)

    def reset(self) -> None:
        """What a test may leave behind in the process, back to what a cold start has:

        - the functions' environment (the offline environment fixture restores os.environ after every test);
        - every TtlLruCache the modules hold (the playback verifier's keys, revocations and last-seen writes);
        - Powertools' per-request state: the Logger's appended keys and the Metrics buffer;
        - the invocation budget's deadline (`budgeted` ends it after every invocation; a test may not).

        Not here, because every test gets its own: the table (a new `mock_aws`), the gateway (authorizer cache,
        throttle buckets) and the client hooks. Powertools' resolvers set `current_event` on every request, and
        its cold-start flag is the process's, as it was when each test imported the modules anew.
        """
        os.environ.update(self.environment)
        for logical_id in self.host.functions:
            for cache in _caches_of(self.host.module(logical_id)):
                cache.clear()
        logger.clear_state()
        metrics.clear_metrics()
        invocation_budget.stop()


def _caches_of(module: ModuleType) -> list[TtlLruCache[Any, Any]]:
    """The caches held by the module's own objects (instances of this project's classes), however deep."""
    found: list[TtlLruCache[Any, Any]] = []
    seen: set[int] = set()
    pending: list[Any] = list(vars(module).values())
    while pending:
        value = pending.pop()
        if id(value) in seen or isinstance(value, type | ModuleType):
            continue
        seen.add(id(value))
        if isinstance(value, TtlLruCache):
            found.append(value)
        elif type(value).__module__.startswith("signing_keys.") and hasattr(value, "__dict__"):
            pending.extend(vars(value).values())
    return found


_WARM: dict[tuple[tuple[str, str], ...], WarmFunctions] = {}


def warm_functions(parameters: dict[str, str]) -> WarmFunctions:
    key = tuple(sorted(parameters.items()))
    if key not in _WARM:
        _WARM[key] = WarmFunctions.load(parameters)
    return _WARM[key]


@dataclass
class PerTestHost:
    """What one test invokes: the warm modules, reset. A test that installs a boto3 default session of its own
    (`boto3.setup_default_session()`, to hook the clients created from then on) gets each function it invokes
    after that imported anew, from that session, as it would without warm modules; prefer `client_hooks`."""

    warm: WarmFunctions
    functions: dict[str, Function] = field(init=False)
    _chosen: dict[str, FunctionHost] = field(default_factory=dict)
    _fresh: FunctionHost | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)  # tests send requests from threads

    def __post_init__(self) -> None:
        self.functions = self.warm.host.functions

    def _host(self, logical_id: str) -> FunctionHost:
        # Chosen at the function's first invocation in the test and kept, as a module stays loaded.
        with self._lock:
            if logical_id not in self._chosen:
                if boto3.DEFAULT_SESSION is None:
                    self._chosen[logical_id] = self.warm.host
                else:
                    self._fresh = self._fresh or FunctionHost(self.warm.template)
                    self._chosen[logical_id] = self._fresh
            return self._chosen[logical_id]

    def module(self, logical_id: str) -> ModuleType:
        return self._host(logical_id).module(logical_id)

    def handler(self, logical_id: str) -> LambdaHandler:
        return self._host(logical_id).handler(logical_id)

    def invoke(self, logical_id: str, event: dict[str, Any], *, patience_seconds: float | None = None) -> Any:
        return self._host(logical_id).invoke(logical_id, event, patience_seconds=patience_seconds)

    def close(self) -> None:
        """The warm modules outlive the test."""


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


def dynamodb_client() -> Any:
    """A client for the tests' own calls; from the test's own default session once it installed one, so that
    the hooks it registered there apply, as they did when every client was new."""
    return boto3.client("dynamodb") if boto3.DEFAULT_SESSION is not None else CLIENT_HOOKS.client("dynamodb")


@dataclass
class LocalFunctions:
    """The template's handlers in-process over moto, without the gateway: what the handler tier calls."""

    template: Template
    host: PerTestHost
    table_name: str

    @property
    def dynamodb(self) -> Any:
        return dynamodb_client()

    @property
    def table(self) -> Table:
        return Table(self.dynamodb, self.table_name)

    def credential(self, workspace: str = "ws-a", scope: Scope = Scope.WRITE) -> IssuedCredential:
        issued = CredentialService(CredentialRepository(self.table)).issue(workspace, scope=scope)
        assert issued is not None
        return issued

    def audit_items(self, workspace: str) -> list[dict[str, Any]]:
        """The workspace's audit entries as stored, oldest first."""
        entries = self.table_items("PK = :pk", {":pk": {"S": f"AUDIT#{workspace}"}})
        return sorted(entries, key=lambda item: item["SK"]["S"])

    def context(self, function_id: str) -> LambdaContext:
        """A fresh invocation's context: its clock starts now, with the function's Timeout."""
        return LambdaContext(function_name=f"{LOCAL_STACK}-{function_id}", timeout_seconds=self.timeout_seconds)

    @property
    def timeout_seconds(self) -> int:
        return int(self.template.document["Globals"]["Function"]["Timeout"])

    def invoke(self, function_id: str, event: dict[str, Any]) -> dict[str, Any]:
        """`lambda_handler(event, context)` of the function, as Lambda calls it."""
        response: dict[str, Any] = self.host.handler(function_id)(event, self.context(function_id))
        return response

    def table_items(self, condition: str | None = None, values: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        """Every item of the table, or those a scan's filter `condition` holds for (never an index: it finds
        what the API's own reads may miss). Filtering in the scan spares moto serializing the rest."""
        scan: dict[str, Any] = {"TableName": self.table_name}
        if condition is not None:
            scan |= {"FilterExpression": condition, "ExpressionAttributeValues": values or {}}
        pages = self.dynamodb.get_paginator("scan").paginate(**scan)
        return [item for page in pages for item in page["Items"]]

    def key_count(self, workspace: str) -> int:
        item = self.dynamodb.get_item(
            TableName=self.table_name, Key={"PK": {"S": f"WS#{workspace}"}, "SK": {"S": "COUNTER"}}
        ).get("Item")
        return int(item["keyCount"]["N"]) if item else 0

    def key_items(self, workspace: str) -> list[dict[str, Any]]:
        return self.table_items("SK = :key AND workspaceId = :ws", {":key": {"S": "KEY"}, ":ws": {"S": workspace}})

    def revocation_items(self) -> list[dict[str, Any]]:
        """Every revocation entry and workspace cut-off in the table, whichever workspace holds it."""
        items = self.table_items()
        entries = [item for item in items if item["SK"]["S"] == "REV"]
        cutoffs = [item for item in items if any(name.startswith("cutoff_") for name in item)]
        return entries + cutoffs


@dataclass
class LocalApi(LocalFunctions):
    """The same handlers behind the runner's API Gateway emulator: routing, the authorizer, then the handler."""

    gateway: Gateway

    def request(
        self,
        method: str,
        path: str,
        *,
        authorization: str | None = None,
        body: bytes | str | dict[str, Any] | None = None,
        query: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
    ) -> Reply:
        """What a client sees through API Gateway: routing, the authorizer, then the handler."""
        raw = json.dumps(body).encode() if isinstance(body, dict) else body.encode() if isinstance(body, str) else body
        all_headers = {"Content-Type": "application/json"} if raw is not None else {}
        all_headers.update(headers or {})
        if authorization is not None:
            all_headers["Authorization"] = authorization
        result = self.gateway.handle(
            method,
            path,
            query={name: [value] for name, value in (query or {}).items()},
            headers={name: [value] for name, value in all_headers.items()},
            body=raw,
        )
        return Reply(result.status, {k.lower(): v for k, v in result.headers}, result.body)


def load_functions(**overrides: str) -> LocalFunctions:
    """The template's functions with parameter overrides, warm and reset, and a new table; call inside a
    `mock_aws` of the test's own (a new mock starts with no tables)."""
    warm = warm_functions({"LogLevel": "DEBUG", **overrides})
    warm.reset()
    definition = warm.template.table_definition()
    dynamodb_client().create_table(**definition)
    return LocalFunctions(warm.template, PerTestHost(warm), definition["TableName"])


def build_local_api(**overrides: str) -> LocalApi:
    """The API from template.yaml with parameter overrides; call inside `mock_aws`. A new gateway each time:
    its authorizer cache and throttle buckets start empty."""
    functions = load_functions(**overrides)
    gateway = Gateway(functions.template, functions.host)
    return LocalApi(functions.template, functions.host, functions.table_name, gateway)


def basic(credential: IssuedCredential) -> str:
    return "Basic " + base64.b64encode(f"{credential.token_id}:{credential.secret}".encode()).decode()


def bearer(credential: IssuedCredential) -> str:
    return f"Bearer {credential.secret}"
