"""`handoff new-connector`: the package it makes installs, is discovered and passes its tests.

The fast tests check names, refusals and the rendered files (they parse and
are ruff-clean, for short, long and digit-first names). The slow tests build
one throwaway environment with uv, outside the repository, the way a third
party would: handoff installed from its wheel (so the templates must ship in
it), the scaffold made by that installed handoff, then installed itself. In
it, `handoff connectors list` shows the new connector, its own test suite
(the SDK's connector contract among it) passes, and `--record-cassettes`
records new cassettes from a live (loopback) API that then replay offline.
"""

from __future__ import annotations

import ast
import inspect
import json
import os
import shutil
import subprocess
import sys
import textwrap
import threading
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from handoff.scaffold import (
    BUILTIN_CONNECTORS,
    MAX_NAME_LENGTH,
    ScaffoldError,
    connector_names,
    create_connector,
)
from handoff_sdk.testing.contract import ConnectorContract
from handoff_sdk.testing.scrub import find_secrets_in_file

REPO = Path(__file__).resolve().parents[2]
TOOLS = Path(sys.executable).parent
LONGEST = "abcdefghij-klmnopqrst-uvwxyzabcd-efghijk"
assert len(LONGEST) == MAX_NAME_LENGTH

EXPECTED_FILES = {
    ".gitignore",
    "README.md",
    "pyproject.toml",
    "src/handoff_acme_crm/__init__.py",
    "src/handoff_acme_crm/connector.py",
    "src/handoff_acme_crm/mapping.py",
    "src/handoff_acme_crm/plugin.py",
    "src/handoff_acme_crm/py.typed",
    "src/handoff_acme_crm/simulator.py",
    "tests/test_capabilities.py",
    "tests/test_contract.py",
    "tests/test_mapping.py",
    "cassettes/acme-crm/match_account.yaml",
    "cassettes/acme-crm/match_account_unknown.yaml",
}


def files_under(folder: Path) -> set[str]:
    return {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()}


def run(
    args: list[str | Path], *, cwd: Path | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run a command; on failure, the assertion shows its output."""
    result = subprocess.run(
        [str(a) for a in args],
        cwd=cwd,
        env=env if env is not None else clean_env(),
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, (
        f"{' '.join(str(a) for a in args)} exited {result.returncode}\n"
        f"--- stdout\n{result.stdout[-6000:]}\n--- stderr\n{result.stderr[-6000:]}"
    )
    return result


def clean_env(**extra: str) -> dict[str, str]:
    """This process's environment without what would leak into the throwaway one."""
    drop_prefixes = ("PYTEST_", "HANDOFF_", "VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME", "CONDA")
    env = {k: v for k, v in os.environ.items() if not k.startswith(drop_prefixes)}
    env.pop("UV_PROJECT_ENVIRONMENT", None)
    env["UV_PYTHON_DOWNLOADS"] = "never"
    env.update(extra)
    return env


# -- names -------------------------------------------------------------------


def test_every_name_follows_from_the_connector_name() -> None:
    names = connector_names("acme-crm")
    assert names.name == "acme-crm"
    assert names.package == "handoff-acme-crm"
    assert names.module == "handoff_acme_crm"
    assert names.class_prefix == "AcmeCrm"
    assert names.title == "Acme Crm"
    assert names.api_key_env == "HANDOFF_ACME_CRM_API_KEY"
    assert names.env_prefix == "HANDOFF_ACME_CRM"


def test_a_name_starting_with_a_digit_still_gives_python_identifiers() -> None:
    names = connector_names("3d-cart")
    assert names.module == "handoff_3d_cart"
    assert f"{names.class_prefix}Connector".isidentifier()
    assert names.module.isidentifier()


@pytest.mark.parametrize(
    "bad",
    [
        "Acme",
        "acme_crm",
        "acme crm",
        "acme.crm",
        "-acme",
        "acme-",
        "acme--crm",
        "ácme",
        "acme/../../etc",
        "a" * (MAX_NAME_LENGTH + 1),
    ],
)
def test_a_bad_name_is_refused_and_nothing_is_written(bad: str, tmp_path: Path) -> None:
    with pytest.raises(ScaffoldError) as info:
        create_connector(bad, tmp_path)
    assert bad in str(info.value)
    assert list(tmp_path.iterdir()) == []


def test_an_empty_name_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ScaffoldError, match="empty"):
        create_connector("", tmp_path)


def test_the_refusal_suggests_a_valid_name(tmp_path: Path) -> None:
    with pytest.raises(ScaffoldError, match=r"e\.g\. 'acme-crm'"):
        create_connector("Acme_CRM", tmp_path)


