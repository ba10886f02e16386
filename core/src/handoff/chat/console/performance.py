"""The Rep Performance Dashboard (Q15): each rep's figures and the team's, over a chosen range.

Every figure is `handoff.chat.conversations.rep_metrics`, the function of
`GET /v1/metrics/reps` and `handoff metrics reps`: this page only chooses
the period and draws the result. Two charts, server-rendered inline SVG
with a data table beside each: availability through the day (per rep, per
hour of the day in the chosen time zone) and the sessions where a visitor
waited, with and without a conversation. A rep user sees their own figures
only; ops and admin see every rep and the team's totals.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields
from datetime import datetime, timedelta
from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from fastapi import APIRouter, Request
from fastapi.responses import Response

from handoff.api_keys import Scope
from handoff.chat.conversations import RepMetrics, parse_moment, rep_metrics
from handoff.chat.settings import ChatSettings
from handoff.console import Viewer, render, require_role
from handoff.flow import FlowContext

__all__ = [
    "DEFAULT_PRESET",
    "MAX_RANGE",
    "PRESETS",
    "Period",
    "RangeProblemError",
    "hour_capacity",
    "performance_pages",
    "read_period",
    "team_totals",
]

PRESETS = {
    "today": "Today",
    "yesterday": "Yesterday",
    "24h": "Last 24 hours",
    "7d": "Last 7 days",
    "30d": "Last 30 days",
}
"""The ranges offered as links, by their `range=` value."""
DEFAULT_PRESET = "7d"
MAX_RANGE = timedelta(days=92)
"""The longest period the page computes (a quarter); longer is refused, naming `since`."""
MAX_FIELD = 64
HOURS = tuple(range(24))

# Chart geometry (SVG user units; the SVG scales to the width it is given).
WIDTH = 488
LEFT = 20
CELL = 19  # one hour of the day
LABEL = 22  # the line of a lane's or bar's label, above it
LANE = 36  # a lane's bar area height
LANE_BLOCK = LABEL + LANE + 10
BAR_MAX = 448  # the longest waited bar
BAR_HEIGHT = 22
BAR_BLOCK = LABEL + BAR_HEIGHT + 10


class RangeProblemError(ValueError):
    """The range asked for cannot be read: each field's problem, as the form shows them."""

    def __init__(self, problems: Mapping[str, str]) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in problems.items()))
        self.problems = dict(problems)


@dataclass(frozen=True)
class Period:
    """The period the page shows: [since, until) and the time zone of its hours."""

    since: datetime
    until: datetime
    timezone: str
    preset: str | None
    """The preset chosen (`range=`), or None for a since/until typed in."""


def _midnight(moment: datetime, zone: ZoneInfo) -> datetime:
    local = moment.astimezone(zone)
    return local.replace(hour=0, minute=0, second=0, microsecond=0)


def read_period(params: Mapping[str, str], now: datetime, default_zone: str = "UTC") -> Period:
    """The period of the query `params` (`range`, or `since`/`until`; `timezone`).

    `since`/`until` read as everywhere else (`parse_moment`: ISO 8601 or 30m,
    24h, 7d, 2w); `until` defaults to now and after now means now. A typed
    `since` wins over `range`; neither means the last 7 days. Raises
    RangeProblemError naming each field that is wrong.
    """
    problems: dict[str, str] = {}
    texts = {k: (params.get(k) or "").strip() for k in ("range", "since", "until", "timezone")}
    for name, text in texts.items():
        if len(text) > MAX_FIELD:
            problems[name] = f"at most {MAX_FIELD} characters"
    zone_name = texts["timezone"] or default_zone
    zone = ZoneInfo("UTC")
    if "timezone" not in problems:
        try:
            zone = ZoneInfo(zone_name)
        except (ZoneInfoNotFoundError, ValueError, OSError):
            problems["timezone"] = f"'{zone_name}' is not an IANA time zone (e.g. Europe/Paris)"
    preset = None
    start = end = now
    if texts["since"] or texts["until"]:
        if not texts["since"]:
            problems.setdefault("since", "give a start with the end (or pick a range)")
        for name in ("since", "until"):
            if texts[name] and name not in problems:
                try:
                    moment = parse_moment(texts[name], now, name)
                except ValueError as exc:
                    problems[name] = str(exc).partition(": ")[2]
                    continue
                if name == "since":
                    start = moment
                else:
                    end = moment
    else:
        preset = texts["range"] or DEFAULT_PRESET
        if preset not in PRESETS:
            problems["range"] = f"'{preset}' is not one of {', '.join(PRESETS)}"
        elif preset in ("today", "yesterday"):
            midnight = _midnight(now, zone)
            start = (
                midnight if preset == "today" else _midnight(midnight - timedelta(hours=1), zone)
            )
            end = now if preset == "today" else midnight
        else:
            start = parse_moment(preset, now, "range")
    if problems:
        raise RangeProblemError(problems)
    end = min(end, now)  # nothing is known after now
    if end <= start:
        raise RangeProblemError(
            {"until": "must be after since (and since before now)"}
            if texts["until"]
            else {"since": "must be before now"}
        )
    if end - start > MAX_RANGE:
        raise RangeProblemError({"since": f"the range is at most {MAX_RANGE.days} days"})
    return Period(since=start, until=end, timezone=zone_name, preset=preset)


