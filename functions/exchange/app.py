"""ExchangeFunction: GET /workspaces/{workspaceId}/play/{mediaId}/{path+}?token=<JWT> (or Authorization: Bearer)
→ 302 to the media's tokenized edge URL, with CORS for players on other origins (OPTIONS answers the preflight).
The JWT is verified exactly as on the playback route (signing_keys.playback), refusals saying why."""

import time
from typing import Any

from aws_lambda_powertools.event_handler import CORSConfig, Response

from signing_keys.api import entrypoint, operation, rest_resolver
from signing_keys.config import Settings
from signing_keys.edge_secrets import EdgeSecrets
from signing_keys.errors import TokenRefused
from signing_keys.exchange import Exchange, checked_media_path
from signing_keys.parameters import MediaId, PlaybackToken, WorkspaceId
from signing_keys.playback import verified_viewer
from signing_keys.verification import TokenVerifier

settings = Settings.from_env()
verifier = TokenVerifier.from_settings(settings)
exchange = Exchange(
    secrets=EdgeSecrets.connect(settings.edge_secret_arn) if settings.edge_secret_arn else None,
    base_url=settings.edge_base_url,
    session_seconds=settings.edge_session_seconds,
)
origins = settings.allowed_origins
cors = CORSConfig(
    allow_origin=origins[0],
    extra_origins=list(origins[1:]),
    allow_headers=["Authorization"],
    expose_headers=[TokenRefused.REASON_HEADER],
    max_age=600,
)
app = rest_resolver(settings, cors)


@operation(app, "playMedia")
def play_media(
    workspaceId: WorkspaceId,  # noqa: N803
    mediaId: MediaId,  # noqa: N803
    token: PlaybackToken = None,
) -> Response[Any]:
    path = checked_media_path((app.current_event.path_parameters or {}).get("path", ""))
    secret = exchange.signing_secret()
    viewer = verified_viewer(verifier, app.current_event)
    location = exchange.location(viewer, path, secret, int(time.time()))
    # Never cached anywhere: the answer is this viewer's session.
    return Response(status_code=302, headers={"Location": location, "Cache-Control": "no-store"})


@operation(app, "playMediaPreflight")
def preflight(workspaceId: WorkspaceId, mediaId: MediaId) -> Response[Any]:  # noqa: N803
    headers = cors.to_dict(app.current_event.headers.get("Origin"))
    if headers:
        headers["Access-Control-Allow-Methods"] = "GET, OPTIONS"
    return Response(status_code=204, headers=headers)


lambda_handler = entrypoint(app)
