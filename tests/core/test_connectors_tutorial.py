"""docs/connectors.md works as written on a fresh machine: the first steps, followed to the letter.

The SDK is on no package index yet, so the tutorial has the author build its
wheel from a checkout and install the scaffolded package against it. This
test does exactly that, outside the repository, in a throwaway virtual
environment: the SDK's wheel from `uv build`, `handoff new-connector`, the
package installed from the wheel folder, then its own test suite. It is
offline: every other dependency comes from uv's cache (filled by `make
install`), never from an index.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
TOOLS = Path(sys.executable).parent
UV = REPO / ".tools" / "bin" / "uv"
TUTORIAL = REPO / "docs" / "connectors.md"


def run(args: list[str | Path], cwd: Path) -> str:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("PYTEST_", "HANDOFF_", "VIRTUAL_ENV"))
    }
    env.pop("UV_PROJECT_ENVIRONMENT", None)
    env |= {"UV_OFFLINE": "1", "UV_PYTHON_DOWNLOADS": "never"}
    result = subprocess.run(
        [str(a) for a in args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, (
        f"{' '.join(map(str, args))} exited {result.returncode}\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    )
    return result.stdout


def test_the_tutorial_names_the_commands_this_test_runs() -> None:
    text = TUTORIAL.read_text(encoding="utf-8")
    assert "handoff new-connector acme-crm --path ." in text
    assert re.search(r"uv build --wheel --out-dir ~/handoff-wheels path/to/handoff/sdk", text)
    assert "pip install --find-links ~/handoff-wheels -e ." in text


def test_a_new_connector_installs_against_the_sdk_wheel_and_passes_its_tests(
    tmp_path: Path,
) -> None:
    assert REPO not in tmp_path.parents
    wheels = tmp_path / "handoff-wheels"
    run([UV, "build", "--quiet", "--wheel", "--out-dir", wheels, REPO / "sdk"], cwd=tmp_path)
    assert list(wheels.glob("handoff_sdk-*.whl")), "the SDK's wheel was built"
    run([TOOLS / "handoff", "new-connector", "acme-crm", "--path", "."], cwd=tmp_path)
    package = tmp_path / "acme-crm"
    venv = package / ".venv"
    run([UV, "venv", "--quiet", venv, "--python", sys.executable], cwd=package)
    python = venv / "bin" / "python"
    run(
        [UV, "pip", "install", "--quiet", "--python", python, "--find-links", wheels, "-e", "."],
        cwd=package,
    )
    installed = run([python, "-c", "import handoff_sdk; print(handoff_sdk.__file__)"], cwd=package)
    assert str(venv) in installed, "the SDK came from the wheel, not from the checkout"
    output = run([python, "-m", "pytest", "-q", "-p", "no:cacheprovider"], cwd=package)
    assert re.search(r"\d+ passed", output)
    assert " failed" not in output
