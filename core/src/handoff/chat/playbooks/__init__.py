"""Playbooks: complete example configurations shipped with handoff (read via importlib.resources).

`gitlab.toml` is GitLab's website-chat rules (Q3, Q4, Q8, Q9) as a `[routing]`
table and `[[experiences]]` tables; docs/playbook-gitlab.md explains it line
by line against the rule ids.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from handoff.chat.experiences import ExperienceCatalog, load_experiences
from handoff.chat.routing.config import RoutingConfig, load_routing

__all__ = ["Playbook", "load_playbook", "playbook_path"]


def playbook_path(name: str = "gitlab") -> Path:
    """The file of a shipped playbook, e.g. for `[routing] include = ...`."""
    return Path(str(resources.files("handoff.chat").joinpath("playbooks", f"{name}.toml")))


@dataclass(frozen=True)
class Playbook:
    """A playbook, validated by the same validators as handoff.toml's tables."""

    path: Path
    routing: RoutingConfig
    experiences: ExperienceCatalog
    raw_experiences: list[dict[str, Any]]


def load_playbook(name: str = "gitlab") -> Playbook:
    """Read and validate a shipped playbook (routing config + experiences)."""
    path = playbook_path(name)
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    raw = list(data.get("experiences", []))
    return Playbook(
        path=path,
        routing=load_routing(data.get("routing", {}), path),
        experiences=load_experiences(raw),
        raw_experiences=raw,
    )
