"""Write the PathFactory cassettes: synthetic pageviews in the modelled v3 shape.

Run by hand from the repository root, output committed:

    .venv/bin/python tests/connectors/pathfactory/make_cassettes.py

The connector sends the requests, so URLs are exactly what it sends; a mock
PathFactory answers with limit/offset pages and the SDK's recording
transport writes (and scrubs) the cassette. Every value is invented.
PathFactory publishes no recorded responses: the record shape follows the
field definitions it documents (see docs/connectors/pathfactory.md).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
from handoff_pathfactory import PathfactoryConnector
from pf_cases import BASE_URL, MAIN_CURSOR, SECRETS, TITLES

from handoff_sdk.testing.cassettes import CassetteTransport, write_cassette
from handoff_sdk.testing.harness import build_harness

ROOT = Path(__file__).resolve().parents[3]
CASSETTES = ROOT / "cassettes" / "pathfactory"


def view(  # noqa: PLR0917 - one row of test data, read positionally
    n: int,
    at: str,
    asset: int,
    seconds: float,
    email: str | None,
    visitor: int,
    company: str | None = None,
) -> dict[str, Any]:
    """One pageview record, keyed by the default field names."""
    return {
        "id": f"pv-{n:04d}",
        "created_at_utc": f"2026-01-05T{at}:00.000000",
        "visitor_id": visitor,
        "email": email,
        "company_name": company,
        "email_domain": email.split("@")[1].lower() if email else None,
        "content_asset_id": asset,
        "content_asset_title": TITLES[asset],
        "engagement_time_seconds": seconds,
        "session_id": f"sess-{visitor}-0105",
        "experience_name": "Website Experience",
    }


DANA = "Dana.Lee@Example.test"
MAIN = [
    # Read by the previous poll (its id is in the cursor): skipped.
    view(999, "08:00", 101, 30, DANA, 50001, "Example Widgets Inc"),
    # Sam: one asset, but 400 + 300 s = 11 min 40 s engaged: alerts at 08:15.
    view(1001, "08:05", 101, 400, "sam.ortiz@example.test", 50002, "Sample Robotics LLC"),
    view(1002, "08:15", 101, 300, "sam.ortiz@example.test", 50002, "Sample Robotics LLC"),
    # Dana had two assets before this poll (in the cursor); a third alerts at 08:20.
    view(1003, "08:20", 103, 90, DANA, 50001, "Example Widgets Inc"),
    # An anonymous visitor binging five assets: no email, no alert.
    view(1004, "08:25", 101, 60, None, 50003),
    view(1005, "08:26", 102, 60, None, 50003),
    view(1006, "08:27", 103, 60, None, 50003),
    view(1007, "08:28", 104, 60, None, 50003),
    view(1008, "08:29", 105, 60, None, 50003),
    # Lee: two assets, under two minutes: no alert.
    view(1009, "08:30", 101, 45, "lee.park@example.test", 50004, "Demo Analytics GmbH"),
    view(1010, "08:35", 102, 50, "lee.park@example.test", 50004, "Demo Analytics GmbH"),
    # Dana again: a fourth asset inside the cooldown: no second alert.
    view(1011, "08:40", 104, 120, DANA, 50001, "Example Widgets Inc"),
]


def paged(records: list[dict[str, Any]]) -> Callable[[httpx.Request], httpx.Response]:
    """A mock PathFactory that honours limit/offset over `records`."""

    def answer(request: httpx.Request) -> httpx.Response:
        limit = int(request.url.params["limit"])
        offset = int(request.url.params["offset"])
        page = records[offset : offset + limit]
        return httpx.Response(
            200,
            json={
                "data": page,
                "pagination": {"limit": limit, "offset": offset, "total": len(records)},
            },
        )

    return answer


async def record_poll(
    name: str,
    config: dict[str, Any],
    records: list[dict[str, Any]],
    cursor: str | None,
) -> None:
    """One poll into one cassette."""
    path = CASSETTES / f"{name}.yaml"
    path.unlink(missing_ok=True)
    transport = CassetteTransport(path, record=True, inner=httpx.MockTransport(paged(records)))
    harness = build_harness(
        PathfactoryConnector, transport=transport, config=config, secrets=SECRETS
    )
    await harness.connector.handoff_poll_events(cursor=cursor)  # type: ignore[attr-defined]
    await harness.aclose()
    print(f"wrote {path.relative_to(ROOT)}")


async def main() -> None:
    """Write every cassette."""
    CASSETTES.mkdir(parents=True, exist_ok=True)
    await record_poll("poll_pageviews", {"base_url": BASE_URL}, MAIN, MAIN_CURSOR)
    await record_poll(
        "poll_paged", {"base_url": BASE_URL, "page_size": 3}, MAIN[1:], "2026-01-05T08:00:00Z"
    )
    await record_poll("poll_first", {"base_url": BASE_URL}, MAIN[1:4], None)
    empty = CASSETTES / "webhook.yaml"
    write_cassette(empty, [])
    print(f"wrote {empty.relative_to(ROOT)}")


if __name__ == "__main__":
    asyncio.run(main())
