"""PlaybackAuthorizer: verifies the viewer's token (`?token=` or `Authorization: Bearer`) for this workspace's media.

Only the route's workspace's keys verify: a token signed by another tenant's key is an unknown key (401).

Invalid token → 401; a valid token for another media or a disabled key → 403 (explicit Deny).
Never cached by API Gateway (ReauthorizeEvery 0); the verifier's own key cache (KeyCacheMillis) bounds how late a
revoked key is refused.
"""

from typing import Any, Self

from aws_lambda_powertools.utilities.data_classes.api_gateway_authorizer_event import (
    APIGatewayAuthorizerRequestEvent,
    APIGatewayAuthorizerResponse,
    HttpVerb,
)

from signing_keys.authorizer_context import PlaybackContext
from signing_keys.budget import budgeted
from signing_keys.config import Settings
from signing_keys.observability import instrumented
from signing_keys.patterns import is_media_id, is_workspace_id
from signing_keys.verification import TokenRejected, TokenVerifier


class ExactRoutePolicy(APIGatewayAuthorizerResponse):
    """Powertools' policy, with `:` allowed in resource paths: media ids may hold it (MEDIA_ID), and API Gateway
    accepts it in method ARNs. Still no `*` or `?`: the allow names one route, never a pattern."""

    path_regex = r"^[/.A-Za-z0-9_:-]+$"

    @classmethod
    def of(cls, request: APIGatewayAuthorizerRequestEvent, principal_id: str, context: dict[str, Any]) -> Self:
        # Not `from_route_arn`: it builds the base class, whatever it is called on.
        arn = request.parsed_arn
        return cls(
            principal_id, arn.region, arn.aws_account_id, arn.api_id, arn.stage, context, partition=arn.partition
        )


settings = Settings.from_env()
verifier = TokenVerifier.from_settings(settings)


def _presented_token(request: APIGatewayAuthorizerRequestEvent) -> str | None:
    token = (request.query_string_parameters or {}).get("token")
    if token:
        return token
    scheme, _, value = (request.headers.get("Authorization") or "").partition(" ")
    return value.strip() or None if scheme.lower() == "bearer" else None


def authorize(event: dict[str, Any], context: Any) -> dict[str, Any]:
    request = APIGatewayAuthorizerRequestEvent(event)
    parameters = request.path_parameters or {}
    workspace_id, media_id = parameters.get("workspaceId", ""), parameters.get("mediaId", "")
    token = _presented_token(request)
    if token is None or not is_workspace_id(workspace_id) or not is_media_id(media_id):
        raise Exception("Unauthorized")  # noqa: TRY002 - the message API Gateway turns into a 401
    try:
        verified = verifier.verify(token, workspace_id, media_id)
    except TokenRejected as rejected:
        if rejected.status == 401:
            raise Exception("Unauthorized") from None  # noqa: TRY002
        denied = APIGatewayAuthorizerResponse.from_route_arn(request.method_arn, principal_id="viewer")
        denied.deny_all_routes()
        return denied.asdict()
    granted = PlaybackContext.of_claims(verified.key.workspace_id, verified.key.key_id, media_id, verified.claims)
    policy = ExactRoutePolicy.of(request, principal_id=verified.key.key_id, context=granted.encode())
    # Only this workspace's media route: the allow is never reused for another.
    policy.allow_route(HttpVerb.GET.value, f"workspaces/{workspace_id}/playback/{media_id}")
    return policy.asdict()


lambda_handler = instrumented(budgeted(authorize))
