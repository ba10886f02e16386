"""handoff: the hub between revenue-operations systems, and the rules it carries out."""

from __future__ import annotations

__version__ = "0.1.0"
