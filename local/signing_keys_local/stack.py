"""The local stack without HTTP: the runner's embedded DynamoDB and the template's handlers, called directly.

The benchmarks and the DynamoDB call-count test share it; `count_calls` runs every function on its events/
file and counts the DynamoDB operations it makes, with botocore's event hooks.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3

from signing_keys_local.cli import local_dynamodb
from signing_keys_local.events import LambdaContext
from signing_keys_local.functions import FunctionHost
from signing_keys_local.template import Template

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Stack:
    host: FunctionHost
    template: Template
    table_name: str
    endpoint: str


@contextlib.contextmanager
def local_stack(**overrides: str) -> Iterator[Stack]:
    """The embedded DynamoDB with the template's table, and the template's functions in-process."""
    template = Template(ROOT / "template.yaml", {"LogLevel": "WARNING", **overrides})
    host = FunctionHost(template)
    os.environ["POWERTOOLS_METRICS_DISABLED"] = "true"
    with local_dynamodb(template, None) as endpoint:
        yield Stack(host, template, str(template.table_definition()["TableName"]), endpoint)


def count_calls(stack: Stack) -> dict[str, Counter[str]]:
    """DynamoDB operations per function while it handles its events/ file (authorizer refusals included)."""
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
