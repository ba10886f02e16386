"""The routing decision (Q3, Q4): a pure function of the context, the rules and a snapshot.

`route` reads nothing and writes nothing by itself. What it needs is passed
in: the enriched context (visitor, account, person, sequence, experience),
the validated rules, an `AvailabilitySnapshot` taken before the decision, and
`rotation`, the one callable that advances a round-robin cursor. In
production that is `handoff.rules.stored_rotation` on the decision's
transaction (durable, correct with several workers, the cursor every flow
shares for a team); `handoff route` and `handoff replay` pass a
`handoff.rules.MemoryRotation`, so they change nothing. Rule order, the
conditions and the pick within a team are the shared rules engine
(`handoff.rules`); targets, geo, language and the AI rep are chat's.

The explanation records every rule above the one that matched and why it did
not, every candidate rep skipped and why (offline, away, outside hours, busy,
capped), and the counterfactual: who the visitor would have gone to had the
first choice been available.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlparse

from handoff.chat.routing.availability import AvailabilitySnapshot
from handoff.chat.routing.config import RepConfig, RoutingConfig, RuleConfig, parse_target
from handoff.rules import MISSING, Rotation, first_match, lookup, pick_member
from handoff_sdk.entities import ExperienceMode

__all__ = [
    "DEFAULT_AI_TAKEOVER_SECONDS",
    "RoutingDecision",
    "language_from_path",
    "normalize_context",
    "route",
]

DEFAULT_AI_TAKEOVER_SECONDS = 30
"""The AI rep takes a human-first chat nobody answered within this many seconds (Q4)."""

_PATH_LANGUAGES = {"fr-fr": "fr", "de-de": "de", "ja-jp": "ja"}


def language_from_path(url: str | None) -> str | None:
    """The experience language a page path implies ('/fr-fr/...' -> 'fr'), if any (Q9)."""
    if not url:
        return None
    first = urlparse(url).path.strip("/").split("/", 1)[0].lower()
    if first in _PATH_LANGUAGES:
        return _PATH_LANGUAGES[first]
    if len(first) == 5 and first[2] == "-" and first[:2].isalpha():
        return first[:2]
    return None


def normalize_context(context: Mapping[str, Any], config: RoutingConfig) -> dict[str, Any]:
    """The context with `geo` and `language` derived (unless given), as rules see it.

    geo: the first of `routing.geo_from` present (account's geo, else the
    visitor's); when none is, the geo `routing.geo_by_country` gives the
    first country of `routing.country_from` it lists (Q3e). language: the
    experience's, else the visitor's, else the page path's, else
    `routing.default_language`.
    """
    return _normalize(context, config)[0]


def _derive_geo(ctx: Mapping[str, Any], config: RoutingConfig) -> tuple[Any, str | None, list[str]]:
    """(geo, where it came from, notes on countries passed over): Q3e's geography."""
    for path in config.geo_from:
        value = lookup(ctx, path)
        if value is not MISSING and str(value).strip():
            return value, path, []
    notes: list[str] = []
    if not config.geo_by_country:
        return None, None, notes
    for path in config.country_from:
        value = lookup(ctx, path)
        code = "" if value is MISSING else str(value).strip().upper()
        if not code:
            continue
        geo = config.geo_by_country.get(code)
        if geo is not None:
            return geo, f"{path} {code}", notes
        why = (
            "not in routing.geo_by_country"
            if len(code) == 2 and code.isalpha()
            else "not an ISO 3166-1 alpha-2 code (routing.geo_by_country maps codes only)"
        )
        notes.append(f"geo: {path} {value!r} is {why}")
    return None, None, notes


def _normalize(
    context: Mapping[str, Any], config: RoutingConfig
) -> tuple[dict[str, Any], tuple[str | None, list[str]]]:
    """`normalize_context`, plus where the geo came from and the notes for the explanation."""
    ctx = dict(context)
    geo_source: str | None = "given"
    geo_notes: list[str] = []
    if lookup(ctx, "geo") is MISSING:
        ctx["geo"], geo_source, geo_notes = _derive_geo(ctx, config)
    if lookup(ctx, "language") is MISSING:
        for candidate in (
            lookup(ctx, "experience.language"),
            lookup(ctx, "visitor.language"),
            language_from_path(lookup(ctx, "visitor.page_url") or None)
            if lookup(ctx, "visitor.page_url") is not MISSING
            else None,
        ):
            if candidate not in (MISSING, None):
                ctx["language"] = str(candidate).lower()
                break
        else:
            ctx["language"] = config.default_language
    return ctx, (geo_source, geo_notes)


@dataclass
class RoutingDecision:
    """Who takes the chat (a rep, the AI rep, or nobody), under which rule, and why."""

    rep_id: str | None
    is_ai: bool
    mode: ExperienceMode
    rule: str | None
    rule_ids: list[str]
    target: str | None
    ai_takeover_seconds: int | None
    explanation: dict[str, Any] = field(default_factory=dict)
    rep_name: str | None = None
    pool: str | None = None
    """The team the rep was drawn from by round robin (None: named by a field, or the AI)."""

    @property
    def routed(self) -> bool:
        """True when someone (human or AI) takes the chat."""
        return self.rep_id is not None

    def outcome(self) -> dict[str, Any]:
        """The decision's outcome as stored."""
        return {
            "rep": self.rep_id,
            "rep_name": self.rep_name,
            "ai": self.is_ai,
            "mode": self.mode.value,
            "rule": self.rule,
            "target": self.target,
            "pool": self.pool,
            "ai_takeover_seconds": self.ai_takeover_seconds,
        }

    def to_json(self) -> dict[str, Any]:
        """Outcome, rule ids and explanation in one object (`handoff route --json`)."""
        return {**self.outcome(), "rule_ids": self.rule_ids, "explanation": self.explanation}

    def lines(self) -> list[str]:
        """The explanation in words, one line each (`handoff route --explain`)."""
        ex = self.explanation
        who = (
            f"the AI rep ({self.rep_id})"
            if self.is_ai
            else (f"{self.rep_name} ({self.rep_id})" if self.rep_id else "nobody (unrouted)")
        )
        out = [f"-> {who}  [mode {self.mode.value}; rules {', '.join(self.rule_ids) or '-'}]"]
        source = ex.get("geo_source")
        source = "" if not source else " (given)" if source == "given" else f" (from {source})"
        out.append(f"   geo {ex.get('geo')!s}{source}, language {ex.get('language')!s}")
        for rule in ex.get("rules", []):
            mark = "MATCH" if rule["matched"] else "no   "
            ids = ",".join(rule["rule_ids"])
            out.append(f"   {mark} rule {rule['rule']} ({ids}): {rule['why']}")
        for target in ex.get("targets", []):
            got = target.get("rep") or "nobody"
            out.append(f"   target {target['target']}: {got} - {target['why']}")
            out.extend(
                f"      skipped {s['rep']}: {s['reason']}" for s in target.get("skipped", [])
            )
        cf = ex.get("counterfactual")
        if cf:
            out.append(
                f"   had {cf['rep']} been available ({cf['reason']}), the visitor would have "
                f"gone to {cf['rep']} ({cf['target']})"
            )
        for note in ex.get("notes", []):
            out.append(f"   note: {note}")
        if self.ai_takeover_seconds:
            out.append(
                f"   the AI rep takes over after {self.ai_takeover_seconds} s without an answer"
            )
        return out


@dataclass
class _Attempt:
    target: str
    rep: RepConfig | None = None
    why: str = ""
    skipped: list[dict[str, str]] = field(default_factory=list)
    first_choice: tuple[str, str] | None = None  # (rep id, reason skipped)
    pool: str | None = None  # the team rotated, when one was

    def to_json(self) -> dict[str, Any]:
        return {
            "target": self.target,
            "rep": self.rep.id if self.rep else None,
            "why": self.why,
            "skipped": self.skipped,
        }


class _Router:
    def __init__(
        self,
        ctx: dict[str, Any],
        config: RoutingConfig,
        snapshot: AvailabilitySnapshot,
        rotation: Rotation,
        *,
        allow_ai: bool,
    ) -> None:
        self.ctx = ctx
        self.config = config
        self.snapshot = snapshot
        self.rotation = rotation
        self.allow_ai = allow_ai

    def reason(self, rep: RepConfig) -> str | None:
        return self.snapshot.unavailable_reason(
            rep.id, rep.hours(), is_ai=rep.is_ai, daily_cap=rep.daily_cap
        )

    def attempt(self, text: str) -> _Attempt:
        kind, arg = parse_target(text)
        attempt = _Attempt(text)
        if kind == "ai":
            if not self.allow_ai:
                attempt.why = "not the AI rep: the visitor asked for a human"
                return attempt
            attempt.rep = self.config.rep(self.config.ai_rep or "")
            attempt.why = "the AI rep"
            return attempt
        if kind == "field":
            value = lookup(self.ctx, arg)
            if value is MISSING or value == "":
                attempt.why = f"{arg} is empty"
                return attempt
            rep = self.config.resolve_rep(str(value))
            if rep is None:
                attempt.why = f"{arg} is {value!r}, not a rep in routing.reps"
                return attempt
            return self.pick(attempt, f"{arg} is {rep.id}", [rep], None)
        if kind == "team":
            members = self.config.team_members(arg)
            return self.pick(attempt, f"round robin over team {arg}", members, arg)
        key, wanted = (
            ("geo", self.ctx.get("geo"))
            if kind == "geo_pool"
            else (
                "language",
                self.ctx.get("language"),
            )
        )
        team = next(
            (
                t
                for t in self.config.teams
                if wanted is not None
                and getattr(t, key) is not None
                and str(getattr(t, key)).casefold() == str(wanted).casefold()
            ),
            None,
        )
        if team is None:
            attempt.why = f"no team for {key} {wanted!r}"
            return attempt
        members = self.config.team_members(team.name)
        how = f"round robin over {team.name} ({key} {wanted})"
        return self.pick(attempt, how, members, team.name)

    def pick(
        self, attempt: _Attempt, how: str, members: Sequence[RepConfig], pool: str | None
    ) -> _Attempt:
        if not self.allow_ai:
            members = [m for m in members if not m.is_ai]
        pick = pick_member(
            members, how=how, pool=pool, rotation=self.rotation, unavailable=self.reason
        )
        attempt.rep = pick.member
        attempt.pool = pool
        attempt.why = pick.why
        attempt.skipped = pick.skipped
        attempt.first_choice = pick.first_choice
        return attempt


def route(
    context: Mapping[str, Any],
    config: RoutingConfig,
    availability: AvailabilitySnapshot,
    rotation: Rotation,
) -> RoutingDecision:
    """Decide who takes a chat request (Q3 rules, Q4 mode), with the full explanation.

    Q4: `experience.mode` is `human_first` (default) or `ai_first`.
    human_first: the rules pick a human; the AI rep takes over after
    `experience.ai_takeover_seconds` (default 30) without an answer, and at once
    when no human is available. ai_first: the AI rep answers; when the
    visitor asks for a human (`request.human = true`), the same rules run
    without the AI target.
    """
    ctx, (geo_source, geo_notes) = _normalize(context, config)
    raw_mode = lookup(ctx, "experience.mode")
    mode = ExperienceMode(raw_mode) if raw_mode is not MISSING else ExperienceMode.HUMAN_FIRST
    seconds = lookup(ctx, "experience.ai_takeover_seconds")
    takeover = int(seconds) if seconds is not MISSING else DEFAULT_AI_TAKEOVER_SECONDS
    human_requested = lookup(ctx, "request.human") is True
    ai = config.rep(config.ai_rep) if config.ai_rep else None
    explanation: dict[str, Any] = {
        "mode": mode.value,
        "geo": ctx.get("geo"),
        "geo_source": geo_source,
        "language": ctx.get("language"),
        "rules": [],
        "targets": [],
        "skipped": [],
        "counterfactual": None,
        "notes": geo_notes,
        "availability": availability.to_json(),
    }

    def decided(
        rep: RepConfig | None,
        rule: RuleConfig | None,
        target: str | None,
        timer: int | None,
        pool: str | None = None,
    ) -> RoutingDecision:
        ids = list(rule.rule_ids) if rule else []
        ids.append("Q4")
        return RoutingDecision(
            rep_id=rep.id if rep else None,
            rep_name=rep.name if rep else None,
            is_ai=bool(rep and rep.is_ai),
            mode=mode,
            rule=rule.id if rule else None,
            rule_ids=ids,
            target=target,
            ai_takeover_seconds=timer,
            explanation=explanation,
            pool=pool,
        )

    if mode is ExperienceMode.AI_FIRST and not human_requested:
        if ai is not None:
            explanation["notes"].append(
                "ai_first: the AI rep answers first; a human is routed when the visitor asks"
            )
            return decided(ai, None, "ai", None)
        explanation["notes"].append("ai_first, but routing.ai_rep is not set: routing to a human")
    router = _Router(
        ctx, config, availability, rotation, allow_ai=mode is ExperienceMode.HUMAN_FIRST
    )
    rule, checks = first_match(config.rules, ctx)
    explanation["rules"] = [check.to_json() for check in checks]
    if rule is not None:
        first_choice: tuple[str, str, str] | None = None
        for text in [rule.target, *rule.fallbacks]:
            attempt = router.attempt(text)
            explanation["targets"].append(attempt.to_json())
            explanation["skipped"].extend({**s, "target": text} for s in attempt.skipped)
            if first_choice is None and attempt.first_choice is not None:
                first_choice = (*attempt.first_choice, text)
            if attempt.rep is None:
                continue
            if first_choice is not None and first_choice[0] != attempt.rep.id:
                explanation["counterfactual"] = {
                    "rep": first_choice[0],
                    "reason": first_choice[1],
                    "target": first_choice[2],
                }
            timer = (
                takeover
                if mode is ExperienceMode.HUMAN_FIRST and not attempt.rep.is_ai and ai is not None
                else None
            )
            return decided(attempt.rep, rule, text, timer, attempt.pool)
        if first_choice is not None:
            explanation["counterfactual"] = {
                "rep": first_choice[0],
                "reason": first_choice[1],
                "target": first_choice[2],
            }
        if mode is ExperienceMode.HUMAN_FIRST and ai is not None:
            explanation["notes"].append(
                f"rule {rule.id}: no human available; the AI rep takes the chat now"
            )
            return decided(ai, rule, "ai", None)
        explanation["notes"].append(f"rule {rule.id}: nobody available; the chat waits unrouted")
        return decided(None, rule, None, None)
    if mode is ExperienceMode.HUMAN_FIRST and ai is not None:
        explanation["notes"].append("no rule matched; the AI rep takes the chat")
        return decided(ai, None, "ai", None)
    explanation["notes"].append("no rule matched; the chat waits unrouted")
    return decided(None, None, None, None)
