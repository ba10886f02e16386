"""`handoff route VISITOR.json [--explain] [--json]` (Q3c with its fallback and counterfactual)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from click.testing import CliRunner
from helpers import PLAYBOOK  # type: ignore[import-not-found]

from handoff.cli import cli

VISITOR = {
    "now": "2026-01-05T12:00:00Z",
    "visitor": {"id": "v1", "page_url": "https://x.example.test/pricing"},
    "account": {
        "name": "Acme",
        "status": "Actively Working",
        "bdr_assigned_id": "005BEA",
        "geo": "EMEA",
    },
    "availability": {"statuses": {"bdr-bea": "away", "sdr-eve": "online"}},
}


def run(tmp_path: Path, *args: str, body: object = VISITOR) -> tuple[int, str]:
    shutil.copy(PLAYBOOK, tmp_path / "handoff.toml")
    (tmp_path / "v.json").write_text(json.dumps(body))
    result = CliRunner().invoke(
        cli, ["route", str(tmp_path / "v.json"), "--config", str(tmp_path / "handoff.toml"), *args]
    )
    return result.exit_code, result.output


def test_q3c_route_explain_is_readable(tmp_path: Path) -> None:
    code, out = run(tmp_path, "--explain")
    assert code == 0, out
    assert out.splitlines()[0].startswith("-> Eve (EMEA SDR) (sdr-eve)")
    assert "skipped bdr-bea: away" in out
    assert "had bdr-bea been available (away)" in out


def test_q3c_route_json(tmp_path: Path) -> None:
    code, out = run(tmp_path, "--json")
    assert code == 0, out
    data = json.loads(out)
    assert (data["rep"], data["rule"], data["rule_ids"]) == (
        "sdr-eve",
        "actively-working",
        ["Q3c", "Q4"],
    )
    assert data["explanation"]["counterfactual"]["rep"] == "bdr-bea"


def test_route_refuses_a_naive_time(tmp_path: Path) -> None:
    code, out = run(tmp_path, body={**VISITOR, "now": "2026-01-05T12:00:00"})
    assert code != 0
    assert "needs a time zone" in out
