"""The replay tests; chat_day.py holds the day of traffic they replay."""

from __future__ import annotations

import sys
from pathlib import Path

# importlib import mode puts no test folder on the path.
sys.path.insert(0, str(Path(__file__).parent))
