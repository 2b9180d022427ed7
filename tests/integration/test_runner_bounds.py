"""The runner's own memory stays bounded under what a client controls: distinct credential spellings (the
authorizer cache), many slow clients with large bodies, and a client that never finishes its request."""

from __future__ import annotations

import base64
import itertools
import json
import select
import socket
import threading
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest

from signing_keys_local.gateway import AUTHORIZER_CACHE_MAX_ENTRIES
from tests.integration.conftest import Runner, call, runner_rss_bytes, start_runner

pytestmark = pytest.mark.serial  # request deadlines of a second or two, and the runner's memory

CACHE = ("ws-cache-bound", "tok-cache-bound", "secret-cache-bound-0123456789")
_, _, CACHE_SECRET = CACHE
SPELLINGS = 4000
SENDERS = 8
MB = 2**20


def bearer_spellings(secret: str) -> Iterator[str]:
    """Distinct Authorization values the authorizer accepts as one credential: the scheme in any letter case,
    then one or more spaces (each value is an identity of its own to API Gateway's cache)."""
    for spaces in itertools.count(1):
        for case in itertools.product(*(("b", "B"), ("e", "E"), ("a", "A"), ("r", "R"), ("e", "E"), ("r", "R"))):
            yield "".join(case) + " " * spaces + secret


@pytest.fixture(scope="module")
def cache_runner() -> Iterator[Runner]:
    # DEBUG: the management authorizer logs "credential accepted" once per call, which is what these tests count.
    started = start_runner("--credential", ":".join(CACHE), "--no-throttle", "--parameter-overrides", "LogLevel=DEBUG")
    yield started
    assert started.stop() == 0


# The authorizer's log lines reach the runner's output after the answer, seconds later on a busy machine.
AUTHORIZER_LOG_GRACE_SECONDS = 3.0


def authorizer_calls(runner: Runner, authorization: str, probe: str) -> int:
    """How many times the authorizer ran for one request: its "credential accepted" lines carrying the request's
    id, waited for up to the grace period (none appear when its cached policy answered)."""
    already = len(runner.lines)
    status, headers, _ = call(runner, "GET", f"/iam/signing-keys/{probe}", authorization=authorization)
    assert status == 404  # authorized; no such key
    request_id = {name.lower(): value for name, value in headers.items()}["x-amzn-requestid"]

    def accepted() -> int:
        return sum("credential accepted" in line and request_id in line for line in runner.lines[already:])

    deadline = time.monotonic() + AUTHORIZER_LOG_GRACE_SECONDS
    while not accepted() and time.monotonic() < deadline:
        time.sleep(0.05)
    return accepted()


def test_the_authorizer_cache_keeps_the_newest_identities_up_to_its_bound_and_memory_stays_flat(
    cache_runner: Runner,
) -> None:
    # Given as many spellings of one credential as the cache holds, each sent once (the cache is full)
    spellings = list(itertools.islice(bearer_spellings(CACHE_SECRET), SPELLINGS))

    def send(authorization: str) -> int:
        return call(cache_runner, "GET", "/iam/signing-keys/absent", authorization=authorization)[0]

    with ThreadPoolExecutor(max_workers=SENDERS) as pool:
        assert set(pool.map(send, spellings[:AUTHORIZER_CACHE_MAX_ENTRIES])) == {404}  # authorized; no such key
        full = runner_rss_bytes(cache_runner)
        # When the rest of the 4,000 spellings follow
        assert set(pool.map(send, spellings[AUTHORIZER_CACHE_MAX_ENTRIES:])) == {404}
    grown = runner_rss_bytes(cache_runner) - full
    # Then the cache holds the newest bound's worth and no more: a spelling just inside it is still cached, one just
    # outside it was evicted (eight senders at once store neighbouring spellings in any order, hence the margin)
    inside, outside = -AUTHORIZER_CACHE_MAX_ENTRIES + SENDERS * 2, -AUTHORIZER_CACHE_MAX_ENTRIES - SENDERS * 2
    assert authorizer_calls(cache_runner, spellings[inside], "still-cached") == 0
    assert authorizer_calls(cache_runner, spellings[outside], "evicted") == 1
    # And the runner did not grow with the 3,000 policies it did not keep (unbounded, they took ~11 MB)
    assert grown < 5 * MB, f"grew {grown / MB:.1f} MB"