def hour_capacity(since: datetime, until: datetime, zone: ZoneInfo) -> list[float]:
    """Seconds of [since, until) in each hour of the day in `zone`: what 100 % online is.

    The denominator of the availability chart: a rep online the whole
    period would have this many seconds in each hour.
    """
    capacity = [0.0] * 24
    cursor = since
    while cursor < until:
        local = cursor.astimezone(zone)
        next_hour = local.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
        stop = min(until, next_hour.astimezone(cursor.tzinfo))
        if stop <= cursor:  # a DST edge: one hour on in absolute time
            stop = min(until, cursor + timedelta(hours=1))
        capacity[local.hour] += (stop - cursor).total_seconds()
        cursor = stop
    return capacity


def team_totals(reps: Sequence[RepMetrics]) -> RepMetrics:
    """The team's figures: each rep's figure added up (availability hour by hour too)."""
    team = RepMetrics("team")
    for m in reps:
        for f in fields(RepMetrics):
            if f.name == "rep_id":
                continue
            if f.name == "available_by_hour":
                team.available_by_hour = [
                    a + b for a, b in zip(team.available_by_hour, m.available_by_hour, strict=True)
                ]
            else:
                setattr(team, f.name, getattr(team, f.name) + getattr(m, f.name))
    return team


@dataclass(frozen=True)
class HourBar:
    """One hour of one lane of the availability timeline."""

    hour: int
    seconds: float
    share: float
    """Of that hour's time in the period (0..1)."""
    x: float
    y: float
    height: float


@dataclass(frozen=True)
class Lane:
    """One rep's availability through the day (or the team's, as the share of reps online)."""

    rep_id: str
    label: str
    top: float
    bars: tuple[HourBar, ...]
    total_seconds: float


@dataclass(frozen=True)
class WaitBar:
    """One rep's waited sessions, split with and without a conversation."""

    rep_id: str
    label: str
    top: float
    with_conversation: int
    without_conversation: int
    with_width: float
    without_width: float


@dataclass(frozen=True)
class RepRow:
    """One rep's Q15 figures as the page lists them."""

    rep_id: str
    name: str
    m: RepMetrics
    peak_hours: tuple[int, ...] = field(default=())


def _lane(
    rep_id: str, label: str, top: float, by_hour: Sequence[float], capacity: Sequence[float]
) -> Lane:
    bars = []
    for hour in HOURS:
        share = min(1.0, by_hour[hour] / capacity[hour]) if capacity[hour] else 0.0
        height = round(share * LANE, 2)
        bars.append(
            HourBar(
                hour=hour,
                seconds=by_hour[hour],
                share=share,
                x=LEFT + hour * CELL + 1,
                y=round(top + LABEL + LANE - height, 2),
                height=height,
            )
        )
    return Lane(rep_id, label, top, tuple(bars), sum(by_hour))


def _charts(
    rows: Sequence[RepRow], team: RepMetrics | None, capacity: Sequence[float]
) -> dict[str, Any]:
    lanes = [
        _lane(
            r.rep_id,
            f"{r.name} ({r.rep_id})" if r.name != r.rep_id else r.rep_id,
            i * LANE_BLOCK,
            r.m.available_by_hour,
            capacity,
        )
        for i, r in enumerate(rows)
    ]
    if team is not None and rows:
        team_capacity = [c * len(rows) for c in capacity]
        lanes.append(
            _lane(
                "team",
                f"Team: share of its {len(rows)} reps online",
                len(lanes) * LANE_BLOCK,
                team.available_by_hour,
                team_capacity,
            )
        )
    longest = max((r.m.waited_sessions for r in rows), default=0)
    waits = []
    for i, r in enumerate(rows):
        scale = BAR_MAX / longest if longest else 0.0
        waits.append(
            WaitBar(
                rep_id=r.rep_id,
                label=r.name,
                top=i * BAR_BLOCK,
                with_conversation=r.m.waited_with_conversation,
                without_conversation=r.m.waited_without_conversation,
                with_width=round(r.m.waited_with_conversation * scale, 2),
                without_width=round(r.m.waited_without_conversation * scale, 2),
            )
        )
    return {
        "lanes": lanes,
        "timeline_height": len(lanes) * LANE_BLOCK + 22,
        "waits": waits,
        "waits_height": len(waits) * BAR_BLOCK + 8,
        "busy_hours": [h for h in HOURS if any(lane.bars[h].seconds for lane in lanes)],
        "geometry": {
            "width": WIDTH,
            "left": LEFT,
            "cell": CELL,
            "lane": LANE,
            "label": LABEL,
            "bar_max": BAR_MAX,
            "bar_height": BAR_HEIGHT,
        },
    }


