"""Identifier shapes shared by handlers, tools and the verifier: one definition each.

Plain character classes with one bounded quantifier, so matching is linear in the input.
"""

from __future__ import annotations

import re

# A workspace id is chosen by the operator (admin create-credential) and appears in URLs.
WORKSPACE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}", re.ASCII)
# A media id is one URL path segment of the customer's choosing.
MEDIA_ID = re.compile(r"[A-Za-z0-9_.:-]{1,128}", re.ASCII)


def is_workspace_id(value: str) -> bool:
    return WORKSPACE_ID.fullmatch(value) is not None


def is_media_id(value: str) -> bool:
    return MEDIA_ID.fullmatch(value) is not None
