"""Running `handoff` as a user does: a fresh process, its own stdout, stderr and exit code."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def run_handoff(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """`python -m handoff ARGS` in `cwd`, its output captured, whatever its exit code."""
    return subprocess.run(
        [sys.executable, "-m", "handoff", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
