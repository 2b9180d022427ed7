"""The IAM evaluation of recorded DynamoDB requests (tests/iam/policy_check.py, docs/iam.md#evaluated-not-read):
requests shaped as the recorder writes them, judged by @cloud-copilot/iam-simulate against template.yaml's policies.
The evaluation of what the test tiers really did is `make iam`."""

from __future__ import annotations

import copy
import itertools
from typing import Any

import pytest

from signing_keys_local.template import Template
from tests.conftest import TEMPLATE
from tests.iam.policy_check import Stack, evaluate, request_context, simulate

TABLE = "signing-keys-local-KeysTable"
_calls = itertools.count(1)


def record(function: str, action: str, key: dict[str, str], **fields: Any) -> dict[str, Any]:
    """One item request as signing_keys_local.dynamodb_calls records it."""
    base = {
        "call": f"test-{next(_calls)}",
        "function": function,
        "template": str(TEMPLATE),
        "operation": action,
        "action": action,
        "table": TABLE,
        "index": None,
        "key": key,
        "attributes": sorted(key),
        "returnValues": None,
        "select": None,
        "projected": False,
    }
    return {**base, **fields}


def last_seen_update(**fields: Any) -> dict[str, Any]:
    """The playback authorizer's lastSeen write, as the store makes it."""
    written = {"attributes": ["PK", "SK", "lastSeen"], **fields}
    return record("PlaybackAuthorizerFunction", "UpdateItem", {"PK": "KEY#k1", "SK": "KEY"}, **written)


# One request of each function, as the tiers record them.
TYPICAL = [
    record("ManagementAuthorizerFunction", "GetItem", {"PK": "CRED#" + "a" * 64, "SK": "CRED"}),
    record("GetKeyFunction", "GetItem", {"PK": "KEY#k1", "SK": "KEY"}),
    record("ListKeysFunction", "Query", {"GSI1PK": "WS#ws-a"}, index="GSI1", attributes=["GSI1PK"]),
    record("JwksFunction", "Query", {"GSI1PK": "WS#ws-a"}, index="GSI1", attributes=["GSI1PK"]),
    record("ListRevocationsFunction", "Query", {"GSI1PK": "REVS#ws-a"}, index="GSI1", attributes=["GSI1PK"]),
    record("ListAuditEventsFunction", "Query", {"PK": "AUDIT#ws-a"}, attributes=["PK"]),
    record("CreateKeyFunction", "UpdateItem", {"PK": "WS#ws-a", "SK": "COUNTER"}, operation="TransactWriteItems"),
    record("UpdateKeyFunction", "UpdateItem", {"PK": "KEY#k1", "SK": "KEY"}, operation="TransactWriteItems"),
    record("RotateKeyFunction", "GetItem", {"PK": "KEY#k1", "SK": "KEY"}),
    record("DeleteKeyFunction", "DeleteItem", {"PK": "KEY#k1", "SK": "KEY"}, operation="TransactWriteItems"),
    record("CreateRevocationFunction", "PutItem", {"PK": "REV#r1", "SK": "REV"}, operation="TransactWriteItems"),
    record("DeleteRevocationFunction", "DeleteItem", {"PK": "REV#r1", "SK": "REV"}, operation="TransactWriteItems"),
    record("PlaybackAuthorizerFunction", "BatchGetItem", {"PK": "KEY#k1", "SK": "KEY"}),
    last_seen_update(),
    record("PlaybackFunction", "BatchGetItem", {"PK": "KEY#k1", "SK": "KEY"}),
    record("ExchangeFunction", "PutItem", {"PK": "USED#" + "b" * 64, "SK": "USED"}),
    record("VerifyTokenFunction", "GetItem", {"PK": "USED#" + "b" * 64, "SK": "USED"}),
]


@pytest.fixture(scope="module")
def stack() -> Stack:
    return Stack(Template(TEMPLATE))


def decision(stack: Stack, item_request: dict[str, Any]) -> str:
    request = request_context(item_request, stack)
    return simulate([request], stack)[request]


def test_one_request_of_each_function_within_its_policy_passes(stack: Stack) -> None:
    # Given one recorded request of every function with a DynamoDB policy
    # When they are evaluated with their negative controls
    report = evaluate(TYPICAL, stack)
    # Then all are allowed, every control is denied, and the summary is the one line make iam prints
    assert report.passed, report.lines()
    assert report.lines() == [
        f"IAM: {len(TYPICAL)} recorded calls allowed, {report.controls_denied} negative controls denied"
    ]


