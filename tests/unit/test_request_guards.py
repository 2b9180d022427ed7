"""The guards every request passes before routing: size, media type, and strict JSON holding one object."""

from __future__ import annotations

import base64
from typing import Any

import pytest

from signing_keys import api
from signing_keys.errors import InvalidInput, PayloadTooLarge, UnsupportedMediaType

LIMIT = 16_384


def event(body: str | None, content_type: str | None = "application/json", **extra: Any) -> dict[str, Any]:
    headers = {} if content_type is None else {"Content-Type": content_type}
    return {"resource": "/access-control/signing-key", "headers": headers, "body": body, **extra}


def reason(rejection: object) -> str:
    assert isinstance(rejection, InvalidInput)
    return rejection.fields[0].message


@pytest.mark.parametrize(
    "content_type",
    [
        "application/json",
        "APPLICATION/JSON",
        "Application/Json; charset=UTF-8",
        " application/json ;charset=utf-8",
        None,
    ],
)
def test_json_passes_whatever_the_case_or_parameters(content_type: str | None) -> None:
    assert api.body_rejection(event('{"name": "a"}', content_type), LIMIT) is None


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", "application/jsonx"])
def test_another_media_type_is_415(content_type: str) -> None:
    assert isinstance(api.body_rejection(event('{"name": "a"}', content_type), LIMIT), UnsupportedMediaType)


def test_an_empty_body_needs_no_media_type() -> None:
    assert api.body_rejection(event(None, "application/octet-stream"), LIMIT) is None


def test_size_is_checked_before_anything_else() -> None:
    assert isinstance(api.body_rejection(event("x" * (LIMIT + 1), "text/plain"), LIMIT), PayloadTooLarge)


def test_a_base64_body_is_measured_decoded() -> None:
    encoded = base64.b64encode(b'{"name": "' + b"n" * LIMIT + b'"}').decode()
    assert isinstance(api.body_rejection(event(encoded, isBase64Encoded=True), LIMIT), PayloadTooLarge)


@pytest.mark.parametrize(
    ("body", "why"),
    [
        ("{not json", "is not valid JSON"),
        ('{"name": NaN}', "is not valid JSON"),
        ('{"name": -Infinity}', "is not valid JSON"),
        ('{"disabled": 1e999}', "is not valid JSON"),
        ('{"name": 1' + "0" * 5000 + "}", "is not valid JSON"),
        ('{"name": "a", "name": "b"}', "repeats a key"),
        ('{"outer": {"k": 1, "k": 2}}', "repeats a key"),
        ("[]", "must be a JSON object"),
        ('"text"', "must be a JSON object"),
        ("null", "must be a JSON object"),
        ("[" * 5000, "nests deeper than 32 levels"),
        ('{"a":' * 1500 + "1" + "}" * 1500, "nests deeper than 32 levels"),
        ('{"name":' + "[" * 33 + "]" * 33 + "}", "nests deeper than 32 levels"),
    ],
)
def test_json_that_two_parsers_could_read_differently_or_that_exhausts_one_is_refused(body: str, why: str) -> None:
    assert reason(api.body_rejection(event(body), LIMIT)) == why


def test_nesting_up_to_the_limit_is_left_to_validation() -> None:
    assert api.body_rejection(event('{"name":' + "[" * 31 + "]" * 31 + "}"), LIMIT) is None


def test_a_body_that_is_not_utf8_is_refused() -> None:
    encoded = base64.b64encode(b'{"name": "\xff"}').decode()
    assert reason(api.body_rejection(event(encoded, isBase64Encoded=True), LIMIT)) == "must be UTF-8 encoded JSON"


def test_the_resolver_sees_json_labelled_as_it_expects() -> None:
    # Given a JSON body labelled in upper case, with a charset
    raw = event('{"name": "a"}', "APPLICATION/JSON; charset=UTF-8")
    raw["multiValueHeaders"] = {"content-type": ["APPLICATION/JSON; charset=UTF-8"]}
    # When it is made canonical, Then both header maps carry exactly application/json
    canonical = api.canonical_event(raw)
    assert canonical["headers"] == {"Content-Type": "application/json"}
    assert canonical["multiValueHeaders"] == {"Content-Type": ["application/json"]}


def test_an_empty_body_loses_its_media_type() -> None:
    canonical = api.canonical_event(event(None, "application/octet-stream"))
    assert canonical["headers"] == {}
