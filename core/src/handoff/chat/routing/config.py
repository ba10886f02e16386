"""The `[routing]` table of handoff.toml: reps, teams, ordered rules with targets and fallbacks.

    [routing]
    include = "routing/gitlab.toml"      # optional: more reps/teams/rules from another file
    ai_rep = "ai-rep"                    # the rep id of the AI rep (Q4), if any
    geo_from = ["account.geo", "visitor.geo"]
    country_from = ["account.country", "visitor.country", "firmographics.country_code"]

    [routing.geo_by_country]             # geo_from found nothing: the first country_from
    US = "AMER"                          # value listed here gives the geo. Keys: ISO 3166-1
    JP = "APAC"                          # alpha-2 codes, upper case; values: a team's geo

    [[routing.reps]]
    id = "r-ana"
    name = "Ana"
    email = "ana@example.test"
    ids = { salesforce = "005A1", outreach = "17" }   # how CRM/Outreach fields name her
    teams = ["sdr-emea"]
    languages = ["en", "fr"]
    timezone = "Europe/Paris"
    working_hours = { "mon-fri" = "09:00-17:30" }
    weight = 1          # share of a round robin (0: never picked by rotation)
    daily_cap = 25      # at most this many routed chats per local day

    [[routing.teams]]
    name = "sdr-emea"
    geo = "EMEA"        # a geo pool (target `geo_pool`)
    # language = "fr"   # a language team (target `language_team`)

    [[routing.rules]]
    id = "pubsec"
    rule_ids = ["Q3b"]
    when = { field = "account.sector", equals = "US Public Sector" }
    target = "field:account.bdr_assigned_id"
    fallbacks = ["team:pubsec"]

Conditions are the shared rules engine's language, evaluated without `eval`
(see `handoff.rules.conditions`).
Every error names the field at fault, e.g. `routing.rules[2].target`.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from handoff.chat.routing.availability import WorkingHours
from handoff.config import validate_table
from handoff.rules import Rule
from handoff_sdk.entities import Rep

__all__ = [
    "RepConfig",
    "RoutingConfig",
    "RuleConfig",
    "TeamConfig",
    "load_routing",
    "parse_target",
]

TargetKind = Literal["field", "team", "geo_pool", "language_team", "ai"]

ISO_COUNTRY_CODES = frozenset(
    """
    AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ
    BR BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM
    DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS
    GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN
    KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ
    MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM
    PN PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV
    SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI
    VN VU WF WS YE YT ZA ZM ZW
    XK
    """.split()  # noqa: SIM905 - a list literal would be 250 lines
)
"""The 249 officially assigned ISO 3166-1 alpha-2 codes, plus XK (Kosovo, user-assigned but
what the EU and most data providers use): the keys `routing.geo_by_country` accepts."""


def parse_target(text: str) -> tuple[TargetKind, str]:
    """'field:account.owner_id' -> ('field', 'account.owner_id'); 'ai' -> ('ai', '')."""
    kind, _, arg = text.partition(":")
    kind = kind.strip()
    if kind in ("field", "team") and arg.strip():
        return kind, arg.strip()  # type: ignore[return-value]
    if kind in ("geo_pool", "language_team", "ai") and not arg:
        return kind, ""  # type: ignore[return-value]
    raise ValueError(
        f"unknown target {text!r}: use 'field:PATH', 'team:NAME', 'geo_pool', "
        "'language_team' or 'ai'"
    )


class RepConfig(BaseModel):
    """One rep (or the AI rep) who can be routed chats."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(min_length=1, description="The hub's id for the rep.")
    name: str = Field(description="Display name.")
    email: str | None = Field(default=None, description="Work email (Outreach names reps by it).")
    ids: dict[str, str] = Field(
        default_factory=dict, description="The rep's user id in each system (salesforce, ...)."
    )
    teams: list[str] = Field(default_factory=list, description="Teams the rep is in.")
    languages: list[str] = Field(default_factory=lambda: ["en"], description="Chat languages.")
    timezone: str = Field(default="UTC", description="IANA time zone of the working hours.")
    working_hours: dict[str, str] = Field(
        default_factory=dict,
        description="Day (mon..sun, or a range 'mon-fri') -> 'HH:MM-HH:MM[, ...]'. Empty: always.",
    )
    weight: int = Field(default=1, ge=0, le=100, description="Share of each round robin.")
    daily_cap: int | None = Field(default=None, ge=0, description="Routed chats per local day.")
    is_ai: bool = Field(default=False, description="True for the AI rep.")
    zoom_link: str | None = Field(
        default=None,
        max_length=2000,
        description="Personal meeting link put in booked invites (Q12), an https:// URL.",
    )

    @field_validator("zoom_link")
    @classmethod
    def _zoom_link(cls, value: str | None) -> str | None:
        """The link goes into invites as it is, so it must be a plain https URL (Q12)."""
        if value is None:
            return None
        link = value.strip()
        parts = urlsplit(link)
        if (
            parts.scheme != "https"
            or not parts.hostname
            or any(c.isspace() or ord(c) < 32 or ord(c) == 127 for c in link)
        ):
            raise ValueError("expected an https:// URL, e.g. 'https://acme.zoom.us/j/1234567890'")
        return link

    @model_validator(mode="after")
    def _hours(self) -> RepConfig:
        WorkingHours.parse(self.working_hours, self.timezone)
        return self

    def hours(self) -> WorkingHours:
        """The parsed working hours."""
        return WorkingHours.parse(self.working_hours, self.timezone)

    def entity(self) -> Rep:
        """The canonical Rep (for the calendar connector)."""
        return Rep(
            id=self.id,
            name=self.name,
            email=self.email,
            ids=self.ids,
            teams=self.teams,
            languages=self.languages,
            timezone=self.timezone,
            is_ai=self.is_ai,
            zoom_link=self.zoom_link,
        )


