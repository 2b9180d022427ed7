"""The runner under real load (issue 12): a long soak stays flat, 200 simultaneous connections are all served,
and the key limit stays exact while two CPU burners compete for the machine."""

from __future__ import annotations

import http.client
import subprocess
import sys
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest

from bench.soak import KEYS_PATH, Soak, soak
from tests.integration.conftest import Runner, counter, start_runner

KEY_LIMIT = 10
SOAK = ("ws-load-soak", "tok-load-soak", "secret-load-soak-0123456789")
CONNECTIONS = ("ws-load-connections", "tok-load-connections", "secret-load-connections-0123456789")
BURNER_ROUNDS = 20
BURNER_WORKSPACES = [f"ws-load-burn-{round_}" for round_ in range(BURNER_ROUNDS)]


def secret_of(workspace: str) -> str:
    return f"secret-{workspace}"


@pytest.fixture(scope="module")
def load_runner() -> Iterator[Runner]:
    """A runner of its own, so that what these tests measure is theirs alone."""
    credentials = [SOAK, CONNECTIONS, *((ws, f"tok-{ws}", secret_of(ws)) for ws in BURNER_WORKSPACES)]
    args = [arg for c in credentials for arg in ("--credential", ":".join(c))]
    started = start_runner(*args, "--parameter-overrides", f"KeyLimit={KEY_LIMIT}", "LogLevel=WARNING")
    yield started
    assert started.stop() == 0


def attempt(request: Callable[[], int]) -> int | str:
    """The status answered, or the name of the connection error (so a failure shows how many, of what kind)."""
    try:
        return request()
    except (OSError, http.client.HTTPException, threading.BrokenBarrierError) as error:
        return type(error).__name__


def send(runner: Runner, method: str, secret: str) -> int:
    host, port = runner.url.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=120)
    try:
        connection.request(method, KEYS_PATH, headers={"Authorization": f"Bearer {secret}"})
        response = connection.getresponse()
        response.read()
        return response.status
    finally:
        connection.close()


def race(runner: Runner, secret: str, clients: int) -> Counter[int | str]:
    """`clients` creates in one workspace at the same moment; what they were answered."""
    with ThreadPoolExecutor(max_workers=clients) as pool:
        return Counter(pool.map(lambda _: attempt(lambda: send(runner, "POST", secret)), range(clients)))


# -- soak: 1,000 create+delete cycles ---------------------------------------------------------------------
@pytest.fixture(scope="module")
def soaked(load_runner: Runner) -> Soak:
    # Given a warmed-up runner, When 1,000 create+delete cycles run through it over HTTP (the table ends empty)
    return soak(load_runner.url, load_runner.process.pid, SOAK[2], cycles=1000)


def test_a_thousand_create_delete_cycles_grow_the_runner_by_at_most_20_mb(soaked: Soak) -> None:
    # Then the runner's resident memory (with any child process) grew by at most 20 MB
    assert soaked.rss_growth_mb <= 20, soaked


def test_a_thousand_create_delete_cycles_keep_the_latency_flat(soaked: Soak) -> None:
    # Then the median cycle of the last 10 % is at most 1.2 x that of the first 10 %
    assert soaked.latency_ratio <= 1.2, soaked


# -- 200 simultaneous connections ---------------------------------------------------------------------------
def test_two_hundred_simultaneous_connections_are_all_served_and_the_limit_holds(load_runner: Runner) -> None:
    workspace, _, secret = CONNECTIONS
    host, port = load_runner.url.removeprefix("http://").split(":")
    everyone_connected = threading.Barrier(200)

    def client(index: int) -> int:
        connection = http.client.HTTPConnection(host, int(port), timeout=120)
        try:
            connection.connect()
            everyone_connected.wait(timeout=60)  # all 200 connections are open before any request is sent
            connection.request(
                "POST" if index % 2 == 0 else "GET", KEYS_PATH, headers={"Authorization": f"Bearer {secret}"}
            )
            response = connection.getresponse()
            response.read()
            return response.status
        finally:
            connection.close()

    # Given 200 open connections to one workspace with KeyLimit=10, When 100 create and 100 list at once
    with ThreadPoolExecutor(max_workers=200) as pool:
        answers = list(pool.map(lambda index: attempt(lambda: client(index)), range(200)))
    # Then no connection is reset or refused, nothing fails, exactly 10 keys exist and the counter agrees
    errors = [line for line in load_runner.lines if "Traceback" in line or "unhandled" in line]
    assert Counter(answers[0::2]) == {200: KEY_LIMIT, 403: 100 - KEY_LIMIT}, errors[-3:]
    assert Counter(answers[1::2]) == {200: 100}, errors[-3:]
    assert counter(load_runner, workspace) == (KEY_LIMIT, KEY_LIMIT)


# -- the 50-way race while two CPU burners run ------------------------------------------------------------
@pytest.fixture
def two_cpu_burners() -> Iterator[None]:
    burners = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(2)]
    try:
        yield
    finally:
        for burner in burners:
            burner.kill()
            burner.wait()


@pytest.mark.usefixtures("two_cpu_burners")
def test_fifty_concurrent_creates_yield_exactly_the_limit_in_every_round_while_cpus_are_busy(
    load_runner: Runner,
) -> None:
    outcomes = {}
    for workspace in BURNER_WORKSPACES:
        # Given an empty workspace and two processes burning CPU, When 50 clients create a key at once
        outcomes[workspace] = (race(load_runner, secret_of(workspace), clients=50), counter(load_runner, workspace))
    # Then every round: exactly 10 created, 40 refused at the limit, no error, and the counter equals the keys
    expected = (Counter({200: KEY_LIMIT, 403: 50 - KEY_LIMIT}), (KEY_LIMIT, KEY_LIMIT))
    assert {ws: outcome for ws, outcome in outcomes.items() if outcome != expected} == {}
