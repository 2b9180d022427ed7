"""A plain HTTP client that fetches an HLS presentation the way a player does: no cookies, no headers of its own.

It follows redirects (the exchange's 302), resolves every URI a playlist names against the playlist's final URL
(so relative URIs stay under the edge's tokenized prefix).
"""

from __future__ import annotations

import urllib.request
from urllib.parse import urljoin, urlsplit

TIMEOUT_SECONDS = 30


def named_uris(playlist: str) -> list[str]:
    """The URIs a playlist names: its non-blank lines that are not tags or comments."""
    return [line.strip() for line in playlist.splitlines() if line.strip() and not line.startswith("#")]


def fetch_presentation(url: str) -> dict[str, bytes]:
    """Final URL -> body of the playlist at `url` and of everything it names, playlists (.m3u8) recursively."""
    fetched: dict[str, bytes] = {}
    pending = [url]
    while pending:
        with urllib.request.urlopen(pending.pop(0), timeout=TIMEOUT_SECONDS) as response:
            final_url: str = response.geturl()
            body: bytes = response.read()
        fetched[final_url] = body
        if urlsplit(final_url).path.endswith(".m3u8"):
            pending.extend(urljoin(final_url, uri) for uri in named_uris(body.decode("utf-8")))
    return fetched
