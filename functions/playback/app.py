"""PlaybackFunction: GET /workspaces/{workspaceId}/playback/{mediaId}; runs only after PlaybackAuthorizer
verified the token with one of that workspace's keys."""

from typing import Any

from aws_lambda_powertools.event_handler import Response

from signing_keys.api import entrypoint, operation, rest_resolver
from signing_keys.authorizer_context import PlaybackContext
from signing_keys.config import Settings
from signing_keys.dialects import neutral
from signing_keys.errors import Unauthenticated

settings = Settings.from_env()
app = rest_resolver()


@operation(app, "verifyPlayback", response=neutral.PlaybackGrant)
def play(workspaceId: str, mediaId: str) -> Response[Any]:  # noqa: N803
    verified = PlaybackContext.decode(app.current_event.request_context.authorizer.get_context())
    # The authorizer's allow names this exact route; checking again costs nothing and survives a misconfiguration.
    if verified.workspace_id != workspaceId or verified.media_id != mediaId:
        raise Unauthenticated()
    return neutral.playback_grant(verified)


lambda_handler = entrypoint(app, settings)
