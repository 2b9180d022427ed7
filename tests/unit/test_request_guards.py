"""The guards every request passes before Powertools validates it (signing_keys.guards): each check alone, then
the order the resolver's pipeline runs them in (api.rest_resolver), with a handler that records what reached it."""

from __future__ import annotations

import base64
import copy
import json
from typing import Annotated, Any

import pytest
from aws_lambda_powertools.event_handler.openapi.params import Body
from pydantic import BaseModel, ConfigDict

from signing_keys import api, guards
from signing_keys.config import Settings
from signing_keys.errors import InvalidInput, PayloadTooLarge, ReadOnlyCredential, UnsupportedMediaType
from signing_keys.models import Scope
from signing_keys_local.events import LambdaContext
from signing_keys_local.examples import authorized, request

LIMIT = 16_384
LIVEPEER_KEYS = "/access-control/signing-key"


def event(body: str | None, content_type: str | None = "application/json", **extra: Any) -> dict[str, Any]:
    headers = {} if content_type is None else {"Content-Type": content_type}
    return {"resource": LIVEPEER_KEYS, "headers": headers, "body": body, **extra}


def reason(rejection: object) -> str:
    assert isinstance(rejection, InvalidInput)
    return rejection.fields[0].message


# -- scope ------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("scope", "refused"), [(Scope.READ, True), (Scope.WRITE, False)])
def test_only_a_write_credential_may_call_a_route_that_writes(scope: Scope, refused: bool) -> None:
    creating = authorized(request("POST", LIVEPEER_KEYS, LIVEPEER_KEYS), scope=scope)
    assert isinstance(guards.scope_rejection(creating), ReadOnlyCredential) is refused


def test_a_read_credential_may_call_a_route_that_reads() -> None:
    listing = authorized(request("GET", LIVEPEER_KEYS, LIVEPEER_KEYS), scope=Scope.READ)
    assert guards.scope_rejection(listing) is None


# -- size -------------------------------------------------------------------------------------------------------
def test_a_body_at_the_limit_passes_and_one_byte_more_is_413() -> None:
    assert guards.size_rejection(event("x" * LIMIT), LIMIT) is None
    assert isinstance(guards.size_rejection(event("x" * (LIMIT + 1)), LIMIT), PayloadTooLarge)


