"""Listing cursors, opaque to callers: the last sort key a page read. Only the sort key travels: the partition is
rebuilt from the caller's workspace, so a cursor can never reach another workspace's entries."""

from __future__ import annotations

import base64
import binascii
import re

from signing_keys.errors import FieldError, InvalidInput


def page_cursor(sort_key: str | None) -> str | None:
    """The cursor of a page that ended at `sort_key`; None for the last page."""
    if sort_key is None:
        return None
    return base64.urlsafe_b64encode(sort_key.encode("ascii")).decode("ascii").rstrip("=")


def sort_key_of(cursor: str, shape: re.Pattern[str]) -> str:
    """The sort key a cursor carries; InvalidInput (422) for anything that listing did not hand out."""
    try:
        sort_key = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode("ascii")
    except (binascii.Error, ValueError):
        sort_key = ""
    if not shape.fullmatch(sort_key):
        raise InvalidInput([FieldError("cursor", "is not a cursor this listing returned")])
    return sort_key
