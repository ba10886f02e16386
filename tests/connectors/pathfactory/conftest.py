"""Lets the PathFactory tests import `pf_cases`, the data their cassettes were made from."""

from __future__ import annotations

import sys
from pathlib import Path

_HERE = str(Path(__file__).parent)
if _HERE not in sys.path:
    sys.path.insert(0, _HERE)
