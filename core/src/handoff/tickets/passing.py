"""Who a sales request goes to, with which macro, and why (Z1-Z5): pure decisions.

`plan_pass` takes what enrichment found (the ticket, its kind, the CRM
account, the renewal, the CRM users) and the `[tickets]` table, and returns
a `PassPlan`: the action, the rep, the macro, the escalation reasons that
held, and an explanation naming the rule that matched, the ones that did
not and why, and what would have changed the outcome.

- Z1 segment by employees; Z3/Z5 escalation reasons (none held: the request
  stays with support, `not_escalated`; a cancellation in Small is no reason);
- Z2 new business: the account owner if a sales rep, else the territory rep
  (segment x billing region); no account (or a free-mail domain): the "New
  Sales Quote" macro, not passed;
- Z4 renewal: the renewal's owner; an "SFDC Admin" owner (of the renewal and
  the account) sends it to the territory rep.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from handoff.tickets.conditions import check_reason
from handoff.tickets.config import Territory, TicketsConfig, country_code
from handoff.tickets.kinds import RENEWAL
from handoff_sdk.entities import Account, Opportunity, Ticket, User

__all__ = [
    "Action",
    "PassPlan",
    "Rep",
    "is_sales_rep",
    "plan_pass",
    "segment_of",
    "territory_of",
]

Action = Literal["pass", "new_sales_quote", "not_escalated", "unrouted"]


@dataclass(frozen=True)
class Rep:
    """The person a ticket goes to (a CRM user), with the manager Z6 copies."""

    id: str
    name: str
    email: str | None
    manager_email: str | None = None

    def as_json(self) -> dict[str, Any]:
        """The rep as stored in the decision."""
        return {
            "id": self.id,
            "name": self.name,
            "email": self.email,
            "manager_email": self.manager_email,
        }


@dataclass(frozen=True)
class PassPlan:
    """What to do with a sales request, and the explanation stored with the decision."""

    action: Action
    kind: str
    rule_ids: tuple[str, ...]
    segment: str | None = None
    region: str | None = None
    reasons: tuple[str, ...] = ()
    rep: Rep | None = None
    route: str | None = None
    macro: str | None = None
    explanation: dict[str, Any] = field(default_factory=dict)

    @property
    def passed(self) -> bool:
        """True when the ticket goes to a rep (assigned, macro, 'Escalated to Sales')."""
        return self.action == "pass"

    def outcome(self) -> dict[str, Any]:
        """The decision's outcome, as stored."""
        return {
            "action": self.action,
            "kind": self.kind,
            "segment": self.segment,
            "region": self.region,
            "reasons": list(self.reasons),
            "rep": self.rep.as_json() if self.rep else None,
            "route": self.route,
            "macro": self.macro,
        }

    def note(self) -> str:
        """The internal note left on the ticket: the decision in a few lines."""
        lines = [f"handoff: {self.explanation.get('summary', self.action)}"]
        lines += [f"- {line}" for line in self.explanation.get("steps", [])]
        lines.append(f"Rules: {', '.join(self.rule_ids)}")
        return "\n".join(lines)


def segment_of(employees: int | None, settings: TicketsConfig) -> tuple[str | None, str]:
    """The account's segment by total employees (Z1), and why."""
    if employees is None:
        if settings.segment_when_unknown:
            return settings.segment_when_unknown, (
                f"employees unknown: segment_when_unknown is {settings.segment_when_unknown}"
            )
        return None, "employees unknown, and no segment_when_unknown is set"
    for segment in settings.segments:  # sorted largest first
        if employees >= segment.min_employees:
            return segment.name, f"{employees:,} employees: {segment.name} " + (
                f"({segment.min_employees:,}+)"
            )
    return None, f"{employees:,} employees fit no segment"  # unreachable: one starts at 0