def test_a_basic_credential_in_another_letter_case_is_one_more_identity(cache_runner: Runner) -> None:
    # Given a Basic credential whose policy is cached
    encoded = base64.b64encode(f"{CACHE[1]}:{CACHE_SECRET}".encode()).decode()
    assert authorizer_calls(cache_runner, f"Basic {encoded}", "basic-first") == 1
    assert authorizer_calls(cache_runner, f"Basic {encoded}", "basic-again") == 0
    # When the scheme is spelled in lower case, then it is a new identity: the authorizer runs for it
    assert authorizer_calls(cache_runner, f"basic {encoded}", "basic-lower") == 1


# -- slow and large clients ---------------------------------------------------------------------------------
SLOW_CLIENTS = 60
BODY_BYTES = 10 * MB
PIECE_BYTES = 256 * 1024
SHORT_TIMEOUT_SECONDS = 2
# Answered by MethodNotAllowedFunction (405) without an authorizer: every body still becomes an event.
UNAUTHENTICATED_POST = "/workspaces/ws-bounds/jwks.json"
TIMEOUT_BODY = {"success": False, "error": {"code": 408, "message": "Request timeout"}, "errors": ["Request timeout"]}


def address(runner: Runner) -> tuple[str, int]:
    host, port = runner.url.removeprefix("http://").split(":")
    return host, int(port)


def answer_of(connection: socket.socket) -> tuple[int, bytes]:
    """The status and body of the one answer on `connection`, read until the runner closes it."""
    received = b""
    while chunk := connection.recv(65536):
        received += chunk
    head, _, body = received.partition(b"\r\n\r\n")
    return int(head.split(b" ", 2)[1]), body


