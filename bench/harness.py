"""Timing helpers the benchmarks share (the stack they run on is signing_keys_local.stack)."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
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


def table(rows: list[tuple[str, str, float | None, str]]) -> str:
    """The rows as the table `make bench` prints (and bench/README.md quotes)."""
    lines = [f"| {'measure':<44} | {'figure':<14} | {'value':>8} | notes", f"|{'-' * 46}|{'-' * 16}|{'-' * 10}|------"]
    for label, kind, value, note in rows:
        shown = "" if value is None else f"{value:.2f}"
        lines.append(f"| {label:<44} | {kind:<14} | {shown:>8} | {note}")
    return "\n".join(lines)
