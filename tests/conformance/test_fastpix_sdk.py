"""The official fastpix-python SDK, configured only with server_url and the credential, against the runner."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from fastpix_python import Fastpix, models
from fastpix_python.errors import ForbiddenResponseError, SigningKeyNotFoundError, UnAuthorizedResponseError

from tests.conformance.conftest import KEY_LIMIT, SECRET, TOKEN_ID
from tests.integration.conftest import Runner, call


@pytest.fixture
def fastpix(runner: Runner) -> Iterator[Fastpix]:
    client = Fastpix(server_url=runner.url, security=models.Security(username=TOKEN_ID, password=SECRET))
    yield client
    # Leave the shared workspace empty for the next test (and the other SDK).
    for key in client.signing_keys.list_signing_keys(limit=100, offset=1).data or []:
        assert key.id is not None
        client.signing_keys.delete_signing_key(signing_key_id=key.id)


def test_create_list_get_delete_round_trip(fastpix: Fastpix) -> None:
    # Given three keys created through the SDK
    created = [fastpix.signing_keys.create_signing_key() for _ in range(3)]
    ids = [c.data.id for c in created if c.data is not None]
    assert len(ids) == 3
    first = created[0].data
    assert first is not None and first.private_key is not None and first.created_at is not None
    private_key = serialization.load_pem_private_key(base64.b64decode(first.private_key), password=None)
    # When listed two per page
    page_one = fastpix.signing_keys.list_signing_keys(limit=2, offset=1)
    page_two = fastpix.signing_keys.list_signing_keys(limit=2, offset=2)
    # Then the pages hold all three, with pagination the SDK parses
    assert page_one.pagination is not None and page_one.pagination.total_records == 3
    assert page_one.pagination.offset_count == 2
    assert [k.id for k in (page_one.data or []) + (page_two.data or [])] == ids
    # And get returns the public half of the first key
    detail = fastpix.signing_keys.get_signing_key_by_id(signing_key_id=ids[0])
    assert detail.data is not None and detail.data.public_key is not None
    public_pem = base64.b64decode(detail.data.public_key)
    expected = private_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    assert public_pem == expected
    # And delete, then get, raises the SDK's documented not-found error
    deleted = fastpix.signing_keys.delete_signing_key(signing_key_id=ids[0])
    assert deleted.success is True
    with pytest.raises(SigningKeyNotFoundError) as not_found:
        fastpix.signing_keys.get_signing_key_by_id(signing_key_id=ids[0])
    assert not_found.value.status_code == 404


def test_key_limit_raises_the_sdks_forbidden_error(fastpix: Fastpix) -> None:
    for _ in range(KEY_LIMIT):
        fastpix.signing_keys.create_signing_key()
    with pytest.raises(ForbiddenResponseError) as forbidden:
        fastpix.signing_keys.create_signing_key()
    assert forbidden.value.status_code == 403
    assert forbidden.value.data.success is False


def test_wrong_credential_raises_the_sdks_unauthorized_error(runner: Runner) -> None:
    client = Fastpix(server_url=runner.url, security=models.Security(username=TOKEN_ID, password="wrong"))
    with pytest.raises(UnAuthorizedResponseError) as unauthorized:
        client.signing_keys.list_signing_keys()
    assert unauthorized.value.status_code == 401


def test_missing_key_raises_not_found_on_delete(fastpix: Fastpix) -> None:
    with pytest.raises(SigningKeyNotFoundError):
        fastpix.signing_keys.delete_signing_key(signing_key_id="00000000-0000-8000-8000-000000000000")


POLICY = {
    "expiresAt": "2100-01-01T00:00:00.000Z",
    "allowedMedia": ["intro", "course-42-*"],
    "maxTokenLifetimeSeconds": 600,
}


def raw(runner: Runner, method: str, path: str, body: dict[str, Any] | None = None) -> tuple[int, Any]:
    """A call the SDK has no method for (policies, rotation), with the same credential."""
    authorization = "Basic " + base64.b64encode(f"{TOKEN_ID}:{SECRET}".encode()).decode()
    status, _, reply = call(
        runner, method, path, authorization=authorization, body=None if body is None else json.dumps(body).encode()
    )
    return status, json.loads(reply)


def test_keys_with_policies_parse_through_the_sdk(runner: Runner, fastpix: Fastpix) -> None:
    # Given a key created with a policy, and its successor after a rotation (neither has an SDK method)
    status, created = raw(runner, "POST", "/iam/signing-keys", POLICY)
    assert status == 201
    key_id = created["data"]["id"]
    status, rotated = raw(runner, "POST", f"/iam/signing-keys/{key_id}/rotate", {"overlapSeconds": 60})
    assert status == 201
    successor_id = rotated["data"]["id"]
    # When the SDK lists and reads them
    page = fastpix.signing_keys.list_signing_keys(limit=10, offset=1)
    detail = fastpix.signing_keys.get_signing_key_by_id(signing_key_id=successor_id)
    # Then its models parse answers that carry the policy fields, which are there in FastPix's style
    assert {key.id for key in page.data or []} == {key_id, successor_id}
    assert detail.data is not None and detail.data.signing_key_id == successor_id
    status, shown = raw(runner, "GET", f"/iam/signing-keys/{successor_id}")
    assert {name: shown["data"].get(name) for name in POLICY} == {**POLICY, "expiresAt": None}
    status, old = raw(runner, "GET", f"/iam/signing-keys/{key_id}")
    assert old["data"]["expiresAt"] < POLICY["expiresAt"]  # the overlap's end, in ISO-8601 like createdAt
