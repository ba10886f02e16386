"""`handoff new-connector NAME`: a connector package that passes the contract on day one.

The files come from `scaffold_template/`, which ships inside the handoff wheel
and is read through importlib.resources, so the command works the same from a
checkout and from an installed handoff. Each `*.tmpl` file is rendered by
replacing `{{placeholder}}`s with names derived from NAME; folder names
`__module__` and `__name__` become the Python module and the connector name.

The result is a package of its own (pyproject, src/, tests/, cassettes/) that
installs anywhere, is discovered through the `handoff` entry point, and whose
tests (the SDK's connector contract among them) pass against the cassettes it
ships with. The author then edits it into a connector for their real API.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from importlib.metadata import entry_points
from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path, PurePosixPath

from handoff_sdk.hookspecs import PROJECT
from handoff_sdk.secrets import secret_env_var

__all__ = [
    "BUILTIN_CONNECTORS",
    "MAX_NAME_LENGTH",
    "ConnectorNames",
    "ScaffoldError",
    "connector_names",
    "create_connector",
    "render_connector",
]

BUILTIN_CONNECTORS = frozenset(
    {
        "6sense",
        "anthropic",
        "email",
        "gainsight",
        "google-calendar",
        "marketo",
        "openai",
        "outreach",
        "pathfactory",
        "salesforce",
        "slack",
        "zendesk",
        "zoom",
    }
)
"""Connectors that come with handoff, or are planned: a new connector may not take a name here.

tests/core/test_scaffold.py fails when a connector under connectors/ is missing from it.
"""

_RESERVED = {
    "sdk": "handoff-sdk is the connector SDK itself",
    "workspace": "handoff-workspace is the name of handoff's own repository root",
}
"""Names whose package name `handoff-NAME` is already one of handoff's own."""

MAX_NAME_LENGTH = 40
"""Longest connector name: it is also a DNS label in the example URLs, and typed often."""

_NAME = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
_PLACEHOLDER = re.compile(r"\{\{\s*([a-z_]+)\s*\}\}")
_TEMPLATE_ROOT = "scaffold_template"
_SUFFIX = ".tmpl"


class ScaffoldError(Exception):
    """Why a connector cannot be scaffolded, worded for the person at the terminal."""


@dataclass(frozen=True)
class ConnectorNames:
    """Every name the package uses, derived once from the connector name."""

    name: str
    """Connector name: handoff.toml table, entry point, cassette folder ('acme-crm')."""
    package: str
    """Distribution name on PyPI ('handoff-acme-crm')."""
    module: str
    """Import name ('handoff_acme_crm')."""
    class_prefix: str
    """Prefix of the class names ('AcmeCrm' -> AcmeCrmConnector, AcmeCrmConfig)."""
    title: str
    """Human name ('Acme Crm'); the author will want to correct the capitals."""
    env_prefix: str
    """Prefix of the environment variables that override secrets ('HANDOFF_ACME_CRM')."""
    api_key_env: str
    """The environment variable of the scaffold's one secret ('HANDOFF_ACME_CRM_API_KEY')."""
    host: str
    """Synthetic API host used in the shipped tests and cassettes."""


def _installed_connectors() -> dict[str, str]:
    """Entry-point names in the `handoff` group, i.e. connectors installed right now."""
    return {ep.name: ep.value for ep in entry_points(group=PROJECT)}