def test_a_body_is_measured_in_bytes_not_characters() -> None:
    assert isinstance(guards.size_rejection(event("é" * (LIMIT // 2 + 1)), LIMIT), PayloadTooLarge)


def test_a_base64_body_is_measured_decoded() -> None:
    encoded = base64.b64encode(b'{"name": "' + b"n" * LIMIT + b'"}').decode()
    assert isinstance(guards.size_rejection(event(encoded, isBase64Encoded=True), LIMIT), PayloadTooLarge)


def test_a_body_flagged_base64_that_is_not_cannot_be_measured() -> None:
    assert reason(guards.size_rejection(event("***", isBase64Encoded=True), LIMIT)) == "is not valid base64"


# -- media type -------------------------------------------------------------------------------------------------
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
    assert guards.media_type_rejection(event('{"name": "a"}', content_type)) is None


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", "application/jsonx"])
def test_another_media_type_is_415(content_type: str) -> None:
    assert isinstance(guards.media_type_rejection(event('{"name": "a"}', content_type)), UnsupportedMediaType)


def test_an_empty_body_needs_no_media_type() -> None:
    assert guards.media_type_rejection(event(None, "application/octet-stream")) is None


# -- strict JSON ------------------------------------------------------------------------------------------------
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
    assert reason(guards.json_rejection(event(body))) == why


def test_nesting_up_to_the_limit_is_left_to_validation() -> None:
    assert guards.json_rejection(event('{"name":' + "[" * 31 + "]" * 31 + "}")) is None


def test_a_body_that_is_not_utf8_is_refused() -> None:
    encoded = base64.b64encode(b'{"name": "\xff"}').decode()
    assert reason(guards.json_rejection(event(encoded, isBase64Encoded=True))) == "must be UTF-8 encoded JSON"


def test_the_resolver_sees_json_labelled_as_it_expects() -> None:
    # Given a JSON body labelled in upper case, with a charset
    raw = event('{"name": "a"}', "APPLICATION/JSON; charset=UTF-8")
    raw["multiValueHeaders"] = {"content-type": ["APPLICATION/JSON; charset=UTF-8"]}
    # When it is made canonical, Then both header maps carry exactly application/json
    canonical = guards.canonical_event(raw)
    assert canonical["headers"] == {"Content-Type": "application/json"}
    assert canonical["multiValueHeaders"] == {"Content-Type": ["application/json"]}


def test_an_empty_body_loses_its_media_type() -> None:
    canonical = guards.canonical_event(event(None, "application/octet-stream"))
    assert canonical["headers"] == {}


# -- the pipeline, in order ------------------------------------------------------------------------------------
class Named(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str


class Pipeline:
    """api.rest_resolver's resolver with one route that records each body it is handed."""

    def __init__(self) -> None:
        self.app = api.rest_resolver(Settings(table_name="unused", max_body_bytes=LIMIT))
        self.received: list[str] = []

        @self.app.post(LIVEPEER_KEYS)
        def create(body: Annotated[Named, Body()]) -> dict[str, str]:
            self.received.append(body.name)
            return {"name": body.name}

        handler = api.entrypoint(self.app)
        self.handle = lambda event: handler(event, LambdaContext(function_name="CreateKeyFunction"))

    def send(self, body: bytes, content_type: str = "application/json", scope: Scope = Scope.WRITE) -> Any:
        http = request("POST", LIVEPEER_KEYS, LIVEPEER_KEYS, body=body, extra_headers={"Content-Type": content_type})
        return self.handle(authorized(http, scope=scope))


@pytest.fixture
def pipeline() -> Pipeline:
    return Pipeline()


def refusal(response: dict[str, Any]) -> tuple[int, list[str]]:
    return response["statusCode"], json.loads(response["body"])["errors"]


def test_the_scope_is_judged_before_the_body(pipeline: Pipeline) -> None:
    # Given a read-only credential sending a body that is not JSON, When it is sent
    status, errors = refusal(pipeline.send(b"{not json", scope=Scope.READ))
    # Then the answer is the refusal of the credential, and the handler never ran
    assert (status, errors[0].startswith("this credential is read-only")) == (403, True)
    assert pipeline.received == []


def test_the_size_is_judged_before_the_media_type(pipeline: Pipeline) -> None:
    assert refusal(pipeline.send(b"x" * (LIMIT + 1), "text/plain"))[0] == 413


def test_the_media_type_is_judged_before_the_json(pipeline: Pipeline) -> None:
    assert refusal(pipeline.send(b"{not json", "text/plain"))[0] == 415


def test_strict_json_is_judged_before_validation(pipeline: Pipeline) -> None:
    # Given a body Powertools' parser would read (it keeps the last of repeated keys), When it is sent
    status, errors = refusal(pipeline.send(b'{"name": "a", "name": "b"}'))
    # Then the guard refuses it, in the route's dialect, before validation could pick one
    assert (status, errors) == (422, ["body: repeats a key"])
    assert pipeline.received == []


def test_a_binary_body_that_is_not_utf8_is_a_422_before_the_resolver_reads_it(pipeline: Pipeline) -> None:
    # Given the event API Gateway sends for a binary body that is not UTF-8 (reading it raises)
    http = request("POST", LIVEPEER_KEYS, LIVEPEER_KEYS, body=b"{}")
    binary = authorized(http) | {"body": base64.b64encode(b'{"name": "\xff"}').decode(), "isBase64Encoded": True}
    # When it is handled, Then it is an answer in the route's dialect, not an exception
    assert refusal(pipeline.handle(binary)) == (422, ["body: must be UTF-8 encoded JSON"])


def test_validation_runs_after_the_guards_and_hands_the_handler_its_model(pipeline: Pipeline) -> None:
    # Given a valid body labelled as JSON in another case, When it is sent
    response = pipeline.send(b'{"name": "studio"}', "APPLICATION/JSON; charset=UTF-8")
    # Then the handler got the validated model
    assert response["statusCode"] == 200
    assert pipeline.received == ["studio"]


def test_validation_refuses_what_the_model_does_not_accept(pipeline: Pipeline) -> None:
    assert refusal(pipeline.send(b'{"name": 7}'))[0] == 422
    assert pipeline.received == []


def test_the_callers_event_is_left_as_it_was(pipeline: Pipeline) -> None:
    # Given an event whose body is labelled in upper case
    http = request("POST", LIVEPEER_KEYS, LIVEPEER_KEYS, body=b'{"name": "a"}')
    sent = authorized(http) | {"headers": {"Content-Type": "APPLICATION/JSON"}}
    kept = copy.deepcopy(sent)
    # When it is handled (the pipeline relabels the body for validation)
    pipeline.handle(sent)
    # Then the caller's event is unchanged
    assert sent == kept


def test_the_guards_judge_a_path_the_resolver_cannot_match(pipeline: Pipeline) -> None:
    # Given a read-only credential updating a key whose id holds a decoded slash (API Gateway routed it; the
    # resolver's path parameters never span a slash)
    resource = LIVEPEER_KEYS + "/{keyId}"
    http = request("PATCH", LIVEPEER_KEYS + "/a/b", resource, path_parameters={"keyId": "a/b"}, body=b"{")
    # When it is handled, Then the scope is refused, as on any route that writes, before the missing key's 404
    status, errors = refusal(pipeline.handle(authorized(http, scope=Scope.READ)))
    assert (status, errors[0].startswith("this credential is read-only")) == (403, True)
