"""PlaybackFunction: GET /workspaces/{workspaceId}/playback/{mediaId}; runs only after PlaybackAuthorizer
verified the token with one of that workspace's keys."""

import json
from typing import Any

from aws_lambda_powertools.event_handler import Response

from signing_keys.api import entrypoint, rest_resolver
from signing_keys.config import Settings
from signing_keys.dialects import json_response
from signing_keys.errors import Unauthenticated

settings = Settings.from_env()
app = rest_resolver()


@app.get("/workspaces/<workspaceId>/playback/<mediaId>")
def play(workspaceId: str, mediaId: str) -> Response[Any]:  # noqa: N803
    verified = app.current_event.request_context.authorizer.get_context()
    # The authorizer's allow names this exact route; checking again costs nothing and survives a misconfiguration.
    if verified.get("workspaceId") != workspaceId or verified.get("mediaId") != mediaId:
        raise Unauthenticated()
    return json_response(
        200,
        {
            "mediaId": mediaId,
            "workspaceId": workspaceId,
            "keyId": verified["keyId"],
            "sub": json.loads(verified["sub"]),
            "aud": json.loads(verified["aud"]),
            "groups": json.loads(verified["groups"]),
            "exp": int(verified["exp"]),
        },
    )


lambda_handler = entrypoint(app, settings)