@pytest.mark.parametrize("builtin", sorted(BUILTIN_CONNECTORS))
def test_a_builtin_connector_name_is_refused(builtin: str, tmp_path: Path) -> None:
    with pytest.raises(ScaffoldError, match=f"'{builtin}' is the name of a connector that comes"):
        create_connector(builtin, tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_every_connector_in_the_repository_is_a_builtin_name() -> None:
    registered = set()
    for pyproject in REPO.glob("connectors/*/pyproject.toml"):
        project = tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]
        registered |= set(project.get("entry-points", {}).get("handoff", {}))
    assert registered, "no built-in connector found under connectors/"
    assert registered <= BUILTIN_CONNECTORS, (
        f"add {sorted(registered - BUILTIN_CONNECTORS)} to handoff.scaffold.BUILTIN_CONNECTORS"
    )


def test_salesforce_in_particular_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ScaffoldError, match="salesforce"):
        create_connector("salesforce", tmp_path)


def test_a_name_that_is_handoffs_own_package_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ScaffoldError, match="handoff-sdk"):
        create_connector("sdk", tmp_path)


def test_the_name_of_an_installed_connector_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    site = tmp_path / "site"
    info = site / "handoff_widgets-1.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: handoff-widgets\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text("[handoff]\nwidgets = handoff_widgets.plugin\n")
    monkeypatch.syspath_prepend(str(site))
    with pytest.raises(ScaffoldError, match=r"'widgets' is already installed.*handoff_widgets"):
        create_connector("widgets", tmp_path / "out")
    assert not (tmp_path / "out").exists()


# -- the target folder ---------------------------------------------------------


def test_an_existing_non_empty_folder_is_left_untouched(tmp_path: Path) -> None:
    target = tmp_path / "acme-crm"
    target.mkdir()
    (target / "notes.txt").write_text("mine")
    with pytest.raises(ScaffoldError, match="already exists and is not empty"):
        create_connector("acme-crm", tmp_path)
    assert files_under(target) == {"notes.txt"}
    assert (target / "notes.txt").read_text() == "mine"


def test_an_existing_empty_folder_is_filled(tmp_path: Path) -> None:
    (tmp_path / "acme-crm").mkdir()
    assert create_connector("acme-crm", tmp_path) == tmp_path / "acme-crm"
    assert files_under(tmp_path / "acme-crm") == EXPECTED_FILES


def test_a_file_in_the_way_is_refused(tmp_path: Path) -> None:
    (tmp_path / "acme-crm").write_text("not a folder")
    with pytest.raises(ScaffoldError, match="is a file"):
        create_connector("acme-crm", tmp_path)
    with pytest.raises(ScaffoldError, match="is a file"):
        create_connector("acme-crm", tmp_path / "acme-crm")


def test_missing_parent_folders_are_created(tmp_path: Path) -> None:
    created = create_connector("acme-crm", tmp_path / "a" / "b")
    assert created == tmp_path / "a" / "b" / "acme-crm"
    assert files_under(created) == EXPECTED_FILES


# -- the rendered files --------------------------------------------------------


@pytest.mark.parametrize("name", ["acme-crm", "3d-cart", "x", LONGEST])
def test_rendered_files_parse_and_are_ruff_clean(name: str, tmp_path: Path) -> None:
    folder = create_connector(name, tmp_path)
    for path in folder.rglob("*"):
        if path.is_file():
            text = path.read_text(encoding="utf-8")
            assert "{{" not in text, f"{path} has an unrendered placeholder"
            assert "__module__" not in str(path)
            if path.suffix == ".py":
                ast.parse(text, filename=str(path))
    ruff = TOOLS / "ruff"
    # The package's own rule set (it ships one), lint and format...
    # (ruff finds it from the working folder; paths in a config are relative to that).
    run([ruff, "check", "--no-cache", "."], cwd=folder)
    run([ruff, "format", "--check", "--no-cache", "."], cwd=folder)
    # ...and the repository's, on the connector code (isort sections differ by design:
    # for a third party, handoff_sdk is a third-party import).
    config = REPO / "pyproject.toml"
    run([ruff, "check", "--no-cache", "--config", config, "--ignore", "I", "src"], cwd=folder)


def test_the_pyproject_registers_the_entry_point_and_test_settings(tmp_path: Path) -> None:
    folder = create_connector("acme-crm", tmp_path)
    project = tomllib.loads((folder / "pyproject.toml").read_text())
    assert project["project"]["name"] == "handoff-acme-crm"
    assert project["project"]["dependencies"] == ["handoff-sdk[testing]"]
    assert project["project"]["entry-points"]["handoff"] == {"acme-crm": "handoff_acme_crm.plugin"}
    assert project["build-system"]["build-backend"] == "hatchling.build"
    assert project["tool"]["hatch"]["build"]["targets"]["wheel"]["packages"] == [
        "src/handoff_acme_crm"
    ]
    assert project["tool"]["pytest"]["ini_options"]["asyncio_mode"] == "auto"


