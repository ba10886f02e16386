"""Pure functions from PathFactory's JSON to handoff events (rule P5).

PathFactory publishes field definitions for its REST API (v1 for Tracks,
Explore and VEX; v3 for Microsites, Themes & Templates and Website
Experiences) but no recorded responses, so the record shapes read here are
modelled, and every field name is configuration (`PageviewFields`). What the
public material does show: `*_utc` timestamps without an offset
(`2016-06-30T03:55:20.000000`), numeric visitor ids, `email` and
`email_domain` on visitors, limit/offset paging on `/public/v3/...`, and a
list under `data` (or `results`, Django REST Framework style) in answers.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from handoff_sdk.entities import Event

from .signal import Alert, AssetEngagement, Pageview, Thresholds

__all__ = [
    "EVENT_TYPE",
    "SOURCE",
    "PageviewFields",
    "activity_items",
    "alert_event",
    "has_more",
    "pageview_from_record",
    "parse_datetime",
    "parse_seconds",
    "record_mark",
    "records_of",
    "visitor_key",
    "webhook_event",
]

SOURCE = "pathfactory"
EVENT_TYPE = "pathfactory.fast_moving_buyer"


class PageviewFields(BaseModel):
    """Names of the pageview fields read (modelled; set them to your API's names).

    Optional fields set to null are ignored.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(default="id", description="Unique id of the pageview.")
    viewed_at: str = Field(default="created_at_utc", description="When the asset was viewed.")
    updated_at: str | None = Field(
        default=None,
        description="Last-update field, e.g. 'updated_at_utc'; when set the cursor follows it "
        "(set `since_param` to its filter too). Null: the cursor follows viewed_at.",
    )
    visitor_id: str | None = Field(default="visitor_id", description="PathFactory visitor id.")
    email: str | None = Field(default="email", description="Visitor email, when known.")
    account_name: str | None = Field(default="company_name", description="Account name.")
    account_domain: str | None = Field(default="email_domain", description="Account domain.")
    asset_id: str = Field(default="content_asset_id", description="Content asset id.")
    asset_title: str | None = Field(default="content_asset_title", description="Asset title.")
    engaged_seconds: str = Field(
        default="engagement_time_seconds", description="Seconds engaged with the asset."
    )
    session_id: str | None = Field(default="session_id", description="Session id.")

    @field_validator("*", mode="before")
    @classmethod
    def _blank_is_unset(cls, value: Any) -> Any:
        """TOML has no null: an empty string switches an optional field off."""
        return None if value == "" else value

    def cursor_field(self) -> str:
        """The field the poll cursor follows (and the since/until filters must filter)."""
        return self.updated_at or self.viewed_at


# -- scalars ---------------------------------------------------------------------


def parse_datetime(value: Any) -> datetime | None:
    """A PathFactory time as aware UTC: `*_utc` ISO strings without offset, or epoch seconds/ms."""
    if value is None or value == "" or isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        seconds = value / 1000 if abs(value) > 10_000_000_000 else float(value)
        return datetime.fromtimestamp(seconds, tz=UTC)
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def parse_seconds(value: Any) -> float:
    """Engagement seconds as a float; unreadable or negative values count as 0."""
    if value is None or isinstance(value, bool):
        return 0.0
    try:
        number = float(value)
    except (TypeError, ValueError):
        return 0.0
    if math.isnan(number) or math.isinf(number) or number < 0:
        return 0.0
    return number


def _text(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _email(value: Any) -> str | None:
    text = _text(value)
    return text.lower() if text and "@" in text else None


def visitor_key(email: str | None, visitor_id: str | None) -> str | None:
    """Who a pageview belongs to: the email when known, else the PathFactory visitor id."""
    if email:
        return f"email:{email}"
    if visitor_id:
        return f"visitor:{visitor_id}"
    return None


# -- the API ---------------------------------------------------------------------


def records_of(body: Any) -> list[dict[str, Any]]:
    """The records of an answer: `data` or `results` (a list), or a bare list."""
    if isinstance(body, list):
        items: Any = body
    elif isinstance(body, Mapping):
        items = body.get("data")
        if not isinstance(items, list):
            items = body.get("results")
    else:
        items = None
    if not isinstance(items, list):
        return []
    return [r for r in items if isinstance(r, dict)]


def has_more(body: Any, received: int, limit: int) -> bool:
    """Whether another page follows: a full page, unless the answer says `next: null`."""
    if received < limit:
        return False
    if isinstance(body, Mapping) and "next" in body:
        return body["next"] is not None
    return True


def record_mark(record: Mapping[str, Any], fields: PageviewFields) -> tuple[str, datetime] | None:
    """A record's id and cursor time, read for every record (anonymous ones too)."""
    record_id = _text(record.get(fields.id))
    at = parse_datetime(record.get(fields.cursor_field()))
    return (record_id, at) if record_id is not None and at is not None else None


def pageview_from_record(
    record: Mapping[str, Any], fields: PageviewFields, *, require_email: bool
) -> Pageview | None:
    """A pageview record as a Pageview; None when it cannot count towards the signal.

    Without an id, a time, an asset, or someone to attribute it to (an email
    when `require_email`), a pageview cannot make anyone a Fast Moving Buyer.
    """

    def get(name: str | None) -> Any:
        return record.get(name) if name else None

    pageview_id = _text(get(fields.id))
    viewed_at = parse_datetime(get(fields.viewed_at))
    asset_id = _text(get(fields.asset_id))
    email = _email(get(fields.email))
    visitor_id = _text(get(fields.visitor_id))
    key = visitor_key(email, None if require_email else visitor_id)
    if pageview_id is None or viewed_at is None or asset_id is None or key is None:
        return None
    domain = _text(get(fields.account_domain))
    return Pageview(
        pageview_id=pageview_id,
        viewed_at=viewed_at,
        visitor_key=key,
        asset_id=asset_id,
        engaged_seconds=parse_seconds(get(fields.engaged_seconds)),
        email=email,
        visitor_id=visitor_id,
        account_name=_text(get(fields.account_name)),
        account_domain=domain.lower() if domain else None,
        asset_title=_text(get(fields.asset_title)),
        session_id=_text(get(fields.session_id)),
        updated_at=parse_datetime(get(fields.updated_at)),
    )


# -- events ----------------------------------------------------------------------


def _iso(moment: datetime | None) -> str | None:
    return moment.astimezone(UTC).isoformat(timespec="seconds") if moment else None


def _hashed(key: str) -> str:
    """Visitor keys hold emails; dedupe keys get a digest instead (they end up in logs)."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:24]


def _thresholds(thresholds: Thresholds) -> dict[str, Any]:
    return {
        "min_assets": thresholds.min_assets,
        "min_engaged_minutes": (
            round(thresholds.min_seconds / 60, 2) if thresholds.min_seconds is not None else None
        ),
        "match": thresholds.match,
        "window_hours": round(thresholds.window.total_seconds() / 3600, 2),
    }


def _payload(
    *,
    email: str | None,
    visitor_id: str | None,
    account_name: str | None,
    account_domain: str | None,
    assets: Sequence[AssetEngagement],
    engaged_seconds: float,
    trigger: str,
) -> dict[str, Any]:
    return {
        "email": email,
        "visitor_id": visitor_id,
        "account_name": account_name,
        "account_domain": account_domain,
        "assets_consumed": len(assets),
        "assets": [
            {"id": a.asset_id, "title": a.title, "engaged_seconds": round(a.seconds, 1)}
            for a in assets
        ],
        "engagement_seconds": round(engaged_seconds, 1),
        "engagement_minutes": round(engaged_seconds / 60, 1),
        "trigger": trigger,
    }


def alert_event(alert: Alert, thresholds: Thresholds) -> Event:
    """P5: a computed Fast Moving Buyer alert as a hub event.

    The dedupe key is the visitor (digested) and the pageview that crossed the
    thresholds: replaying a poll from the same cursor yields the same key.
    """
    payload = _payload(
        email=alert.email,
        visitor_id=alert.visitor_id,
        account_name=alert.account_name,
        account_domain=alert.account_domain,
        assets=alert.assets,
        engaged_seconds=alert.engaged_seconds,
        trigger="thresholds",
    )
    payload["window_start"] = _iso(alert.window_start)
    payload["window_end"] = _iso(alert.triggered_at)
    payload["thresholds"] = _thresholds(thresholds)
    return Event(
        type=EVENT_TYPE,
        source=SOURCE,
        dedupe_key=(
            f"pathfactory:fast_moving_buyer:{_hashed(alert.visitor_key)}:{_iso(alert.triggered_at)}"
        ),
        occurred_at=alert.triggered_at,
        payload=payload,
    )


# -- webhooks --------------------------------------------------------------------


def activity_items(body: Any) -> list[Mapping[str, Any]]:
    """The activities in a webhook body: one object, a list, or `{"activities": [...]}`."""
    if isinstance(body, Mapping):
        inner = body.get("activities")
        if isinstance(inner, list):
            return [i for i in inner if isinstance(i, Mapping)]
        return [body]
    if isinstance(body, list):
        return [i for i in body if isinstance(i, Mapping)]
    return []


def _first(item: Mapping[str, Any], *names: str) -> Any:
    for name in names:
        if item.get(name) not in (None, ""):
            return item.get(name)
    return None


def _assets(raw: Any) -> list[AssetEngagement]:
    if not isinstance(raw, list):
        return []
    per_asset: dict[str, AssetEngagement] = {}
    for entry in raw:
        if isinstance(entry, Mapping):
            asset_id = _text(_first(entry, "id", "asset_id", "content_asset_id"))
            title = _text(_first(entry, "title", "asset_title", "content_asset_title"))
            seconds = parse_seconds(_first(entry, "engaged_seconds", "engagement_time_seconds"))
        else:
            asset_id, title, seconds = _text(entry), None, 0.0
        if asset_id is None:
            continue
        known = per_asset.get(asset_id)
        per_asset[asset_id] = AssetEngagement(
            asset_id, title or (known.title if known else None),
            seconds + (known.seconds if known else 0.0),
        )  # fmt: skip
    return list(per_asset.values())


def webhook_event(
    item: Mapping[str, Any],
    *,
    activity_names: Sequence[str],
    thresholds: Thresholds,
    require_email: bool,
    received_at: datetime,
) -> Event | None:
    """P5: one webhook item as a Fast Moving Buyer event, or None when it is not one.

    A Visitor Activity whose name is in `activity_names` is passed through
    (PathFactory already decided). An item without an activity name but with
    the assets of a session is tested against `thresholds`. Raises ValueError
    naming the field when the item cannot be attributed to anyone.
    """
    email = _email(_first(item, "email", "visitor_email"))
    visitor_id = _text(_first(item, "visitor_id"))
    key = visitor_key(email, None if require_email else visitor_id)
    if key is None:
        missing = "field 'email' is missing" + ("" if require_email else " (and visitor_id)")
        raise ValueError(missing)
    occurred_at = parse_datetime(_first(item, "occurred_at", "created_at_utc")) or received_at
    assets = _assets(item.get("assets"))
    listed = sum(a.seconds for a in assets)
    engaged = parse_seconds(item.get("engagement_seconds")) or listed
    activity = _text(_first(item, "activity_name", "visitor_activity", "activity"))
    if activity is not None:
        wanted = {n.casefold() for n in activity_names}
        if activity.casefold() not in wanted:
            return None
        trigger = "pathfactory_activity"
    elif assets and thresholds.met(len(assets), engaged):
        trigger = "thresholds"
    else:
        return None
    payload = _payload(
        email=email,
        visitor_id=visitor_id,
        account_name=_text(_first(item, "account_name", "company_name")),
        account_domain=(_text(_first(item, "account_domain", "email_domain")) or "").lower()
        or None,
        assets=assets,
        engaged_seconds=engaged,
        trigger=trigger,
    )
    payload["activity_name"] = activity
    if trigger == "thresholds":
        payload["thresholds"] = _thresholds(thresholds)
    activity_id = _text(_first(item, "activity_id", "id"))
    session_id = _text(item.get("session_id"))
    if activity_id:
        suffix = f"activity:{activity_id}"
    elif session_id:
        suffix = f"session:{session_id}"
    else:
        suffix = f"{_hashed(key)}:{_iso(occurred_at)}"
    return Event(
        type=EVENT_TYPE,
        source=SOURCE,
        dedupe_key=f"pathfactory:fast_moving_buyer:{suffix}",
        occurred_at=occurred_at,
        payload=payload,
    )
