"""The deployment files agree with the CLI and with each other (docs/deployment.md).

Every `handoff ...` command line in deploy/*.service, deploy/Containerfile and
docs/deployment.md is parsed by the real CLI (the command exists, every option
exists and takes the value given); every HANDOFF_ variable they name is one
the hub reads; the units run the binary the image and the docs install, as the
user they create; the image's port and health check are the server's.
"""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path

import click
import httpx
import pytest

from handoff.cli.app import cli
from handoff.config import HubConfig
from handoff.plugins import discover
from handoff.server import create_app
from handoff.store import Store, upgrade
from handoff_sdk.secrets import secret_env_var

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
UNITS = sorted(DEPLOY.glob("*.service"))
CONTAINERFILE = DEPLOY / "Containerfile"
DOC = ROOT / "docs" / "deployment.md"
CORE = ROOT / "core" / "src" / "handoff"


def parse(args: list[str]) -> click.Context:
    """Parse `handoff ARGS` as the CLI would run it, down to the leaf command; its context.

    Raises click's UsageError (no such command, no such option, a bad value).
    """
    ctx = click.Context(cli, info_name="handoff")
    command: click.Command = cli
    rest = list(args)
    while isinstance(command, click.Group):
        assert rest, f"`handoff {' '.join(args)}` names a group, not a command"
        name, *rest = rest
        sub = command.get_command(ctx, name)
        if sub is None:
            raise click.UsageError(f"no such command: handoff ... {name}")
        command = sub
        ctx = click.Context(sub, info_name=name, parent=ctx)
    return command.make_context(ctx.info_name, rest, parent=ctx.parent)


def unit(path: Path) -> dict[str, dict[str, list[str]]]:
    """A systemd unit as section -> key -> values (keys such as Environment= repeat)."""
    sections: dict[str, dict[str, list[str]]] = {}
    current = None
    for raw in path.read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("["):
            current = sections.setdefault(line.strip("[]"), {})
            continue
        key, _, value = line.partition("=")
        assert current is not None, f"{path.name}: {line!r} outside a section"
        current.setdefault(key.strip(), []).append(value.strip())
    return sections


def containerfile() -> dict[str, list[str]]:
    """The last stage's instructions (continuation lines joined), by instruction."""
    text = re.sub(r"\\\n\s*", " ", CONTAINERFILE.read_text())
    stages: list[dict[str, list[str]]] = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        instruction, _, rest = line.partition(" ")
        if instruction.upper() == "FROM":
            stages.append({})
        stages[-1].setdefault(instruction.upper(), []).append(rest.strip())
    return stages[-1]


def image_command() -> list[str]:
    final = containerfile()
    entrypoint = json.loads(final["ENTRYPOINT"][-1])
    command = json.loads(final["CMD"][-1])
    assert entrypoint == ["handoff"]
    return list(command)


def doc_command_lines() -> list[list[str]]:
    """Each `handoff ...` command in the page's code blocks, as the arguments after `handoff`."""
    found = []
    for block in re.findall(r"```\n(.*?)```", DOC.read_text(), flags=re.S):
        for line in block.splitlines():
            words = shlex.split(line, comments=True)
            if not words or words[0] in ("createuser", "createdb"):
                continue
            if words[0] == "handoff":
                found.append(words[1:])
            elif words[:2] in (["podman", "run"], ["docker", "run"]) and "handoff" in words:
                after = words[words.index("handoff") + 1 :]
                found.append(after or image_command())
    return found


def test_there_are_units_for_serve_and_for_workers() -> None:
    assert [u.name for u in UNITS] == ["handoff-serve.service", "handoff-worker@.service"]
    for path in [*UNITS, CONTAINERFILE]:
        assert f"deploy/{path.name}" in DOC.read_text(), f"docs/deployment.md names {path.name}"


