"""The leads part of the GitLab reference playbook (seed 004, rules D1-D8, Q13, Q16).

`gitlab.toml` is GitLab's inbound lead flow as a `[leads]` table;
docs/leads.md explains each line. Read through the same model as
handoff.toml's table, so a playbook that loads is valid.
"""

from __future__ import annotations

import tomllib
from importlib import resources
from pathlib import Path

from handoff.leads.settings import LeadsConfig, load_leads_settings

__all__ = ["load_playbook", "playbook_path"]


def playbook_path(name: str = "gitlab") -> Path:
    """The file of a shipped leads playbook."""
    return Path(str(resources.files("handoff.leads").joinpath("playbooks", f"{name}.toml")))


def load_playbook(name: str = "gitlab") -> LeadsConfig:
    """The `[leads]` table of a shipped playbook, validated; errors name the file."""
    path = playbook_path(name)
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    settings = load_leads_settings({"leads": data.get("leads", {})}, source=path)
    if settings.leads is None:
        raise ValueError(f"{path}: a leads playbook needs a [leads] table")
    return settings.leads
