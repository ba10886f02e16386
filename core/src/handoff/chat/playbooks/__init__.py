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

from handoff.chat.experiences import ExperienceCatalog
from handoff.chat.routing.config import RoutingConfig
from handoff.chat.settings import ChatSettings, load_chat_settings

__all__ = ["Playbook", "load_playbook", "playbook_path"]


def playbook_path(name: str = "gitlab") -> Path:
    """The file of a shipped playbook, e.g. for `[routing] include = ...`."""
    return Path(str(resources.files("handoff.chat").joinpath("playbooks", f"{name}.toml")))


@dataclass(frozen=True)
class Playbook:
    """A playbook, validated by the same models as handoff.toml's tables."""

    path: Path
    settings: ChatSettings
    raw_experiences: list[dict[str, Any]]

    @property
    def routing(self) -> RoutingConfig:
        """Its `[routing]` table."""
        assert self.settings.routing is not None  # load_playbook refuses a playbook without one
        return self.settings.routing

    @property
    def experiences(self) -> ExperienceCatalog:
        """Its `[[experiences]]`, by id."""
        return self.settings.catalog()


def load_playbook(name: str = "gitlab") -> Playbook:
    """Read and validate a shipped playbook (routing rules + experiences)."""
    path = playbook_path(name)
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    raw = list(data.get("experiences", []))
    settings = load_chat_settings({"routing": data.get("routing", {}), "experiences": raw}, path)
    if settings.routing is None:
        raise ValueError(f"{path}: a playbook needs a [routing] table")
    return Playbook(path=path, settings=settings, raw_experiences=raw)
