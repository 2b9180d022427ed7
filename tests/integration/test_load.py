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

from bench.soak import KEYS_PATH, Soak, Target, soak
from tests.integration.conftest import Runner, counter, start_runner

# Load runs. They time nothing against a fixed bound (the soak times its runner against a fresh one, alternately),
# but they make the load they judge: beside other tests on two CPUs, 100 creates at once on one counter ran out of
# transaction retries (a 503 with Retry-After, the limit still exact). So `make test` runs them alone.
pytestmark = [pytest.mark.slow, pytest.mark.serial]

KEY_LIMIT = 10
SOAK = ("ws-load-soak", "tok-load-soak", "secret-load-soak-0123456789")
# Three rounds: with Python's default listen backlog of 5, some rounds passed and others had up to 72 resets.
CONNECTION_WORKSPACES = [f"ws-load-connections-{round_}" for round_ in range(3)]
# 20 KB a cycle at most (its audit events grow the table ~7.5 KB a cycle): a leak like issue 12's, 500 KB a cycle,
# shows in a tenth of these cycles; 1,000 cycles with 20 MB took twice the time to judge the same rate.
SOAK_CYCLES = 500
# 10 rounds of 50 creates: 500 creates racing beside the burners (20 rounds took 7 s more).
BURNER_ROUNDS = 10
BURNER_WORKSPACES = [f"ws-load-burn-{round_}" for round_ in range(BURNER_ROUNDS)]


def secret_of(workspace: str) -> str:
    return f"secret-{workspace}"


@pytest.fixture(scope="module")
def load_runner() -> Iterator[Runner]:
    """A runner of its own, so that what these tests measure is theirs alone."""
    workspaces = CONNECTION_WORKSPACES + BURNER_WORKSPACES
    credentials = [SOAK, *((ws, f"tok-{ws}", secret_of(ws)) for ws in workspaces)]
    args = [arg for c in credentials for arg in ("--credential", ":".join(c))]
    # Unthrottled: these tests measure the runner, not the stage's limits (a fast machine would exceed them).
    started = start_runner(*args, "--no-throttle", "--parameter-overrides", f"KeyLimit={KEY_LIMIT}", "LogLevel=WARNING")
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


def runner_errors(runner: Runner) -> list[str]:
    """The runner's last error lines, to show with a failure (a 500's cause is in the function's log)."""
    return [line[:600] for line in runner.lines if "Traceback" in line or '"level":"ERROR"' in line][-2:]


def race(runner: Runner, secret: str, clients: int) -> Counter[int | str]:
    """`clients` creates in one workspace at the same moment; what they were answered."""
    with ThreadPoolExecutor(max_workers=clients) as pool:
        return Counter(pool.map(lambda _: attempt(lambda: send(runner, "POST", secret)), range(clients)))


# -- soak: 500 create+delete cycles -----------------------------------------------------------------------
@pytest.fixture(scope="module")
def soaked(load_runner: Runner) -> Soak:
    # Given a warmed-up runner, and a fresh one warmed up alike as the reference
    fresh = start_runner("--credential", ":".join(SOAK), "--no-throttle", "--parameter-overrides", "LogLevel=WARNING")
    try:
        # When 500 create+delete cycles run through the first over HTTP (its table ends empty)
        return soak(target(load_runner), target(fresh), cycles=SOAK_CYCLES)
    finally:
        assert fresh.stop() == 0


def target(runner: Runner) -> Target:
    return Target(runner.url, runner.process.pid, SOAK[2])


def test_five_hundred_create_delete_cycles_grow_the_runner_by_at_most_10_mb(soaked: Soak) -> None:
    # Then the runner's resident memory (with any child process) grew by at most 10 MB
    assert soaked.rss_growth_mb <= 10, soaked


def test_after_five_hundred_cycles_a_cycle_is_as_fast_as_on_a_fresh_runner(soaked: Soak) -> None:
    # Then the median cycle of the last 10 %, timed alternately with the fresh runner's, is at most 1.2 x its
    # (last ÷ first 10 % in wall time is in the message: other processes on the machine move it, see bench/soak.py)
    assert soaked.drift <= 1.2, soaked


# -- 200 simultaneous connections ---------------------------------------------------------------------------
def simultaneously(runner: Runner, secret: str, connections: int) -> list[int | str]:
    """Open `connections` connections, then send on all at once: a create on the even ones, a list on the odd."""
    host, port = runner.url.removeprefix("http://").split(":")
    everyone_connected = threading.Barrier(connections)

    def client(index: int) -> int:
        connection = http.client.HTTPConnection(host, int(port), timeout=120)
        try:
            connection.connect()
            everyone_connected.wait(timeout=60)
            method = "POST" if index % 2 == 0 else "GET"
            connection.request(method, KEYS_PATH, headers={"Authorization": f"Bearer {secret}"})
            response = connection.getresponse()
            response.read()
            return response.status
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=connections) as pool:
        return list(pool.map(lambda index: attempt(lambda: client(index)), range(connections)))


@pytest.mark.parametrize("workspace", CONNECTION_WORKSPACES)
def test_two_hundred_simultaneous_connections_are_all_served_and_the_limit_holds(
    load_runner: Runner, workspace: str
) -> None:
    # Given 200 open connections to one workspace with KeyLimit=10, When 100 create and 100 list at once
    answers = simultaneously(load_runner, secret_of(workspace), connections=200)
    # Then no connection is reset or refused, nothing fails, exactly 10 keys exist and the counter agrees
    errors = runner_errors(load_runner)
    assert Counter(answers[0::2]) == {200: KEY_LIMIT, 403: 100 - KEY_LIMIT}, errors
    assert Counter(answers[1::2]) == {200: 100}, errors
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
    assert {ws: outcome for ws, outcome in outcomes.items() if outcome != expected} == {}, runner_errors(load_runner)
