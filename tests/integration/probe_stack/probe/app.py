"""ProbeFunction: reports its container and deadline, or misbehaves on purpose, by path."""

import json
import os
import time
from typing import Any

INVOCATIONS = 0  # module state: a fresh container starts again from zero


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    global INVOCATIONS  # noqa: PLW0603 - the container's own state is what the tests observe
    INVOCATIONS += 1
    remaining_millis = context.get_remaining_time_in_millis()
    path = event["path"]
    if path == "/overrun":
        time.sleep(60)  # far past the 1 s Timeout
    if path == "/slow":
        time.sleep(0.6)  # past the route's 300 ms TimeoutInMillis, within the function's 1 s Timeout
    if path == "/crash":
        raise RuntimeError("probe failure")
    if path == "/malformed":
        return {"status": 200}
    authorizer = event["requestContext"].get("authorizer") or {}
    report = {
        "pid": os.getpid(),
        "invocations": INVOCATIONS,
        "remainingMillis": remaining_millis,
        "principalId": authorizer.get("principalId"),
    }
    return {"statusCode": 200, "headers": {"Content-Type": "application/json"}, "body": json.dumps(report)}
