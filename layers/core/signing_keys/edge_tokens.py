"""Edge tokens (v1): minted by the exchange once a viewer's JWT has verified, checked by the CloudFront Function
(edge/viewer_request.js) on every manifest and segment request. Both follow docs/edge.md § Edge token:

    e1.<sid>.<kid>.<exp>.<start>.<iat>.<jrid>.<vrid>.<mac>

`mac` is the unpadded base64url of HMAC-SHA256(key = the secret text as UTF-8, message = "e1\\n" + workspace id +
"\\n" + media id + "\\n" + signed), `signed` being the token up to its last ".". The workspace and media are
signed but not carried: the request's path names them, and a token moved to another path no longer verifies.

The rules here are the Function's, so a token this module mints is one the Function accepts (checked across the
two languages by tests/unit/test_edge_token_vectors.py). Standard library only: the exchange mints in its hot path.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from dataclasses import dataclass

from signing_keys.key_ids import KEY_ID_PATTERN
from signing_keys.patterns import is_media_id, is_workspace_id

VERSION = "e1"
MAX_TOKEN_CHARS = 512
# Fewer characters cannot hold 256 bits of entropy in base64url: the Function refuses such a secret.
MIN_SECRET_CHARS = 43
# Decimal epoch seconds without sign or leading zero, at most 12 digits: exact in JavaScript's doubles.
MAX_SECONDS = 999_999_999_999

_SECRET_ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.ASCII)
_UUID8 = re.compile(KEY_ID_PATTERN.removeprefix("^").removesuffix("$"), re.ASCII)
_INTEGER = re.compile(r"0|[1-9][0-9]{0,11}", re.ASCII)
_MAC = re.compile(r"[A-Za-z0-9_-]{43}", re.ASCII)


@dataclass(frozen=True, slots=True)
class EdgeSession:
    """What a token carries. Revocation ids, not the jti or viewer values: a viewer id may be personal data, and
    URLs are logged."""

    secret_id: str  # the HMAC secret that signs it (Secrets Manager's VersionId when deployed)
    key_id: str  # the signing key the viewer's JWT verified with
    expires_at: int  # epoch seconds; the session ends then
    started_at: int  # epoch seconds; when the exchange minted the token
    issued_at: int | None  # the JWT's iat, when it had one
    jti_revocation_id: str | None  # the id a revocation of the JWT's jti would have
    viewer_revocation_id: str | None  # the id a revocation of the JWT's viewer would have


def mint(session: EdgeSession, *, workspace_id: str, media_id: str, secret: str) -> str:
    """The token for `session` on this workspace's media. ValueError names the first invalid field (never the
    secret's value)."""
    _require(is_workspace_id(workspace_id), "workspace_id")
    _require(is_media_id(media_id) and media_id not in {".", ".."}, "media_id")
    _require(len(secret) >= MIN_SECRET_CHARS, "secret")
    _require(_SECRET_ID.fullmatch(session.secret_id) is not None, "secret_id")
    _require(_UUID8.fullmatch(session.key_id) is not None, "key_id")
    _require(_is_seconds(session.expires_at), "expires_at")
    _require(_is_seconds(session.started_at), "started_at")
    _require(session.issued_at is None or _is_seconds(session.issued_at), "issued_at")
    for name in ("jti_revocation_id", "viewer_revocation_id"):
        value = getattr(session, name)
        _require(value is None or _UUID8.fullmatch(value) is not None, name)
    signed = ".".join(
        (
            VERSION,
            session.secret_id,
            session.key_id,
            str(session.expires_at),
            str(session.started_at),
            _optional(session.issued_at),
            _optional(session.jti_revocation_id),
            _optional(session.viewer_revocation_id),
        )
    )
    return f"{signed}.{_mac(signed, workspace_id, media_id, secret)}"


def parse(token: str) -> EdgeSession | None:
    """The session a token carries, or None when its shape is not v1's (the Function's check 3). The signature is
    not checked here: only the Function holds every live secret."""
    if len(token) > MAX_TOKEN_CHARS:
        return None
    fields = token.split(".")
    if len(fields) != 9 or fields[0] != VERSION or _MAC.fullmatch(fields[8]) is None:
        return None
    _, secret_id, key_id, expires_at, started_at, issued_at, jti_id, viewer_id, _ = fields
    well_formed = (
        _SECRET_ID.fullmatch(secret_id) is not None
        and _UUID8.fullmatch(key_id) is not None
        and all(_INTEGER.fullmatch(value) is not None for value in (expires_at, started_at))
        and (issued_at == "" or _INTEGER.fullmatch(issued_at) is not None)
        and all(value == "" or _UUID8.fullmatch(value) is not None for value in (jti_id, viewer_id))
    )
    if not well_formed:
        return None
    return EdgeSession(
        secret_id=secret_id,
        key_id=key_id,
        expires_at=int(expires_at),
        started_at=int(started_at),
        issued_at=int(issued_at) if issued_at else None,
        jti_revocation_id=jti_id or None,
        viewer_revocation_id=viewer_id or None,
    )


def _mac(signed: str, workspace_id: str, media_id: str, secret: str) -> str:
    message = f"{VERSION}\n{workspace_id}\n{media_id}\n{signed}".encode()
    digest = hmac.new(secret.encode("utf-8"), message, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def _is_seconds(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= MAX_SECONDS


def _optional(value: int | str | None) -> str:
    return "" if value is None else str(value)


def _require(condition: bool, field: str) -> None:
    if not condition:
        raise ValueError(f"edge token: invalid {field}")
