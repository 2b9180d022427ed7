"""Stage throttling from template.yaml's MethodSettings: over a method's limit, API Gateway answers THROTTLED
(429) in the union error shape, with Retry-After (issue 18). The create routes have tighter limits of their own."""

from __future__ import annotations

import pytest

from tests.api.conftest import ApiFactory
from tests.support import LocalApi, basic, bearer

FASTPIX_KEYS, LIVEPEER_KEYS = "/iam/signing-keys", "/access-control/signing-key"
# One create per create route, never refilled.
ONE_CREATE = {"CreateKeyThrottleRateLimit": "0", "CreateKeyThrottleBurstLimit": "1"}


@pytest.fixture
def one_create_api(make_api: ApiFactory) -> LocalApi:
    return make_api(**ONE_CREATE)


def test_a_create_over_the_create_limit_is_429_in_the_union_shape(one_create_api: LocalApi) -> None:
    # Given a create route whose one token is spent
    auth = basic(one_create_api.credential())
    assert one_create_api.request("POST", FASTPIX_KEYS, authorization=auth).status == 201
    # When another create arrives
    reply = one_create_api.request("POST", FASTPIX_KEYS, authorization=auth)
    # Then API Gateway answers for it: 429, told when to retry, in the shape both clients parse
    assert reply.status == 429
    assert reply.json() == {
        "success": False,
        "error": {"code": 429, "message": "Too many requests"},
        "errors": ["Too many requests"],
    }
    assert (reply.headers["retry-after"], reply.headers["x-amzn-errortype"]) == ("1", "TooManyRequestsException")


def test_a_throttled_create_writes_nothing(one_create_api: LocalApi) -> None:
    auth = bearer(one_create_api.credential())
    one_create_api.request("POST", LIVEPEER_KEYS, authorization=auth)
    assert one_create_api.request("POST", LIVEPEER_KEYS, authorization=auth).status == 429
    assert one_create_api.key_count("ws-a") == len(one_create_api.key_items("ws-a")) == 1


def test_each_create_route_has_its_own_bucket(one_create_api: LocalApi) -> None:
    # Given the FastPix create route's token spent
    credential = one_create_api.credential()
    assert one_create_api.request("POST", FASTPIX_KEYS, authorization=basic(credential)).status == 201
    # Then the Livepeer create route still has its own (API Gateway throttles per method)
    assert one_create_api.request("POST", LIVEPEER_KEYS, authorization=bearer(credential)).status == 200


def test_each_rotate_route_has_the_create_limit_in_a_bucket_of_its_own(one_create_api: LocalApi) -> None:
    # Given a key, and each rotate route's one token spent
    credential = one_create_api.credential()
    key_id = one_create_api.request("POST", LIVEPEER_KEYS, authorization=bearer(credential)).json()["id"]
    fastpix_rotate, livepeer_rotate = f"{FASTPIX_KEYS}/{key_id}/rotate", f"{LIVEPEER_KEYS}/{key_id}/rotate"
    assert one_create_api.request("POST", fastpix_rotate, authorization=basic(credential)).status == 201
    assert one_create_api.request("POST", livepeer_rotate, authorization=bearer(credential)).status == 200
    # When either is called again, Then API Gateway throttles it (a rotation generates a key pair, as create does)
    assert one_create_api.request("POST", fastpix_rotate, authorization=basic(credential)).status == 429
    assert one_create_api.request("POST", livepeer_rotate, authorization=bearer(credential)).status == 429
    assert one_create_api.key_count("ws-a") == len(one_create_api.key_items("ws-a")) == 3


def test_other_methods_keep_the_stage_default(one_create_api: LocalApi) -> None:
    auth = basic(one_create_api.credential())
    one_create_api.request("POST", FASTPIX_KEYS, authorization=auth)
    assert one_create_api.request("POST", FASTPIX_KEYS, authorization=auth).status == 429
    assert one_create_api.request("GET", FASTPIX_KEYS, authorization=auth).status == 200


def test_the_stage_default_limits_every_other_method(make_api: ApiFactory) -> None:
    # Given a stage default of one request per method, never refilled
    api = make_api(ThrottleRateLimit="0", ThrottleBurstLimit="1")
    auth = basic(api.credential())
    # When a method is called twice
    assert api.request("GET", FASTPIX_KEYS, authorization=auth).status == 200
    # Then the second call is throttled
    assert api.request("GET", FASTPIX_KEYS, authorization=auth).status == 429
