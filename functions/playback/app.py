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
    # API Gateway's decoded path parameters, as the authorizer saw them (the resolver's own are cut from the raw
    # path, so `movie%2D42` would not match). The allow names this exact request; checking again costs nothing and
    # survives a misconfiguration.
    parameters = app.current_event.path_parameters or {}
    if verified.workspace_id != parameters.get("workspaceId") or verified.media_id != parameters.get("mediaId"):
        raise Unauthenticated()
    return neutral.playback_grant(verified)


lambda_handler = entrypoint(app, settings)
