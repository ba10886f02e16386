"""`handoff connectors`: the installed connectors, enabled or not, and what each can do."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from handoff.cli import voice
from handoff.cli.discovery import discover_quietly
from handoff.cli.options import config_option, json_option

__all__ = ["connectors"]


@click.group("connectors")
def connectors() -> None:
    """Inspect the installed connectors."""


@connectors.command("list")
@config_option
@json_option
def connectors_list(config_path: Path | None, as_json: bool) -> None:
    """List installed connectors: package, whether enabled in handoff.toml, capabilities."""
    from handoff.config import load_config
    from handoff_sdk.hookspecs import implemented_capabilities

    found = discover_quietly()
    config = load_config(config_path)
    rows: list[dict[str, Any]] = []
    for name, cls in sorted(found.connectors.items()):
        settings = config.connectors.get(name)
        rows.append(
            {
                "name": name,
                "title": cls.title or name,
                "package": found.packages[name],
                "enabled": bool(settings and settings.enabled),
                "capabilities": [h.removeprefix("handoff_") for h in implemented_capabilities(cls)],
                "secrets": [s.name for s in cls.secret_specs],
            }
        )
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    if not rows:
        click.echo("No connectors installed.")
        return
    width = max(len(r["name"]) for r in rows)
    for r in rows:
        mark = "enabled " if r["enabled"] else "disabled"
        click.echo(f"{r['name']:<{width}}  {mark}  {r['package']}")
        click.echo(f"{'':<{width}}  capabilities: {', '.join(r['capabilities']) or '-'}")
    for name in config.connectors:
        if name not in found.connectors:
            voice.warning(f"handoff.toml configures '{name}', which is not installed")
