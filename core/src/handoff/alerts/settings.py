"""`[alerts]`: where the hub tells operators that jobs died or a connector keeps failing.

    [alerts]
    window_minutes = 60     # at most one alert per subject (dead jobs, a connector) per window
    connector_failures = 5  # failed calls of one connector within the window that alert
    [[alerts.notify]]
    connector = "slack"
    channel = "#handoff-ops"
    [[alerts.notify]]
    connector = "email"
    recipients = ["ops@example.com"]

Validated at load with the rest of handoff.toml: each target names a
connector configured and enabled in the same file, and either a channel or
recipients.
"""

from __future__ import annotations

from typing import Any

from pydantic import (
    BaseModel,
    ConfigDict,
    EmailStr,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

from handoff.runtime.cron import CronSchedule

__all__ = ["AlertTarget", "AlertsSettings", "AlertsTable"]


class AlertTarget(BaseModel):
    """One place alerts go: a Slack channel, or email recipients, through an enabled connector."""

    model_config = ConfigDict(extra="forbid")

    connector: str = Field(
        description="An enabled connector that sends notifications ('slack', 'email').",
        min_length=1,
    )
    channel: str | None = Field(default=None, description="Slack channel, e.g. '#handoff-ops'.")
    recipients: list[EmailStr] = Field(default_factory=list, description="Email addresses.")

    @model_validator(mode="after")
    def _one_destination(self) -> AlertTarget:
        if (self.channel is None) == (not self.recipients):
            raise ValueError("give either channel (Slack) or recipients (email), not both")
        return self


class AlertsTable(BaseModel):
    """The `[alerts]` table."""

    model_config = ConfigDict(extra="forbid")

    window_minutes: int = Field(
        default=60,
        ge=1,
        le=7 * 24 * 60,
        description="At most one alert per subject (dead jobs; each connector) in this window.",
    )
    connector_failures: int = Field(
        default=5,
        ge=1,
        description="Failed calls of one connector within the window that make it 'failing'.",
    )
    schedule: str = Field(
        default="* * * * *", description="When the worker looks for something to alert (cron)."
    )
    notify: list[AlertTarget] = Field(min_length=1, description="Where alerts go.")

    @field_validator("schedule")
    @classmethod
    def _cron(cls, value: str) -> str:
        CronSchedule.parse(value)
        return value

    @field_validator("notify")
    @classmethod
    def _enabled_connectors(
        cls, value: list[AlertTarget], info: ValidationInfo
    ) -> list[AlertTarget]:
        """Each target's connector is configured and enabled in the same handoff.toml."""
        context: dict[str, Any] = info.context or {}
        connectors = context.get("connectors")
        if connectors is None:  # validated alone (tests, a table built in code)
            return value
        enabled = sorted(name for name, table in connectors.items() if table.enabled)
        for index, target in enumerate(value):
            if target.connector not in enabled:
                raise ValueError(
                    f"[{index}].connector: '{target.connector}' is not an enabled connector of "
                    f"this handoff.toml (enabled: {', '.join(enabled) or 'none'})"
                )
        return value


class AlertsSettings(BaseModel):
    """The alerts' tables: `[alerts]`, absent = no alerts."""

    model_config = ConfigDict(extra="forbid")

    alerts: AlertsTable | None = Field(default=None, description="Where and when to alert.")
