"""The path and query parameters the handlers declare, each defined once with its constraints, its description
and an example, so that every operation documents a parameter alike. Handlers annotate with these:
`def get_fastpix_key(signingKeyId: SigningKeyId)`.
"""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Path, Query

from signing_keys.dialects import examples
from signing_keys.limits import DEFAULT_PAGE_SIZE, MAX_CURSOR_CHARS, MAX_PAGE_SIZE

_KEY_ID = (
    "The signing key's id, as create answered it (a UUID). Any other value, a deleted key and another "
    "workspace's key are the same 404."
)
SigningKeyId = Annotated[str, Path(description=_KEY_ID, examples=[examples.KEY_ID])]
KeyId = Annotated[str, Path(description=_KEY_ID, examples=[examples.KEY_ID])]
RevocationId = Annotated[
    str,
    Path(
        description=(
            "The revocation's id, as create or list answered it (a UUID). An unknown, expired or another "
            "workspace's revocation is the same 404."
        ),
        examples=[examples.REVOCATION_ID],
    ),
]
WorkspaceId = Annotated[
    str,
    Path(
        description="The workspace whose keys verify the token: only its keys do (the local runner's is `dev`).",
        examples=[examples.WORKSPACE_ID],
    ),
]
MediaId = Annotated[
    str,
    Path(
        description=(
            "The media the token must open: FastPix-style tokens name it in `aud` as `media:<mediaId>`, "
            "Livepeer-style ones in `sub`."
        ),
        examples=[examples.MEDIA_ID],
    ),
]
PlaybackToken = Annotated[
    str | None,
    Query(
        description="The viewer's playback JWT; or send it as `Authorization: Bearer <JWT>` instead.",
        examples=[examples.PLAYBACK_TOKEN],
    ),
]
# The FastPix SDK types both as numbers, so "10" and "10.0" are accepted; "10.5" is not.
FastPixPageSize = Annotated[
    float,
    Query(ge=1, le=100, multiple_of=1, description="Keys per page, 1 to 100.", examples=[10]),
]
FastPixPage = Annotated[
    float,
    Query(
        ge=1,
        le=1_000_000,
        multiple_of=1,
        description="The page to answer, from 1 (FastPix calls the page number `offset`).",
        examples=[1],
    ),
]
PageSize = Annotated[
    int,
    Query(
        ge=1,
        le=MAX_PAGE_SIZE,
        description=f"Entries per page, 1 to {MAX_PAGE_SIZE} (default {DEFAULT_PAGE_SIZE}).",
        examples=[50],
    ),
]
_CURSOR = "The previous page's `nextCursor`, as it was answered; leave it out for the first page."
AuditCursor = Annotated[
    str | None,
    Query(min_length=1, max_length=MAX_CURSOR_CHARS, description=_CURSOR, examples=[examples.AUDIT_CURSOR]),
]
RevocationCursor = Annotated[
    str | None,
    Query(min_length=1, max_length=MAX_CURSOR_CHARS, description=_CURSOR, examples=[examples.REVOCATION_CURSOR]),
]
