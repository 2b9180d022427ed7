"""Reads the access a function's inline policies grant: DynamoDB as (action, resource, item prefix) grants, every
other service as (action, resource) grants.

Strict on purpose: anything it cannot read exactly (SAM policy templates, wildcards, Deny, a condition it does
not know, a DynamoDB statement not fenced by `dynamodb:LeadingKeys`, a statement mixing DynamoDB and other
services) is an error, so a test built on it cannot pass by misreading a broader policy as a narrower one. How IAM
evaluates these conditions: docs/iam.md.
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


@dataclass(frozen=True)
class ServiceGrant:
    action: str  # with the service prefix: secretsmanager:GetSecretValue, ...
    resource: str  # the logical id of the template resource it names, or "*"
    condition: str | None = None  # the template condition the statement exists under (Fn::If), if any


# Actions IAM authorizes on no resource at all: "*" is the only resource a statement can give them.
RESOURCELESS_ACTIONS = {"secretsmanager:GetRandomPassword"}


def _statements(function: dict[str, Any]) -> list[tuple[str | None, dict[str, Any]]]:
    """Every statement of the function's inline policies, with the condition an Fn::If puts it under."""
    statements: list[tuple[str | None, dict[str, Any]]] = []
    for policy in (function.get("Properties") or {}).get("Policies") or []:
        if not isinstance(policy, dict) or set(policy) - {"Version", "Statement"}:
            raise UnreadablePolicy(f"{policy!r} is not an inline policy document (SAM templates grant whole tables)")
        for statement in _as_list(policy.get("Statement")):
            if set(statement) == {"Fn::If"}:
                condition, when_true, when_false = statement["Fn::If"]
                if when_false != {"Ref": "AWS::NoValue"}:
                    raise UnreadablePolicy(f"an Fn::If statement must fall back to AWS::NoValue: {statement!r}")
                statements.append((condition, when_true))
            else:
                statements.append((None, statement))
    return statements


def _is_dynamodb(statement: dict[str, Any]) -> bool:
    services = {str(action).partition(":")[0] for action in _as_list(statement.get("Action"))}
    if len(services) != 1:
        raise UnreadablePolicy(f"statement {statement.get('Sid')!r} mixes services {sorted(services)}")
    return services == {"dynamodb"}


def function_grants(function: dict[str, Any]) -> set[Grant]:
    """The DynamoDB access of an AWS::Serverless::Function, from its inline policy documents."""
    result: set[Grant] = set()
    for condition, statement in _statements(function):
        if _is_dynamodb(statement):
            if condition is not None:
                raise UnreadablePolicy(f"DynamoDB statement {statement.get('Sid')!r} under a condition is not read")
            result |= statement_grants(statement)
    return result


def _resource_id(resource: Any, actions: list[str]) -> str:
    if resource == "*":
        if set(actions) - RESOURCELESS_ACTIONS:
            raise UnreadablePolicy(f"{sorted(set(actions) - RESOURCELESS_ACTIONS)} granted on every resource")
        return "*"
    if isinstance(resource, dict) and set(resource) == {"Ref"}:
        return str(resource["Ref"])
    if isinstance(resource, dict) and set(resource) == {"Fn::GetAtt"} and resource["Fn::GetAtt"][1] == "Arn":
        return str(resource["Fn::GetAtt"][0])
    raise UnreadablePolicy(f"resource {resource!r} is neither a resource of the template nor *")


def service_statement_grants(statement: dict[str, Any], condition: str | None = None) -> set[ServiceGrant]:
    if statement.get("Effect") != "Allow":
        raise UnreadablePolicy(f"only Allow statements are read, got {statement.get('Effect')!r}")
    if set(statement) - {"Sid", "Effect", "Action", "Resource"}:
        raise UnreadablePolicy(f"statement {statement.get('Sid')!r} has what this reader does not vouch for")
    actions = [str(action) for action in _as_list(statement.get("Action"))]
    if any("*" in action or ":" not in action for action in actions):
        raise UnreadablePolicy(f"actions {actions!r} are not named actions")
    resources = [_resource_id(resource, actions) for resource in _as_list(statement.get("Resource"))]
    return {ServiceGrant(action, resource, condition) for action in actions for resource in resources}


def function_service_grants(function: dict[str, Any]) -> set[ServiceGrant]:
    """The access to every service but DynamoDB of an AWS::Serverless::Function, from its inline policies."""
    result: set[ServiceGrant] = set()
    for condition, statement in _statements(function):
        if not _is_dynamodb(statement):
            result |= service_statement_grants(statement, condition)
    return result
