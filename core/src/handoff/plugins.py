"""Finding installed connectors through the `handoff` entry-point group.

A package registers a module in the group; the module implements the discovery
hook `handoff_connectors()`. A package that fails to import, or whose hook
fails, is reported as a warning and skipped: one broken plugin must not take
the hub down.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from importlib.metadata import EntryPoint, entry_points

import pluggy

from handoff_sdk import Connector, hookspecs

__all__ = ["Discovery", "PluginWarning", "discover", "new_plugin_manager"]


class PluginWarning(UserWarning):
    """An installed plugin could not be loaded and was skipped."""


def new_plugin_manager() -> pluggy.PluginManager:
    """A plugin manager that knows handoff's hook specifications."""
    pm = pluggy.PluginManager(hookspecs.PROJECT)
    pm.add_hookspecs(hookspecs)
    return pm


@dataclass
class Discovery:
    """What discovery found: connector classes by name, where they came from, what failed."""

    connectors: dict[str, type[Connector]] = field(default_factory=dict)
    packages: dict[str, str] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)


def _package_of(ep: EntryPoint) -> str:
    dist = ep.dist
    return f"{dist.name} {dist.version}" if dist is not None else ep.value


def discover(eps: list[EntryPoint] | None = None) -> Discovery:
    """Load every entry point of the group and collect the connectors they offer."""
    found = Discovery()
    pm = new_plugin_manager()
    for ep in eps if eps is not None else list(entry_points(group=hookspecs.PROJECT)):
        try:
            module = ep.load()
            pm.register(module, name=f"package:{ep.name}")
            offered = module.handoff_connectors()
        except Exception as exc:
            problem = f"plugin '{ep.name}' ({ep.value}) failed to load and was skipped: " + (
                f"{type(exc).__name__}: {exc}"
            )
            found.problems.append(problem)
            warnings.warn(problem, PluginWarning, stacklevel=2)
            continue
        for cls in offered:
            name = getattr(cls, "name", None)
            if not isinstance(cls, type) or not issubclass(cls, Connector) or not name:
                problem = f"plugin '{ep.name}' offered {cls!r}, which is not a named Connector"
                found.problems.append(problem)
                warnings.warn(problem, PluginWarning, stacklevel=2)
                continue
            if name in found.connectors and found.connectors[name] is not cls:
                problem = (
                    f"connector '{name}' is offered by both {found.packages[name]} and "
                    f"{_package_of(ep)}; keeping the first"
                )
                found.problems.append(problem)
                warnings.warn(problem, PluginWarning, stacklevel=2)
                continue
            found.connectors[name] = cls
            found.packages[name] = _package_of(ep)
    pm.check_pending()
    return found
