"""`handoff leads show|transition|explain`, as an operator runs them (D5, D1).

The commands run in-process through click on the same database file; the
refusal also runs as a separate process, as an operator sees it: `error:
...` on stderr with exit status 1, no traceback.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner, Result
from harness import LeadsHub, Served, new_lead  # type: ignore[import-not-found]

from handoff.cli import cli
from handoff.errors import HandoffError


def handoff(tmp_path: Path, store_url: str, *args: str) -> Result:
    """Run `handoff ARGS` in-process on the test's database."""
    config = tmp_path / "handoff.toml"
    config.write_text('[leads]\ncrm = "salesforce"\n')
    return CliRunner().invoke(cli, [*args, "--config", str(config), "--database", store_url])


def handoff_process(tmp_path: Path, store_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    """Run `handoff ARGS` as its own process, as an operator does."""
    config = tmp_path / "handoff.toml"
    return subprocess.run(
        [sys.executable, "-m", "handoff", *args, "--config", str(config), "--database", store_url],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


async def test_d5_cli_moves_shows_and_explains_a_lead(
    served: Served, leads_hub: LeadsHub, tmp_path: Path
) -> None:
    async with served() as hub:
        await new_lead(hub, "kim@acme.example", first_name="Kim")
    url = str(leads_hub.store.engine.url)

    moved = handoff(
        tmp_path, url, "leads", "transition", "Kim@Acme.example", "Open", "--reason", "called"
    )
    assert moved.exit_code == 0, moved.output
    assert "kim@acme.example is now Open" in moved.output

    refused = handoff_process(
        tmp_path, url, "leads", "transition", "kim@acme.example", "Attempt 4", "--reason", "x"
    )
    assert refused.returncode == 1
    assert refused.stderr.startswith("error: lead kim@acme.example is 'Open'")
    assert "allowed next: Attempt 1, Progressing" in refused.stderr
    assert "Traceback" not in refused.stderr

    shown = handoff(tmp_path, url, "leads", "show", "kim@acme.example", "--json")
    lead = json.loads(shown.output)
    assert lead["status"] == "Open"
    assert lead["history"][-1]["actor"].startswith("cli:")
    assert lead["history"][-1]["reason"] == "called"

    text = handoff(tmp_path, url, "leads", "show", "kim@acme.example")
    assert "Raw -> Open  by cli:" in text.output

    explained = handoff(tmp_path, url, "leads", "explain", "kim@acme.example")
    assert "leads.intake about lead:kim@acme.example  [D1]" in explained.output
    assert "leads.status about lead:kim@acme.example  [D5]" in explained.output

    missing = handoff(tmp_path, url, "leads", "show", "nobody@acme.example")
    assert isinstance(missing.exception, HandoffError)
    assert str(missing.exception) == "no lead nobody@acme.example"


async def test_d3_d2_cli_records_bant_and_claims(
    served: Served, leads_hub: LeadsHub, tmp_path: Path
) -> None:
    leads_hub.config = type(leads_hub.config)(
        leads={
            "crm": None,
            "marketing": None,
            "assignment": {
                "reps": [{"id": "aki", "name": "Aki"}, {"id": "ana", "name": "Ana"}],
                "teams": [{"name": "apac", "members": ["aki", "ana"]}],
                "rules": [{"id": "apac", "assign": "claim:apac"}],
            },
        }
    )
    async with served() as hub:
        await new_lead(hub, "kenji@jp.example")
    url = str(leads_hub.store.engine.url)
    config = tmp_path / "handoff.toml"
    config.write_text(
        '[leads]\ncrm = ""\nmarketing = ""\n'
        '[[leads.assignment.reps]]\nid = "aki"\nname = "Aki"\n'
        '[[leads.assignment.reps]]\nid = "ana"\nname = "Ana"\n'
        '[[leads.assignment.teams]]\nname = "apac"\nmembers = ["aki", "ana"]\n'
    )

    def run(*args: str) -> Result:
        return CliRunner().invoke(cli, [*args, "--config", str(config), "--database", url])

    claimed = run("leads", "claim", "kenji@jp.example", "--rep", "aki")
    assert claimed.exit_code == 0, claimed.output
    assert "now aki's (Open)" in claimed.output
    late = run("leads", "claim", "kenji@jp.example", "--rep", "ana")
    assert late.exit_code == 1
    assert "already taken by Aki" in str(late.exception)
    bant = run("leads", "bant", "kenji@jp.example", "--budget", "--need", "--json")
    assert bant.exit_code == 0, bant.output
    assert json.loads(bant.output)["status"] == "Qualified"
