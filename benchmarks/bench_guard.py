"""The rules of engagement's cost per reply (Q6): p50/p99 of `check_reply` over the adversarial set.

    .venv/bin/python benchmarks/bench_guard.py [--rounds 50]

Runs every turn of tests/ai/adversarial.py (attacks and ordinary answers)
through `handoff.ai.guard.check_reply` `--rounds` times, in this process, and
reports the time per reply (p50, p99, max) and the replies per second of
one core. The `[ai]` table's patterns are built once, when the table is
validated (its fallbacks are checked then), as in a running hub.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "ai"))

from adversarial import ATTACKS, ORDINARY, config

from handoff.ai.guard import check_reply


def load() -> str:
    """The machine's load average: the figures are only comparable on a quiet machine."""
    return " ".join(f"{x:.1f}" for x in os.getloadavg())


def main() -> None:
    """Measure and print the guard's cost per reply."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=50, help="passes over the set")
    args = parser.parse_args()
    table = config()
    turns = ATTACKS + ORDINARY
    started = time.perf_counter()
    check_reply(turns[0].message, turns[0].reply, table)
    first = time.perf_counter() - started
    samples: list[float] = []
    for _ in range(args.rounds):
        for turn in turns:
            started = time.perf_counter()
            check_reply(turn.message, turn.reply, table)
            samples.append(time.perf_counter() - started)
    samples.sort()
    p50 = statistics.median(samples)
    p99 = samples[int(len(samples) * 0.99) - 1]
    total = sum(samples)
    print(f"replies checked: {len(samples)} ({len(turns)} turns x {args.rounds} rounds)")
    print(f"first call: {first * 1e3:.2f} ms")
    worst = samples[-1]
    print(f"per reply: p50 {p50 * 1e6:.0f} us, p99 {p99 * 1e6:.0f} us, max {worst * 1e6:.0f} us")
    print(f"CPU time of the process: {time.process_time():.2f} s; load average {load()}")
    print(f"throughput: {len(samples) / total:,.0f} replies/s on one core")


if __name__ == "__main__":
    main()
