"""The API in-process from template.yaml: its handlers (handler tier) and the runner's gateway in front of them
(api tier)."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from typing import Any

import boto3

from signing_keys.credentials import CredentialService, IssuedCredential
from signing_keys.models import Scope
from signing_keys.store.credentials import CredentialRepository
from signing_keys.store.table import Table
from signing_keys_local.events import LambdaContext
from signing_keys_local.functions import FunctionHost
from signing_keys_local.gateway import Gateway
from signing_keys_local.template import LOCAL_STACK, Template
from tests.conftest import TEMPLATE


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class LocalFunctions:
    """The template's handlers in-process over moto, without the gateway: what the handler tier calls."""

    template: Template
    host: FunctionHost
    table_name: str

    @property
    def dynamodb(self) -> Any:
        return boto3.client("dynamodb")

    @property
    def table(self) -> Table:
        return Table(self.dynamodb, self.table_name)

    def credential(self, workspace: str = "ws-a", scope: Scope = Scope.WRITE) -> IssuedCredential:
        issued = CredentialService(CredentialRepository(self.table)).issue(workspace, scope=scope)
        assert issued is not None
        return issued

    def audit_items(self, workspace: str) -> list[dict[str, Any]]:
        """The workspace's audit entries as stored, oldest first."""
        return sorted(
            (item for item in self.table_items() if item["PK"]["S"] == f"AUDIT#{workspace}"),
            key=lambda item: item["SK"]["S"],
        )

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

    def table_items(self) -> list[dict[str, Any]]:
        pages = self.dynamodb.get_paginator("scan").paginate(TableName=self.table_name)
        return [item for page in pages for item in page["Items"]]

    def key_count(self, workspace: str) -> int:
        item = self.dynamodb.get_item(
            TableName=self.table_name, Key={"PK": {"S": f"WS#{workspace}"}, "SK": {"S": "COUNTER"}}
        ).get("Item")
        return int(item["keyCount"]["N"]) if item else 0

    def key_items(self, workspace: str) -> list[dict[str, Any]]:
        return [
            item for item in self.table_items() if item["SK"]["S"] == "KEY" and item["workspaceId"]["S"] == workspace
        ]

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
    """The template's functions with parameter overrides and their table; call inside `mock_aws`."""
    template = Template(TEMPLATE, {"LogLevel": "DEBUG", **overrides})
    definition = template.table_definition()
    boto3.client("dynamodb").create_table(**definition)
    return LocalFunctions(template, FunctionHost(template), definition["TableName"])


def build_local_api(**overrides: str) -> LocalApi:
    """The API from template.yaml with parameter overrides; call inside `mock_aws`."""
    functions = load_functions(**overrides)
    gateway = Gateway(functions.template, functions.host)
    return LocalApi(functions.template, functions.host, functions.table_name, gateway)


def basic(credential: IssuedCredential) -> str:
    return "Basic " + base64.b64encode(f"{credential.token_id}:{credential.secret}".encode()).decode()


def bearer(credential: IssuedCredential) -> str:
    return f"Bearer {credential.secret}"
