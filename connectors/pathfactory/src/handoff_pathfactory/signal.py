"""The Fast Moving Buyer signal, computed from pageviews (rule P5). Pure: no I/O, no clock.

A visitor is a Fast Moving Buyer when, within a sliding window (24 hours by
default), they consumed at least N distinct assets or spent at least M
minutes engaged (either, or both, as configured). Each new pageview is tested
against the window that ends at it; a visitor alerts at most once per
cooldown.

The window spans polls, so what the detector remembers travels in the poll
cursor: per visitor, the pageviews still inside the window and the end of the
current cooldown. The cursor is JSON and bounded by the window: pageviews
older than it are dropped, and so are visitors with nothing left.

The same cursor replayed gives the same alerts with the same dedupe keys, so
a poll that is retried never alerts twice.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

__all__ = [
    "Alert",
    "AssetEngagement",
    "EngagementState",
    "Pageview",
    "Thresholds",
    "View",
    "VisitorTrail",
    "detect",
]

_TITLE_MAX = 200


@dataclass(frozen=True)
class Thresholds:
    """When engagement makes a Fast Moving Buyer; None switches a criterion off."""

    min_assets: int | None = 3
    min_seconds: float | None = 600.0
    match: Literal["any", "all"] = "any"
    window: timedelta = timedelta(hours=24)
    cooldown: timedelta = timedelta(hours=24)

    def met(self, assets: int, seconds: float) -> bool:
        """Whether `assets` distinct assets and `seconds` engaged meet the thresholds."""
        checks: list[bool] = []
        if self.min_assets is not None:
            checks.append(assets >= self.min_assets)
        if self.min_seconds is not None:
            checks.append(seconds >= self.min_seconds)
        if not checks:
            return False
        return any(checks) if self.match == "any" else all(checks)


@dataclass(frozen=True)
class Pageview:
    """One visitor's view of one content asset, as read from PathFactory."""

    pageview_id: str
    viewed_at: datetime
    visitor_key: str
    asset_id: str
    engaged_seconds: float
    email: str | None = None
    visitor_id: str | None = None
    account_name: str | None = None
    account_domain: str | None = None
    asset_title: str | None = None
    session_id: str | None = None
    updated_at: datetime | None = None

    @property
    def cursor_at(self) -> datetime:
        """The time the poll cursor follows: updated_at when known, else viewed_at."""
        return self.updated_at or self.viewed_at


@dataclass(frozen=True)
class View:
    """What the detector keeps of a pageview inside the window."""

    at: datetime
    asset_id: str
    seconds: float
    title: str | None = None


@dataclass
class VisitorTrail:
    """One visitor's recent views, who they are, and until when they are not re-alerted."""

    email: str | None = None
    visitor_id: str | None = None
    account_name: str | None = None
    account_domain: str | None = None
    views: dict[str, View] = field(default_factory=dict)
    alerted_until: datetime | None = None


@dataclass(frozen=True)
class AssetEngagement:
    """Time spent on one asset within the window."""

    asset_id: str
    title: str | None
    seconds: float


