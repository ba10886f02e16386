"""API keys for the tests' HTTP clients (the hub refuses /v1 and /metrics without one).

tests/conftest.py puts this folder on the path: `from keyed import admin_for`.
"""

from __future__ import annotations

import uuid

from fastapi import FastAPI

from handoff.api_keys import create_key
from handoff.store import Store
from handoff_sdk import FakeClock


def key_headers(store: Store, *scopes: str, rep: str | None = None) -> dict[str, str]:
    """The Authorization header of a new key on `store` with `scopes` (default: admin)."""
    new = create_key(
        store,
        f"test-{uuid.uuid4().hex[:8]}",
        scopes or ("admin",),
        rep_id=rep,
        now=FakeClock().now(),
        actor="test",
    )
    return {"Authorization": f"Bearer {new.token}"}


def admin_for(app: FastAPI) -> dict[str, str]:
    """An admin key on the store `app` serves, for a client of an app the test built itself."""
    return key_headers(app.state.keyring.store)
