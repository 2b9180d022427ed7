"""Least privilege (issue 18, finding 7): each function's DynamoDB access, and its access to every other service,
read from template.yaml.

The tables below are the contract. A new function (revocations, audit, ...) adds its rows; a function that needs
another item kind, action or resource changes its row here and in the template, in the same change.
"""

from __future__ import annotations

from typing import Any

import pytest

from signing_keys_local.template import Template
from tests.conftest import TEMPLATE
from tests.unit.iam_policies import (
    INDEX,
    TABLE,
    Grant,
    ServiceGrant,
    UnreadablePolicy,
    function_grants,
    function_service_grants,
    grants,
    service_statement_grants,
    statement_grants,
)

EXPECTED_DYNAMODB_ACCESS: dict[str, set[Grant]] = {
    "ManagementAuthorizerFunction": grants(["GetItem"], TABLE, "CRED#"),
    # Create and delete are transactions: their Put/Update/Delete parts are authorized as those actions.
    "CreateKeyFunction": grants(["UpdateItem"], TABLE, "WS#") | grants(["PutItem"], TABLE, "KEY#", "AUDIT#"),
    "ListKeysFunction": grants(["Query"], INDEX, "WS#"),
    "GetKeyFunction": grants(["GetItem"], TABLE, "KEY#"),
    # The FastPix PATCH answers the key as it now is: one read after the transaction.
    "UpdateKeyFunction": grants(["UpdateItem", "GetItem"], TABLE, "KEY#") | grants(["PutItem"], TABLE, "AUDIT#"),
    # Rotation reads the old key, then one transaction: counter, successor, the old key's expiry (and audit).
    "RotateKeyFunction": (
        grants(["GetItem"], TABLE, "KEY#")
        | grants(["UpdateItem"], TABLE, "WS#", "KEY#")
        | grants(["PutItem"], TABLE, "KEY#", "AUDIT#")
    ),
    "DeleteKeyFunction": (
        grants(["DeleteItem"], TABLE, "KEY#")
        | grants(["UpdateItem"], TABLE, "WS#")
        | grants(["PutItem"], TABLE, "AUDIT#")
    ),
    "PlaybackAuthorizerFunction": (
        # One BatchGetItem per cold verification; it never calls GetItem.
        grants(["BatchGetItem"], TABLE, "KEY#", "WS#", "REV#")
        | grants(["UpdateItem"], TABLE, "KEY#", attributes=["PK", "SK", "lastSeen"], return_values=["NONE"])
        | grants(["PutItem"], TABLE, "USED#")
    ),
    # A revocation is one transaction: its entry, for issuedBefore the cut-off on the workspace item (read first
    # to drop expired ones), and its audit entry; an identical active entry is read back instead.
    "CreateRevocationFunction": (
        grants(["PutItem"], TABLE, "REV#", "AUDIT#")
        | grants(["GetItem"], TABLE, "REV#", "WS#")
        | grants(["UpdateItem"], TABLE, "WS#")
    ),
    "ListRevocationsFunction": grants(["Query"], INDEX, "REVS#"),
    "DeleteRevocationFunction": (
        grants(["DeleteItem"], TABLE, "REV#")
        | grants(["UpdateItem"], TABLE, "WS#")
        | grants(["PutItem"], TABLE, "AUDIT#")
    ),
    "JwksFunction": grants(["Query"], INDEX, "WS#"),
    # The caller's workspace's audit partition, newest first: a Query of the table, never the index.
    "ListAuditEventsFunction": grants(["Query"], TABLE, "AUDIT#"),
    # Verifies viewers' tokens itself (a refusal carries its reason): what the authorizer reads and writes, but
    # with no GetItem.
    "PlaybackFunction": (
        grants(["BatchGetItem"], TABLE, "KEY#", "WS#", "REV#")
        | grants(["UpdateItem"], TABLE, "KEY#", attributes=["PK", "SK", "lastSeen"], return_values=["NONE"])
        | grants(["PutItem"], TABLE, "USED#")
    ),
    # The exchange verifies as playback does (and reads the edge secret, not DynamoDB).
    "ExchangeFunction": (
        grants(["BatchGetItem"], TABLE, "KEY#", "WS#", "REV#")
        | grants(["UpdateItem"], TABLE, "KEY#", attributes=["PK", "SK", "lastSeen"], return_values=["NONE"])
        | grants(["PutItem"], TABLE, "USED#")
    ),
    # The token debugger reads what verification reads, and whether a single-use token was spent: no writes.
    "VerifyTokenFunction": grants(["BatchGetItem"], TABLE, "KEY#", "WS#", "REV#") | grants(["GetItem"], TABLE, "USED#"),
    "MethodNotAllowedFunction": set(),
    # The edge functions never touch the table's items (the sync reads its stream: SAM's managed policy).
    "EdgeSyncFunction": set(),
    "EdgeSecretRotationFunction": set(),
    "EdgeSweepFunction": set(),
}


