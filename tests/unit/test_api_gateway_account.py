"""ApiGatewayAccountFunction, the custom resource for API Gateway's account-wide CloudWatch Logs role, through its
handler: CloudFormation's request events in, the answer it PUTs to the ResponseURL out (a local HTTP server here).

API Gateway's GetAccount/UpdateAccount are moto's; the refusals API Gateway gives while IAM propagates a new role
are injected with a botocore hook on the function's client, and its pauses go to a fake clock.
"""

from __future__ import annotations

import importlib.util
import json
import logging
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import ModuleType, SimpleNamespace
from typing import Any

import boto3
import pytest
from moto import mock_aws

from tests.conftest import ROOT

MODULE = ROOT / "functions" / "api_gateway_account" / "app.py"
STACK_ID = "arn:aws:cloudformation:us-east-1:123456789012:stack/signing-keys/5b9a4c70-0000-11f0-9b1a-0a1b2c3d4e5f"
STACK_ROLE = "arn:aws:iam::123456789012:role/signing-keys-ApiGatewayLoggingRole-1A2B3C"
OTHER_ROLE = "arn:aws:iam::123456789012:role/platform-apigateway-logs"
# The presigned URL is a credential: its signature must never appear in an answer or a log line.
SIGNATURE = "c2lnbmF0dXJlLW9mLXRoZS1wcmVzaWduZWQtdXJs"
ANSWER_FIELDS = {"Status", "Reason", "PhysicalResourceId", "StackId", "RequestId", "LogicalResourceId"}


@dataclass
class Answers:
    """What CloudFormation's presigned S3 URL received."""

    received: list[dict[str, Any]] = field(default_factory=list)
    url: str = ""

    @property
    def only(self) -> dict[str, Any]:
        assert len(self.received) == 1, self.received
        return self.received[0]


