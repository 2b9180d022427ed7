"""Handler latency against its floor: raw key generation (create) or a bare resolver doing the same call."""

from __future__ import annotations

import functools
import json
import os
import time
import uuid
from typing import Any

import boto3
from aws_lambda_powertools.event_handler import APIGatewayRestResolver
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from bench.harness import Sample, interleaved
from signing_keys.credentials import CredentialService
from signing_keys.store.credentials import CredentialRepository
from signing_keys.store.table import Table
from signing_keys_local.events import LambdaContext
from signing_keys_local.examples import authorized, request
from signing_keys_local.stack import Stack

Row = tuple[str, str, float | None, str]


def _bare_audit_put(table: str, workspace: str) -> Any:
    """An audit entry's Put as the store writes one (every change carries one in its transaction)."""
    now_ms = int(time.time() * 1000)
    item = {
        "PK": {"S": f"AUDIT#{workspace}"},
        "SK": {"S": f"{now_ms:015d}#{uuid.uuid4().hex}"},
        "workspaceId": {"S": workspace},
        "action": {"S": "key.update"},
        "createdAt": {"N": str(now_ms)},
        "tokenId": {"S": "bench"},
        "requestId": {"S": str(uuid.uuid4())},
        "sourceIp": {"S": "203.0.113.10"},
        "keyId": {"S": str(uuid.uuid4())},
        "ttl": {"N": str(now_ms // 1000 + 90 * 86_400)},
    }
    return {"Put": {"TableName": table, "Item": item}}


def _bare_resolver(table: str) -> tuple[APIGatewayRestResolver, Any]:
    """The floor: Powertools' resolver and one DynamoDB call, nothing of ours."""
    client = boto3.client("dynamodb")
    app = APIGatewayRestResolver()

    @app.get("/floor/<key_id>")
    def floor_get(key_id: str) -> dict[str, Any]:
        return {"item": bool(client.get_item(TableName=table, Key={"PK": {"S": f"KEY#{key_id}"}, "SK": {"S": "KEY"}}))}

    @app.get("/floor")
    def floor_query() -> dict[str, Any]:
        found = client.query(
            TableName=table,
            IndexName="GSI1",
            KeyConditionExpression="GSI1PK = :w",
            ExpressionAttributeValues={":w": {"S": "WS#bench"}},
        )
        return {"count": found["Count"]}

    @app.patch("/floor/<key_id>")
    def floor_update(key_id: str) -> dict[str, Any]:
        update: Any = {
            "TableName": table,
            "Key": {"PK": {"S": f"KEY#{key_id}"}, "SK": {"S": "KEY"}},
            "UpdateExpression": "SET #n = :n",
            "ExpressionAttributeNames": {"#n": "name"},
            "ExpressionAttributeValues": {":n": {"S": "x"}},
        }
        client.transact_write_items(TransactItems=[{"Update": update}, _bare_audit_put(table, "bench")])
        return {}

    return app, LambdaContext("floor")


def _ratio(subject: Sample, floor: Sample) -> tuple[float, float]:
    return subject.median / floor.median, subject.p95 / floor.p95


def _create_once(handler: Any, context: Any, path: str, counter: Any) -> None:
    # A fresh workspace per call keeps the key limit out of the measurement.
    event = authorized(request("POST", path, path), workspace=f"bench-create-{next(counter)}-{path[1:4]}")
    response = handler(event, context)
    assert response["statusCode"] in (200, 201), response


def create(stack: Stack, rounds: int) -> list[Row]:
    rows: list[Row] = []
    handler = stack.host.handler("CreateKeyFunction")
    context = LambdaContext("bench")
    for label, path, floor in (
        ("create RSA-2048 (FastPix)", "/iam/signing-keys", lambda: rsa.generate_private_key(65537, 2048)),
        ("create P-256 (Livepeer)", "/access-control/signing-key", lambda: ec.generate_private_key(ec.SECP256R1())),
    ):
        call = functools.partial(_create_once, handler, context, path, iter(range(10**6)))
        subject, base = interleaved(call, floor, rounds)
        median, p95 = _ratio(subject, base)
        if "RSA" in label:
            transaction = _bare_transaction_seconds(rounds)
            rows.append(
                (
                    label,
                    "÷ (RSA + txn)",
                    subject.median / (base.median + transaction),
                    f"our code's share; bare TransactWriteItems {transaction * 1000:.1f} ms here",
                )
            )
        target = "≤ 1.15" if "RSA" in label else "(floor is µs: ratio not meaningful)"
        rows.append((label, "median", median, target))
        rows.append((label, "p95", p95, f"{subject.p95 * 1000:.1f} ms vs {base.p95 * 1000:.1f} ms"))
    return rows


def _bare_transaction_seconds(rounds: int) -> float:
    """The create transaction's own cost on this DynamoDB, issued bare (counter update + put + audit entry)."""
    client = boto3.client("dynamodb")
    table = os.environ["TABLE_NAME"]
    seconds = []
    for index in range(rounds):
        started = time.perf_counter()
        client.transact_write_items(
            TransactItems=[
                {
                    "Update": {
                        "TableName": table,
                        "Key": {"PK": {"S": f"WS#bare-{index}"}, "SK": {"S": "COUNTER"}},
                        "UpdateExpression": "SET keyCount = if_not_exists(keyCount, :zero) + :one",
                        "ExpressionAttributeValues": {":zero": {"N": "0"}, ":one": {"N": "1"}},
                    }
                },
                {
                    "Put": {
                        "TableName": table,
                        "Item": {"PK": {"S": f"KEY#bare-{index}"}, "SK": {"S": "KEY"}},
                        "ConditionExpression": "attribute_not_exists(PK)",
                    }
                },
                _bare_audit_put(table, f"bare-{index}"),
            ]
        )
        seconds.append(time.perf_counter() - started)
    return Sample.of(seconds).median


def reads_and_writes(stack: Stack, rounds: int) -> list[Row]:
    credentials = CredentialService(CredentialRepository(Table(boto3.client("dynamodb"), stack.table_name)))
    credentials.issue("bench")
    create_handler = stack.host.handler("CreateKeyFunction")
    context = LambdaContext("bench")
    created = create_handler(
        authorized(request("POST", "/access-control/signing-key", "/access-control/signing-key"), "bench"), context
    )
    key_id = json.loads(created["body"])["id"]
    floor_app, floor_context = _bare_resolver(stack.table_name)
    key_path = "/iam/signing-keys/{signingKeyId}"

    def ours(function: str, method: str, path: str, resource: str, body: bytes | None = None) -> Any:
        handler = stack.host.handler(function)
        params = (
            {"signingKeyId": key_id}
            if "signingKeyId" in resource
            else {"keyId": key_id}
            if "{keyId}" in resource
            else {}
        )
        event = authorized(request(method, path, resource, path_parameters=params, body=body), "bench")
        return lambda: handler(event, context)

    def floor(method: str, path: str) -> Any:
        event = authorized(request(method, path, path), "bench")
        return lambda: floor_app.resolve(event, floor_context)

    cases = [
        (
            "get",
            ours("GetKeyFunction", "GET", f"/iam/signing-keys/{key_id}", key_path),
            floor("GET", f"/floor/{key_id}"),
        ),
        (
            "list (FastPix page)",
            ours("ListKeysFunction", "GET", "/iam/signing-keys", "/iam/signing-keys"),
            floor("GET", "/floor"),
        ),
        (
            "update",
            ours(
                "UpdateKeyFunction",
                "PATCH",
                f"/access-control/signing-key/{key_id}",
                "/access-control/signing-key/{keyId}",
                b'{"name": "bench"}',
            ),
            floor("PATCH", f"/floor/{key_id}"),
        ),
    ]
    rows: list[Row] = []
    for label, subject_call, floor_call in cases:
        subject, base = interleaved(subject_call, floor_call, rounds)
        rows.append((label, "median", subject.median / base.median, "≤ 1.3"))
    rows.append(_delete(stack, rounds, context))
    return rows


def _delete(stack: Stack, rounds: int, context: Any) -> Row:
    """Delete ÷ the same transaction issued bare (a delete needs a fresh key each time)."""
    create_handler = stack.host.handler("CreateKeyFunction")
    delete_handler = stack.host.handler("DeleteKeyFunction")
    client = boto3.client("dynamodb")
    ours: list[float] = []
    bare: list[float] = []
    for index in range(rounds):
        workspace = f"bench-delete-{index}"
        ids = []
        for _ in range(2):
            created = create_handler(
                authorized(request("POST", "/access-control/signing-key", "/access-control/signing-key"), workspace),
                context,
            )
            ids.append(json.loads(created["body"])["id"])
        path = "/iam/signing-keys/{signingKeyId}"
        event = authorized(
            request("DELETE", f"/iam/signing-keys/{ids[0]}", path, path_parameters={"signingKeyId": ids[0]}), workspace
        )
        started = time.perf_counter()
        delete_handler(event, context)
        ours.append(time.perf_counter() - started)
        started = time.perf_counter()
        client.transact_write_items(
            TransactItems=[
                {
                    "Delete": {
                        "TableName": stack.table_name,
                        "Key": {"PK": {"S": f"KEY#{ids[1]}"}, "SK": {"S": "KEY"}},
                        "ConditionExpression": "workspaceId = :w",
                        "ExpressionAttributeValues": {":w": {"S": workspace}},
                    }
                },
                {
                    "Update": {
                        "TableName": stack.table_name,
                        "Key": {"PK": {"S": f"WS#{workspace}"}, "SK": {"S": "COUNTER"}},
                        "UpdateExpression": "SET keyCount = keyCount - :one",
                        "ExpressionAttributeValues": {":one": {"N": "1"}},
                    }
                },
                _bare_audit_put(stack.table_name, workspace),
            ]
        )
        bare.append(time.perf_counter() - started)
    return ("delete", "median", Sample.of(ours).median / Sample.of(bare).median, "≤ 1.3")
