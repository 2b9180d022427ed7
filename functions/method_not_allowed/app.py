"""MethodNotAllowedFunction: the `ANY` fallback of every resource, so a wrong method is 405 with `Allow`.

API Gateway prefers a resource's explicit methods over its `ANY`, so only methods the API lacks land here.
"""

import json
from typing import Any

from signing_keys.api import error_body
from signing_keys.dialects import JSON
from signing_keys.errors import SigningKeyError

# Resource → methods it serves; tests/api/test_method_not_allowed.py checks this against template.yaml.
ALLOWED_METHODS = {
    "/iam/signing-keys": ("GET", "POST"),
    "/iam/signing-keys/{signingKeyId}": ("GET", "DELETE"),
    "/access-control/signing-key": ("GET", "POST"),
    "/access-control/signing-key/{keyId}": ("GET", "PATCH", "DELETE"),
    "/workspaces/{workspaceId}/playback/{mediaId}": ("GET",),
    "/workspaces/{workspaceId}/jwks.json": ("GET",),
}


class MethodNotAllowed(SigningKeyError):
    status = 405
    message = "method not allowed"


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    allowed = ", ".join(ALLOWED_METHODS.get(str(event.get("resource")), ()))
    body = error_body(str(event.get("path") or ""), MethodNotAllowed.status, MethodNotAllowed.message, [])
    return {
        "statusCode": MethodNotAllowed.status,
        "headers": {"Content-Type": JSON, "Allow": allowed},
        "body": json.dumps(body, separators=(",", ":")),
        "isBase64Encoded": False,
    }