def _service_grants(actions: list[str], resource: str, condition: str | None = None) -> set[ServiceGrant]:
    return {ServiceGrant(action, resource, condition) for action in actions}


KVS = "cloudfront-keyvaluestore"
EXPECTED_SERVICE_ACCESS: dict[str, set[ServiceGrant]] = {
    # Reads the HMAC secret it signs edge tokens with; only when the edge exists.
    "ExchangeFunction": _service_grants(["secretsmanager:GetSecretValue"], "EdgeSecret", "HasEdge"),
    # Writes deny entries; reads one to merge into it.
    "EdgeSyncFunction": _service_grants(
        [f"{KVS}:DescribeKeyValueStore", f"{KVS}:GetKey", f"{KVS}:UpdateKeys"], "EdgeKeyValueStore"
    ),
    # Secrets Manager's rotation steps on the one secret, a random value, and the secret's copy at the edge.
    "EdgeSecretRotationFunction": (
        _service_grants(
            [
                "secretsmanager:DescribeSecret",
                "secretsmanager:GetSecretValue",
                "secretsmanager:PutSecretValue",
                "secretsmanager:UpdateSecretVersionStage",
            ],
            "EdgeSecret",
        )
        | _service_grants(["secretsmanager:GetRandomPassword"], "*")
        | _service_grants([f"{KVS}:DescribeKeyValueStore", f"{KVS}:GetKey", f"{KVS}:UpdateKeys"], "EdgeKeyValueStore")
    ),
    # Lists entries and removes the expired ones.
    "EdgeSweepFunction": _service_grants(
        [f"{KVS}:DescribeKeyValueStore", f"{KVS}:ListKeys", f"{KVS}:UpdateKeys"], "EdgeKeyValueStore"
    ),
}
CREDENTIAL_ITEMS = {"CRED#", "CREDS#"}
WRITES = {"PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem"}


@pytest.fixture(scope="module")
def functions() -> dict[str, dict[str, Any]]:
    template = Template(TEMPLATE)
    return {rid: r for rid, r in template.resources.items() if r.get("Type") == "AWS::Serverless::Function"}


def test_every_function_declares_its_dynamodb_access_in_the_table(functions: dict[str, dict[str, Any]]) -> None:
    # Given the template's functions
    # Then each has a row in the access table, and the table names no function the template lacks
    assert set(functions) == set(EXPECTED_DYNAMODB_ACCESS)


@pytest.mark.parametrize("function_id", sorted(EXPECTED_DYNAMODB_ACCESS))
def test_function_is_granted_exactly_its_dynamodb_access(
    functions: dict[str, dict[str, Any]], function_id: str
) -> None:
    # Given the function's inline policies in the template
    # When they are read as (action, resource, item kind) grants
    granted = function_grants(functions[function_id])
    # Then they are exactly the function's row: nothing broader, nothing missing
    assert granted == EXPECTED_DYNAMODB_ACCESS[function_id]


@pytest.mark.parametrize("function_id", sorted(EXPECTED_DYNAMODB_ACCESS))
def test_function_is_granted_exactly_its_access_to_other_services(
    functions: dict[str, dict[str, Any]], function_id: str
) -> None:
    # Given the function's inline policies in the template
    # When their statements on services other than DynamoDB are read as (action, resource, condition) grants
    granted = function_service_grants(functions[function_id])
    # Then they are exactly the function's row (none for a function without one)
    assert granted == EXPECTED_SERVICE_ACCESS.get(function_id, set())


def test_only_the_rotation_function_may_change_the_edge_secret(functions: dict[str, dict[str, Any]]) -> None:
    # Given every function's grants on the edge tokens' HMAC secret
    writers = {
        function_id
        for function_id, function in functions.items()
        for grant in function_service_grants(function)
        if grant.resource == "EdgeSecret" and grant.action != "secretsmanager:GetSecretValue"
    }
    readers = {
        function_id
        for function_id, function in functions.items()
        for grant in function_service_grants(function)
        if grant.resource == "EdgeSecret" and grant.action == "secretsmanager:GetSecretValue"
    }
    # Then the rotation alone may change it, and only the exchange (which signs with it) and the rotation read it
    assert writers == {"EdgeSecretRotationFunction"}
    assert readers == {"ExchangeFunction", "EdgeSecretRotationFunction"}


def test_only_the_management_authorizer_reaches_credential_items(functions: dict[str, dict[str, Any]]) -> None:
    # Given every function's grants
    reaching = {
        function_id
        for function_id, function in functions.items()
        if any(grant.partition in CREDENTIAL_ITEMS for grant in function_grants(function))
    }
    # Then credential items (hashes of secrets, and their per-workspace index) are read by the authorizer alone
    assert reaching == {"ManagementAuthorizerFunction"}