def test_the_shipped_cassettes_hold_no_secret(tmp_path: Path) -> None:
    folder = create_connector("acme-crm", tmp_path)
    cassettes = sorted((folder / "cassettes" / "acme-crm").glob("*.yaml"))
    assert cassettes
    for cassette in cassettes:
        assert find_secrets_in_file(cassette) == []


def test_the_generated_comments_say_how_to_record_and_where_to_grow(tmp_path: Path) -> None:
    folder = create_connector("acme-crm", tmp_path)
    capabilities = (folder / "tests" / "test_capabilities.py").read_text()
    assert "pytest --record-cassettes" in capabilities
    assert "HANDOFF_ACME_CRM_API_KEY" in capabilities
    connector = (folder / "src" / "handoff_acme_crm" / "connector.py").read_text()
    assert "Next step: add a capability" in connector
    assert "handoff secrets set acme-crm" in connector


def test_rendered_connector_code_passes_mypy_strict(tmp_path: Path) -> None:
    folder = create_connector("acme-crm", tmp_path)
    run([TOOLS / "mypy", "--config-file", "pyproject.toml", "--no-incremental", "src"], cwd=folder)


# -- the tutorial ----------------------------------------------------------------

TUTORIAL = REPO / "docs" / "connectors.md"


def test_the_tutorial_explains_every_contract_test_and_attribute() -> None:
    text = TUTORIAL.read_text(encoding="utf-8")
    names = [n for n in dir(ConnectorContract) if n.startswith("test_")]
    names += [n for n in ConnectorContract.__annotations__ if not n.startswith("_")]
    names.append("expired_token_response")
    missing = [n for n in names if f"`{n}" not in text]
    assert not missing, f"docs/connectors.md does not explain {missing}"


def test_the_tutorial_python_snippets_parse() -> None:
    text = TUTORIAL.read_text(encoding="utf-8")
    blocks = [b.split("```", 1)[0] for b in text.split("```python\n")[1:]]
    assert len(blocks) >= 10
    flags = ast.PyCF_ONLY_AST | ast.PyCF_ALLOW_TOP_LEVEL_AWAIT
    for n, block in enumerate(blocks):
        source = textwrap.dedent(block)
        try:
            compile(source, f"docs/connectors.md python block {n}", "exec", flags=flags)
        except SyntaxError as exc:
            pytest.fail(f"python block {n} of docs/connectors.md does not parse: {exc}\n{source}")


# -- the throwaway environment -------------------------------------------------


@dataclass
class Installed:
    """A venv with handoff (from its wheel) and the scaffolded package installed."""

    root: Path
    python: Path
    bin: Path
    package: Path


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    """Build once per module: venv, handoff wheel, scaffold by the installed handoff, install it."""
    root = tmp_path_factory.mktemp("third-party")
    assert REPO not in root.parents, "the scaffold must be tried outside the repository"
    uv = TOOLS / "uv"
    venv = root / "venv"
    python = venv / "bin" / "python"
    run([uv, "venv", "--quiet", venv, "--python", sys.executable])
    wheels = root / "wheels"
    run([uv, "build", "--quiet", "--wheel", "--out-dir", wheels, REPO / "core"])
    [wheel] = wheels.glob("handoff-*.whl")
    run([uv, "pip", "install", "--quiet", "--python", python, "-e", REPO / "sdk", wheel])
    work = root / "work"
    run(
        [
            python,
            "-c",
            "import sys; from pathlib import Path; from handoff.scaffold import create_connector;"
            " print(create_connector('acme-crm', Path(sys.argv[1])))",
            work,
        ]
    )
    package = work / "acme-crm"
    run([uv, "pip", "install", "--quiet", "--python", python, "-e", REPO / "sdk", "-e", package])
    return Installed(root=root, python=python, bin=venv / "bin", package=package)


def test_the_scaffold_came_from_the_installed_wheel(installed: Installed) -> None:
    where = run(
        [installed.python, "-c", "import handoff.scaffold as s; print(s.__file__)"]
    ).stdout.strip()
    assert Path(where).is_relative_to(installed.root / "venv"), where
    assert files_under(installed.package) == EXPECTED_FILES


