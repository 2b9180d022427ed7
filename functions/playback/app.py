"""PlaybackFunction: GET /workspaces/{workspaceId}/playback/{mediaId}. Verifies the viewer's token itself
(`?token=` or `Authorization: Bearer`), so that every refusal can say why: a Lambda authorizer's 401 cannot carry a
reason. PlaybackAuthorizer stays for customers who attach it to routes of their own."""

from typing import Any

from aws_lambda_powertools.event_handler import Response

from signing_keys.api import entrypoint, operation, rest_resolver
from signing_keys.config import Settings
from signing_keys.dialects import neutral
from signing_keys.parameters import MediaId, PlaybackToken, WorkspaceId
from signing_keys.playback import verified_viewer
from signing_keys.verification import TokenVerifier

settings = Settings.from_env()
verifier = TokenVerifier.from_settings(settings)
app = rest_resolver(settings)


@operation(app, "verifyPlayback", response=neutral.PlaybackGrant)
def play(
    workspaceId: WorkspaceId,  # noqa: N803
    mediaId: MediaId,  # noqa: N803
    token: PlaybackToken = None,
) -> Response[Any]:
    viewer = verified_viewer(verifier, app.current_event)
    key = viewer.verified.key
    return neutral.playback_grant(viewer.workspace_id, key.key_id, viewer.media_id, viewer.verified.claims)


lambda_handler = entrypoint(app)