def connector_names(name: str) -> ConnectorNames:
    """Check a connector name and derive the package, module and class names from it.

    Raises ScaffoldError naming the problem: the name must be lowercase letters,
    digits and single hyphens, start with a letter or digit, and not be taken by
    a built-in or an installed connector.
    """
    if not name:
        raise ScaffoldError(
            "the connector name is empty; try e.g. `handoff new-connector acme-crm`"
        )
    if len(name) > MAX_NAME_LENGTH:
        raise ScaffoldError(
            f"connector name '{name}' is {len(name)} characters long; "
            f"keep it to {MAX_NAME_LENGTH} or fewer"
        )
    if not _NAME.fullmatch(name):
        suggestion = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
        hint = f" (e.g. '{suggestion}')" if suggestion and _NAME.fullmatch(suggestion) else ""
        raise ScaffoldError(
            f"connector name '{name}' is not valid: use lowercase letters, digits and single "
            f"hyphens, starting and ending with a letter or digit{hint}"
        )
    if name in BUILTIN_CONNECTORS:
        raise ScaffoldError(
            f"'{name}' is the name of a connector that comes with handoff; "
            f"pick another name (e.g. '{name}-custom')"
        )
    if name in _RESERVED:
        raise ScaffoldError(f"'{name}' cannot be a connector name: {_RESERVED[name]}")
    installed = _installed_connectors()
    if name in installed:
        raise ScaffoldError(
            f"a connector named '{name}' is already installed ({installed[name]}); "
            "pick another name, or uninstall that package first"
        )
    words = name.split("-")
    class_prefix = "".join(w[:1].upper() + w[1:] for w in words)
    if not class_prefix[0].isalpha():
        class_prefix = "Api" + class_prefix
    api_key_env = secret_env_var(name, "api_key")
    return ConnectorNames(
        name=name,
        package=f"handoff-{name}",
        module="handoff_" + name.replace("-", "_"),
        class_prefix=class_prefix,
        title=" ".join(w[:1].upper() + w[1:] for w in words),
        env_prefix=api_key_env.removesuffix("_API_KEY"),
        api_key_env=api_key_env,
        host=f"api.{name}.example.test",
    )


def _walk(folder: Traversable, prefix: PurePosixPath) -> list[tuple[PurePosixPath, str]]:
    found: list[tuple[PurePosixPath, str]] = []
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.is_dir():
            found += _walk(entry, prefix / entry.name)
        elif entry.name.endswith(_SUFFIX):
            found.append((prefix / entry.name, entry.read_text(encoding="utf-8")))
    return found


def _render_text(text: str, values: dict[str, str], source: PurePosixPath) -> str:
    def replace(match: re.Match[str]) -> str:
        key = match.group(1)
        if key not in values:
            raise RuntimeError(f"scaffold template {source} uses unknown placeholder {{{{{key}}}}}")
        return values[key]

    return _PLACEHOLDER.sub(replace, text)


def _render_path(path: PurePosixPath, names: ConnectorNames) -> PurePosixPath:
    parts = []
    for template_part in path.parts:
        part = template_part.replace("__module__", names.module).replace("__name__", names.name)
        part = part.removesuffix(_SUFFIX)
        if part.startswith("dot-"):
            part = "." + part.removeprefix("dot-")
        parts.append(part)
    return PurePosixPath(*parts)


def render_connector(names: ConnectorNames) -> dict[PurePosixPath, str]:
    """Every file of the new package, by path relative to its folder, rendered in memory.

    Rendering everything before writing anything means a broken template leaves
    no half-made package behind.
    """
    values = asdict(names)
    root = files("handoff").joinpath(_TEMPLATE_ROOT)
    rendered = {
        _render_path(path, names): _render_text(text, values, path)
        for path, text in _walk(root, PurePosixPath())
    }
    if not rendered:
        raise RuntimeError("the scaffold templates are missing from the handoff installation")
    return rendered


def create_connector(name: str, path: Path) -> Path:
    """Create the connector package folder `path / name` and return it.

    `path` is created if needed. Raises ScaffoldError for a bad or taken name,
    or when `path / name` exists and is not an empty folder (nothing is
    overwritten, ever).
    """
    names = connector_names(name)
    path = Path(path)
    target = path / name
    if path.exists() and not path.is_dir():
        raise ScaffoldError(f"{path} is a file, not a folder to create '{name}' in")
    if target.exists():
        if not target.is_dir():
            raise ScaffoldError(f"{target} already exists and is a file; pick another --path")
        if any(target.iterdir()):
            raise ScaffoldError(
                f"{target} already exists and is not empty; nothing was written "
                "(pick another --path, or move that folder away)"
            )
    files_to_write = render_connector(names)
    try:
        for relative, text in files_to_write.items():
            destination = target.joinpath(*relative.parts)
            destination.parent.mkdir(parents=True, exist_ok=True)
            destination.write_text(text, encoding="utf-8", newline="\n")
    except OSError as exc:
        raise ScaffoldError(f"cannot write the connector into {target}: {exc.strerror}") from None
    return target
