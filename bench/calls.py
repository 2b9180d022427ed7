"""DynamoDB calls per operation, counted with botocore event hooks while each events/ file is handled."""

from __future__ import annotations

import contextlib
import json
from collections import Counter
from typing import Any

import boto3

from bench.harness import ROOT, Stack

Row = tuple[str, str, float | None, str]


def count_calls(stack: Stack) -> dict[str, Counter[str]]:
    from signing_keys_local.events import LambdaContext
    from signing_keys_local.functions import FunctionHost

    calls: Counter[str] = Counter()

    def record(model: Any, **_: Any) -> None:
        calls[model.name] += 1

    if boto3.DEFAULT_SESSION is None:
        boto3.setup_default_session()
    session = boto3.DEFAULT_SESSION
    assert session is not None
    session.events.register("before-call.dynamodb", record)
    host = FunctionHost(stack.template)  # fresh handler modules: their clients are built after the hook
    per_function: dict[str, Counter[str]] = {}
    for function in host.functions.values():
        event = json.loads((ROOT / "events" / f"{function.code_uri.name}.json").read_text())
        handler = host.handler(function.logical_id)
        calls.clear()
        # An authorizer's refusal is an exception; its calls still count.
        with contextlib.suppress(Exception):
            handler(event, LambdaContext(function.logical_id))
        per_function[function.logical_id] = Counter(calls)
    session.events.unregister("before-call.dynamodb", record)
    return per_function


def run(stack: Stack) -> list[Row]:
    return [
        (
            f"DynamoDB calls {name}",
            "count",
            float(sum(found.values())),
            ", ".join(f"{op}×{n}" for op, n in found.items()),
        )
        for name, found in count_calls(stack).items()
    ]
