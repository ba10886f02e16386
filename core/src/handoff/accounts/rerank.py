"""What the weekly re-rank does with one pooled account (P2, P3): pure.

Given the account as the CRM has it now and what the hub knew of it
(`RankState`), `plan_rank` says which tier it should hold, whether that is a
write, and which history lines to append:

- The CRM's tier differs from the one the hub last knew: someone changed it
  in the CRM (an AE's manual rank). It is recorded (who: LastModifiedBy,
  when: LastModifiedDate) and holds as an override; a blanked tier clears
  the override instead.
- An override holds until an AE clears it: the auto rank is not written;
  what it would have been is recorded (a `held` line when it changes).
- Otherwise the auto rank is written when it differs from the CRM's tier.

The first time the hub sees an account, its CRM tier is the baseline (the
auto rank applies): nothing says who set it. A CRM tier older than the hub's
own last change of it (`RankState.stale`) is no AE's change either: the
hub's tier is written again.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from handoff.accounts.config import AccountsConfig
from handoff.accounts.tiers import Ranking, account_facts, rank
from handoff_sdk.entities import Account

__all__ = [
    "AUTO",
    "HistoryLine",
    "Override",
    "RankPlan",
    "RankState",
    "Seen",
    "append_history",
    "plan_rank",
]

AUTO = "auto"
"""The actor of the hub's own rank changes."""


@dataclass(frozen=True)
class Override:
    """An AE's manual rank: it holds until cleared."""

    tier: str
    by: str
    at: datetime
    why: str


@dataclass(frozen=True)
class RankState:
    """What the hub knew of an account before this run (a row of `account_ranks`)."""

    crm_tier: str | None
    auto_tier: str | None
    override: Override | None
    history_text: str | None
    ranked_at: datetime | None = None
    """When the last run ranked it (an override made since is new to this run)."""
    stale: bool = False
    """The CRM's tier, if it differs, is from before the hub last set it: no AE's change.

    Either the hub's write of it still waits (its job is queued, retrying or
    dead), or the CRM record was last modified before the hub set the tier
    (the write failed, or the page was read before it landed). The run then
    records no manual change: it plans from the tier the hub holds and
    writes it again where the CRM differs.
    """


@dataclass(frozen=True, slots=True)
class Seen:
    """An account as the run read it from the CRM: what its plan reads."""

    name: str | None
    tier: str | None
    modified_by: str | None
    modified_at: datetime | None
    facts: Mapping[str, Any]
    """What the tier table's criteria read (`account_facts`)."""

    @classmethod
    def of(cls, account: Account) -> Seen:
        """From the connector's Account."""
        return cls(
            account.name,
            account.tier,
            account.modified_by,
            account.modified_at,
            account_facts(account),
        )

    @classmethod
    def stored(cls, values: Mapping[str, Any]) -> Seen:
        """From an Account as JSON (a re-rank page's event holds them so), with no model.

        The JSON is `Account.model_dump(mode="json")`, so it is the facts as
        they are (less the ids); its one time field is read back.
        """
        facts = {k: v for k, v in values.items() if k != "ids"}
        facts.setdefault("fields", {})
        when = values.get("modified_at")
        return cls(
            values.get("name"),
            values.get("tier"),
            values.get("modified_by"),
            datetime.fromisoformat(when) if isinstance(when, str) else None,
            facts,
        )


@dataclass(frozen=True)
class HistoryLine:
    """One change: auto, manual, cleared, or held (the auto rank not applied); who, when, why."""

    kind: str
    actor: str
    at: datetime
    from_tier: str | None
    to_tier: str | None
    why: str

    def text(self) -> str:
        """The line appended to the CRM's Account Rank Notes History."""
        when = self.at.strftime("%Y-%m-%d %H:%M UTC")
        moved = f"{self.from_tier or 'none'} -> {self.to_tier or 'none'}"
        return f"{when} | {self.kind} by {self.actor} | {moved} | {self.why}"

    def to_json(self) -> dict[str, Any]:
        """As stored in a decision's outcome."""
        return {
            "kind": self.kind,
            "actor": self.actor,
            "at": self.at.isoformat(),
            "from": self.from_tier,
            "to": self.to_tier,
            "why": self.why,
        }