def territory_of(
    segment: str | None, region: str | None, settings: TicketsConfig
) -> tuple[Territory | None, str]:
    """The territory rep for segment x region ('*' covers regions without their own), and why."""
    if segment is None:
        return None, "no segment, so no territory"
    exact = [t for t in settings.territories if t.segment == segment and t.region == region]
    if region is not None and exact:
        found = exact[0]
        return found, f"territory {segment} x {region}: {found.name or found.rep}"
    wildcard = [t for t in settings.territories if t.segment == segment and t.region == "*"]
    if wildcard:
        found = wildcard[0]
        return found, f"territory {segment} x * (region {region or 'unknown'}): " + (
            found.name or found.rep
        )
    return None, f"no territory for {segment} x {region or 'unknown region'}"


def is_sales_rep(
    user_id: str | None, user_name: str | None, users: dict[str, User], settings: TicketsConfig
) -> tuple[bool, str]:
    """Whether an owner is a sales rep (Z2, Z4): not an admin placeholder, active, in sales."""
    if not user_id:
        return False, "no owner"
    user = users.get(user_id)
    name = user.name if user else (user_name or user_id)
    admins = {a.strip().lower() for a in settings.admin_users}
    if user_id.lower() in admins or name.strip().lower() in admins:
        return False, f"owner {name} is an admin placeholder, no sales rep"
    if user is None:
        return False, f"owner {name} ({user_id}) is not a user the CRM returned"
    if not user.active:
        return False, f"owner {name} is inactive"
    if not user.email:
        return False, f"owner {name} has no email to assign the ticket to"
    if settings.sales_roles:
        seen = " ".join(x for x in (user.role, user.profile, user.title) if x).lower()
        if not any(role.lower() in seen for role in settings.sales_roles):
            return False, f"owner {name} is not in a sales role ({', '.join(settings.sales_roles)})"
    return True, f"owner {name} is a sales rep"


def _rep(user_id: str, users: dict[str, User], fallback_name: str | None = None) -> Rep:
    user = users.get(user_id)
    if user is None:
        return Rep(id=user_id, name=fallback_name or user_id, email=None)
    return Rep(id=user_id, name=user.name, email=user.email, manager_email=user.manager_email)


@dataclass
class _Steps:
    """The explanation being written: each step, the rules that did not match and why."""

    steps: list[str] = field(default_factory=list)
    not_matched: list[str] = field(default_factory=list)

    def explanation(
        self, summary: str, matched: str, counterfactual: str, **extra: Any
    ) -> dict[str, Any]:
        return {
            "summary": summary,
            "matched": matched,
            "not_matched": self.not_matched,
            "counterfactual": counterfactual,
            "steps": self.steps,
            **extra,
        }


