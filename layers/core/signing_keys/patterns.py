"""Identifier shapes shared by handlers, tools and the verifier: one definition each.

Plain character classes with one bounded quantifier, so matching is linear in the input.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

# A workspace id is chosen by the operator (admin create-credential) and appears in URLs.
WORKSPACE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}", re.ASCII)
# A media id is one URL path segment of the customer's choosing.
MEDIA_ID = re.compile(r"[A-Za-z0-9_.:-]{1,128}", re.ASCII)
# A key's allowedMedia entry: a media id, or a non-empty prefix of one followed by a single `*`. A bare `*` is
# refused: "any media" is allowedMedia null, and one spelling per meaning keeps policies readable.
MEDIA_PATTERN = re.compile(r"[A-Za-z0-9_.:-]{1,128}|[A-Za-z0-9_.:-]{1,127}\*", re.ASCII)
PREFIX_WILDCARD = "*"


def is_workspace_id(value: str) -> bool:
    return WORKSPACE_ID.fullmatch(value) is not None


def is_media_id(value: str) -> bool:
    return MEDIA_ID.fullmatch(value) is not None


def is_media_pattern(value: str) -> bool:
    return MEDIA_PATTERN.fullmatch(value) is not None


def media_allowed(patterns: Iterable[str], media_id: str) -> bool:
    """Whether `media_id` matches one of `patterns`: equal to an exact id, or starting with a `prefix*`'s prefix
    (a `*` stands for any rest, the empty one included). An exact id is never read as a prefix: `intro` does not
    admit `intro2`."""
    for pattern in patterns:
        if pattern.endswith(PREFIX_WILDCARD):
            if media_id.startswith(pattern[:-1]):
                return True
        elif media_id == pattern:
            return True
    return False
