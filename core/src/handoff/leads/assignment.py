"""Who owns a new lead (D2): rules of the shared rules engine, over the lead and its account.

    [leads.assignment]
    claim_fallback_minutes = 60        # APAC: nobody claimed by then -> round robin
    regions = { EMEA = ["United Kingdom", "Germany"], APAC = ["Japan", "Australia"] }
    lists = { fortune_500 = ["walmart.com"], enterprise = ["bigco.example"] }

    [[leads.assignment.reps]]
    id = "bea"                         # the hub's id
    name = "Bea Lund"
    email = "bea@example.com"
    manager = "max@example.com"        # D6 escalations (else the CRM user's manager)
    ids = { salesforce = "005..." }    # the owner id written to the CRM

    [[leads.assignment.teams]]
    name = "bdr-emea"                  # same name as a [routing] team: the same round robin
    members = ["bea", "ben"]
    channel = "#bdr-emea"              # where the team is told (claims, D8)

    [[leads.assignment.rules]]         # first match wins
    id = "emea"
    rule_ids = ["D2"]
    when = { field = "lead.region", equals = "EMEA" }
    assign = "team:bdr-emea"           # team:NAME (round robin), rep:ID, account_owner, claim:TEAM

Conditions read the lead (`lead.email`, `lead.domain`, `lead.country`,
`lead.region`, `lead.title`, `lead.company`, `lead.source`) and its CRM
account (`account.name`, `account.domain`, `account.geo`, `account.type`,
`account.owner_id`, `account.owner_email`, `account.employee_count`,
`account.fields.X`). Which companies are large, brands or Fortune 500 is
data: a named list (`in_list`) or an account field. A team's round robin is
the cursor `rr:<team>` every flow shares (handoff.rules), so a team that
takes chats and leads is rotated fairly across both.

`assign` is pure: the caller passes the rotation (stored in the decision's
transaction, or in memory for replay).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field, model_validator

from handoff.rules import Pick, Rotation, Rule, RuleCheck, check_rule, pick_member

__all__ = [
    "Assignment",
    "AssignmentConfig",
    "AssignmentRule",
    "LeadRep",
    "LeadTeam",
    "assign",
    "assignment_context",
    "pick_from_team",
]


class LeadRep(BaseModel):
    """A person leads can be assigned to (a BDR, an account manager)."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(min_length=1, max_length=100, description="The hub's id for the rep.")
    name: str = Field(min_length=1, description="Display name.")
    email: str | None = Field(default=None, description="Work email (matches CRM owners).")
    manager: str | None = Field(
        default=None,
        description="The manager's email for D6 escalations (none: the CRM user's manager).",
    )
    ids: dict[str, str] = Field(
        default_factory=dict, description="The rep's id per system, e.g. salesforce = '005...'."
    )
    weight: int = Field(default=1, ge=0, le=100, description="Share of each round robin.")
    available: bool = Field(
        default=True, description="False while away: skipped by round robin and claims."
    )