def test_the_playback_authorizer_changes_nothing_of_a_key_but_last_seen(functions: dict[str, dict[str, Any]]) -> None:
    # Given the public authorizer's grants
    key_writes = [
        grant
        for grant in function_grants(functions["PlaybackAuthorizerFunction"])
        if grant.action in WRITES and grant.partition == "KEY#"
    ]
    # Then its only write to a key item is an update limited to lastSeen (key attributes address the item)
    # that cannot return the item's other attributes
    assert key_writes == [Grant("UpdateItem", TABLE, "KEY#", frozenset({"PK", "SK", "lastSeen"}), frozenset({"NONE"}))]


def test_no_function_may_scan(functions: dict[str, dict[str, Any]]) -> None:
    # Given every function's grants
    actions = {grant.action for function in functions.values() for grant in function_grants(function)}
    # Then none may Scan: a scan carries no leading key, so LeadingKeys conditions would not fence it
    assert "Scan" not in actions
    assert "PartiQLSelect" not in actions


def _fenced_statement(action: str, leading_keys_pattern: str) -> dict[str, Any]:
    return {
        "Effect": "Allow",
        "Action": action,
        "Resource": {"Fn::GetAtt": ["KeysTable", "Arn"]},
        "Condition": {
            "ForAllValues:StringLike": {"dynamodb:LeadingKeys": [leading_keys_pattern]},
            "Null": {"dynamodb:LeadingKeys": "false"},
        },
    }


# -- the reader itself refuses what it cannot vouch for, so the tests above cannot pass on a broad policy --------


def test_reader_refuses_sam_policy_templates() -> None:
    # Given a function with a SAM policy template (the template's former DynamoDBCrudPolicy)
    function = {"Properties": {"Policies": [{"DynamoDBCrudPolicy": {"TableName": {"Ref": "KeysTable"}}}]}}
    # When it is read / Then it is refused: such templates grant every item of the table
    with pytest.raises(UnreadablePolicy, match="not an inline policy document"):
        function_grants(function)


def test_reader_refuses_a_statement_not_fenced_by_leading_keys() -> None:
    # Given the playback authorizer's former statement: GetItem and UpdateItem on any item
    statement = {
        "Effect": "Allow",
        "Action": ["dynamodb:GetItem", "dynamodb:UpdateItem"],
        "Resource": {"Fn::GetAtt": ["KeysTable", "Arn"]},
    }
    # When it is read / Then it is refused
    with pytest.raises(UnreadablePolicy, match="not fenced by dynamodb:LeadingKeys"):
        statement_grants(statement)


def test_reader_refuses_leading_keys_without_a_null_check() -> None:
    # Given a fenced statement without Null=false (ForAllValues holds for a request with no key at all)
    statement = {
        "Effect": "Allow",
        "Action": "dynamodb:Query",
        "Resource": {"Fn::Sub": "${KeysTable.Arn}/index/GSI1"},
        "Condition": {"ForAllValues:StringLike": {"dynamodb:LeadingKeys": ["WS#*"]}},
    }
    # When it is read / Then it is refused
    with pytest.raises(UnreadablePolicy, match="Null=false"):
        statement_grants(statement)


@pytest.mark.parametrize("pattern", ["*", "K*", "KEY#a*", "WS#*#*"])
def test_reader_refuses_a_leading_keys_pattern_wider_than_one_item_kind(pattern: str) -> None:
    # Given a statement whose LeadingKeys pattern matches more than one item kind
    statement = _fenced_statement("dynamodb:GetItem", pattern)
    # When it is read / Then it is refused
    with pytest.raises(UnreadablePolicy, match="not one item kind"):
        statement_grants(statement)


def test_reader_refuses_wildcard_actions() -> None:
    # Given a fenced statement granting dynamodb:*
    statement = _fenced_statement("dynamodb:*", "KEY#*")
    # When it is read / Then it is refused
    with pytest.raises(UnreadablePolicy, match="not one named DynamoDB action"):
        statement_grants(statement)


def test_reader_refuses_another_service_on_every_resource() -> None:
    # Given a KeyValueStore write on every resource
    statement = {"Effect": "Allow", "Action": "cloudfront-keyvaluestore:UpdateKeys", "Resource": "*"}
    # When it is read / Then it is refused: only actions that act on no resource may name "*"
    with pytest.raises(UnreadablePolicy, match="on every resource"):
        service_statement_grants(statement)


def test_reader_refuses_a_statement_mixing_dynamodb_and_another_service() -> None:
    # Given one statement granting a table read and a secret read
    function = {
        "Properties": {
            "Policies": [
                {
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Action": ["dynamodb:GetItem", "secretsmanager:GetSecretValue"],
                            "Resource": {"Ref": "EdgeSecret"},
                        }
                    ]
                }
            ]
        }
    }
    # When it is read / Then it is refused: neither reader could vouch for the whole statement
    with pytest.raises(UnreadablePolicy, match="mixes services"):
        function_service_grants(function)
