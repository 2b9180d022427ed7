"""The edge functions' `lambda_handler(event, context)` in-process: the secret's rotation in Secrets Manager's four
steps (moto) writing the local KeyValueStore (the data-plane API over HTTP, through boto3's own client), the stream
function turning the table's changes into deny entries, and the sweep."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from signing_keys.edge_deny_list import decode, encode
from signing_keys_local.examples import EXAMPLE_KEY_ID, example_events
from signing_keys_local.kvs import KeyValueStoreServer, LocalKeyValueStore
from signing_keys_local.template import LOCAL_KVS_ARN
from tests.support import LocalFunctions, load_functions

SECRET = "signing-keys-local-EdgeSecret"
STEPS = ("createSecret", "setSecret", "testSecret", "finishSecret")


@pytest.fixture
def kvs(monkeypatch: pytest.MonkeyPatch) -> Iterator[LocalKeyValueStore]:
    store = LocalKeyValueStore(LOCAL_KVS_ARN)
    server = KeyValueStoreServer(store).start()
    monkeypatch.setenv("AWS_ENDPOINT_URL_CLOUDFRONT_KEYVALUESTORE", f"http://1:{server.server_address[1]}")
    yield store
    server.stop()


@pytest.fixture
def edge(kvs: LocalKeyValueStore) -> Iterator[LocalFunctions]:
    with mock_aws():
        functions = load_functions(EdgeMediaBucketName="media-bucket")
        boto3.client("secretsmanager").create_secret(Name=SECRET, SecretString="initial-" + "x" * 56)
        yield functions


def rotate(edge: LocalFunctions, token: str, steps: tuple[str, ...] = STEPS) -> None:
    for step in steps:
        edge.invoke("EdgeSecretRotationFunction", {"Step": step, "SecretId": SECRET, "ClientRequestToken": token})


def current(secret_id: str = SECRET) -> Any:
    """The version the exchange signs with (it asks for AWSCURRENT by name, as this does)."""
    return boto3.client("secretsmanager").get_secret_value(SecretId=secret_id, VersionStage="AWSCURRENT")


def test_a_rotation_puts_the_new_version_in_the_store_before_it_becomes_current(
    edge: LocalFunctions, kvs: LocalKeyValueStore
) -> None:
    token = str(uuid.uuid4())
    rotate(edge, token, STEPS[:2])
    # After setSecret the store holds the pending version, which nothing signs with yet
    pending = boto3.client("secretsmanager").get_secret_value(SecretId=SECRET, VersionStage="AWSPENDING")
    assert kvs.items[f"s:{token}"] == pending["SecretString"]
    assert current()["VersionId"] != token
    rotate(edge, token, STEPS[2:])
    # Then it is the current version: 64 letters and digits, over 256 bits
    secret = current()
    assert secret["VersionId"] == token
    assert len(secret["SecretString"]) == 64 and secret["SecretString"].isalnum()


def test_a_rotation_keeps_the_previous_version_for_its_sessions_and_retires_the_one_before(
    edge: LocalFunctions, kvs: LocalKeyValueStore
) -> None:
    first, second, third = (str(uuid.uuid4()) for _ in range(3))
    for token in (first, second, third):
        rotate(edge, token)
    assert {key for key in kvs.items if key.startswith("s:")} == {f"s:{second}", f"s:{third}"}


def test_a_step_retried_after_it_succeeded_changes_nothing(edge: LocalFunctions, kvs: LocalKeyValueStore) -> None:
    token = str(uuid.uuid4())
    rotate(edge, token, ("createSecret",))
    made = boto3.client("secretsmanager").get_secret_value(SecretId=SECRET, VersionStage="AWSPENDING")
    rotate(edge, token)
    rotate(edge, token)  # Secrets Manager retries steps: all of them again, on the current version
    assert current()["SecretString"] == made["SecretString"]


def test_the_test_step_fails_when_the_store_lost_the_pending_version(
    edge: LocalFunctions, kvs: LocalKeyValueStore
) -> None:
    token = str(uuid.uuid4())
    rotate(edge, token, STEPS[:2])
    del kvs.items[f"s:{token}"]
    with pytest.raises(Exception, match="does not hold the pending version"):
        rotate(edge, token, ("testSecret",))
    assert current()["VersionId"] != token  # never made current


def test_no_secret_value_reaches_the_rotations_logs(
    edge: LocalFunctions, kvs: LocalKeyValueStore, capsys: pytest.CaptureFixture[str]
) -> None:
    rotate(edge, str(uuid.uuid4()))
    output = capsys.readouterr()
    assert current()["SecretString"] not in output.out + output.err


def test_the_stream_function_denies_a_disabled_keys_sessions(edge: LocalFunctions, kvs: LocalKeyValueStore) -> None:
    response = edge.invoke("EdgeSyncFunction", example_events()["edge_sync"])
    assert response == {"puts": 1, "deletes": 0, "cuts": 0}
    assert decode(kvs.items[f"k:{EXAMPLE_KEY_ID}"])["from"] == 0  # type: ignore[index]


def test_the_sweep_removes_only_entries_no_session_needs(edge: LocalFunctions, kvs: LocalKeyValueStore) -> None:
    kvs.items.update({"r:old": encode({"until": 1}), "r:live": encode({"until": 4_000_000_000}), "s:v1": "x" * 64})
    assert edge.invoke("EdgeSweepFunction", example_events()["sweep_edge"]) == {"removed": 1}
    assert set(kvs.items) == {"r:live", "s:v1"}
