"""Evaluates every DynamoDB request the template's functions made during the test tiers against that function's
own IAM policy as template.yaml writes it, with a maintained IAM policy evaluator (@cloud-copilot/iam-simulate),
and negative controls built from the same requests, which must be denied.

The recording (`signing_keys_local.dynamodb_calls`) gives each item request's facts; `request_context` turns them
into the IAM request (action, resource ARN, condition keys): the model is documented in
docs/iam.md#evaluated-not-read. Every function of the template with a DynamoDB policy must have been recorded:
one that never was is listed, and fails the check, so a function added later is covered as soon as a test runs it.

`python -m tests.iam.policy_check <records directory>` (`make iam`, after `make pytest` recorded): prints
`IAM: N recorded calls allowed, M negative controls denied` and exits 0, or says what failed and exits 1.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from signing_keys_local.template import LOCAL_ACCOUNT, LOCAL_REGION, Template
from tests.conftest import TEMPLATE

SIMULATOR = Path(__file__).resolve().parent
SINGLE_ITEM_WRITES = {"PutItem", "UpdateItem", "DeleteItem"}
TRANSACTIONS = {"TransactWriteItems", "TransactGetItems"}
# Functions whose policy limits what they may change of an item (docs/iam.md): action → the attribute a control
# adds to a recorded request of that action, and the ReturnValues that would read the whole item.
ATTRIBUTE_LIMITED = {"PlaybackAuthorizerFunction": "UpdateItem"}
FOREIGN_ATTRIBUTE = "disabled"
CREDENTIAL_KEY = "CRED#" + "0" * 64
SHOWN_FAILURES = 20

Context = tuple[tuple[str, str | tuple[str, ...]], ...]


@dataclass(frozen=True)
class IamRequest:
    function: str
    action: str  # e.g. dynamodb:GetItem
    resource: str  # the table's or the index's ARN
    context: Context  # condition keys, sorted

    def key(self, name: str) -> str | tuple[str, ...] | None:
        return dict(self.context).get(name)

    def with_context(self, **changes: str | tuple[str, ...] | None) -> IamRequest:
        """The same request with condition keys set (or, given None, removed): a negative control."""
        updated = dict(self.context)
        for name, value in changes.items():
            key = "dynamodb:" + name
            if value is None:
                updated.pop(key, None)
            else:
                updated[key] = value
        return replace(self, context=tuple(sorted(updated.items())))

    def as_json(self) -> dict[str, Any]:
        return {
            "function": self.function,
            "principal": f"arn:aws:sts::{LOCAL_ACCOUNT}:assumed-role/{self.function}Role/{self.function}",
            "action": self.action,
            "resource": self.resource,
            "context": {name: list(value) if isinstance(value, tuple) else value for name, value in self.context},
        }

    def describe(self) -> str:
        return f"{self.function} {self.action} on {self.resource} with {dict(self.context)}"


class Stack:
    """What the evaluation takes from template.yaml: each function's inline policies, ARNs resolved, and the key
    schema of its table and indexes."""

    def __init__(self, template: Template) -> None:
        definition = template.table_definition()
        self.table_name: str = definition["TableName"]
        self.partition_keys: dict[str | None, str] = {None: _hash_key(definition["KeySchema"])}
        for index in definition.get("GlobalSecondaryIndexes", []):
            self.partition_keys[index["IndexName"]] = _hash_key(index["KeySchema"])
        self.policies: dict[str, list[dict[str, Any]]] = {}
        for logical_id, resource in template.resources.items():
            if resource.get("Type") != "AWS::Serverless::Function":
                continue
            policies = (resource.get("Properties") or {}).get("Policies") or []
            for policy in policies:
                if not isinstance(policy, dict) or set(policy) - {"Version", "Statement"}:
                    raise ValueError(f"{logical_id}: only inline policy documents can be evaluated, got {policy!r}")
            self.policies[logical_id] = template.resolve(policies)

    def table_arn(self, table: str | None) -> str:
        return f"arn:aws:dynamodb:{LOCAL_REGION}:{LOCAL_ACCOUNT}:table/{table}"

    def dynamodb_functions(self) -> set[str]:
        """The functions whose policies grant any DynamoDB action: each must have been seen calling."""
        return {function for function, policies in self.policies.items() if "dynamodb:" in json.dumps(policies)}


def _hash_key(schema: list[dict[str, str]]) -> str:
    return next(element["AttributeName"] for element in schema if element["KeyType"] == "HASH")


def request_context(record: dict[str, Any], stack: Stack) -> IamRequest:
    """The IAM request an item request is authorized as (docs/iam.md#evaluated-not-read)."""
    index = record.get("index")
    resource = stack.table_arn(record["table"]) + (f"/index/{index}" if index else "")
    context: dict[str, str | tuple[str, ...]] = {}
    partition_key = stack.partition_keys.get(index) if record["table"] == stack.table_name else None
    if partition_key is not None and partition_key in record["key"]:
        # For a Query on an index, its own partition key: AWS does not document this (docs/iam.md).
        context["dynamodb:LeadingKeys"] = (record["key"][partition_key],)
    if record["attributes"]:
        context["dynamodb:Attributes"] = tuple(record["attributes"])
    if record["operation"] == record["action"] and record["action"] in SINGLE_ITEM_WRITES:
        # "The ReturnValues parameter always has a value (NONE unless otherwise specified)."
        context["dynamodb:ReturnValues"] = record.get("returnValues") or "NONE"
    if record["action"] in ("Query", "Scan"):
        default = "ALL_PROJECTED_ATTRIBUTES" if index else "ALL_ATTRIBUTES"
        context["dynamodb:Select"] = record.get("select") or ("SPECIFIC_ATTRIBUTES" if record["projected"] else default)
    if record["operation"] in TRANSACTIONS:
        context["dynamodb:EnclosingOperation"] = record["operation"]
    return IamRequest(record["function"], "dynamodb:" + record["action"], resource, tuple(sorted(context.items())))


def negative_controls(requests: Iterable[IamRequest], stack: Stack) -> dict[IamRequest, str]:
    """Requests each function must be refused, built from what it did (so new functions get them too)."""
    representatives: dict[tuple[str, str, str], IamRequest] = {}
    credential_readers = set()
    for request in requests:
        representatives.setdefault((request.function, request.action, request.resource), request)
        if any(key.startswith("CRED#") for key in request.key("dynamodb:LeadingKeys") or ()):
            credential_readers.add(request.function)
    controls: dict[IamRequest, str] = {}
    table = stack.table_arn(stack.table_name)
    for function in sorted(stack.dynamodb_functions()):
        for resource in (table, *(f"{table}/index/{index}" for index in stack.partition_keys if index)):
            scan = IamRequest(function, "dynamodb:Scan", resource, (("dynamodb:Select", "ALL_ATTRIBUTES"),))
            controls[scan] = f"{function} may not Scan {resource}: a scan carries no leading key"
    for (function, action, resource), request in sorted(representatives.items()):
        if request.key("dynamodb:LeadingKeys") is None:
            continue
        other_kind = "KEY#control" if function in credential_readers else CREDENTIAL_KEY
        controls[request.with_context(LeadingKeys=(other_kind,))] = f"{function} {action}: another item kind's key"
        controls[request.with_context(LeadingKeys=None)] = f"{function} {action}: no leading key at all"
        if resource.endswith(tuple(f"/index/{index}" for index in stack.partition_keys if index)):
            on_table = replace(request, resource=resource.rsplit("/index/", 1)[0]).with_context(Select="ALL_ATTRIBUTES")
            controls[on_table] = f"{function} {action}: on the table where it queries an index"
        attributes = request.key("dynamodb:Attributes")
        if ATTRIBUTE_LIMITED.get(function) == action.removeprefix("dynamodb:") and isinstance(attributes, tuple):
            wider = tuple(sorted({*attributes, FOREIGN_ATTRIBUTE}))
            controls[request.with_context(Attributes=wider)] = f"{function} {action}: touching {FOREIGN_ATTRIBUTE}"
            controls[request.with_context(ReturnValues="ALL_NEW")] = f"{function} {action}: ReturnValues ALL_NEW"
    return controls


def _executable(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise SystemExit(f"IAM: {name} is needed to evaluate the policies (Node.js 20+)")
    return found


def ensure_simulator() -> None:
    """`npm ci` the evaluator when it is not installed yet (the npm registry is reachable where tests run)."""
    if not (SIMULATOR / "node_modules" / "@cloud-copilot" / "iam-simulate").is_dir():
        command = [_executable("npm"), "ci", "--no-audit", "--no-fund"]
        subprocess.run(command, cwd=SIMULATOR, check=True, capture_output=True)


def simulate(requests: Sequence[IamRequest], stack: Stack) -> dict[IamRequest, str]:
    """Each distinct request's decision: Allowed, ImplicitlyDenied, ExplicitlyDenied or Error."""
    ensure_simulator()
    unique = list(dict.fromkeys(requests))
    document = {
        "account": LOCAL_ACCOUNT,
        "policies": stack.policies,
        "requests": [request.as_json() for request in unique],
    }
    completed = subprocess.run(
        [_executable("node"), str(SIMULATOR / "simulate.mjs")],
        input=json.dumps(document),
        capture_output=True,
        text=True,
        check=True,
    )
    decisions = json.loads(completed.stdout)
    return {request: decision["decision"] for request, decision in zip(unique, decisions, strict=True)}


@dataclass
class Report:
    allowed_calls: int = 0
    denied: dict[IamRequest, set[str]] = field(default_factory=dict)  # request → the calls that made it
    controls_denied: int = 0
    controls_allowed: list[str] = field(default_factory=list)
    unrecorded: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return self.allowed_calls > 0 and not (self.denied or self.controls_allowed or self.unrecorded)

    def lines(self) -> list[str]:
        lines = [
            f"denied: {request.describe()} (calls {', '.join(sorted(calls)[:3])})"
            for request, calls in list(self.denied.items())[:SHOWN_FAILURES]
        ]
        lines += [f"negative control allowed: {control}" for control in self.controls_allowed]
        lines += [
            f"never recorded: {function} (it has a DynamoDB policy; no test ran it)" for function in self.unrecorded
        ]
        summary = f"IAM: {self.allowed_calls} recorded calls allowed, {self.controls_denied} negative controls denied"
        if not self.passed:
            summary += f"; {len({c for calls in self.denied.values() for c in calls})} calls denied, FAILED"
        return [*lines, summary]


def evaluate(records: Iterable[dict[str, Any]], stack: Stack) -> Report:
    calls: dict[IamRequest, set[str]] = {}
    for record in records:
        calls.setdefault(request_context(record, stack), set()).add(record["call"])
    controls = negative_controls(calls, stack)
    decisions = simulate([*calls, *controls], stack)
    report = Report()
    all_calls = {call for made in calls.values() for call in made}
    for request, made in calls.items():
        if decisions[request] != "Allowed":
            report.denied[request] = made
    denied_calls = {call for made in report.denied.values() for call in made}
    report.allowed_calls = len(all_calls - denied_calls)
    for control, description in controls.items():
        if decisions[control] == "Allowed":
            report.controls_allowed.append(description)
        elif decisions[control] == "Error":
            report.controls_allowed.append(f"{description} (the evaluator refused the request)")
        else:
            report.controls_denied += 1
    recorded = {request.function for request in calls}
    report.unrecorded = sorted(stack.dynamodb_functions() - recorded)
    return report


def read_records(directory: Path, template: Path = TEMPLATE) -> list[dict[str, Any]]:
    """The records of this template's functions (tests also run functions of templates of their own)."""
    wanted = str(template.resolve())
    records = []
    for path in sorted(directory.glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            record = json.loads(line)
            if record["template"] == wanted:
                records.append(record)
    return records


def main(argv: Sequence[str] | None = None) -> int:
    arguments = list(sys.argv[1:] if argv is None else argv)
    if len(arguments) != 1:
        print("usage: python -m tests.iam.policy_check <records directory>", file=sys.stderr)
        return 2
    records = read_records(Path(arguments[0]))
    if not records:
        print(f"IAM: no recorded DynamoDB calls in {arguments[0]}: run `make pytest` first", file=sys.stderr)
        return 1
    report = evaluate(records, Stack(Template(TEMPLATE)))
    print("\n".join(report.lines()))
    return 0 if report.passed else 1


if __name__ == "__main__":
    sys.exit(main())