class LeadTeam(BaseModel):
    """A team leads are assigned to in turn, or offered to first notice, first route."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=100, description="Name, as rules refer to it.")
    members: list[str] = Field(default_factory=list, description="Rep ids, in rotation order.")
    channel: str | None = Field(
        default=None, description="Where the team is told (a Slack channel such as #bdr-apac)."
    )


class AssignmentRule(Rule):
    """One assignment rule: when it applies, and who gets the lead."""

    named_lists: ClassVar[bool] = True

    assign: str = Field(
        description="team:NAME (round robin), rep:ID, account_owner (the CRM account's owner), "
        "or claim:TEAM (first notice, first route; round robin after the fall-back)."
    )
    alert_account_owner: bool = Field(
        default=False, description="Email the account owner that the lead went elsewhere."
    )


class AssignmentConfig(BaseModel):
    """The `[leads.assignment]` table (D2)."""

    model_config = ConfigDict(extra="forbid")

    reps: list[LeadRep] = Field(default_factory=list, description="Who leads may go to.")
    teams: list[LeadTeam] = Field(default_factory=list, description="Teams of reps.")
    lists: dict[str, list[str]] = Field(
        default_factory=dict,
        description="Named lists for `in_list` (Fortune 500 domains, brands): data, not code.",
    )
    regions: dict[str, list[str]] = Field(
        default_factory=dict,
        description="Region -> the countries in it: gives `lead.region` (else account.geo).",
    )
    rules: list[AssignmentRule] = Field(default_factory=list, description="First match wins.")
    claim_fallback_minutes: float = Field(
        default=60,
        gt=0,
        le=10_080,
        description="claim:TEAM: minutes before an unclaimed lead goes to the team's round robin.",
    )

    @model_validator(mode="after")
    def _consistent(self) -> AssignmentConfig:
        reps = {r.id for r in self.reps}
        teams = {t.name for t in self.teams}
        for i, team in enumerate(self.teams):
            for member in team.members:
                if member not in reps:
                    raise ValueError(f"teams[{i}].members: '{member}' is not a rep id")
        for i, rule in enumerate(self.rules):
            kind, _, name = rule.assign.partition(":")
            if rule.assign == "account_owner":
                pass
            elif kind in ("team", "claim") and name:
                if name not in teams:
                    raise ValueError(f"rules[{i}].assign: no team '{name}'")
            elif kind == "rep" and name:
                if name not in reps:
                    raise ValueError(f"rules[{i}].assign: no rep '{name}'")
            else:
                raise ValueError(
                    f"rules[{i}].assign: expected team:NAME, rep:ID, account_owner or "
                    f"claim:TEAM, got {rule.assign!r}"
                )
            try:
                rule.bind_lists(self.lists)
            except ValueError as exc:
                raise ValueError(f"rules[{i}].when: {exc}") from None
        return self

    def rep(self, rep_id: str | None) -> LeadRep | None:
        """The rep with this id, or None."""
        return next((r for r in self.reps if r.id == rep_id), None)

    def rep_by_email(self, email: str | None) -> LeadRep | None:
        """The rep with this work email, or None."""
        if not email:
            return None
        return next((r for r in self.reps if (r.email or "").casefold() == email.casefold()), None)

    def team(self, name: str | None) -> LeadTeam | None:
        """The team with this name, or None."""
        return next((t for t in self.teams if t.name == name), None)

    def region_of(self, country: str | None) -> str | None:
        """The region a country is in, by `regions`."""
        if not country:
            return None
        wanted = country.strip().casefold()
        for region, countries in self.regions.items():
            if wanted in (c.strip().casefold() for c in countries):
                return region
        return None


def assignment_context(
    config: AssignmentConfig, lead: Mapping[str, Any], account: Mapping[str, Any] | None
) -> dict[str, Any]:
    """What the rules read: the lead (with its domain and region) and its CRM account."""
    email = str(lead.get("email") or "")
    domain = email.rpartition("@")[2].lower() or None
    region = config.region_of(lead.get("country"))
    if region is None and account:
        region = account.get("geo")
    return {
        "lead": {**lead, "domain": domain, "region": region},
        "account": dict(account) if account else None,
    }


@dataclass
class Assignment:
    """Who owns the lead, under which rule, and why the rules above did not apply (D2)."""

    rule: str | None
    rule_ids: tuple[str, ...]
    owner: dict[str, Any] | None = None
    """{id (CRM user id), rep (hub id), name, email}."""
    team: str | None = None
    claim: str | None = None
    """The team the lead is offered to, first notice first route (claim:TEAM)."""
    alert: list[str] = field(default_factory=list)
    """Emails of account owners told the lead went elsewhere."""
    why: str = ""
    checks: list[RuleCheck] = field(default_factory=list)
    pick: dict[str, Any] | None = None

    def to_json(self) -> dict[str, Any]:
        """As stored in the assignment decision."""
        return {
            "rule": self.rule,
            "rule_ids": list(self.rule_ids),
            "owner": self.owner,
            "team": self.team,
            "claim": self.claim,
            "alert": self.alert,
            "why": self.why,
        }

    def explanation(self) -> dict[str, Any]:
        """The rules checked, in order, and the round robin's pick."""
        return {
            "why": self.why,
            "rules": [c.to_json() for c in self.checks],
            "pick": self.pick,
        }


