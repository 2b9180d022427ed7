"""VerifyTokenFunction: POST /tokens/verify {"token", "mediaId"}, for the key's owner (any credential of the
workspace, read scope suffices): how the playback route would judge this token at this moment, stage by stage,
with the claims. It changes nothing: a single-use token is not spent and lastSeen is not written."""

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body

from signing_keys.api import caller, entrypoint, operation, rest_resolver
from signing_keys.config import Settings
from signing_keys.dialects import neutral
from signing_keys.verification import TokenVerifier

settings = Settings.from_env()
verifier = TokenVerifier.from_settings(settings)
app = rest_resolver(settings)


@operation(app, "verifyToken", response=neutral.TokenVerdict)
def verify_token(body: Annotated[neutral.VerifyTokenRequest, Body()]) -> Response[Any]:
    workspace_id = caller(app).workspace_id
    return neutral.token_verdict(verifier.explain(body.token, workspace_id, body.mediaId))


lambda_handler = entrypoint(app)
