"""The PathFactory tests' shared data: config, secrets, assets and the main poll's cursor.

The cassettes were made from it (make_cassettes.py) and the poll and contract
tests replay them with it, so it is written once. Every value is invented.
"""

from __future__ import annotations

import json
from typing import Any

BASE_URL = "https://pathfactory.example.test"
CONFIG: dict[str, Any] = {"base_url": BASE_URL}
SECRETS = {"api_key": "synthetic-api-key", "webhook_secret": "synthetic-webhook-secret"}

TITLES = {
    101: "CI/CD Primer",
    102: "DevSecOps Buyer's Guide",
    103: "Platform Migration Checklist",
    104: "Total Cost of Ownership Calculator",
    105: "Customer Story: Example Widgets",
}

DANA_BEFORE: dict[str, Any] = {
    "email": "dana.lee@example.test",
    "visitor_id": "50001",
    "account_name": "Example Widgets Inc",
    "account_domain": "example.test",
    "until": None,
    "views": [
        ["pv-0901", "2026-01-05T07:30:00+00:00", "101", 120.0, TITLES[101]],
        ["pv-0902", "2026-01-05T07:45:00+00:00", "102", 200.0, TITLES[102]],
    ],
}
"""Dana's two views before the main poll's window: its cursor carries them as context."""

MAIN_CURSOR = json.dumps(
    {
        "v": 1,
        "since": "2026-01-05T08:00:00+00:00",
        "seen": ["pv-0999"],
        "emit_from": None,
        "visitors": {"email:dana.lee@example.test": DANA_BEFORE},
    },
    separators=(",", ":"),
)
"""The cursor the main poll (cassette poll_pageviews) goes on from."""
