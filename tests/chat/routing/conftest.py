"""Fixtures of the routing tests: a migrated SQLite store and a fake clock."""

from __future__ import annotations

import sys
from pathlib import Path

# The tests share helpers.py (importlib import mode puts no test folder on the path).
sys.path.insert(0, str(Path(__file__).parent))