def post_slowly(runner: Runner, pause: float) -> tuple[int, bytes]:
    """A 10 MB body sent a piece at a time, with a pause after each."""
    with socket.create_connection(address(runner), timeout=120) as connection:
        connection.sendall(
            f"POST {UNAUTHENTICATED_POST} HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
            f"Content-Length: {BODY_BYTES}\r\nConnection: close\r\n\r\n".encode()
        )
        for _ in range(BODY_BYTES // PIECE_BYTES):
            connection.sendall(b" " * PIECE_BYTES)
            time.sleep(pause)
        return answer_of(connection)


@pytest.fixture(scope="module")
def plain_runner() -> Iterator[Runner]:
    started = start_runner("--no-throttle", "--quiet")
    yield started
    assert started.stop() == 0


def test_sixty_slow_clients_with_10_mb_bodies_are_each_answered_and_memory_stays_bounded(
    plain_runner: Runner,
) -> None:
    # Given the runner's memory at rest, sampled while 60 clients each send a 10 MB body slowly
    before = runner_rss_bytes(plain_runner)
    peak = before
    sending = threading.Event()
    sending.set()

    def sample() -> None:
        nonlocal peak
        while sending.is_set():
            peak = max(peak, runner_rss_bytes(plain_runner))
            time.sleep(0.05)

    sampler = threading.Thread(target=sample)
    sampler.start()
    try:
        with ThreadPoolExecutor(max_workers=SLOW_CLIENTS) as pool:
            answers = list(pool.map(lambda _: post_slowly(plain_runner, 0.05), range(SLOW_CLIENTS)))
    finally:
        sending.clear()
        sampler.join()
    # Then every client got an answer: the route's 405, or the gateway's 429 once the bodies held reach the cap
    statuses = Counter(status for status, _ in answers)
    assert set(statuses) <= {405, 429} and statuses[405] >= 1, statuses
    assert all(json.loads(body)["error"]["code"] == status for status, body in answers)
    # And the runner held a few bodies at a time, never all 600 MB of them
    grown = peak - before
    assert grown < 300 * MB, f"grew {grown / MB:.0f} MB"


@pytest.fixture(scope="module")
def impatient_runner() -> Iterator[Runner]:
    started = start_runner("--request-timeout", str(SHORT_TIMEOUT_SECONDS))
    yield started
    assert started.stop() == 0


def trickle(runner: Runner, data: bytes, head: bytes = b"") -> tuple[int, bytes, int]:
    """Send `head` at once, then `data` one byte a second until the runner answers; the answer and how many
    bytes of `data` were sent by then."""
    with socket.create_connection(address(runner), timeout=30) as connection:
        connection.sendall(head)
        sent = 0
        for byte in data:
            connection.sendall(bytes([byte]))
            sent += 1
            if select.select([connection], [], [], 1)[0]:
                break
        status, body = answer_of(connection)
        return status, body, sent


SLOW_HEAD = b"GET /iam/signing-keys HTTP/1.1\r\nHost: localhost\r\nX-Padding: " + b"p" * 60 + b"\r\n\r\n"


def test_a_client_sending_its_head_a_byte_a_second_is_cut_at_the_deadline_with_408(impatient_runner: Runner) -> None:
    # When a client sends its request head one byte a second, far longer than the deadline allows
    status, body, sent = trickle(impatient_runner, SLOW_HEAD)
    # Then the runner answered 408 in the union error shape and closed before the head was complete
    assert (status, json.loads(body)) == (408, TIMEOUT_BODY)
    assert sent < len(SLOW_HEAD)


def test_a_client_sending_its_body_a_byte_a_second_is_cut_at_the_deadline_with_408(impatient_runner: Runner) -> None:
    # Given a complete head announcing a 100-byte body
    head = f"POST {UNAUTHENTICATED_POST} HTTP/1.1\r\nHost: localhost\r\nContent-Length: 100\r\n\r\n".encode()
    # When the body follows one byte a second
    status, body, sent = trickle(impatient_runner, b" " * 100, head)
    # Then it is cut with a 408 before the body was complete
    assert (status, json.loads(body)) == (408, TIMEOUT_BODY)
    assert sent < 100


def test_other_clients_are_served_while_slow_clients_hold_connections(impatient_runner: Runner) -> None:
    # Given five clients trickling their heads
    with ThreadPoolExecutor(max_workers=5) as pool:
        slow = [pool.submit(trickle, impatient_runner, SLOW_HEAD) for _ in range(5)]
        # When a normal client calls meanwhile, then it is answered at once (401: it sent no credential)
        assert call(impatient_runner, "GET", "/iam/signing-keys")[0] == 401
        assert not any(future.done() for future in slow)
        assert [future.result()[0] for future in slow] == [408] * 5


def test_a_connection_beyond_the_cap_waits_until_one_is_freed_and_is_then_served() -> None:
    # Given a runner serving two connections at once, both held by clients trickling their heads
    runner = start_runner("--max-connections", "2", "--request-timeout", str(SHORT_TIMEOUT_SECONDS))
    try:
        with ThreadPoolExecutor(max_workers=2) as pool:
            slow = [pool.submit(trickle, runner, SLOW_HEAD) for _ in range(2)]
            time.sleep(0.5)  # let both connect first (the runner's log order below is the assertion)
            # When a third client calls
            status = call(runner, "GET", "/iam/signing-keys")[0]
            assert [future.result()[0] for future in slow] == [408, 408]
        # Then it was served normally, and only after the deadline had cut a slow client (the runner's log order)
        assert status == 401
        served = runner.lines.index(runner.wait_for_line(lambda line: line.startswith("GET /iam/signing-keys 401 ")))
        cut = [index for index, line in enumerate(runner.lines) if line.startswith("- - 408 ")]
        assert cut and cut[0] < served, runner.output
    finally:
        assert runner.stop() == 0
