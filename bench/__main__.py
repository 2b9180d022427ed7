"""`make bench`: one table, each figure a ratio against its floor measured in this same run."""

from __future__ import annotations

import contextlib
import io
import os
import platform
import sys
import time
from datetime import UTC, datetime

ROUNDS = int(os.environ.get("BENCH_ROUNDS", "30"))


def main() -> int:
    # Before any import of the package: Powertools reads these once.
    os.environ.update({"POWERTOOLS_METRICS_DISABLED": "true", "POWERTOOLS_LOG_LEVEL": "WARNING"})
    from bench import calls, cold_start, edge, operations, scale, sizes, soak, verification
    from bench.harness import table
    from signing_keys_local.cli import seed_examples
    from signing_keys_local.stack import local_stack

    started = time.monotonic()
    rows = []
    # Handlers' logs and metrics would interleave with the table: keep them out of stdout.
    with contextlib.redirect_stdout(io.StringIO()), local_stack() as stack:
        seed_examples(stack.template)
        rows += calls.run(stack)
        rows += operations.create(stack, ROUNDS)
        rows += operations.reads_and_writes(stack, ROUNDS)
        rows += verification.run(seconds=1.0)
        rows += cold_start.run(rounds=max(3, ROUNDS // 6))
        rows += scale.run(stack, ROUNDS)
    rows += edge.run(ROUNDS)
    rows += sizes.run()
    rows += soak.run()
    machine = f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}"
    print(f"Signing Keys API benchmarks — {datetime.now(UTC):%Y-%m-%d %H:%M} UTC — {machine}\n")
    print(table(rows))
    print(f"\n({time.monotonic() - started:.0f} s, {ROUNDS} rounds)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
