"""No cassette in the repository holds anything secret-looking."""

from __future__ import annotations

from pathlib import Path

import pytest

from handoff_sdk.testing.scrub import find_secrets_in_file

CASSETTES = sorted((Path(__file__).resolve().parents[2] / "cassettes").rglob("*.yaml"))


def test_there_are_cassettes() -> None:
    assert len(CASSETTES) >= 2


@pytest.mark.parametrize("path", CASSETTES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_cassette_holds_no_secret(path: Path) -> None:
    findings = find_secrets_in_file(path)
    assert not findings, "\n".join(findings)
