"""Every route that takes a body (both dialects, and any route added to the table): JSON labelled in any case
and with parameters is accepted; hostile JSON (deep nesting, repeated keys, NaN, huge numbers) is a 4xx in the
dialect's shape, never a 500, and changes nothing."""

from __future__ import annotations

from typing import Any

import pytest

from signing_keys import routes
from tests.support import LocalApi, bearer

BODY_ROUTES = [route for route in routes.ROUTES if route.method in {"POST", "PATCH"}]
VALID_BODY = b'{"name": "studio"}'
# Routes that take no name: FastPix create and update (publicKey and policies), rotation (overlap, publicKey),
# revocations (exactly one of jti, viewer, issuedBefore), the token debugger (a token and a media id).
VALID_FOR = {
    "create_signing_key": b"{}",
    "update_signing_key": b'{"maxTokenLifetimeSeconds": 600}',
    "rotate_signing_key": b'{"overlapSeconds": 60}',
    "rotateSigningKey": b'{"overlapSeconds": 60}',
    "createRevocation": b'{"jti": "leaked-token"}',
    "verifyToken": b'{"token": "not.a.token", "mediaId": "movie-42"}',
}


def existing_key(api: LocalApi, authorization: str) -> str:
    created = api.request("POST", "/access-control/signing-key", authorization=authorization, body={"name": "kept"})
    key_id: str = created.json()["id"]
    return key_id


def send(api: LocalApi, route: routes.Route, body: bytes, content_type: str = "application/json") -> Any:
    """Call the route in workspace ws-a (which holds one key, for routes on a key) and return the reply."""
    auth = bearer(api.credential("ws-a"))
    path = route.path.replace(f"{{{route.key_id_parameter}}}", existing_key(api, auth))
    return api.request(route.method, path, authorization=auth, body=body, headers={"Content-Type": content_type})


def assert_unchanged(api: LocalApi) -> None:
    (key,) = api.key_items("ws-a")
    assert key["name"]["S"] == "kept"
    assert api.key_count("ws-a") == 1
    assert api.revocation_items() == []


def assert_dialect_error(route: routes.Route, body: Any, status: int) -> None:
    if route.dialect is routes.Dialect.LIVEPEER:
        assert set(body) == {"errors"}
    else:
        assert (body["success"], body["error"]["code"]) == (False, status)


@pytest.mark.parametrize(
    "content_type", ["APPLICATION/JSON", "Application/Json; charset=UTF-8", "application/json;charset=utf-8"]
)
@pytest.mark.parametrize("route", BODY_ROUTES, ids=lambda route: route.operation_id)
def test_json_is_json_in_any_case_and_with_parameters(api: LocalApi, route: routes.Route, content_type: str) -> None:
    # Given a valid body labelled with a media type in another case, or with a charset
    body = VALID_FOR.get(route.operation_id, VALID_BODY)
    # When it is sent, Then the operation succeeds as with `application/json`
    reply = send(api, route, body, content_type)
    assert reply.status == route.success_status, reply.body


NESTING = 2_000  # past the parser's recursion limit (1,000), under the 16 KiB body limit
HOSTILE_BODIES = {
    "10,000 open brackets": b"[" * 10_000,
    "2,000 nested objects": b'{"a":' * NESTING + b"1" + b"}" * NESTING,
    "100 nested arrays in a field": b'{"name":' + b"[" * 100 + b"]" * 100 + b"}",
    "a repeated key": b'{"name": "a", "name": "b"}',
    "NaN": b'{"name": NaN}',
    "Infinity": b'{"disabled": Infinity}',
    "a number past float range": b'{"disabled": 1e400}',
    "a 5,000-digit integer": b'{"name": 1' + b"0" * 5_000 + b"}",
    "JSON null": b"null",
}


@pytest.mark.parametrize("kind", sorted(HOSTILE_BODIES))
@pytest.mark.parametrize("route", BODY_ROUTES, ids=lambda route: route.operation_id)
def test_hostile_json_is_422_and_changes_nothing(api: LocalApi, route: routes.Route, kind: str) -> None:
    # Given a body built to break a parser or to be read two ways
    # When it is sent
    reply = send(api, route, HOSTILE_BODIES[kind])
    # Then it is refused as invalid input in the dialect's shape, and nothing was created or changed
    assert reply.status == 422, reply.body
    assert_dialect_error(route, reply.json(), 422)
    assert_unchanged(api)


@pytest.mark.parametrize("route", BODY_ROUTES, ids=lambda route: route.operation_id)
def test_nesting_past_the_size_limit_is_413(api: LocalApi, route: routes.Route) -> None:
    reply = send(api, route, b'{"a":' * 10_000 + b"1" + b"}" * 10_000)
    assert reply.status == 413
    assert_dialect_error(route, reply.json(), 413)
    assert_unchanged(api)
