"""Start-up time of the `handoff` command: `--version`, `--help` and one command's `--help`.

    .venv/bin/python benchmarks/bench_startup.py --runs 20
    .venv/bin/python benchmarks/bench_startup.py --src /tmp/old/core/src   # another checkout
    .venv/bin/python benchmarks/bench_startup.py --importtime               # where the time goes

Each command runs `--runs` times in a fresh interpreter, as the `handoff`
script does (`from handoff.cli import main; main()`), after one warm-up run
(so the disk cache is warm, as it is for someone typing commands). Reported:
the wall time per run, min / median / p90 / max, in seconds, the median CPU
time (user + system; on a box shared with other work it moves less than the
wall time, which includes waiting for a core), and the floor: the same
interpreter starting and exiting with nothing imported (`-c pass`).
`--src DIR` puts another checkout's core/src first on the path, to measure
the code before a change beside the code after it.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence

COMMANDS: tuple[tuple[str, ...], ...] = (("--version",), ("--help",), ("jobs", "--help"))
SCRIPT = "import sys; from handoff.cli import main; sys.argv[0] = 'handoff'; main()"


def environment(src: str | None) -> dict[str, str]:
    """The child's environment: another checkout first on the path when `src` is given."""
    env = dict(os.environ)
    if src:
        env["PYTHONPATH"] = os.pathsep.join(p for p in (src, env.get("PYTHONPATH")) if p)
    return env


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed(argv: Sequence[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall and CPU seconds one run of `argv` takes, start to exit."""
    cpu = _children_cpu()
    start = time.perf_counter()
    subprocess.run(  # noqa: S603 - our own interpreter
        argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True
    )
    return time.perf_counter() - start, _children_cpu() - cpu


def measure(argv: Sequence[str], runs: int, env: dict[str, str]) -> list[tuple[float, float]]:
    """`runs` (wall, CPU) timings of `argv`, after one warm-up run."""
    timed(argv, env)
    return [timed(argv, env) for _ in range(runs)]


def summary(label: str, times: list[tuple[float, float]]) -> str:
    """One table row: min, median, p90 and max wall seconds, then the median CPU seconds."""
    ordered = sorted(wall for wall, _ in times)
    p90 = ordered[min(len(ordered) - 1, round(0.9 * (len(ordered) - 1)))]
    cpu = statistics.median(c for _, c in times)
    cells = (ordered[0], statistics.median(ordered), p90, ordered[-1], cpu)
    return f"| {label:<26} | " + " | ".join(f"{c:.3f}" for c in cells) + " |"


def importtime(args: tuple[str, ...], env: dict[str, str], top: int) -> None:
    """The `top` imports with the largest cumulative time (`python -X importtime`)."""
    result = subprocess.run(  # noqa: S603 - our own interpreter
        [sys.executable, "-X", "importtime", "-c", SCRIPT, *args],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    rows = []
    for line in result.stderr.splitlines():
        if line.startswith("import time:") and "|" in line and "cumulative" not in line:
            _, cumulative, name = line.removeprefix("import time:").split("|")
            rows.append((int(cumulative), name.rstrip()))
    print(f"\nhandoff {' '.join(args)}: the {top} largest imports (cumulative ms)")
    for micros, name in sorted(rows, reverse=True)[:top]:
        print(f"  {micros / 1000:8.1f}  {name}")


def main() -> None:
    """Run the benchmark and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=20, help="Timed runs per command.")
    parser.add_argument("--src", help="A checkout's core/src to measure instead of the installed.")
    parser.add_argument("--importtime", action="store_true", help="Also list the largest imports.")
    options = parser.parse_args()
    env = environment(options.src)
    print(
        f"{options.runs} runs each, seconds" + (f", code from {options.src}" if options.src else "")
    )
    print("| command                    | min   | median | p90   | max   | CPU   |")
    print("| --- | --- | --- | --- | --- | --- |")
    print(
        summary(
            "python -c pass (floor)", measure([sys.executable, "-c", "pass"], options.runs, env)
        )
    )
    for args in COMMANDS:
        times = measure([sys.executable, "-c", SCRIPT, *args], options.runs, env)
        print(summary("handoff " + " ".join(args), times))
    if options.importtime:
        for args in COMMANDS:
            importtime(args, env, top=10)


if __name__ == "__main__":
    main()
