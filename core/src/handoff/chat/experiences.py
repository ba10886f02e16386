"""Chat experiences (Q8, Q9): the `[[experiences]]` tables, their language, their AI twins.

    [[experiences]]
    id = "pricing"
    name = "Pricing"
    pages = ["/pricing"]
    twin = "pricing-ai"

    [[experiences]]
    id = "pricing-ai"
    name = "Pricing - AI"
    mode = "ai_first"
    pages = ["/pricing"]
    twin = "pricing"
    enabled = true

An experience named "X - AI" is an AI experience; its traditional twin is "X".
Which experience is live is decided by configuration (`enabled`) until an
operator switches them: `rollback_ai` turns every AI experience off and its
twin on, `restore_ai` the reverse, each in ONE transaction and audited. The
switched state lives in the store (entity type `experience_state`), so a
rollback survives restarts and every worker sees it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, field_validator
from sqlalchemy import select
from sqlalchemy.orm import Session

from handoff.errors import ConfigFileError
from handoff.runtime.state import audit, upsert_entity
from handoff.store import EntityRecord
from handoff_sdk.entities import Experience, ExperienceMode

__all__ = [
    "AI_SUFFIX",
    "DEFAULT_LANGUAGE_PREFIXES",
    "STATE_KIND",
    "ExperienceCatalog",
    "ExperienceConfig",
    "ExperienceSwitch",
    "catalog_of",
    "check_experiences",
    "experience_states",
    "language_for_path",
    "restore_ai",
    "rollback_ai",
]

AI_SUFFIX = " - AI"
"""An experience whose name ends with this is the AI twin of the one named without it (Q8)."""

DEFAULT_LANGUAGE_PREFIXES: dict[str, str] = {"/fr-fr": "fr", "/de-de": "de", "/ja-jp": "ja"}
"""Page path prefix -> language (Q9); any other path is English."""

STATE_KIND = "experience_state"
"""Entity type of an experience's switched state in the store."""


class ExperienceConfig(BaseModel):
    """One `[[experiences]]` table, validated; errors name the field."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(min_length=1, max_length=200, description="Stable id.")
    name: str = Field(min_length=1, max_length=200, description="'X', or 'X - AI' for AI twins.")
    language: str = Field(
        default="en", pattern=r"^[a-z]{2}(-[A-Za-z]{2})?$", description="Language code (Q9)."
    )
    mode: ExperienceMode = Field(
        default=ExperienceMode.HUMAN_FIRST, description="Q4: human_first or ai_first."
    )
    ai_takeover_seconds: int = Field(
        default=30,
        ge=1,
        le=3600,
        description="Human first: seconds without an answer before the AI rep takes over.",
    )
    enabled: bool = Field(default=True, description="Live unless switched in the store.")
    twin: str | None = Field(default=None, description="Id of the AI or traditional twin (Q8).")
    pages: list[str] = Field(
        default_factory=lambda: ["/"],
        description="Page path prefixes it shows on (language prefix excluded); longest wins.",
    )

    @field_validator("pages")
    @classmethod
    def _paths(cls, value: list[str]) -> list[str]:
        for page in value:
            if not page.startswith("/"):
                raise ValueError(f"'{page}' must be a path starting with '/'")
        return value

    @property
    def is_ai(self) -> bool:
        """True for an AI experience ('X - AI')."""
        return self.name.endswith(AI_SUFFIX)

    def entity(self, enabled: bool) -> Experience:
        """The SDK's Experience with the given live state."""
        return Experience(
            id=self.id,
            name=self.name,
            language=self.language,
            mode=self.mode,
            ai_takeover_seconds=self.ai_takeover_seconds,
            enabled=enabled,
            twin_id=self.twin,
        )


def language_for_path(path_or_url: str, prefixes: Mapping[str, str] | None = None) -> str:
    """The language of a page, from its path (`/fr-fr/...` -> 'fr'); default 'en' (Q9)."""
    path = urlsplit(path_or_url).path if "://" in path_or_url else path_or_url
    lowered = path.lower()
    for prefix, language in (prefixes or DEFAULT_LANGUAGE_PREFIXES).items():
        key = prefix.lower().rstrip("/")
        if lowered == key or lowered.startswith(key + "/"):
            return language
    return "en"


def _strip_language(path: str, prefixes: Mapping[str, str]) -> str:
    lowered = path.lower()
    for prefix in prefixes:
        key = prefix.lower().rstrip("/")
        if lowered == key or lowered.startswith(key + "/"):
            return path[len(key) :] or "/"
    return path or "/"


@dataclass(frozen=True)
class ExperienceSwitch:
    """One experience switched by a rollback or restore: from which state to which."""

    experience_id: str
    name: str
    enabled: bool
    was: bool


@dataclass(frozen=True)
class ExperienceCatalog:
    """The configured experiences, by id, and the language prefixes of the site."""

    experiences: dict[str, ExperienceConfig]
    language_prefixes: dict[str, str] = field(
        default_factory=lambda: dict(DEFAULT_LANGUAGE_PREFIXES)
    )

    def ai(self) -> list[ExperienceConfig]:
        """The AI experiences, in file order."""
        return [e for e in self.experiences.values() if e.is_ai]

    def live_for_page(self, page: str, states: Mapping[str, bool]) -> Experience | None:
        """The enabled experience of the page's language whose page prefix fits it best (Q9)."""
        path = urlsplit(page).path if "://" in page else page
        language = language_for_path(path, self.language_prefixes)
        rest = _strip_language(path, self.language_prefixes)
        best: tuple[int, ExperienceConfig] | None = None
        for exp in self.experiences.values():
            if exp.language.split("-")[0] != language or not states.get(exp.id, exp.enabled):
                continue
            for prefix in exp.pages:
                key = prefix.rstrip("/")
                if (not key or rest == key or rest.startswith(key + "/")) and (
                    best is None or len(key) > best[0]
                ):
                    best = (len(key), exp)
        return best[1].entity(True) if best else None


