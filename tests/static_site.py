"""A loopback HTTP server that answers fixed replies by path, for browser and HLS client tests without the runner.

Every answer carries the CORS headers a CDN in front of media sends (any origin may read it, and the refusal
header), so a page on another port can play from it; the query string is ignored, as the edge drops it.
"""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from urllib.parse import urlsplit

from tests.support import Reply

CONTENT_TYPES = {
    ".m3u8": "application/vnd.apple.mpegurl",
    ".ts": "video/mp2t",
    ".mp4": "video/mp4",
    ".m4s": "video/iso.segment",
}
NOT_FOUND = Reply(404, {"Content-Type": "text/plain"}, b"Not found")
CORS = {"Access-Control-Allow-Origin": "*", "Access-Control-Expose-Headers": "X-Refusal-Reason"}


class StaticSite:
    """`routes` maps a path to its Reply (404 otherwise); `requested` lists each GET's path and query, in order."""

    def __init__(self) -> None:
        self.routes: dict[str, Reply] = {}
        self.requested: list[str] = []
        site = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                site.requested.append(self.path)
                reply = site.routes.get(urlsplit(self.path).path, NOT_FOUND)
                self.send_response(reply.status)
                for name, value in {**CORS, "Cache-Control": "no-store", **reply.headers}.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(reply.body)))
                self.end_headers()
                self.wfile.write(reply.body)

            def log_message(self, format: str, *args: object) -> None:
                """Quiet: the tests read `requested`."""

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"

    def serve_directory(self, prefix: str, directory: Path) -> None:
        """Each file of `directory` at `prefix` + its name, with a Content-Type by extension."""
        for file in sorted(directory.iterdir()):
            content_type = CONTENT_TYPES.get(file.suffix, "application/octet-stream")
            self.routes[f"{prefix}/{file.name}"] = Reply(200, {"Content-Type": content_type}, file.read_bytes())

    def serve_documents(self, documents: dict[str, tuple[str, bytes]]) -> None:
        """Pages as the runner serves them: path -> (Content-Type, body)."""
        for path, (content_type, body) in documents.items():
            self.routes[path] = Reply(200, {"Content-Type": content_type}, body)

    def __enter__(self) -> StaticSite:
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self._server.shutdown()
        self._server.server_close()
