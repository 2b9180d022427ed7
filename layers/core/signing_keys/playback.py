"""A viewer's request for one of a workspace's media: the token it presents, verified the one way every route that
serves media verifies it (the playback route and the exchange share this code path).

The route's own path parameters as API Gateway decoded them name the workspace and the media (the resolver's are
cut from the raw path, so `movie%2D42` would not match them). Only that workspace's keys verify; a refusal is a
TokenRefused carrying its reason.
"""

from __future__ import annotations

from dataclasses import dataclass

from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEvent

from signing_keys.patterns import is_media_id, is_workspace_id
from signing_keys.rejections import Rejection, TokenRejected
from signing_keys.verification import TokenVerifier, VerifiedToken


@dataclass(frozen=True, slots=True)
class Viewer:
    workspace_id: str
    media_id: str
    verified: VerifiedToken


def presented_token(event: APIGatewayProxyEvent) -> str | None:
    """`?token=` (players can put nothing else in a URL), else `Authorization: Bearer`."""
    token = (event.query_string_parameters or {}).get("token")
    if token:
        return token
    scheme, _, value = (event.headers.get("Authorization") or "").partition(" ")
    return (value.strip() or None) if scheme.lower() == "bearer" else None


def _verify(verifier: TokenVerifier, event: APIGatewayProxyEvent) -> Viewer:
    parameters = event.path_parameters or {}
    workspace_id, media_id = parameters.get("workspaceId", ""), parameters.get("mediaId", "")
    token = presented_token(event)
    if token is None:
        raise TokenRejected(Rejection.MISSING_TOKEN, "no token: pass it as ?token=<JWT> or Authorization: Bearer <JWT>")
    if not is_workspace_id(workspace_id):
        raise TokenRejected(Rejection.UNKNOWN_KEY, "the URL's workspace id is not one a workspace can have")
    if not is_media_id(media_id):
        raise TokenRejected(Rejection.WRONG_MEDIA, "the URL's media id is not one a media can have")
    verified = verifier.verify(token, workspace_id, media_id)
    # The verifier already takes keys from this workspace only; checking again costs nothing and keeps tenants apart
    # should a store or a cache ever hand it another workspace's key.
    if verified.key.workspace_id != workspace_id:
        raise TokenRejected(Rejection.UNKNOWN_KEY, f"workspace {workspace_id} has no signing key {verified.key.key_id}")
    return Viewer(workspace_id, media_id, verified)


def verified_viewer(verifier: TokenVerifier, event: APIGatewayProxyEvent) -> Viewer:
    """The viewer's verified token for the route's workspace and media; TokenRefused (401/403, with its reason)
    otherwise."""
    try:
        return _verify(verifier, event)
    except TokenRejected as rejected:
        raise rejected.refused() from None