def _peak(m: RepMetrics) -> tuple[int, ...]:
    top = max(m.available_by_hour)
    return tuple(h for h in HOURS if top and m.available_by_hour[h] == top)


def performance_pages(context: FlowContext[ChatSettings]) -> APIRouter:
    """The Rep Performance Dashboard: `GET /console/performance` (Q15)."""
    router = APIRouter()
    clock = context.clock

    def configured() -> dict[str, tuple[str, str]]:
        """Each human rep of [routing]: id -> (name, time zone)."""
        routing = context.settings.routing
        if routing is None:
            return {}
        return {r.id: (r.name, r.hours().timezone) for r in routing.reps if not r.is_ai}

    @router.get("/performance")
    async def performance_page(
        request: Request, viewer: Annotated[Viewer, require_role(Scope.REP, Scope.OPS)]
    ) -> Response:
        """Q15 figures per rep (a rep: their own) and the team's, over `range` or `since`/`until`.

        Query: `range` (today, yesterday, 24h, 7d, 30d; default 7d) or
        `since` [`until`] (ISO 8601 or 30m/24h/7d/2w), `timezone` (IANA, of
        the hours; default the rep's own, else UTC), `rep` (ops: one rep).
        A range that cannot be read is the form again, 400, naming the field.
        """
        params = request.query_params
        reps = configured()
        asked_rep = (params.get("rep") or "").strip()[:200]
        rep = viewer.rep_scope(asked_rep or None)  # a rep user: their own; another is a 403
        everyone = viewer.has(Scope.OPS)
        own_zone = reps.get(viewer.user.rep_id or "", ("", "UTC"))[1]
        default_zone = own_zone if not everyone else "UTC"
        now = clock.now()
        form = {
            "range": params.get("range") or "",
            "since": params.get("since") or "",
            "until": params.get("until") or "",
            "timezone": params.get("timezone") or default_zone,
            "rep": rep or "",
        }
        context_: dict[str, Any] = {
            "form": form,
            "presets": PRESETS,
            "reps": sorted(reps.items()),
            "everyone": everyone,
            "rep": rep,
            "problems": {},
        }
        try:
            period = read_period(params, now, default_zone)
        except RangeProblemError as exc:
            return render(
                request, "chat/performance.html", {**context_, "problems": exc.problems}, status=400
            )

        def compute() -> list[RepMetrics]:
            with context.store.sessions() as session:
                return rep_metrics(session, period.since, period.until, timezone=period.timezone)

        found = {m.rep_id: m for m in await asyncio.to_thread(compute)}
        if everyone:
            ids = sorted(set(reps) | set(found))
            if rep is not None and rep not in ids:
                return render(
                    request,
                    "chat/performance.html",
                    {**context_, "problems": {"rep": f"no rep '{rep[:50]}' in [routing]"}},
                    status=400,
                )
        else:
            ids = [rep] if rep else []
        figures = {i: found.get(i) or RepMetrics(i) for i in ids}  # no activity: all zero
        rows_all = [RepRow(i, reps.get(i, (i, ""))[0], m, _peak(m)) for i, m in figures.items()]
        team = team_totals([r.m for r in rows_all]) if everyone else None
        rows = [r for r in rows_all if rep is None or r.rep_id == rep]
        capacity = hour_capacity(period.since, period.until, ZoneInfo(period.timezone))
        zone = ZoneInfo(period.timezone)
        return render(
            request,
            "chat/performance.html",
            {
                **context_,
                "form": {**form, "timezone": period.timezone},
                "period": period,
                "since_local": period.since.astimezone(zone),
                "until_local": period.until.astimezone(zone),
                "rows": rows,
                "team": team,
                "team_size": len(rows_all),
                "scope": team
                if (team is not None and rep is None)
                else (rows[0].m if rows else None),
                **_charts(rows, team if rep is None else None, capacity),
            },
        )

    return router
