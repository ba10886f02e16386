"""Fixtures of the AI flow's tests; adversarial.py holds the synthetic conversations."""

from __future__ import annotations

import sys
from pathlib import Path

# importlib import mode puts no test folder on the path.
sys.path.insert(0, str(Path(__file__).parent))
