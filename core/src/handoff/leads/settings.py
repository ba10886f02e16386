"""The leads flow's table in handoff.toml, validated with the rest of the file at load.

    [leads]                 which connectors the flow uses; absent: the flow is off
    [leads.status]          the status machine (D5, Q16): handoff.leads.status

docs/leads.md documents every line.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from handoff.config import validate_table
from handoff.leads.status import StatusConfig

__all__ = ["LeadsConfig", "LeadsSettings", "load_leads_settings"]


class LeadsConfig(BaseModel):
    """The `[leads]` table: the lead lifecycle (D1-D8, Q13, Q16)."""

    model_config = ConfigDict(extra="forbid")

    crm: str | None = Field(
        default="salesforce",
        description="The CRM connector: account matches, write-back, activity (none: no CRM).",
    )
    marketing: str | None = Field(
        default="marketo",
        description="The marketing connector: score write-back, D8 forwarding, programs.",
    )
    status: StatusConfig = Field(
        default_factory=StatusConfig, description="The status machine (D5, Q16)."
    )


class LeadsSettings(BaseModel):
    """The `[leads]` table."""

    model_config = ConfigDict(extra="forbid")

    leads: LeadsConfig | None = Field(
        default=None, description="The lead lifecycle (D1-D8); none: the flow is off."
    )

    def config(self) -> LeadsConfig:
        """The `[leads]` table, or the defaults when absent (for commands that read leads)."""
        return self.leads or LeadsConfig()


def load_leads_settings(tables: Mapping[str, Any], source: Path | None = None) -> LeadsSettings:
    """Leads tables read from a file other than handoff.toml (a playbook, a candidate).

    Errors name the file, the table and the field, as `load_config` does.
    """
    return validate_table(LeadsSettings, dict(tables), source=source)
