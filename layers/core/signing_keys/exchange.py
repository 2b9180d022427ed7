"""The exchange: a viewer's playback JWT, verified once with every rule of the playback route, becomes a
path-scoped edge token that the CloudFront Function checks on every manifest and segment (docs/edge.md).

The session the token carries ends no later than the JWT's `exp`, the key's `expiresAt`, and EdgeSessionSeconds
after it started; it names the key and the revocation ids of the JWT's `jti` and `viewer`, so the edge's deny
list can end it. The media path is checked before the JWT is verified, and the secret read before it, so a
single-use JWT is only ever spent on a redirect that leads somewhere.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from signing_keys import edge_tokens
from signing_keys.edge_secrets import EdgeSecret, EdgeSecrets
from signing_keys.errors import NotFound
from signing_keys.models import RevocationType
from signing_keys.playback import Viewer
from signing_keys.verification import revocation_ids_of

# What the CloudFront Function serves (edge/viewer_request.js): plain segments, never `.`/`..`, no `%` or `\`.
_FILE_SEGMENT = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,254}", re.ASCII)


class EdgeNotConfigured(NotFound):
    message = "playback through the edge is not configured in this deployment (EdgeMediaBucketName is empty)"


class NoSuchMediaPath(NotFound):
    message = "the media path must be segments of A-Z a-z 0-9 _ . - (not starting with . or -), joined by /"


def checked_media_path(path: str) -> str:
    """The path within the media, as the edge will serve it; NoSuchMediaPath otherwise."""
    segments = path.split("/")
    if not all(_FILE_SEGMENT.fullmatch(segment) for segment in segments):
        raise NoSuchMediaPath()
    return path


@dataclass(frozen=True, slots=True)
class Exchange:
    secrets: EdgeSecrets | None  # None: no edge in this deployment
    base_url: str  # where the edge answers; "" for the host the exchange was called on
    session_seconds: int

    def signing_secret(self) -> EdgeSecret:
        """The secret to sign with, read before the JWT is verified: a failure here spends nothing."""
        if self.secrets is None:
            raise EdgeNotConfigured()
        return self.secrets.current()

    def location(self, viewer: Viewer, path: str, secret: EdgeSecret, now: int) -> str:
        """The tokenized edge URL of `path` within the viewer's media."""
        key, claims = viewer.verified.key, viewer.verified.claims
        ends = [claims["exp"], now + self.session_seconds]
        if key.policy.expires_at is not None:
            ends.append(int(key.policy.expires_at.timestamp()))
        revocation_ids = revocation_ids_of(viewer.workspace_id, claims)
        session = edge_tokens.EdgeSession(
            secret_id=secret.secret_id,
            key_id=key.key_id,
            expires_at=min(ends),
            started_at=now,
            issued_at=claims.get("iat"),
            jti_revocation_id=revocation_ids.get(RevocationType.JTI),
            viewer_revocation_id=revocation_ids.get(RevocationType.VIEWER),
        )
        token = edge_tokens.mint(
            session, workspace_id=viewer.workspace_id, media_id=viewer.media_id, secret=secret.value
        )
        return f"{self.base_url}/m/{viewer.workspace_id}/{viewer.media_id}/{token}/{path}"
