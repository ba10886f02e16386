"""The fairness ledger (Q3 round robin): `handoff explain rotation POOL` and GET /v1/rotations/{pool}.

A day of chats over a real socket: Ana (weight 1) and Ben (weight 2) share
the sales pool; Ben goes away before the sixth chat. The ledger counts each
member's turns taken and skipped (with why), their share against the share
their weight aims at, and says who is next and why.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
from chat_day import CHATS, live_day, write_configs
from click.testing import CliRunner

from handoff.cli import cli

AWAY_FROM = 5  # Ben goes away before this chat


async def test_q3_the_ledger_shows_shares_skips_and_who_is_next(
    tmp_path: Path, loopback: Any
) -> None:
    live, _candidate = write_configs(tmp_path)
    seen: dict[str, Any] = {}

    async def probe(client: httpx.AsyncClient) -> None:
        answer = await client.get("/v1/rotations/sales", params={"since": "2026-01-05T00:00:00Z"})
        assert answer.status_code == 200, answer.text
        seen["api"] = answer.json()
        missing = await client.get("/v1/rotations/nobody")
        assert missing.status_code == 404
        assert missing.json()["fields"][0]["field"] == "pool"
        bad = await client.get("/v1/rotations/sales", params={"since": "yesterday"})
        assert bad.status_code == 422

    store = await live_day(live, loopback, away={AWAY_FROM: "ben"}, probe=probe)
    store.dispose()
    ledger = seen["api"]
    assert ledger["cursor"] == "rr:sales"
    assert ledger["cycle"] == ["ben", "ana", "ben"]  # weights 2:1, interleaved
    members = {m["member"]: m for m in ledger["members"]}
    # Chats 0-4 went ben, ana, ben, ben, ana; from chat 5 Ben is away: Ana takes the rest.
    later = len(CHATS) - AWAY_FROM
    assert members["ben"]["taken"] == 3
    assert members["ana"]["taken"] == 2 + later
    assert ledger["taken"] == len(CHATS)
    assert members["ben"]["skip_reasons"] == {"away": 2 * later}
    assert members["ana"]["skipped"] == 0
    assert (members["ben"]["weight"], members["ana"]["weight"]) == (2, 1)
    assert members["ben"]["expected_share"] == round(2 / 3, 4)
    assert members["ana"]["share"] == round((2 + later) / len(CHATS), 4)
    assert ledger["next"] == "ben"
    assert ledger["why_next"].startswith("ben is next: ana took the last turn")
    assert "cycle [ben, ana, ben]" in ledger["why_next"]

    args = ["explain", "rotation", "sales", "--config", str(live), "--since", "2026-01-05"]
    result = CliRunner().invoke(cli, [*args, "--json"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    printed = json.loads(result.stdout)
    same = ("members", "cycle", "position", "next", "why_next", "turns", "taken", "cursor")
    assert {k: printed[k] for k in same} == {k: ledger[k] for k in same}
    text = CliRunner().invoke(cli, args, catch_exceptions=False).stdout
    assert "round robin sales (rr:sales)" in text
    assert "away x8" in text
    assert "next: ben is next" in text
    # The decision that skipped Ben explains itself the same way: matched, not matched, else.
    chat = (
        CliRunner()
        .invoke(cli, ["explain", f"conversation:c-{AWAY_FROM + 1}", "--config", str(live)])
        .stdout
    )
    assert "matched  everyone-else (Q3e): no condition: always" in chat
    assert "not      german: " in chat
    assert "else     had ben been available (away), it would have gone to ben (team:sales)" in chat
    result = CliRunner().invoke(cli, ["explain", "rotation", "--config", str(live)])
    assert result.exit_code != 0
    assert "POOL" in result.output + str(result.exception)
