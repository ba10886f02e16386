"""The pooled accounts part of the GitLab reference playbook (seed 002, rules P1-P6, Q14).

`gitlab.toml` is GitLab's Low Touch Sales Motion as an `[accounts]` and a
`[cases]` table; docs/accounts.md, docs/cases.md and docs/playbook-gitlab.md
explain it. Read through the same model as handoff.toml's tables, so a
playbook that loads is valid.
"""

from __future__ import annotations

import tomllib
from importlib import resources
from pathlib import Path

from handoff.accounts.settings import AccountsSettings
from handoff.config import validate_table

__all__ = ["load_playbook", "playbook_path"]


def playbook_path(name: str = "gitlab") -> Path:
    """The file of a shipped accounts playbook."""
    return Path(str(resources.files("handoff.accounts").joinpath("playbooks", f"{name}.toml")))


def load_playbook(name: str = "gitlab") -> AccountsSettings:
    """The `[accounts]` and `[cases]` tables of a shipped playbook, validated.

    Errors name the file.
    """
    path = playbook_path(name)
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    tables = {k: data[k] for k in ("accounts", "cases") if k in data}
    settings = validate_table(AccountsSettings, tables, source=path)
    if settings.accounts is None:
        raise ValueError(f"{path}: an accounts playbook needs an [accounts] table")
    return settings