@pytest.fixture
def answers() -> Iterator[Answers]:
    caught = Answers()

    class Handler(BaseHTTPRequestHandler):
        def do_PUT(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            caught.received.append(
                {"path": self.path, "content_type": self.headers.get("Content-Type"), "raw": body, **json.loads(body)}
            )
            self.send_response(200)
            self.end_headers()

        def log_message(self, *_: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    caught.url = (
        f"http://127.0.0.1:{server.server_address[1]}/cloudformation-custom-resource-response-useast1/"
        f"arn%3Aaws%3Acloudformation/ApiGatewayAccountSetting?X-Amz-Credential=AKIAEXAMPLE&X-Amz-Signature={SIGNATURE}"
    )
    yield caught
    server.shutdown()


@dataclass
class Clock:
    """The invocation's remaining time, spent by the function's pauses."""

    remaining_millis: int = 300_000
    pauses: list[float] = field(default_factory=list)

    def pause(self, seconds: float) -> None:
        self.pauses.append(seconds)
        self.remaining_millis -= int(seconds * 1000)

    def get_remaining_time_in_millis(self) -> int:
        return self.remaining_millis


@pytest.fixture(scope="module")
def session() -> boto3.Session:
    """One botocore session for the module's tests: it reads API Gateway's service model once."""
    return boto3.Session(region_name="us-east-1")


@pytest.fixture
def function(session: boto3.Session) -> Iterator[ModuleType]:
    """The handler module as Lambda imports it, its client on moto's API Gateway."""
    with mock_aws():
        boto3.DEFAULT_SESSION = session
        spec = importlib.util.spec_from_file_location("api_gateway_account_app", MODULE)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module  # as an import does (its dataclasses look their module up)
        try:
            spec.loader.exec_module(module)
            yield module
        finally:
            del sys.modules[spec.name]


def account_role() -> str | None:
    role: str | None = boto3.client("apigateway").get_account().get("cloudwatchRoleArn")
    return role


def set_account_role(role_arn: str) -> None:
    boto3.client("apigateway").update_account(
        patchOperations=[{"op": "replace", "path": "/cloudwatchRoleArn", "value": role_arn}]
    )


def request(answers: Answers, request_type: str, mode: str = "if-missing", **extra: Any) -> dict[str, Any]:
    return {
        "RequestType": request_type,
        "ServiceToken": "arn:aws:lambda:us-east-1:123456789012:function:signing-keys-ApiGatewayAccountFunction",
        "ResponseURL": answers.url,
        "StackId": STACK_ID,
        "RequestId": "8f1b1c2e-6a4d-4c39-9a4e-2d8f3b1e7c55",
        "ResourceType": "Custom::ApiGatewayAccountRole",
        "LogicalResourceId": "ApiGatewayAccountSetting",
        "ResourceProperties": {"ServiceToken": "arn:aws:lambda:…", "Mode": mode, "RoleArn": STACK_ROLE},
        **extra,
    }


def invoke(function: ModuleType, event: dict[str, Any], clock: Clock | None = None) -> Clock:
    clock = clock or Clock()
    function.pause = clock.pause
    function.lambda_handler(event, clock)
    return clock


def refuse_update_account(function: ModuleType, times: int | None, code: str = "BadRequestException") -> list[int]:
    """API Gateway's answer to UpdateAccount while it cannot assume the role yet, `times` times (None: always)."""
    refused: list[int] = []

    def refuse(**_: Any) -> Any:
        if times is not None and len(refused) >= times:
            return None
        refused.append(1)
        message = "The role ARN does not have required permissions set to API Gateway"
        return SimpleNamespace(status_code=400, headers={}), {
            "Error": {"Code": code, "Message": message},
            "ResponseMetadata": {"HTTPStatusCode": 400},
        }

    function.apigateway.meta.events.register("before-call.apigateway.UpdateAccount", refuse)
    return refused


def test_an_account_without_a_role_gets_the_stacks_role(function: ModuleType, answers: Answers) -> None:
    # Given an account and Region where API Gateway has no CloudWatch Logs role (a new account)
    assert account_role() is None
    # When the stack is created with the default mode
    invoke(function, request(answers, "Create"))
    # Then the stack's role is set, and CloudFormation hears so
    assert account_role() == STACK_ROLE
    assert answers.only["Status"] == "SUCCESS"
    assert answers.only["Data"] == {"Action": "set", "CloudWatchRoleArn": STACK_ROLE}


def test_a_role_already_set_is_kept(function: ModuleType, answers: Answers) -> None:
    # Given an account whose API Gateway logs through another team's role
    set_account_role(OTHER_ROLE)
    # When the stack is created with the default mode
    invoke(function, request(answers, "Create", "if-missing"))
    # Then that role stays: the other REST APIs of the account keep logging as they did
    assert account_role() == OTHER_ROLE
    assert answers.only["Status"] == "SUCCESS"
    assert answers.only["Data"] == {"Action": "kept", "CloudWatchRoleArn": OTHER_ROLE}


def test_replace_sets_the_stacks_role_over_another(function: ModuleType, answers: Answers) -> None:
    set_account_role(OTHER_ROLE)
    invoke(function, request(answers, "Create", "replace"))
    assert account_role() == STACK_ROLE
    assert answers.only["Data"] == {"Action": "replaced", "CloudWatchRoleArn": STACK_ROLE}


def test_never_keeps_a_role_already_set(function: ModuleType, answers: Answers) -> None:
    set_account_role(OTHER_ROLE)
    invoke(function, request(answers, "Create", "never"))
    assert account_role() == OTHER_ROLE
    assert answers.only["Status"] == "SUCCESS"


def test_never_without_a_role_fails_at_once_saying_why(function: ModuleType, answers: Answers) -> None:
    # Given an account without a role, and a stack told never to touch the setting
    # When the stack is created
    invoke(function, request(answers, "Create", "never"))
    # Then the deploy fails here, naming the cause and the way out, before the stage would fail obscurely
    assert account_role() is None
    assert answers.only["Status"] == "FAILED"
    assert "no CloudWatch Logs role" in answers.only["Reason"]
    assert "if-missing" in answers.only["Reason"]


@pytest.mark.parametrize("refusal", ["BadRequestException", "AccessDeniedException"])
def test_a_role_not_yet_assumable_is_retried_until_api_gateway_accepts_it(
    function: ModuleType, answers: Answers, refusal: str
) -> None:
    # Given a role IAM has not propagated yet: API Gateway refuses it twice, then accepts it
    refused = refuse_update_account(function, times=2, code=refusal)
    # When the stack is created
    clock = invoke(function, request(answers, "Create"))
    # Then the function paused with growing waits between attempts and the role is set
    assert len(refused) == 2
    assert clock.pauses == [2.0, 4.0]
    assert account_role() == STACK_ROLE
    assert answers.only["Status"] == "SUCCESS"


def test_refusals_are_retried_only_while_the_answer_still_fits_the_invocation(
    function: ModuleType, answers: Answers
) -> None:
    # Given API Gateway refusing the role for good, and an invocation with 60 s left
    refuse_update_account(function, times=None)
    # When the stack is created
    clock = invoke(function, request(answers, "Create"), Clock(remaining_millis=60_000))
    # Then the function stops retrying with time left to answer, and fails saying what to do
    assert clock.pauses == [2.0, 4.0, 8.0, 16.0]
    assert clock.remaining_millis >= function.ANSWER_RESERVE_MILLIS
    assert answers.only["Status"] == "FAILED"
    assert "BadRequestException" in answers.only["Reason"]
    assert "deploy again" in answers.only["Reason"]
    assert account_role() is None


def test_a_refusal_that_waiting_cannot_cure_fails_at_once(function: ModuleType, answers: Answers) -> None:
    refuse_update_account(function, times=None, code="NotFoundException")
    clock = invoke(function, request(answers, "Create"))
    assert clock.pauses == []
    assert answers.only["Status"] == "FAILED"
    assert "NotFoundException" in answers.only["Reason"]


def test_delete_answers_success_without_any_api_gateway_call(function: ModuleType, answers: Answers) -> None:
    # Given the stack's role set (the setting outlives the stack)
    set_account_role(STACK_ROLE)
    calls: list[str] = []
    function.apigateway.meta.events.register("before-call.apigateway", lambda model, **_: calls.append(model.name))
    # When the stack is deleted
    invoke(function, request(answers, "Delete", PhysicalResourceId=f"{STACK_ID}/ApiGatewayAccountSetting"))
    # Then nothing was called and CloudFormation may go on; the account still logs through the retained role
    assert calls == []
    assert answers.only["Status"] == "SUCCESS"
    assert account_role() == STACK_ROLE


def test_an_update_keeps_the_resources_physical_id(function: ModuleType, answers: Answers) -> None:
    # A new physical id would make CloudFormation replace the resource (and send a Delete for the old one).
    physical_id = f"{STACK_ID}/ApiGatewayAccountSetting"
    invoke(function, request(answers, "Update", "replace", PhysicalResourceId=physical_id))
    assert answers.only["PhysicalResourceId"] == physical_id


def test_the_answer_has_cloudformations_shape(function: ModuleType, answers: Answers) -> None:
    # Given a Create request
    event = request(answers, "Create")
    # When the function answers it
    invoke(function, event)
    answer = answers.only
    # Then it is the custom resource contract's object, its ids copied verbatim from the request, without a
    # content type (the presigned URL signs none), within CloudFormation's 4096 bytes
    fields = {key for key in answer if key not in {"path", "content_type", "raw"}}
    assert fields == ANSWER_FIELDS | {"Data"}
    assert (answer["StackId"], answer["RequestId"], answer["LogicalResourceId"]) == (
        event["StackId"],
        event["RequestId"],
        event["LogicalResourceId"],
    )
    assert answer["PhysicalResourceId"] == f"{STACK_ID}/ApiGatewayAccountSetting"
    assert answer["content_type"] == ""
    assert len(answer["raw"]) <= 4096
    assert answer["path"].startswith("/cloudformation-custom-resource-response-useast1/")


@pytest.mark.parametrize("mode", ["if-missing", "never"])
def test_neither_the_answer_nor_the_log_holds_the_presigned_url(
    function: ModuleType, answers: Answers, caplog: pytest.LogCaptureFixture, mode: str
) -> None:
    # Given a request whose ResponseURL carries its signature (a credential to write the answer)
    with caplog.at_level(logging.INFO):
        # When the function answers it, succeeding or failing
        invoke(function, request(answers, "Create", mode))
    # Then the answer and the function's log lines are free of it
    assert SIGNATURE not in answers.only["raw"].decode()
    assert "ResponseURL" not in answers.only["raw"].decode()
    assert caplog.records
    assert all(SIGNATURE not in record.getMessage() and "X-Amz" not in record.getMessage() for record in caplog.records)