def test_another_item_kinds_key_is_denied(stack: Stack) -> None:
    # Given the get function asking for a credential item
    credential = record("GetKeyFunction", "GetItem", {"PK": "CRED#" + "a" * 64, "SK": "CRED"})
    # Then its policy (KEY# only) refuses it
    assert decision(stack, credential) == "ImplicitlyDenied"


def test_each_part_of_a_transaction_is_judged_on_its_own(stack: Stack) -> None:
    # Given a create whose transaction also puts a revocation item (a kind its policy does not name)
    parts = [
        record("CreateKeyFunction", "UpdateItem", {"PK": "WS#ws-a", "SK": "COUNTER"}, operation="TransactWriteItems"),
        record("CreateKeyFunction", "PutItem", {"PK": "KEY#k1", "SK": "KEY"}, operation="TransactWriteItems"),
        record("CreateKeyFunction", "PutItem", {"PK": "REV#r1", "SK": "REV"}, operation="TransactWriteItems"),
    ]
    parts = [{**part, "call": "one-transaction"} for part in parts]
    # When they are evaluated
    report = evaluate([*TYPICAL, *parts], stack)
    # Then the call is denied for that one part, the others being allowed
    denied = {request.key("dynamodb:LeadingKeys") for request in report.denied}
    assert denied == {("REV#r1",)}
    assert not report.passed


def test_a_query_on_the_index_is_allowed_where_the_same_query_on_the_table_is_not(stack: Stack) -> None:
    on_index = record("JwksFunction", "Query", {"GSI1PK": "WS#ws-a"}, index="GSI1", attributes=["GSI1PK"])
    on_table = record("JwksFunction", "Query", {"PK": "WS#ws-a"}, attributes=["PK"])
    assert (decision(stack, on_index), decision(stack, on_table)) == ("Allowed", "ImplicitlyDenied")


@pytest.mark.parametrize(
    "change",
    [{"attributes": ["PK", "SK", "disabled", "lastSeen"]}, {"returnValues": "ALL_NEW"}],
    ids=["another attribute", "ReturnValues ALL_NEW"],
)
def test_the_playback_authorizer_may_write_last_seen_and_nothing_else(stack: Stack, change: dict[str, Any]) -> None:
    # Given the lastSeen write as the store makes it, and the same asking for more
    # Then the first is allowed and the other denied
    assert decision(stack, last_seen_update()) == "Allowed"
    assert decision(stack, last_seen_update(**change)) == "ImplicitlyDenied"


def test_an_update_that_names_no_return_values_is_judged_as_none() -> None:
    # DynamoDB: "the ReturnValues parameter always has a value (NONE unless otherwise specified)"; the lastSeen
    # statement requires NONE, and the store does not send the parameter.
    request = request_context(last_seen_update(), Stack(Template(TEMPLATE)))
    assert request.key("dynamodb:ReturnValues") == "NONE"


def test_a_function_with_a_dynamodb_policy_that_never_called_is_listed(stack: Stack) -> None:
    # Given records of the get function only
    report = evaluate([TYPICAL[1]], stack)
    # Then every other function with a DynamoDB policy is named, and the check fails
    assert "ManagementAuthorizerFunction" in report.unrecorded
    assert "GetKeyFunction" not in report.unrecorded
    assert not report.passed


def test_a_broader_policy_lets_a_negative_control_through(stack: Stack) -> None:
    # Given the playback authorizer's lastSeen statement without its attribute and ReturnValues limits
    broadened = copy.deepcopy(stack)
    statements = broadened.policies["PlaybackAuthorizerFunction"][0]["Statement"]
    statement = next(s for s in statements if s["Sid"] == "RecordLastSeenOnly")
    fence = statement["Condition"]["ForAllValues:StringLike"]
    statement["Condition"] = {"ForAllValues:StringLike": fence, "Null": {"dynamodb:LeadingKeys": "false"}}
    # When the same requests are evaluated
    report = evaluate(TYPICAL, broadened)
    # Then the controls that touch another attribute or read the item back are allowed, and the check fails
    assert any("touching disabled" in control for control in report.controls_allowed)
    assert any("ReturnValues ALL_NEW" in control for control in report.controls_allowed)
    assert not report.passed
