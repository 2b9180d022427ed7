"""ProbeAuthorizerFunction: answers as the X-Probe header asks: allow, deny, unauthorized, invalid, overrun, or
anything else raises an error that is not "Unauthorized"."""

import time
from typing import Any


def _policy(effect: str, method_arn: str) -> dict[str, Any]:
    statement = {"Action": "execute-api:Invoke", "Effect": effect, "Resource": method_arn}
    return {"principalId": "probe", "policyDocument": {"Version": "2012-10-17", "Statement": [statement]}}


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    verdict = next((v for k, v in event["headers"].items() if k.lower() == "x-probe"), "")
    if verdict in ("allow", "deny"):
        return _policy(verdict.capitalize(), event["methodArn"])
    if verdict == "unauthorized":
        raise Exception("Unauthorized")  # noqa: TRY002 - the message API Gateway turns into a 401
    if verdict == "invalid":
        return {"principalId": "probe"}  # no policy document
    if verdict == "overrun":
        time.sleep(60)  # far past the 1 s Timeout
    raise RuntimeError("probe authorizer failure")
