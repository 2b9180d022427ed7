"""Timing helpers and the in-process stack (embedded DynamoDB + the template's handlers) the benchmarks share."""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Sample:
    median: float
    p95: float

    @classmethod
    def of(cls, seconds: list[float]) -> Sample:
        ordered = sorted(seconds)
        return cls(statistics.median(ordered), ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))])


def interleaved(subject: Callable[[], Any], floor: Callable[[], Any], rounds: int) -> tuple[Sample, Sample]:
    """Time both alternately, so machine noise lands on each equally."""
    subject_times: list[float] = []
    floor_times: list[float] = []
    for _ in range(rounds):
        for fn, times in ((subject, subject_times), (floor, floor_times)):
            started = time.perf_counter()
            fn()
            times.append(time.perf_counter() - started)
    return Sample.of(subject_times), Sample.of(floor_times)


@dataclass
class Stack:
    host: Any
    template: Any
    table_name: str
    endpoint: str


@contextmanager
def local_stack(**overrides: str) -> Iterator[Stack]:
    """The runner's embedded DynamoDB and function host, without HTTP: handlers are called directly."""
    from signing_keys_local.cli import local_dynamodb
    from signing_keys_local.functions import FunctionHost
    from signing_keys_local.template import Template

    template = Template(ROOT / "template.yaml", {"LogLevel": "WARNING", **overrides})
    host = FunctionHost(template)
    os.environ["POWERTOOLS_METRICS_DISABLED"] = "true"
    with local_dynamodb(template, None) as endpoint:
        yield Stack(host, template, str(template.table_definition()["TableName"]), endpoint)
