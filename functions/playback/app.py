"""PlaybackFunction: GET /playback/{mediaId}; runs only after PlaybackAuthorizer verified the token."""

import json
from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Path

from signing_keys.api import entrypoint, rest_resolver
from signing_keys.config import Settings
from signing_keys.dialects import json_response
from signing_keys.errors import Unauthenticated

settings = Settings.from_env()
app = rest_resolver()


@app.get("/playback/<mediaId>")
def play(mediaId: Annotated[str, Path(pattern=r"^[A-Za-z0-9_.:-]{1,128}$")]) -> Response[Any]:  # noqa: N803
    verified = app.current_event.request_context.authorizer.get_context()
    if verified.get("mediaId") != mediaId:
        raise Unauthenticated()
    return json_response(
        200,
        {
            "mediaId": mediaId,
            "workspaceId": verified["workspaceId"],
            "keyId": verified["keyId"],
            "sub": json.loads(verified["sub"]),
            "aud": json.loads(verified["aud"]),
            "groups": json.loads(verified["groups"]),
            "exp": int(verified["exp"]),
        },
    )


lambda_handler = entrypoint(app, settings)
