"""The runner's demo player: the page at /demo, its script, and hls.js from the player package (`make player`).

Static files only; the page plays whatever playback URL it is given (see player/player.js).
"""

from __future__ import annotations

from pathlib import Path

PLAYER_DIR = Path(__file__).resolve().parent / "player"
HLS_JS = PLAYER_DIR / "node_modules" / "hls.js" / "dist" / "hls.min.js"
_JAVASCRIPT = "text/javascript; charset=utf-8"


def documents() -> dict[str, tuple[str, bytes]]:
    """Path -> (Content-Type, body) of each file the demo page needs, hls.js only when it is installed.

    Without hls.js the page still loads and says so, or plays with the browser's native HLS where there is one.
    """
    served = {
        "/demo": ("text/html; charset=utf-8", (PLAYER_DIR / "demo.html").read_bytes()),
        "/demo/player.js": (_JAVASCRIPT, (PLAYER_DIR / "player.js").read_bytes()),
    }
    if HLS_JS.is_file():
        served["/demo/hls.min.js"] = (_JAVASCRIPT, HLS_JS.read_bytes())
    return served
