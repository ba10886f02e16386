"""Fixtures of the routing tests: a migrated SQLite store and a fake clock."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from handoff.store import Store, upgrade
from handoff_sdk import FakeClock

# The tests share helpers.py (importlib import mode puts no test folder on the path).
sys.path.insert(0, str(Path(__file__).parent))


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    """A fresh SQLite database at the newest schema revision."""
    db = Store(f"sqlite:///{tmp_path / 'handoff.db'}")
    upgrade(db)
    yield db
    db.dispose()