def plan_pass(
    ticket: Ticket,
    kind: str,
    *,
    settings: TicketsConfig,
    domain: str | None,
    free_mail: bool,
    account: Account | None,
    opportunity: Opportunity | None,
    users: dict[str, User],
) -> PassPlan:
    """Decide a sales request: escalate or not (Z3/Z5), and to whom with which macro (Z2/Z4)."""
    renewal = kind == RENEWAL
    z_route, z_reasons = ("Z4", "Z5") if renewal else ("Z2", "Z3")
    log = _Steps()
    log.steps.append(f"a {kind.replace('_', ' ')} request")
    segment, segment_why = segment_of(account.employee_count if account else None, settings)
    code = country_code(account.country) if account else None
    region = settings.region_of(code) if account else None
    if account is not None:
        log.steps.append(f"Z1 segment: {segment_why}")
        log.steps.append(
            f"region: billing country {account.country or 'unknown'} -> {region or 'no region'}"
        )

    held: list[str] = []
    reason_why: dict[str, str] = {}
    for reason in settings.reasons_for(kind):
        result = check_reason(reason, ticket, segment)
        reason_why[reason.id] = f"{reason.label}: {result.why}"
        if result.matched:
            held.append(reason.id)
            log.steps.append(f"{z_reasons} reason {reason.id} ({reason.label}): {result.why}")
        else:
            log.not_matched.append(f"{z_reasons} {reason.id} ({reason.label}): {result.why}")
    base: dict[str, Any] = {
        "kind": kind,
        "segment": segment,
        "region": region,
        "reasons": tuple(held),
    }
    if not held:
        return PassPlan(
            action="not_escalated",
            rule_ids=(z_reasons, "Z1"),
            explanation=log.explanation(
                "not escalated to sales: no escalation reason holds; support keeps it",
                f"{z_reasons}: none of {len(reason_why)} reasons held",
                f"any one {z_reasons} reason holding would pass it to sales",
                reason_checks=reason_why,
            ),
            **base,
        )

    if account is None:
        why = (
            f"{domain} is a free-mail domain, which never matches an account"
            if free_mail
            else f"no account has the domain {domain or '(no requester email)'}"
        )
        log.steps.append(f"{z_route}: {why}")
        if renewal:
            return PassPlan(
                action="unrouted",
                rule_ids=("Z4", z_reasons),
                explanation=log.explanation(
                    "escalated, but no account found for the renewal: pass it by hand",
                    f"Z4 needs the account to find its renewal; {why}",
                    "an account with the requester's domain would give the renewal's owner",
                ),
                **base,
            )
        return PassPlan(
            action="new_sales_quote",
            rule_ids=("Z2", z_reasons),
            macro=settings.macros.new_sales_quote,
            explanation=log.explanation(
                f"not passed: replied with the '{settings.macros.new_sales_quote}' macro",
                f"Z2: the company is not in the CRM ({why})",
                "an account with the requester's domain would pass it to its owner or territory",
            ),
            **base,
        )

    log.steps.append(
        f"account {account.name} ({account.account_type or 'no type'}), "
        f"owner {account.owner_name or account.owner_id or 'none'}"
    )
    candidates: list[tuple[str, str | None, str | None]] = []
    if renewal:
        if opportunity is None:
            log.not_matched.append("Z4 renewal owner: the account has no open renewal")
        else:
            log.steps.append(
                f"renewal {opportunity.name} closing {opportunity.close_date or 'unknown'}, "
                f"owner {opportunity.owner_name or opportunity.owner_id or 'none'}"
            )
            candidates.append(("renewal_owner", opportunity.owner_id, opportunity.owner_name))
    candidates.append(("account_owner", account.owner_id, account.owner_name))
    for route, owner_id, owner_name in candidates:
        ok, why = is_sales_rep(owner_id, owner_name, users, settings)
        if ok and owner_id:
            rep = _rep(owner_id, users, owner_name)
            log.steps.append(f"{z_route} {route.replace('_', ' ')}: {why}")
            return PassPlan(
                action="pass",
                rule_ids=(z_route, z_reasons, "Z1"),
                rep=rep,
                route=route,
                macro=settings.macros.pass_to_sales,
                explanation=log.explanation(
                    f"passed to {rep.name} ({route.replace('_', ' ')})",
                    f"{z_route}: the {route.replace('_', ' ')} is a sales rep",
                    "an admin or missing owner would send it to the territory rep"
                    + (f" ({segment} x {region or 'no region'})" if segment else ""),
                ),
                **base,
            )
        log.not_matched.append(f"{z_route} {route.replace('_', ' ')}: {why}")

    territory, territory_why = territory_of(segment, region, settings)
    if territory is None or not _rep(territory.rep, users).email:
        problem = (
            territory_why
            if territory is None
            else (f"{territory_why}, but the CRM has no email for user {territory.rep}")
        )
        log.not_matched.append(f"{z_route} territory: {problem}")
        return PassPlan(
            action="unrouted",
            rule_ids=(z_route, z_reasons, "Z1"),
            explanation=log.explanation(
                "escalated, but no rep found: pass it by hand",
                f"{z_route}: no sales owner and no territory rep",
                "a territory for this segment and region would pass it",
            ),
            **base,
        )
    rep = _rep(territory.rep, users, territory.name)
    log.steps.append(f"{z_route} territory: {territory_why}")
    return PassPlan(
        action="pass",
        rule_ids=(z_route, z_reasons, "Z1"),
        rep=rep,
        route="territory",
        macro=settings.macros.pass_to_sales,
        explanation=log.explanation(
            f"passed to {rep.name} (territory {segment} x {region or '*'})",
            f"{z_route}: no sales owner, so segment + billing region give the territory rep",
            "an owner who is a sales rep would have taken it",
        ),
        **base,
    )
