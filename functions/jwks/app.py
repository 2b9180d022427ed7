"""JwksFunction: GET /workspaces/{workspaceId}/jwks.json, public; the workspace's enabled, unexpired keys as a
JWK Set (expiry is judged at each read).

An unknown workspace gets an empty set, the same answer as a workspace without keys.
"""

import time
from typing import Any

from aws_lambda_powertools.event_handler import Response

from signing_keys.api import entrypoint, operation, rest_resolver
from signing_keys.config import Settings
from signing_keys.dialects import neutral
from signing_keys.jwks import jwk_set
from signing_keys.parameters import WorkspaceId
from signing_keys.patterns import is_workspace_id
from signing_keys.service import KeyService

settings = Settings.from_env()
service = KeyService.from_settings(settings)
app = rest_resolver(settings)


@operation(app, "getWorkspaceJwks", response=neutral.JwkSet)
def workspace_jwks(workspaceId: WorkspaceId) -> Response[Any]:  # noqa: N803
    keys = service.list_keys(workspaceId) if is_workspace_id(workspaceId) else []
    return neutral.jwk_set(jwk_set(keys, time.time()), settings.jwks_max_age_seconds)


lambda_handler = entrypoint(app)