@pytest.mark.parametrize("path", UNITS, ids=lambda p: p.name)
def test_each_unit_runs_a_command_the_cli_has_from_where_the_image_installs_it(path: Path) -> None:
    sections = unit(path)
    assert set(sections) == {"Unit", "Service", "Install"}
    service = sections["Service"]
    [start] = service["ExecStart"]
    binary, *args = shlex.split(start)
    venv = re.search(r"UV_PROJECT_ENVIRONMENT=(\S+)", CONTAINERFILE.read_text())
    assert venv is not None
    assert binary == f"{venv.group(1)}/bin/handoff"
    assert f"UV_PROJECT_ENVIRONMENT={venv.group(1)}" in DOC.read_text()
    ctx = parse(args)
    assert ctx.command.name in ("serve", "worker")
    user = service["User"] == ["handoff"] and service["Group"] == ["handoff"]
    assert user, "runs as the user the image and the docs create"
    assert "useradd --system" in CONTAINERFILE.read_text()
    assert re.search(r"useradd .*\bhandoff$", CONTAINERFILE.read_text(), flags=re.M)
    config = [e for e in service["Environment"] if e.startswith("HANDOFF_CONFIG=")]
    assert config == ["HANDOFF_CONFIG=/etc/handoff/handoff.toml"]
    assert service["EnvironmentFile"] == ["/etc/handoff/handoff.env"]
    assert service["KillSignal"] == ["SIGTERM"]
    if ctx.command.name == "worker":
        # SIGTERM lets the jobs in hand finish: give them longer than the default timeout.
        assert float(service["TimeoutStopSec"][0]) > 60
        assert "%i" in sections["Unit"]["Description"][0]


async def test_the_image_serves_on_the_port_it_exposes_and_checks_a_route_the_server_has(
    tmp_path: Path,
) -> None:
    final = containerfile()
    command = image_command()
    ctx = parse(command)
    assert ctx.command.name == "serve"
    assert final["EXPOSE"] == [str(ctx.params["port"])]
    assert ctx.params["host"] == "0.0.0.0"  # noqa: S104 - reachable from outside the container
    [check] = final["HEALTHCHECK"]
    probe = re.search(r"http://127\.0\.0\.1:(\d+)(/[\w/]*)", check)
    assert probe is not None
    assert int(probe.group(1)) == ctx.params["port"]
    store = Store(f"sqlite:///{tmp_path / 'hub.db'}")
    upgrade(store)
    app = create_app(store)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://hub.test") as client:
        assert (await client.get(probe.group(2))).status_code == 200
    await app.state.intake.aclose()
    store.dispose()
    assert any(value.startswith("handoff") for value in final["USER"])
    env = " ".join(final["ENV"])
    assert "HANDOFF_CONFIG=/etc/handoff/handoff.toml" in env


def test_every_command_line_in_the_deployment_page_is_one_the_cli_accepts() -> None:
    lines = doc_command_lines()
    assert ["db", "upgrade"] in lines
    assert ["worker"] in lines
    for args in lines:
        parse(args)
    assert "handoff serve --host 0.0.0.0 --port 8080" in DOC.read_text()


def test_every_handoff_variable_named_is_one_the_hub_reads() -> None:
    text = "\n".join(p.read_text() for p in [*UNITS, CONTAINERFILE, DOC])
    named = set(re.findall(r"\bHANDOFF_[A-Z0-9_]+\b", text))
    code = "\n".join(p.read_text() for p in CORE.rglob("*.py"))
    read_by_hub = {name for name in named if f'"{name}"' in code}
    found = discover()
    secrets = {
        secret_env_var(name, spec.name)
        for name, connector in found.connectors.items()
        for spec in connector.secret_specs
    }
    assert named - read_by_hub - secrets == set()
    assert {"HANDOFF_CONFIG", "HANDOFF_DATABASE_URL"} <= read_by_hub
    assert HubConfig().store.url  # the default the env var overrides


def test_parse_refuses_what_the_cli_refuses() -> None:
    """The check above could not pass a typo: an unknown option or command is refused."""
    with pytest.raises(click.UsageError):
        parse(["worker", "--concurency", "10"])
    with pytest.raises(click.UsageError):
        parse(["serve", "--port", "eighty"])
    with pytest.raises(click.UsageError):
        parse(["servee"])
