"""The AI flow's part of `handoff check` (`Flow.checks`): what its table's validation cannot see."""

from __future__ import annotations

from typing import TYPE_CHECKING

from handoff.ai.flow import AI
from handoff_sdk.hookspecs import implemented_capabilities

if TYPE_CHECKING:
    from collections.abc import Mapping

    from handoff.config import HubConfig
    from handoff_sdk import Connector

__all__ = ["model_problems"]


def model_problems(config: HubConfig, connectors: Mapping[str, type[Connector]]) -> list[str]:
    """[ai.model] names an enabled connector that generates replies, or the AI rep has no model.

    The table alone cannot tell: which connectors are enabled, and what each
    implements, is known only with the whole config and the installed connectors.
    """
    table = AI.settings_of(config).ai
    if table is None or table.model is None:
        return []
    name = table.model.connector
    if name not in config.enabled():
        enabled = ", ".join(config.enabled()) or "none"
        return [
            f"ai.model.connector: '{name}' is not an enabled connector (enabled: {enabled}); "
            f"add a [connectors.{name}] table"
        ]
    cls = connectors.get(name)
    if cls is not None and "handoff_generate_reply" not in implemented_capabilities(cls):
        return [
            f"ai.model.connector: '{name}' cannot generate replies (it does not implement "
            "handoff_generate_reply): use openai or anthropic"
        ]
    return []
