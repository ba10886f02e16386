"""Fixtures of the conversation tests: a migrated SQLite store and a fake clock."""

from __future__ import annotations
