"""The recording of each function's DynamoDB requests, which the IAM evaluation checks against the function's policy
(signing_keys_local.dynamodb_calls; docs/iam.md#evaluated-not-read): through the API in-process."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from signing_keys_local.dynamodb_calls import CALL_LOG_VARIABLE, expression_attributes
from tests.support import LocalApi, basic, build_local_api

KEYS = "/iam/signing-keys"


@pytest.fixture
def records_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv(CALL_LOG_VARIABLE, str(tmp_path / "records"))
    return tmp_path / "records"


@pytest.fixture
def api(records_dir: Path) -> Iterator[LocalApi]:
    # A function's clients get the recorder when its module is imported; the warm modules other tests of this
    # process imported may predate the variable. A default session of this test's own has every function it
    # invokes imported anew (tests.support.PerTestHost), as a container starts with the variable set.
    with mock_aws():
        boto3.setup_default_session()
        try:
            yield build_local_api()
        finally:
            boto3.DEFAULT_SESSION = None


def records(directory: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for path in sorted(directory.glob("*.jsonl")) for line in path.read_text().splitlines()]


def test_a_functions_calls_are_recorded_under_its_logical_id(api: LocalApi, records_dir: Path) -> None:
    # Given a credential
    auth = basic(api.credential("ws-a"))
    # When a request goes through the management authorizer to the list function
    api.request("GET", KEYS, authorization=auth)
    # Then each function's call is recorded as its own, with the item or index it asked for
    recorded = [(r["function"], r["action"], r["index"]) for r in records(records_dir)]
    assert recorded == [("ManagementAuthorizerFunction", "GetItem", None), ("ListKeysFunction", "Query", "GSI1")]
    query = records(records_dir)[1]
    assert query["key"] == {"GSI1PK": "WS#ws-a"}
    assert query["template"].endswith("template.yaml")


def test_a_transaction_is_recorded_as_one_request_per_item(api: LocalApi, records_dir: Path) -> None:
    # Given a credential
    auth = basic(api.credential("ws-a"))
    # When a key is created (one TransactWriteItems: the counter, the key, the audit entry)
    api.request("POST", KEYS, authorization=auth)
    created = [r for r in records(records_dir) if r["function"] == "CreateKeyFunction"]
    # Then each part is recorded as the action IAM authorizes it as, with its own key, all of one call
    parts = sorted((r["action"], r["key"]["PK"].split("#")[0]) for r in created)
    assert parts == [("PutItem", "AUDIT"), ("PutItem", "KEY"), ("UpdateItem", "WS")]
    assert {r["operation"] for r in created} == {"TransactWriteItems"}
    assert len({r["call"] for r in created}) == 1
    counter = next(r for r in created if r["action"] == "UpdateItem")
    assert counter["attributes"] == ["PK", "SK", "keyCount"]


def test_the_tests_own_calls_are_never_recorded(api: LocalApi, records_dir: Path) -> None:
    # Given a test that issues a credential and scans the table with clients of its own
    api.credential("ws-a")
    api.table_items()
    # Then nothing is recorded: only the functions' clients carry the recorder
    assert records(records_dir) == []


def test_nothing_is_recorded_without_the_variable(
    api: LocalApi, records_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(CALL_LOG_VARIABLE)
    api.request("GET", KEYS, authorization=basic(api.credential("ws-a")))
    assert not records_dir.exists()


def test_an_expression_names_its_top_level_attributes() -> None:
    # Given the playback authorizer's lastSeen update and a nested path with placeholders
    update = expression_attributes("SET lastSeen = :now", {})
    condition = expression_attributes(
        "attribute_exists(PK) AND (attribute_not_exists(lastSeen) OR lastSeen <= :stale)", {}
    )
    nested = expression_attributes("SET #p.inner[0] = :v REMOVE #c", {"#p": "policy", "#c": "cutoff_1"})
    # Then functions, keywords, values and nested names are not attributes; placeholders resolve
    assert (update, condition, nested) == ({"lastSeen"}, {"PK", "lastSeen"}, {"policy", "cutoff_1"})
