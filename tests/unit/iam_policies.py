"""Reads the DynamoDB access a function's inline policies grant, as (action, resource, item prefix) grants.

Strict on purpose: anything it cannot read exactly (SAM policy templates, wildcards, Deny, a condition it does
not know, a statement not fenced by `dynamodb:LeadingKeys`) is an error, so a test built on it cannot pass by
misreading a broader policy as a narrower one. How IAM evaluates these conditions: docs/iam.md.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

TABLE = "table"
INDEX = "index/GSI1"
_RESOURCES = {
    repr({"Fn::GetAtt": ["KeysTable", "Arn"]}): TABLE,
    repr({"Fn::Sub": "${KeysTable.Arn}/index/GSI1"}): INDEX,
}
_LEADING_KEYS = "dynamodb:LeadingKeys"
_ATTRIBUTES = "dynamodb:Attributes"
_RETURN_VALUES = "dynamodb:ReturnValues"


class UnreadablePolicy(AssertionError):
    """A policy this reader refuses to interpret (and so a test must not accept)."""


@dataclass(frozen=True)
class Grant:
    action: str  # without the service prefix: GetItem, Query, ...
    resource: str  # TABLE or INDEX
    partition: str  # the partition key prefix the item must have, e.g. "KEY#"
    attributes: frozenset[str] | None = None  # dynamodb:Attributes allow-list; None = any attribute
    return_values: frozenset[str] | None = None  # dynamodb:ReturnValues allow-list; None = unrestricted


def grants(
    actions: Iterable[str],
    resource: str,
    *partitions: str,
    attributes: Iterable[str] | None = None,
    return_values: Iterable[str] | None = None,
) -> set[Grant]:
    """Every action on items of every partition prefix (what one fenced statement allows)."""
    attribute_set = frozenset(attributes) if attributes is not None else None
    return_set = frozenset(return_values) if return_values is not None else None
    return {
        Grant(action, resource, partition, attribute_set, return_set) for action in actions for partition in partitions
    }


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _partition_prefixes(patterns: Any) -> list[str]:
    prefixes = []
    for pattern in _as_list(patterns):
        prefix = str(pattern).removesuffix("*")
        # "KEY#*" names one item kind; "*", "K*" or "KEY#a*b" would not.
        if not prefix.endswith("#") or "*" in prefix or "?" in prefix or prefix.count("#") != 1:
            raise UnreadablePolicy(f"LeadingKeys pattern {pattern!r} is not one item kind (PREFIX#*)")
        prefixes.append(prefix)
    return prefixes


def statement_grants(statement: dict[str, Any]) -> set[Grant]:
    if statement.get("Effect") != "Allow":
        raise UnreadablePolicy(f"only Allow statements are read, got {statement.get('Effect')!r}")
    named = [str(action) for action in _as_list(statement.get("Action"))]
    if named and not any(action.startswith("dynamodb:") for action in named):
        return set()  # another service's grant (e.g. the edge secret's): no DynamoDB access
    actions = []
    for action in _as_list(statement.get("Action")):
        service, _, name = str(action).partition(":")
        if service != "dynamodb" or not name or "*" in name:
            raise UnreadablePolicy(f"action {action!r} is not one named DynamoDB action")
        actions.append(name)
    if "NotAction" in statement or "NotResource" in statement:
        raise UnreadablePolicy("NotAction/NotResource grant everything else")
    resources = []
    for resource in _as_list(statement.get("Resource")):
        if repr(resource) not in _RESOURCES:
            raise UnreadablePolicy(f"resource {resource!r} is neither the table nor its GSI1 index")
        resources.append(_RESOURCES[repr(resource)])

    conditions: dict[str, dict[str, Any]] = dict(statement.get("Condition") or {})
    like = conditions.pop("ForAllValues:StringLike", {})
    equals_all = conditions.pop("ForAllValues:StringEquals", {})
    equals = conditions.pop("StringEquals", {})
    null = conditions.pop("Null", {})
    if conditions or set(like) - {_LEADING_KEYS} or set(equals_all) - {_ATTRIBUTES} or set(equals) - {_RETURN_VALUES}:
        raise UnreadablePolicy(f"unknown condition in {statement.get('Condition')!r}")
    if _LEADING_KEYS not in like:
        raise UnreadablePolicy(f"statement {statement.get('Sid')!r} is not fenced by dynamodb:LeadingKeys")
    # ForAllValues is true for a request that carries no value at all: the Null check makes that a deny.
    fenced_keys = {_LEADING_KEYS} | ({_ATTRIBUTES} if _ATTRIBUTES in equals_all else set())
    if any(str(null.get(key)).lower() != "false" for key in fenced_keys) or set(null) - fenced_keys:
        raise UnreadablePolicy(f"statement {statement.get('Sid')!r} lacks Null=false on {sorted(fenced_keys)}")

    result: set[Grant] = set()
    for resource in resources:
        result |= grants(
            actions,
            resource,
            *_partition_prefixes(like[_LEADING_KEYS]),
            attributes=_as_list(equals_all[_ATTRIBUTES]) if _ATTRIBUTES in equals_all else None,
            return_values=_as_list(equals[_RETURN_VALUES]) if _RETURN_VALUES in equals else None,
        )
    return result


def function_grants(function: dict[str, Any]) -> set[Grant]:
    """The DynamoDB access of an AWS::Serverless::Function, from its inline policy documents."""
    result: set[Grant] = set()
    for policy in (function.get("Properties") or {}).get("Policies") or []:
        if not isinstance(policy, dict) or set(policy) - {"Version", "Statement"}:
            raise UnreadablePolicy(f"{policy!r} is not an inline policy document (SAM templates grant whole tables)")
        for statement in _as_list(policy.get("Statement")):
            for branch in _branches(statement):
                result |= statement_grants(branch)
    return result


def _branches(statement: Any) -> list[dict[str, Any]]:
    """A statement, or both statements a `!If` may pick (a `!Ref AWS::NoValue` branch grants nothing)."""
    if isinstance(statement, dict) and set(statement) == {"Fn::If"}:
        _, when_true, when_false = statement["Fn::If"]
        return [branch for branch in (when_true, when_false) if branch != {"Ref": "AWS::NoValue"}]
    return [statement]
