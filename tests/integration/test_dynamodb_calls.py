"""DynamoDB calls per operation, counted with botocore hooks while each function handles its events/ file (each is
one call, but rotation: two)."""

from __future__ import annotations

from collections import Counter

from signing_keys_local.cli import seed_examples
from signing_keys_local.stack import count_calls, local_stack

EXPECTED = {
    "ManagementAuthorizerFunction": {"GetItem": 1},
    "CreateKeyFunction": {"TransactWriteItems": 1},
    "ListKeysFunction": {"Query": 1},
    "GetKeyFunction": {"GetItem": 1},
    # The key and its audit entry, one transaction; FastPix's PATCH then reads the key back (+ GetItem).
    "UpdateKeyFunction": {"TransactWriteItems": 1},
    # The old key's fields are copied into the successor: a read, then one transaction (design: 2 calls).
    "RotateKeyFunction": {"GetItem": 1, "TransactWriteItems": 1},
    "DeleteKeyFunction": {"TransactWriteItems": 1},
    # The key and the workspace item (its issuedBefore cut-offs) in one read; the example token has no jti or
    # viewer, so no revocation entry is asked for (tests/unit/test_verifier_revocations.py counts those). The
    # playback function verifies itself; the authorizer (for customers' own routes) reads the same.
    "PlaybackAuthorizerFunction": {"BatchGetItem": 1},
    "PlaybackFunction": {"BatchGetItem": 1},
    # Without an edge the exchange answers "not configured" before reading anything (the edge's tests count the
    # exchange's read: it is the playback function's).
    "ExchangeFunction": {},
    # The token debugger reads what verification reads (the example token is not single-use: no spent-mark read).
    "VerifyTokenFunction": {"BatchGetItem": 1},
    "JwksFunction": {"Query": 1},
    "ListAuditEventsFunction": {"Query": 1},
    "MethodNotAllowedFunction": {},
    "CreateRevocationFunction": {"TransactWriteItems": 1},
    "ListRevocationsFunction": {"Query": 1},
    "DeleteRevocationFunction": {"TransactWriteItems": 1},
}


def test_each_operation_makes_exactly_its_one_dynamodb_call() -> None:
    with local_stack() as stack:
        seed_examples(stack.template)
        counted = count_calls(stack)
    assert counted == {name: Counter(calls) for name, calls in EXPECTED.items()}
