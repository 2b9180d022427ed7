"""The CloudFront Function under Node.js, for the runner: starts edge/local_host.mjs (the deployed
edge/viewer_request.js, reading the runner's KeyValueStore over HTTP), and turns an HTTP request into the
viewer-request event CloudFront would hand the Function (docs/edge.md § The local host).
"""

from __future__ import annotations

import http.client
import json
import shutil
import subprocess
import threading
from collections.abc import Iterable
from pathlib import Path
from types import TracebackType
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
HOST_SCRIPT = ROOT / "edge" / "local_host.mjs"


class EdgeHostError(Exception):
    """The host could not start, or answered an invocation with an error (never the Function's 403s)."""


class EdgeHost:
    """One Node.js process for the runner's lifetime. It exits when its stdin closes, so it dies with the runner
    even when the runner is killed. `invoke` is safe from many threads (one connection per call)."""

    def __init__(self, process: subprocess.Popen[bytes], port: int) -> None:
        self._process = process
        self.port = port

    @classmethod
    def start(cls, kvs_url: str, *, node: str | None = None, ready_timeout: float = 15.0) -> EdgeHost:
        """Starts the host against the KeyValueStore at `kvs_url` (GET /keys/<key> → 200 value, 404 absent)."""
        executable = node or shutil.which("node")
        if executable is None:
            raise EdgeHostError("Node.js (node) is not on PATH; the edge host needs it")
        try:
            process = subprocess.Popen(  # noqa: S603 - a fixed script; the URL is one argument, no shell
                [executable, str(HOST_SCRIPT), "--kvs-url", kvs_url],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
            )
        except OSError as error:
            raise EdgeHostError(f"the edge host could not start: {error}") from error
        stdout = process.stdout
        assert stdout is not None  # a pipe, as asked
        ready: list[bytes] = []
        # A thread, so a host that never prints cannot hang the runner past `ready_timeout`.
        reader = threading.Thread(target=lambda: ready.append(stdout.readline()), daemon=True)
        reader.start()
        reader.join(ready_timeout)
        try:
            port = int(json.loads(ready[0])["port"]) if ready and ready[0] else None
        except (ValueError, KeyError, TypeError):
            port = None
        if port is None:
            cls(process, 0).close()
            raise EdgeHostError(f"the edge host did not report ready within {ready_timeout} s (exit {process.poll()})")
        return cls(process, port)

    def invoke(self, event: dict[str, Any], *, timeout: float = 10.0) -> dict[str, Any]:
        """The Function's result for a viewer-request event: the request to forward (it has `uri`) or the response
        to send (it has `statusCode`)."""
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            connection.request("POST", "/invoke", json.dumps(event), {"content-type": "application/json"})
            response = connection.getresponse()
            body = response.read()
        except OSError as error:
            raise EdgeHostError(f"the edge host is unreachable: {error}") from error
        finally:
            connection.close()
        try:
            answer = json.loads(body)
        except ValueError as error:
            raise EdgeHostError(f"the edge host answered {response.status} with no JSON") from error
        if response.status != 200 or not isinstance(answer, dict):
            detail = answer.get("error") if isinstance(answer, dict) else answer
            raise EdgeHostError(f"the edge host answered {response.status}: {detail}")
        return answer

    def close(self) -> None:
        """Closes the host's stdin (it exits on that) and waits for it; kills it if it lingers."""
        if self._process.stdin is not None and not self._process.stdin.closed:
            self._process.stdin.close()
        try:
            self._process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        if self._process.stdout is not None:
            self._process.stdout.close()

    @property
    def running(self) -> bool:
        return self._process.poll() is None

    def __enter__(self) -> EdgeHost:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.close()


def viewer_request_event(
    method: str,
    path: str,
    query: str,
    headers: Iterable[tuple[str, str]],
    *,
    viewer_ip: str = "127.0.0.1",
    request_id: str | None = None,
    distribution_domain_name: str = "localhost",
    distribution_id: str = "LOCAL",
) -> dict[str, Any]:
    """CloudFront Functions' viewer-request event (functions-event-structure) for one HTTP request.

    As CloudFront does: `path` and the query string's names and values stay as the viewer sent them (still
    percent-encoded); header names are lower-cased; Cookie headers become `cookies` and leave `headers`; a name
    that repeats keeps its first value in `value` and all of them in `multiValue`.
    """
    query_pairs = [_split(part, "=") for part in query.split("&") if part]
    header_pairs: list[tuple[str, str]] = []
    cookie_pairs: list[tuple[str, str]] = []
    for name, value in headers:
        if name.lower() == "cookie":
            cookie_pairs += [_split(part.strip(), "=") for part in value.split(";") if part.strip()]
        else:
            header_pairs.append((name.lower(), value))
    context = {
        "distributionDomainName": distribution_domain_name,
        "distributionId": distribution_id,
        "eventType": "viewer-request",
    }
    if request_id is not None:
        context["requestId"] = request_id
    return {
        "version": "1.0",
        "context": context,
        "viewer": {"ip": viewer_ip},
        "request": {
            "method": method,
            "uri": path,
            "querystring": _fields(query_pairs),
            "headers": _fields(header_pairs),
            "cookies": _fields(cookie_pairs),
        },
    }


def _split(text: str, separator: str) -> tuple[str, str]:
    name, _, value = text.partition(separator)
    return name, value


def _fields(pairs: Iterable[tuple[str, str]]) -> dict[str, dict[str, Any]]:
    fields: dict[str, dict[str, Any]] = {}
    for name, value in pairs:
        field = fields.get(name)
        if field is None:
            fields[name] = {"value": value}
            continue
        field.setdefault("multiValue", [{"value": field["value"]}]).append({"value": value})
    return fields
