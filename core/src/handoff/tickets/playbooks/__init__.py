"""The tickets part of the GitLab reference playbook (seed 003, rules Z1-Z6).

`gitlab.toml` is GitLab's "Passing a Lead to Sales" workflow as a `[tickets]`
table; docs/tickets.md and docs/playbook-gitlab.md explain it. Read through
the same model as handoff.toml's table, so a playbook that loads is valid.
"""

from __future__ import annotations

import tomllib
from importlib import resources
from pathlib import Path

from handoff.config import validate_table
from handoff.tickets.config import TicketsConfig
from handoff.tickets.settings import TicketsSettings

__all__ = ["load_playbook", "playbook_path"]


def playbook_path(name: str = "gitlab") -> Path:
    """The file of a shipped tickets playbook."""
    return Path(str(resources.files("handoff.tickets").joinpath("playbooks", f"{name}.toml")))


def load_playbook(name: str = "gitlab") -> TicketsConfig:
    """The `[tickets]` table of a shipped playbook, validated; errors name the file."""
    path = playbook_path(name)
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    settings = validate_table(TicketsSettings, {"tickets": data.get("tickets", {})}, source=path)
    if settings.tickets is None:
        raise ValueError(f"{path}: a tickets playbook needs a [tickets] table")
    return settings.tickets
