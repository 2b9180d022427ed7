"""List latency as the table grows to 10 000 workspaces: it must stay flat (a Query, never a Scan)."""

from __future__ import annotations

from typing import Any

import boto3

from bench.harness import interleaved
from signing_keys_local.events import LambdaContext
from signing_keys_local.examples import authorized, request
from signing_keys_local.stack import Stack

Row = tuple[str, str, float | None, str]


def _add_workspaces(client: Any, table: str, start: int, stop: int) -> None:
    items = [
        {
            "PutRequest": {
                "Item": {
                    "PK": {"S": f"KEY#filler-{n}"},
                    "SK": {"S": "KEY"},
                    "workspaceId": {"S": f"filler-{n}"},
                    "GSI1PK": {"S": f"WS#filler-{n}"},
                    "GSI1SK": {"S": f"2026-01-01T00:00:00.000Z#filler-{n}"},
                }
            }
        }
        for n in range(start, stop)
    ]
    for offset in range(0, len(items), 25):
        client.batch_write_item(RequestItems={table: items[offset : offset + 25]})


def run(stack: Stack, rounds: int) -> list[Row]:
    client = boto3.client("dynamodb")
    handler = stack.host.handler("ListKeysFunction")
    event = authorized(request("GET", "/iam/signing-keys", "/iam/signing-keys"), "bench")

    def bare_query() -> None:
        client.query(
            TableName=stack.table_name,
            IndexName="GSI1",
            KeyConditionExpression="GSI1PK = :w",
            ExpressionAttributeValues={":w": {"S": "WS#bench"}},
        )

    rows: list[Row] = []
    filled = 0
    for size in (1, 100, 10_000):
        _add_workspaces(client, stack.table_name, filled, size)
        filled = size
        ours, bare = interleaved(lambda: handler(event, LambdaContext("bench")), bare_query, rounds)
        # moto evaluates a GSI query by walking the whole table, so absolute times grow with it; the ratio to a
        # bare Query at the same size shows the handler adds nothing that grows (DynamoDB itself stays flat).
        rows.append(
            (
                f"list with {size:,} workspaces",
                "÷ bare Query",
                ours.median / bare.median,
                f"flat ≈ 1 · {ours.median * 1000:.1f} ms vs {bare.median * 1000:.1f} ms (moto's query is O(table))",
            )
        )
    return rows
