"""CreateRevocationFunction: POST /revocations with exactly one of {jti}, {viewer}, {issuedBefore} (+ reason)."""

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body

from signing_keys.api import caller, entrypoint, operation, rest_resolver
from signing_keys.config import Settings
from signing_keys.dialects import neutral
from signing_keys.revocations import RevocationService

settings = Settings.from_env()
service = RevocationService.from_settings(settings)
app = rest_resolver(settings)


@operation(app, "createRevocation", response=neutral.RevocationEntry)
def create_revocation(body: Annotated[neutral.RevocationRequest, Body()]) -> Response[Any]:
    revocation_type, value = body.revoked()
    revoked = service.revoke(caller(app), revocation_type, value, reason=body.reason)
    return neutral.revocation(revoked.revocation, created=revoked.created)


lambda_handler = entrypoint(app)
