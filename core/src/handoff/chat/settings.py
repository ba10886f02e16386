"""The chat flow's tables in handoff.toml, validated together when the config is loaded.

    [routing]         who a chat goes to (Q3, Q4): handoff.chat.routing.config
    [writeback]       what a conversation writes to the CRM (Q11): handoff.chat.writeback.config
    [meetings]        where booked meetings go (Q12): handoff.chat.meetings.config
    [[experiences]]   the chat boxes and their AI twins (Q8, Q9): handoff.chat.experiences
    [smart_forms]     forms and buttons qualified on the spot (Q18): handoff.chat.forms.config

A table left out (or left empty) keeps its feature off: no `[routing]`, no
routing; no `[writeback]`, no write-back. `[meetings]` and `[[experiences]]`
have usable defaults.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from handoff.chat.experiences import (
    ExperienceCatalog,
    ExperienceConfig,
    catalog_of,
    check_experiences,
)
from handoff.chat.forms.config import SmartFormsConfig
from handoff.chat.meetings.config import MeetingsConfig
from handoff.chat.routing.config import RoutingConfig
from handoff.chat.writeback.config import WritebackConfig
from handoff.config import validate_table

__all__ = ["ChatSettings", "load_chat_settings"]


class ChatSettings(BaseModel):
    """The `[routing]`, `[writeback]`, `[meetings]` and `[[experiences]]` tables."""

    model_config = ConfigDict(extra="forbid")

    routing: RoutingConfig | None = Field(
        default=None, description="Reps, teams and rules (Q3, Q4); none: chats are not routed."
    )
    writeback: WritebackConfig | None = Field(
        default=None, description="The CRM write-back (Q11); none: nothing is written back."
    )
    meetings: MeetingsConfig = Field(
        default_factory=MeetingsConfig, description="Meeting booking (Q12)."
    )
    experiences: list[ExperienceConfig] = Field(
        default_factory=list, description="The chat experiences and their AI twins (Q8, Q9)."
    )

    smart_forms: SmartFormsConfig | None = Field(
        default=None,
        description="Smart forms and buttons (Q18); none: off. Needs [routing] (the reps).",
    )

    @field_validator("routing", "writeback", "smart_forms", mode="before")
    @classmethod
    def _empty_is_off(cls, value: Any) -> Any:
        """An empty table means the feature is off, as a missing one does."""
        return None if value == {} else value

    @field_validator("experiences")
    @classmethod
    def _experiences(cls, value: list[ExperienceConfig]) -> list[ExperienceConfig]:
        return check_experiences(value)

    @model_validator(mode="after")
    def _smart_forms_need_reps(self) -> ChatSettings:
        """A fit visitor is routed to a rep or offered one's calendar: the reps are [routing]'s."""
        if self.smart_forms is not None and self.routing is None:
            raise ValueError(
                "smart_forms: needs a [routing] table (the reps a fit visitor is routed to)"
            )
        return self

    def catalog(self, language_prefixes: Mapping[str, str] | None = None) -> ExperienceCatalog:
        """The experiences by id, with the site's language prefixes (Q9)."""
        return catalog_of(self.experiences, language_prefixes)


def load_chat_settings(tables: Mapping[str, Any], source: Path | None = None) -> ChatSettings:
    """Chat tables read from a file other than handoff.toml (a playbook, a candidate).

    Errors name the file, the table and the field, as `load_config` does.
    """
    return validate_table(ChatSettings, dict(tables), source=source)