class TeamConfig(BaseModel):
    """A named group of reps: a geo pool, a language team, or any team a rule names."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, description="Name, as targets refer to it (team:NAME).")
    members: list[str] = Field(
        default_factory=list, description="Rep ids (reps listing this team join it too)."
    )
    geo: str | None = Field(default=None, description="The geo this pool serves (geo_pool).")
    language: str | None = Field(default=None, description="The language (language_team).")


class RuleConfig(Rule):
    """One routing rule: when it applies, whom it targets, and who else when nobody is free."""

    target: str = Field(description="field:PATH, team:NAME, geo_pool, language_team or ai.")
    fallbacks: list[str] = Field(
        default_factory=list, description="Targets tried in order when the target has nobody."
    )

    @field_validator("target")
    @classmethod
    def _target(cls, value: str) -> str:
        parse_target(value)
        return value

    @field_validator("fallbacks")
    @classmethod
    def _fallbacks(cls, value: list[str]) -> list[str]:
        for item in value:
            parse_target(item)
        return value


class RoutingConfig(BaseModel):
    """The whole `[routing]` table, cross-checked: every team member and team name exists."""

    model_config = ConfigDict(extra="forbid", arbitrary_types_allowed=True)

    include: str | None = Field(default=None, description="Another TOML file merged in.")
    ai_rep: str | None = Field(default=None, description="Rep id of the AI rep (Q4).")
    geo_from: list[str] = Field(
        default_factory=lambda: ["account.geo", "visitor.geo"],
        description="Context fields giving the geo, first present wins (Q3e).",
    )
    country_from: list[str] = Field(
        default_factory=lambda: [
            "account.country",
            "visitor.country",
            "firmographics.country_code",
        ],
        description="Context fields giving a country, read when geo_from gives no geo (Q3e).",
    )
    geo_by_country: dict[str, str] = Field(
        default_factory=dict,
        description="ISO 3166-1 alpha-2 code -> geo, for visitors geo_from gives none (Q3e).",
    )
    default_language: str = Field(default="en", description="Language when none is known.")
    reps: list[RepConfig] = Field(default_factory=list)
    teams: list[TeamConfig] = Field(default_factory=list)
    rules: list[RuleConfig] = Field(default_factory=list)

    @model_validator(mode="before")
    @classmethod
    def _include(cls, data: Any, info: ValidationInfo) -> Any:
        """Merge the `include` file, found beside the file being read (Q3 playbooks)."""
        if not isinstance(data, dict):
            return data
        source = (info.context or {}).get("source")
        return _merge(dict(data), source if isinstance(source, Path) else None)

    @model_validator(mode="after")
    def _cross_check(self) -> RoutingConfig:
        reps = {r.id for r in self.reps}
        if len(reps) != len(self.reps):
            raise ValueError("reps: two reps share an id")
        teams = {t.name for t in self.teams}
        for i, team in enumerate(self.teams):
            for member in team.members:
                if member not in reps:
                    raise ValueError(f"teams[{i}].members: no rep with id {member!r}")
        for rep in self.reps:
            for team_name in rep.teams:
                if team_name not in teams:
                    raise ValueError(f"reps[{rep.id}].teams: no team named {team_name!r}")
        if self.ai_rep is not None and not any(r.id == self.ai_rep and r.is_ai for r in self.reps):
            raise ValueError(f"ai_rep: no rep {self.ai_rep!r} with is_ai = true")
        for i, rule in enumerate(self.rules):
            for j, text in enumerate([rule.target, *rule.fallbacks]):
                kind, arg = parse_target(text)
                where = "target" if j == 0 else f"fallbacks[{j - 1}]"
                if kind == "team" and arg not in teams:
                    raise ValueError(f"rules[{i}].{where}: no team named {arg!r}")
                if kind == "ai" and self.ai_rep is None:
                    raise ValueError(f"rules[{i}].{where}: 'ai' needs routing.ai_rep")
        self._check_geo_by_country()
        return self

    def _check_geo_by_country(self) -> None:
        """Keys are upper-case country codes; values name a team's geo, spelled as the team does.

        Normalising here keeps `route` to one dict look-up per country.
        """
        geos = {t.geo.strip().casefold(): t.geo for t in self.teams if t.geo}
        normalized: dict[str, str] = {}
        for code, geo in self.geo_by_country.items():
            if code not in ISO_COUNTRY_CODES:
                upper = code.strip().upper()
                hint = f" (did you mean {upper!r}?)" if upper in ISO_COUNTRY_CODES else ""
                raise ValueError(
                    f"geo_by_country.{code}: expected an upper-case ISO 3166-1 alpha-2 country "
                    f"code such as 'JP'{hint}"
                )
            served = geos.get(geo.strip().casefold())
            if served is None:
                known = ", ".join(sorted(geos.values())) or "none: no team has a geo"
                raise ValueError(
                    f"geo_by_country.{code}: {geo!r} is not the geo of any team "
                    f"(routing.teams serve: {known})"
                )
            normalized[code] = served
        self.geo_by_country = normalized

    def rep(self, rep_id: str) -> RepConfig | None:
        """The rep with this hub id."""
        return self._index()[0].get(rep_id)

    def resolve_rep(self, value: str) -> RepConfig | None:
        """The rep a field value names: hub id, email (any case) or an id in another system."""
        return self._index()[1].get(value.strip().lower())

    def team_members(self, name: str) -> list[RepConfig]:
        """Members of a team, in config order (team list first, then reps naming the team)."""
        return self._index()[2].get(name, [])

    def _index(
        self,
    ) -> tuple[dict[str, RepConfig], dict[str, RepConfig], dict[str, list[RepConfig]]]:
        ident = (id(self.reps), id(self.teams))
        cached: Any = self.__dict__.get("_cache")
        if cached is not None and cached[0] == ident:
            return cached[1]  # type: ignore[no-any-return]
        by_id = {r.id: r for r in self.reps}
        by_key: dict[str, RepConfig] = {}
        for rep in self.reps:
            for key in [rep.id, rep.email or "", *rep.ids.values()]:
                if key:
                    by_key.setdefault(key.strip().lower(), rep)
        members: dict[str, list[RepConfig]] = {}
        for team in self.teams:
            ordered = [by_id[m] for m in team.members]
            ordered += [r for r in self.reps if team.name in r.teams and r not in ordered]
            members[team.name] = ordered
        self.__dict__["_cache"] = (ident, (by_id, by_key, members))
        return by_id, by_key, members


def _merge(table: dict[str, Any], base: Path | None) -> dict[str, Any]:
    """The table with its `include` file merged in (one level); ValueError naming `include`."""
    include = table.get("include")
    if not include:
        return table
    if not isinstance(include, str):
        raise ValueError("include: expected a file name")
    path = Path(include)
    if not path.is_absolute() and base is not None:
        path = base.parent / path
    try:
        extra = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ValueError(f"include: {path} cannot be read: {exc.strerror}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"include: {path} is not valid TOML: {exc}") from None
    extra = extra.get("routing", extra)
    if "include" in extra:
        raise ValueError(f"include: {path} includes another file (one level only)")
    merged = dict(extra)
    for key, value in table.items():
        if key in ("reps", "teams", "rules"):
            merged[key] = [*merged.get(key, []), *value]
        elif key == "geo_by_country" and isinstance(value, dict):
            merged[key] = {**(merged.get(key) or {}), **value}  # a country at a time
        elif key != "include":
            merged[key] = value
    merged["include"] = str(path)
    return merged


def load_routing(table: dict[str, Any], source: Path | None = None) -> RoutingConfig:
    """Validate a `[routing]` table from `source` (handoff.toml, a candidate rules file).

    Errors name the file and the field (`routing.rules[0].target: ...`).
    """
    return validate_table(RoutingConfig, table, "routing", source=source)
