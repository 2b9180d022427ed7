"""PlaybackAuthorizer: verifies the viewer's token (`?token=` or `Authorization: Bearer`) for one workspace's media,
for API Gateway routes with `workspaceId` and `mediaId` path parameters. No route of this API uses it (the playback
function verifies, so that a refusal carries its reason); customers attach it to routes of their own.

Only the route's workspace's keys verify: a token signed by another tenant's key is an unknown key (401).
Invalid token → 401; a valid token for another media or a disabled key → 403 (explicit Deny).
Attach it uncached (`ReauthorizeEvery: 0`): a cached allow would outlive a revocation, or let a token reach another
media. The verifier's own key cache (KeyCacheMillis) bounds how late a revoked key is refused.

The allow names exactly the request's own method ARN, however the path was spelled (`movie%2D42`, a trailing
`/`): an allow for another spelling would be refused by API Gateway after a single-use token was already spent.
"""

from typing import Any

from aws_lambda_powertools.utilities.data_classes.api_gateway_authorizer_event import (
    APIGatewayAuthorizerRequestEvent,
    APIGatewayAuthorizerResponse,
)

from signing_keys.authorizer_context import PlaybackContext
from signing_keys.budget import budgeted
from signing_keys.config import Settings
from signing_keys.observability import instrumented
from signing_keys.patterns import is_media_id, is_workspace_id
from signing_keys.rejections import TokenRejected
from signing_keys.verification import TokenVerifier

settings = Settings.from_env()
verifier = TokenVerifier.from_settings(settings)
# In an IAM resource, these would make the allow a pattern that matches other requests.
_PATTERN_CHARACTERS = frozenset("*?")


def _presented_token(request: APIGatewayAuthorizerRequestEvent) -> str | None:
    token = (request.query_string_parameters or {}).get("token")
    if token:
        return token
    scheme, _, value = (request.headers.get("Authorization") or "").partition(" ")
    return value.strip() or None if scheme.lower() == "bearer" else None


def _deny(request: APIGatewayAuthorizerRequestEvent) -> dict[str, Any]:
    denied = APIGatewayAuthorizerResponse.from_route_arn(request.method_arn, principal_id="viewer")
    denied.deny_all_routes()
    return denied.asdict()


def _allow(method_arn: str, principal_id: str, context: dict[str, Any]) -> dict[str, Any]:
    statement = {"Action": "execute-api:Invoke", "Effect": "Allow", "Resource": [method_arn]}
    return {
        "principalId": principal_id,
        "policyDocument": {"Version": "2012-10-17", "Statement": [statement]},
        "context": context,
    }


def authorize(event: dict[str, Any], context: Any) -> dict[str, Any]:
    request = APIGatewayAuthorizerRequestEvent(event)
    parameters = request.path_parameters or {}
    workspace_id, media_id = parameters.get("workspaceId", ""), parameters.get("mediaId", "")
    token = _presented_token(request)
    if token is None or not is_workspace_id(workspace_id) or not is_media_id(media_id):
        raise Exception("Unauthorized")  # noqa: TRY002 - the message API Gateway turns into a 401
    if _PATTERN_CHARACTERS & set(request.method_arn):
        return _deny(request)  # before verifying: nothing is spent for a request that cannot be allowed
    try:
        verified = verifier.verify(token, workspace_id, media_id)
    except TokenRejected as rejected:
        if rejected.status == 401:
            raise Exception("Unauthorized") from None  # noqa: TRY002
        return _deny(request)
    granted = PlaybackContext.of_claims(verified.key.workspace_id, verified.key.key_id, media_id, verified.claims)
    # Only this request: the allow is never reused for another (and API Gateway never caches it).
    return _allow(request.method_arn, verified.key.key_id, granted.encode())


lambda_handler = instrumented(budgeted(authorize))