@dataclass(frozen=True)
class Alert:
    """A visitor crossed the thresholds at `triggered_at`."""

    visitor_key: str
    triggered_at: datetime
    window_start: datetime
    assets: tuple[AssetEngagement, ...]
    engaged_seconds: float
    email: str | None = None
    visitor_id: str | None = None
    account_name: str | None = None
    account_domain: str | None = None


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def _parse(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


@dataclass
class EngagementState:
    """The poll cursor: where reading resumes, and what the window remembers.

    `since`/`seen`: read pageviews whose cursor time is >= since, skipping the
    ids already read at exactly `since`. `emit_from`: pageviews before it give
    context but never alert (the first poll starts "from now" yet needs the
    window behind it).
    """

    since: datetime
    seen: frozenset[str] = frozenset()
    emit_from: datetime | None = None
    visitors: dict[str, VisitorTrail] = field(default_factory=dict)

    def dumps(self) -> str:
        """The opaque cursor string handed back to the hub."""
        visitors: dict[str, Any] = {}
        for key, trail in sorted(self.visitors.items()):
            visitors[key] = {
                "email": trail.email,
                "visitor_id": trail.visitor_id,
                "account_name": trail.account_name,
                "account_domain": trail.account_domain,
                "until": _iso(trail.alerted_until) if trail.alerted_until else None,
                "views": [
                    [pid, _iso(v.at), v.asset_id, v.seconds, v.title]
                    for pid, v in sorted(trail.views.items(), key=lambda kv: (kv[1].at, kv[0]))
                ],
            }
        return json.dumps(
            {
                "v": 1,
                "since": _iso(self.since),
                "seen": sorted(self.seen),
                "emit_from": _iso(self.emit_from) if self.emit_from else None,
                "visitors": visitors,
            },
            separators=(",", ":"),
        )

    @classmethod
    def loads(cls, text: str) -> EngagementState:
        """Read a cursor written by `dumps`. Raises ValueError (or KeyError/TypeError)."""
        data = json.loads(text)
        if not isinstance(data, dict) or data.get("v") != 1:
            raise ValueError("not a version-1 PathFactory cursor")
        since = _parse(data.get("since"))
        if since is None:
            raise ValueError("cursor has no readable 'since'")
        visitors: dict[str, VisitorTrail] = {}
        for key, raw in dict(data.get("visitors") or {}).items():
            views = {
                str(pid): View(_at(at), str(asset), float(seconds), title)
                for pid, at, asset, seconds, title in raw.get("views") or []
            }
            visitors[str(key)] = VisitorTrail(
                email=raw.get("email"),
                visitor_id=raw.get("visitor_id"),
                account_name=raw.get("account_name"),
                account_domain=raw.get("account_domain"),
                views=views,
                alerted_until=_parse(raw.get("until")),
            )
        return cls(
            since=since,
            seen=frozenset(str(i) for i in data.get("seen") or []),
            emit_from=_parse(data.get("emit_from")),
            visitors=visitors,
        )


def _at(value: Any) -> datetime:
    parsed = _parse(value)
    if parsed is None:
        raise ValueError("cursor view has no readable time")
    return parsed


def _window(trail: VisitorTrail, end: datetime, window: timedelta) -> list[View]:
    start = end - window
    return [v for v in trail.views.values() if start < v.at <= end]


def _engagement(views: Iterable[View]) -> tuple[AssetEngagement, ...]:
    per_asset: dict[str, AssetEngagement] = {}
    for view in sorted(views, key=lambda v: v.at):
        known = per_asset.get(view.asset_id)
        seconds = view.seconds + (known.seconds if known else 0.0)
        title = view.title or (known.title if known else None)
        per_asset[view.asset_id] = AssetEngagement(view.asset_id, title, seconds)
    return tuple(per_asset.values())


def _remember(trail: VisitorTrail, pageview: Pageview) -> None:
    trail.email = pageview.email or trail.email
    trail.visitor_id = pageview.visitor_id or trail.visitor_id
    trail.account_name = pageview.account_name or trail.account_name
    trail.account_domain = pageview.account_domain or trail.account_domain
    title = pageview.asset_title[:_TITLE_MAX] if pageview.asset_title else None
    trail.views[pageview.pageview_id] = View(
        pageview.viewed_at, pageview.asset_id, max(0.0, float(pageview.engaged_seconds)), title
    )


def detect(
    state: EngagementState,
    pageviews: Iterable[Pageview],
    thresholds: Thresholds,
    now: datetime,
    *,
    read: Iterable[tuple[str, datetime]] | None = None,
) -> tuple[list[Alert], EngagementState]:
    """P5: feed newly read pageviews through the window; return alerts and the next state.

    A pageview read again (same id) replaces the earlier copy, so engagement
    time that grew since the last read is counted once, at its latest value.
    `read` lists (id, cursor time) of every record read, those that could not
    become a Pageview included (anonymous visitors), so the cursor moves past
    them too; by default it is the pageviews' own.
    """
    fresh = [
        p for p in pageviews if not (p.cursor_at == state.since and p.pageview_id in state.seen)
    ]
    fresh.sort(key=lambda p: (p.viewed_at, p.pageview_id))
    visitors = {k: _copy(t) for k, t in state.visitors.items()}
    alerts: list[Alert] = []
    for pageview in fresh:
        trail = visitors.setdefault(pageview.visitor_key, VisitorTrail())
        _remember(trail, pageview)
        at = pageview.viewed_at
        in_window = _window(trail, at, thresholds.window)
        assets = _engagement(in_window)
        seconds = sum(a.seconds for a in assets)
        if not thresholds.met(len(assets), seconds):
            continue
        if state.emit_from is not None and at < state.emit_from:
            continue
        if trail.alerted_until is not None and at < trail.alerted_until:
            continue
        trail.alerted_until = at + thresholds.cooldown
        alerts.append(
            Alert(
                visitor_key=pageview.visitor_key,
                triggered_at=at,
                window_start=min(v.at for v in in_window),
                assets=assets,
                engaged_seconds=seconds,
                email=trail.email,
                visitor_id=trail.visitor_id,
                account_name=trail.account_name,
                account_domain=trail.account_domain,
            )
        )
    horizon = now - thresholds.window
    for key in list(visitors):
        trail = visitors[key]
        trail.views = {pid: v for pid, v in trail.views.items() if v.at > horizon}
        if trail.alerted_until is not None and trail.alerted_until <= now:
            trail.alerted_until = None
        if not trail.views and trail.alerted_until is None:
            del visitors[key]
    since, seen = state.since, set(state.seen)
    marks = list(read) if read is not None else [(p.pageview_id, p.cursor_at) for p in fresh]
    for mark_id, mark_at in marks:
        if mark_at > since:
            since, seen = mark_at, {mark_id}
        elif mark_at == since:
            seen.add(mark_id)
    emit_from = state.emit_from if state.emit_from is not None and state.emit_from > now else None
    return alerts, EngagementState(since, frozenset(seen), emit_from, visitors)


def _copy(trail: VisitorTrail) -> VisitorTrail:
    return VisitorTrail(
        trail.email,
        trail.visitor_id,
        trail.account_name,
        trail.account_domain,
        dict(trail.views),
        trail.alerted_until,
    )