def check_experiences(found: list[ExperienceConfig]) -> list[ExperienceConfig]:
    """`[[experiences]]` as a whole: unique ids, and twins that exist and pair up (Q8).

    Raises ValueError naming the table at fault (`[1].twin: ...`). A twin
    named on one side only is made a twin both ways in what is returned.
    """
    by_id: dict[str, ExperienceConfig] = {}
    for index, exp in enumerate(found):
        if exp.id in by_id:
            raise ValueError(f"[{index}].id: '{exp.id}' is used by another experience")
        by_id[exp.id] = exp
    for index, exp in enumerate(found):
        where = f"[{index}].twin"
        if exp.twin is None:
            continue
        twin = by_id.get(exp.twin)
        if twin is None:
            raise ValueError(f"{where}: no experience has id '{exp.twin}'")
        if twin.twin not in (None, exp.id):
            raise ValueError(
                f"{where}: '{exp.twin}' names '{twin.twin}' as its twin, not '{exp.id}'"
            )
        if exp.is_ai == twin.is_ai:
            raise ValueError(
                f"{where}: twins are one traditional experience 'X' and one 'X{AI_SUFFIX}'; "
                f"'{exp.name}' and '{twin.name}' are not"
            )
        ai, plain = (exp, twin) if exp.is_ai else (twin, exp)
        if ai.name.removesuffix(AI_SUFFIX) != plain.name:
            raise ValueError(
                f"{where}: the AI twin of '{plain.name}' must be named "
                f"'{plain.name}{AI_SUFFIX}', not '{ai.name}'"
            )
    paired = {exp.twin: exp.id for exp in found if exp.twin is not None}
    return [
        exp.model_copy(update={"twin": paired[exp.id]})
        if exp.twin is None and exp.id in paired
        else exp
        for exp in found
    ]


def catalog_of(
    experiences: list[ExperienceConfig], language_prefixes: Mapping[str, str] | None = None
) -> ExperienceCatalog:
    """The checked experiences by id, with the site's language prefixes (Q9)."""
    prefixes = dict(language_prefixes) if language_prefixes else dict(DEFAULT_LANGUAGE_PREFIXES)
    for prefix in prefixes:
        if not prefix.startswith("/"):
            raise ConfigFileError(f"language prefix '{prefix}': must start with '/'")
    return ExperienceCatalog({exp.id: exp for exp in experiences}, prefixes)


def experience_states(session: Session, catalog: ExperienceCatalog) -> dict[str, bool]:
    """Whether each configured experience is live: its switched state, else its config."""
    states = {exp.id: exp.enabled for exp in catalog.experiences.values()}
    if states:
        rows = session.scalars(
            select(EntityRecord).where(
                EntityRecord.type == STATE_KIND, EntityRecord.id.in_(list(states))
            )
        )
        for row in rows:
            states[row.id] = bool(row.data.get("enabled"))
    return states


def _switch(
    session: Session,
    catalog: ExperienceCatalog,
    wanted: dict[str, bool],
    *,
    actor: str,
    action: str,
    now: datetime,
) -> list[ExperienceSwitch]:
    current = experience_states(session, catalog)
    changes: list[ExperienceSwitch] = []
    for exp_id, enabled in wanted.items():
        was = current[exp_id]
        data = {"enabled": enabled, "changed_by": actor, "changed_at": now.isoformat()}
        if was != enabled:
            changes.append(ExperienceSwitch(exp_id, catalog.experiences[exp_id].name, enabled, was))
            upsert_entity(session, STATE_KIND, exp_id, data, now=now)
    audit(
        session,
        actor=actor,
        action=action,
        now=now,
        subject_type="experiences",
        subject_id="ai",
        details={
            "changed": [
                {"experience": c.experience_id, "name": c.name, "enabled": c.enabled}
                for c in changes
            ],
            "unchanged": sorted(set(wanted) - {c.experience_id for c in changes}),
        },
    )
    return changes


def rollback_ai(
    session: Session, catalog: ExperienceCatalog, *, actor: str, now: datetime
) -> list[ExperienceSwitch]:
    """Every AI experience off and its traditional twin on, in the caller's transaction (Q8).

    Idempotent: a second rollback changes nothing (and is audited as such).
    """
    wanted: dict[str, bool] = {}
    for exp in catalog.ai():
        wanted[exp.id] = False
        if exp.twin is not None:
            wanted[exp.twin] = True
    return _switch(session, catalog, wanted, actor=actor, action="experiences.rollback_ai", now=now)


def restore_ai(
    session: Session, catalog: ExperienceCatalog, *, actor: str, now: datetime
) -> list[ExperienceSwitch]:
    """The reverse of `rollback_ai`: AI experiences back on, their twins off (Q8).

    Each AI experience returns to its configured state (on, unless configured
    `enabled = false`) and its twin to the opposite. Idempotent, in the
    caller's transaction, audited.
    """
    wanted: dict[str, bool] = {}
    for exp in catalog.ai():
        wanted[exp.id] = exp.enabled
        if exp.twin is not None:
            wanted[exp.twin] = not exp.enabled
    return _switch(session, catalog, wanted, actor=actor, action="experiences.restore_ai", now=now)