def owner_of(rep: LeadRep, crm: str | None) -> dict[str, Any]:
    """A rep as a lead's owner: the hub's id and the CRM's."""
    return {
        "id": rep.ids.get(crm) if crm else None,
        "rep": rep.id,
        "name": rep.name,
        "email": rep.email,
    }


def pick_from_team(
    config: AssignmentConfig, team_name: str, rotation: Rotation, crm: str | None
) -> Pick[LeadRep]:
    """The next available rep of a team in its round robin (`rr:<team>`, shared by flows)."""
    team = config.team(team_name)
    members = [r for r in (config.rep(m) for m in (team.members if team else [])) if r]
    return pick_member(
        members,
        how=f"round robin over team {team_name}",
        pool=team_name,
        rotation=rotation,
        unavailable=lambda rep: None if rep.available else "away (available = false)",
    )


def _account_owner(
    config: AssignmentConfig, account: Mapping[str, Any] | None, crm: str | None
) -> dict[str, Any] | None:
    if not account or not (account.get("owner_id") or account.get("owner_email")):
        return None
    rep = config.rep_by_email(account.get("owner_email"))
    if rep is not None:
        return {**owner_of(rep, crm), "id": account.get("owner_id") or rep.ids.get(crm or "")}
    return {
        "id": account.get("owner_id"),
        "rep": None,
        "name": account.get("owner_name"),
        "email": account.get("owner_email"),
    }


def assign(
    config: AssignmentConfig,
    context: Mapping[str, Any],
    rotation: Rotation,
    *,
    crm: str | None,
) -> Assignment:
    """Run the rules in order; the first that matches AND can be carried out assigns the lead.

    A rule that matches but cannot be carried out (account_owner with no
    owner, a team with nobody available) is explained and the next rule is
    tried. No rule: the lead stays unassigned (explained).
    """
    checks: list[RuleCheck] = []
    account = context.get("account")
    for rule in config.rules:
        check = check_rule(rule, context)
        checks.append(check)
        if not check.matched:
            continue
        kind, _, name = rule.assign.partition(":")
        ids = tuple(rule.rule_ids) or ("D2",)
        alert: list[str] = []
        if rule.alert_account_owner and account and account.get("owner_email"):
            alert = [str(account["owner_email"])]
        if rule.assign == "account_owner":
            owner = _account_owner(config, account, crm)
            if owner is None:
                checks[-1] = RuleCheck(
                    rule.id, check.rule_ids, False, f"{check.why}, but the account has no owner"
                )
                continue
            who = owner["name"] or owner["email"] or owner["id"]
            return Assignment(
                rule.id,
                ids,
                owner=owner,
                why=f"rule '{rule.id}': the account's owner {who}",
                checks=checks,
            )
        if kind == "rep":
            rep = config.rep(name)
            assert rep is not None  # checked at load
            return Assignment(
                rule.id,
                ids,
                owner=owner_of(rep, crm),
                alert=alert,
                why=f"rule '{rule.id}': rep {rep.name}",
                checks=checks,
            )
        if kind == "claim":
            return Assignment(
                rule.id,
                ids,
                team=name,
                claim=name,
                alert=alert,
                why=f"rule '{rule.id}': offered to team {name}, first notice first route "
                f"(round robin after {config.claim_fallback_minutes:g} minutes unclaimed)",
                checks=checks,
            )
        pick = pick_from_team(config, name, rotation, crm)
        if pick.member is None:
            checks[-1] = RuleCheck(rule.id, check.rule_ids, False, f"{check.why}, but {pick.why}")
            continue
        return Assignment(
            rule.id,
            ids,
            owner=owner_of(pick.member, crm),
            team=name,
            alert=alert,
            why=f"rule '{rule.id}': {pick.why} -> {pick.member.name}",
            checks=checks,
            pick=pick.to_json(),
        )
    return Assignment(
        None,
        ("D2",),
        why="no assignment rule applies: the lead stays unassigned"
        if config.rules
        else "no [[leads.assignment.rules]]: the lead stays unassigned",
        checks=checks,
    )


def team_members(config: AssignmentConfig, team: str) -> Sequence[LeadRep]:
    """The reps of a team, in order."""
    found = config.team(team)
    return [r for r in (config.rep(m) for m in (found.members if found else [])) if r]