def test_connectors_list_shows_the_new_connector(installed: Installed) -> None:
    result = run([installed.bin / "handoff", "connectors", "list", "--json"], cwd=installed.root)
    rows = {row["name"]: row for row in json.loads(result.stdout)}
    assert "acme-crm" in rows, result.stdout
    row = rows["acme-crm"]
    assert row["capabilities"] == ["match_account"]
    assert row["enabled"] is False
    assert "failed to load" not in result.stderr


def test_the_scaffolded_test_suite_passes_with_the_contract(installed: Installed) -> None:
    result = run(
        [installed.python, "-m", "pytest", "-q", "-rA", "-p", "no:cacheprovider"],
        cwd=installed.package,
    )
    contract_tests = sorted(n for n in dir(ConnectorContract) if n.startswith("test_"))
    assert len(contract_tests) >= 8
    for test in contract_tests:
        assert f"PASSED tests/test_contract.py::TestAcmeCrmContract::{test}" in result.stdout, (
            f"{test} did not pass:\n{result.stdout[-4000:]}"
        )
    calling = [
        t
        for t in contract_tests
        if "contract" in inspect.signature(getattr(ConnectorContract, t)).parameters
    ]
    assert len(calling) >= 5
    for test in calling:
        for mode in ("cassettes", "simulator"):
            assert f"PASSED tests/test_contract.py::TestAcmeCrmContract::{test}[{mode}]" in (
                result.stdout
            ), f"{test}[{mode}] did not pass (the simulator runs on day one)"
    assert "PASSED tests/test_mapping.py::" in result.stdout
    assert "PASSED tests/test_capabilities.py::" in result.stdout
    assert " failed" not in result.stdout


class _FakeVendor(BaseHTTPRequestHandler):
    """The 'live' API for the recording test: answers the account search, wants the key."""

    key = "live-key-0123456789abcdef"

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        domain = parse_qs(url.query).get("domain", [""])[0]
        if self.headers.get("Authorization") != f"Bearer {self.key}":
            self._send(401, {"error": {"code": "invalid_api_key", "message": "no"}})
        elif url.path == "/v1/accounts" and domain == "example.com":
            record = {"id": "acc_1001", "name": "Example Corp", "website": "https://example.com"}
            self._send(200, {"data": [record], "has_more": False})
        else:
            self._send(200, {"data": [], "has_more": False})

    def _send(self, status: int, body: object) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: object) -> None:
        """Keep test output quiet."""


class LiveApi:
    """The fake vendor on a loopback port, stoppable mid-test."""

    def __init__(self) -> None:
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _FakeVendor)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.running = True

    def stop(self) -> None:
        if self.running:
            self.server.shutdown()
            self.server.server_close()
            self.running = False


@pytest.fixture
def live_api() -> Iterator[LiveApi]:
    api = LiveApi()
    try:
        yield api
    finally:
        api.stop()


def test_recording_follows_the_generated_instructions(
    installed: Installed, live_api: LiveApi, tmp_path: Path
) -> None:
    copy = tmp_path / "acme-crm"
    shutil.copytree(installed.package, copy)
    # What the comments say to do: the real API root in BASE_URL, delete the
    # cassettes to re-record, the secret in HANDOFF_ACME_CRM_API_KEY.
    synthetic = 'BASE_URL = "https://api.acme-crm.example.test"'
    for test_file in ("test_capabilities.py", "test_contract.py"):
        path = copy / "tests" / test_file
        assert synthetic in path.read_text()
        path.write_text(path.read_text().replace(synthetic, f'BASE_URL = "{live_api.url}"'))
    for cassette in (copy / "cassettes" / "acme-crm").glob("*.yaml"):
        cassette.unlink()
    pytest_cmd: list[str | Path] = [
        installed.python,
        "-m",
        "pytest",
        "-q",
        "-p",
        "no:cacheprovider",
    ]
    run(
        [*pytest_cmd, "--record-cassettes", "tests/test_capabilities.py"],
        cwd=copy,
        env=clean_env(HANDOFF_ACME_CRM_API_KEY=_FakeVendor.key),
    )
    recorded = copy / "cassettes" / "acme-crm" / "match_account.yaml"
    text = recorded.read_text()
    assert f"{live_api.url}/v1/accounts?domain=example.com&limit=1" in text
    assert _FakeVendor.key not in text
    assert "REDACTED" in text
    assert find_secrets_in_file(recorded) == []
    assert (copy / "cassettes" / "acme-crm" / "match_account_unknown.yaml").exists()

    # Then the whole suite, contract included, replays them with the API gone.
    live_api.stop()
    result = run(pytest_cmd, cwd=copy)
    assert " passed" in result.stdout
    assert " failed" not in result.stdout
