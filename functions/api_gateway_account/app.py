"""ApiGatewayAccountFunction: the custom resource that makes sure API Gateway's account-wide CloudWatch Logs role is
set before the stage is created (a stage with an access log fails to create while the account has none).

The setting is one per account and Region and outlives every stack. `Mode` (the ApiGatewayAccountRole parameter):
- `if-missing`: a role already set is kept; none set → this stack's role is set;
- `replace`: this stack's role is set, whatever was set;
- `never`: nothing is changed; with no role set it fails at once, saying so, rather than the stage later.

A role created moments earlier is not yet assumable everywhere (IAM propagates): API Gateway refuses it with a
BadRequestException until it is. Such refusals are retried with growing pauses while the invocation has time left
to answer. Delete changes nothing (the setting outlives the stack, and the template retains the role).

It answers CloudFormation itself (a PUT of the outcome to the presigned `ResponseURL`, a credential it never logs
or echoes) and logs one line per request. Standard library and the runtime's boto3 only: no layer, no Powertools.
Sources: docs/deploy.md.
"""

from __future__ import annotations

import json
import logging
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

import boto3
from botocore.exceptions import BotoCoreError, ClientError

MODES = ("if-missing", "replace", "never")
# What UpdateAccount answers while the role is not yet assumable (or the call is throttled): worth retrying.
RETRIED_ERRORS = {"BadRequestException", "AccessDeniedException", "TooManyRequestsException"}
FIRST_PAUSE_SECONDS = 2.0
LONGEST_PAUSE_SECONDS = 20.0
# Always left of the invocation to answer CloudFormation: without an answer it waits up to the ServiceTimeout.
ANSWER_RESERVE_MILLIS = 15_000
ANSWER_TIMEOUT_SECONDS = 10
# CloudFormation refuses an answer over 4096 bytes.
LONGEST_REASON = 1_000

logger = logging.getLogger(__name__)
logger.setLevel(logging.INFO)
apigateway: Any = boto3.client("apigateway")
pause: Callable[[float], None] = time.sleep


class LambdaContext(Protocol):
    def get_remaining_time_in_millis(self) -> int: ...


class SettingFailed(Exception):
    """The setting cannot be made as asked; the message is the answer's Reason (no secrets, no request data)."""


@dataclass(frozen=True)
class Outcome:
    action: str  # kept | set | replaced | unchanged | untouched
    role_arn: str | None  # the account's role afterwards (None: not read)

    def summary(self) -> str:
        if self.action == "untouched":
            return "left API Gateway's account setting as it is (it outlives the stack)"
        return f"{self.action} API Gateway's CloudWatch Logs role {self.role_arn}"


def _current_role() -> str | None:
    role: str | None = apigateway.get_account().get("cloudwatchRoleArn") or None
    return role


def _error_code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", "Unknown"))


def _set_role(role_arn: str, context: LambdaContext) -> None:
    delay = FIRST_PAUSE_SECONDS
    attempts = 0
    while True:
        attempts += 1
        try:
            apigateway.update_account(
                patchOperations=[{"op": "replace", "path": "/cloudwatchRoleArn", "value": role_arn}]
            )
        except ClientError as error:
            code = _error_code(error)
        else:
            return
        if code not in RETRIED_ERRORS:
            raise SettingFailed(f"API Gateway refused the role {role_arn} ({code})")
        if context.get_remaining_time_in_millis() - delay * 1000 < ANSWER_RESERVE_MILLIS:
            raise SettingFailed(
                f"API Gateway still refused the role {role_arn} after {attempts} attempts ({code}): IAM may "
                "not have propagated it yet; deploy again"
            )
        logger.info("API Gateway refused the role (%s), attempt %d; retrying in %.0f s", code, attempts, delay)
        pause(delay)
        delay = min(delay * 2, LONGEST_PAUSE_SECONDS)


def apply(mode: str, role_arn: str, context: LambdaContext) -> Outcome:
    """The account setting as `mode` asks, for a Create or an Update (CloudFormation sends no other request)."""
    if mode not in MODES:
        raise SettingFailed(f"Mode must be one of {', '.join(MODES)}")
    current = _current_role()
    if mode == "never":
        if current is None:
            raise SettingFailed(
                "API Gateway has no CloudWatch Logs role in this account and Region and ApiGatewayAccountRole is "
                "never: the stage's access log cannot be created. Deploy with if-missing, or set a role first"
            )
        return Outcome("kept", current)
    if not role_arn:
        raise SettingFailed("RoleArn is empty: the stack offers no role to set")
    if current == role_arn:
        return Outcome("unchanged", current)
    if current is not None and mode == "if-missing":
        return Outcome("kept", current)
    _set_role(role_arn, context)
    return Outcome("set" if current is None else "replaced", role_arn)


def _answer(event: dict[str, Any], status: str, reason: str, data: dict[str, str] | None = None) -> None:
    """PUT the answer to the presigned URL, as CloudFormation's custom resource contract asks."""
    body: dict[str, Any] = {
        "Status": status,
        "Reason": reason[:LONGEST_REASON],
        "PhysicalResourceId": event.get("PhysicalResourceId") or f"{event['StackId']}/{event['LogicalResourceId']}",
        "StackId": event["StackId"],
        "RequestId": event["RequestId"],
        "LogicalResourceId": event["LogicalResourceId"],
    }
    if data:
        body["Data"] = data
    payload = json.dumps(body).encode("utf-8")
    # The presigned URL signs no content type: send none (urllib would add a form type otherwise).
    url = event["ResponseURL"]  # CloudFormation's presigned https URL
    request = urllib.request.Request(url, data=payload, method="PUT", headers={"Content-Type": ""})  # noqa: S310
    with urllib.request.urlopen(request, timeout=ANSWER_TIMEOUT_SECONDS):  # noqa: S310
        pass


def lambda_handler(event: dict[str, Any], context: LambdaContext) -> None:
    request_type = event.get("RequestType")
    properties = event.get("ResourceProperties") or {}
    data: dict[str, str] | None = None
    try:
        if request_type == "Delete":
            outcome = Outcome("untouched", None)
        else:
            outcome = apply(str(properties.get("Mode", "")), str(properties.get("RoleArn", "")), context)
            data = {"Action": outcome.action, "CloudWatchRoleArn": outcome.role_arn or ""}
        status, reason = "SUCCESS", outcome.summary()
    except SettingFailed as failure:
        status, reason = "FAILED", str(failure)
    except ClientError as error:
        status, reason = "FAILED", f"an API Gateway call failed ({_error_code(error)})"
    except BotoCoreError as error:
        status, reason = "FAILED", f"an API Gateway call failed ({type(error).__name__})"
    except Exception as error:  # any other failure still answers: unanswered, CloudFormation waits out its timeout
        logger.exception("unexpected failure")
        status, reason = "FAILED", f"unexpected failure ({type(error).__name__}; see the function's log)"
    logger.info("%s request: %s: %s", request_type, status, reason)
    try:
        _answer(event, status, reason, data)
    except (OSError, KeyError) as error:
        # Raised again so that Lambda retries the invocation (CloudFormation invokes asynchronously); the URL is
        # never logged.
        logger.error("could not answer CloudFormation (%s)", type(error).__name__)  # noqa: TRY400 - no traceback
        raise