@dataclass
class RankPlan:
    """What the run does with one account."""

    account_id: str
    name: str | None
    ranking: Ranking
    crm_tier: str | None
    tier: str
    write_tier: str | None
    override: Override | None
    lines: list[HistoryLine] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        """Whether anything is recorded or written for the account."""
        return bool(self.write_tier or self.lines)

    def outcome(self) -> dict[str, Any]:
        """The decision's outcome: the tier held, the auto rank, the write, the history lines."""
        return {
            "account_id": self.account_id,
            "name": self.name,
            "tier": self.tier,
            "auto_tier": self.ranking.tier,
            "crm_tier": self.crm_tier,
            "write": self.write_tier,
            "override": None
            if self.override is None
            else {
                "tier": self.override.tier,
                "by": self.override.by,
                "at": self.override.at.isoformat(),
                "why": self.override.why,
            },
            "history": [line.to_json() for line in self.lines],
        }


def _matched_why(ranking: Ranking) -> str:
    row = ranking.deciding_row()
    held = [c.why for c in row.criteria if c.matched]
    if not held:
        return f"{row.id}: no row above matched"
    return f"{row.id} ({row.combination}): " + "; ".join(held)


def plan_rank(
    account: Account | Seen,
    account_id: str,
    state: RankState | None,
    settings: AccountsConfig,
    now: datetime,
) -> RankPlan:
    """The tier the account holds after this run, the write, and the history (P2, P3)."""
    if not isinstance(account, Seen):
        account = Seen.of(account)
    ranking = rank(account.facts, settings.tiers)
    crm = account.tier
    stale = state is not None and state.stale
    # The CRM's tier as the history tells it: the hub's own, when the CRM's is stale.
    known = state.crm_tier if state is not None and stale else crm
    lines: list[HistoryLine] = []
    override = state.override if state else None
    noticed = False
    if state is not None and crm != state.crm_tier and not stale:
        who = account.modified_by or "someone in the CRM"
        at = account.modified_at or now
        if crm is None:
            lines.append(
                HistoryLine(
                    "cleared",
                    who,
                    at,
                    state.crm_tier,
                    None,
                    "rank blanked in the CRM: auto applies",
                )
            )
            override = None
        else:
            lines.append(HistoryLine("manual", who, at, state.crm_tier, crm, "changed in the CRM"))
            override = Override(crm, who, at, "changed in the CRM")
            noticed = True
    if override is not None:
        write = override.tier if crm != override.tier else None
        new = state is None or state.ranked_at is None or override.at >= state.ranked_at
        if noticed or new or (state is not None and state.auto_tier != ranking.tier):
            lines.append(
                HistoryLine(
                    "held",
                    AUTO,
                    now,
                    override.tier,
                    override.tier,
                    f"auto rank would be {ranking.tier} ({_matched_why(ranking)}); "
                    f"{override.tier} set by {override.by} holds until cleared",
                )
            )
        return RankPlan(
            account_id, account.name, ranking, known, override.tier, write, override, lines
        )
    write = ranking.tier if crm != ranking.tier else None
    if write is not None and known != ranking.tier:
        lines.append(HistoryLine("auto", AUTO, now, known, ranking.tier, _matched_why(ranking)))
    return RankPlan(account_id, account.name, ranking, known, ranking.tier, write, None, lines)


def append_history(text: str | None, lines: list[HistoryLine], limit: int) -> str:
    """The CRM history field with `lines` appended; the oldest lines dropped past `limit`."""
    kept = [line for line in (text or "").splitlines() if line.strip()]
    kept += [line.text() for line in lines]
    while kept and len("\n".join(kept)) > limit:
        kept.pop(0)
    return "\n".join(kept)
