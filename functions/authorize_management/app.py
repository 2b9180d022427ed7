"""ManagementAuthorizer: resolves HTTP Basic (token id + secret) or Bearer (secret) to a workspace, the token id
and its scope. A read-scoped credential is still allowed every management route here: the route's function
refuses a write with a 403 in its dialect's shape (docs/decisions.md), which a policy deny could not give."""

from typing import Any

from aws_lambda_powertools.utilities.data_classes.api_gateway_authorizer_event import (
    APIGatewayAuthorizerRequestEvent,
    APIGatewayAuthorizerResponse,
)

from signing_keys import routes
from signing_keys.authorizer_context import ManagementContext
from signing_keys.budget import budgeted
from signing_keys.config import Settings
from signing_keys.credentials import CredentialService
from signing_keys.errors import Unauthenticated
from signing_keys.observability import instrumented, logger

settings = Settings.from_env()
credentials = CredentialService.from_settings(settings)


def authorize(event: dict[str, Any], context: Any) -> dict[str, Any]:
    request = APIGatewayAuthorizerRequestEvent(event)
    try:
        credential = credentials.authenticate(request.headers.get("Authorization"))
    except Unauthenticated:
        # The route's template (`/iam/signing-keys/{signingKeyId}`), never the raw path: that is the caller's text.
        logger.info("credential rejected", extra={"method": request.http_method, "resource": request.resource})
        # This exact message is how a Lambda authorizer makes API Gateway answer 401.
        raise Exception("Unauthorized") from None  # noqa: TRY002
    logger.debug("credential accepted", extra={"workspace_id": credential.workspace_id, "scope": credential.scope})
    granted = ManagementContext(credential.workspace_id, credential.token_id, credential.scope)
    policy = APIGatewayAuthorizerResponse.from_route_arn(
        request.method_arn, principal_id=credential.workspace_id, context=granted.encode()
    )
    # API Gateway caches this policy per credential, so it allows every management route, not just this one.
    for route in routes.guarded_by(routes.Auth.MANAGEMENT):
        for resource in route.policy_resources:
            policy.allow_route(route.method, resource)
    return policy.asdict()


lambda_handler = instrumented(budgeted(authorize))
