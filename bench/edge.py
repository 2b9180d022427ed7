"""The edge Function's check per request under Node.js ÷ a bare HMAC-SHA256 verify of the same token, both timed in
one Node process (bench/edge_function.mjs): what the Function adds to the one cryptographic step it must take."""

from __future__ import annotations

import json
import os
import shutil
import subprocess

from bench.harness import ROOT

Row = tuple[str, str, float | None, str]
ITERATIONS = int(os.environ.get("BENCH_EDGE_ITERATIONS", "2000"))
LABEL = "edge check (Node, in-memory KVS)"


def run(rounds: int) -> list[Row]:
    node = shutil.which("node")
    if node is None:
        return [(LABEL, "-", None, "Node.js is not installed")]
    finished = subprocess.run(
        [node, str(ROOT / "bench" / "edge_function.mjs"), str(rounds), str(ITERATIONS)],
        capture_output=True,
        text=True,
        check=True,
        timeout=600,
    )
    figures = json.loads(finished.stdout)
    note = (
        f"{figures['subject_us']:.1f} µs vs {figures['floor_us']:.1f} µs per request; "
        f"{figures['lookups']:.0f} KVS lookups each (deny entries absent)"
    )
    return [(LABEL, "÷ bare HMAC", figures["ratio"], note)]
