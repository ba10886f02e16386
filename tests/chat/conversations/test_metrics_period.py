"""Q15's period: the API reads `since`/`until` with the CLI's parser, so both accept the same."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from click.testing import CliRunner

from handoff.chat.conversations import record_conversation_event
from handoff.cli import cli
from handoff.store import Store
from handoff_sdk import FakeClock


@pytest.mark.parametrize("since", ["24h", "1d", "90m", "2026-01-05", "2026-01-05T08:00:00+00:00"])
async def test_q15_metrics_api_accepts_what_the_cli_accepts(
    client: httpx.AsyncClient, store: Store, clock: FakeClock, since: str
) -> None:
    """Q15: `since=24h` (and every other form `handoff metrics reps --since` reads) works."""
    with store.transaction() as session:
        record_conversation_event(session, "c1", "routed", rep_id="ana", now=clock.now())
        record_conversation_event(session, "c1", "rep_joined", rep_id="ana", now=clock.now())
    clock.advance(60)
    answer = await client.get("/v1/metrics/reps", params={"since": since})
    assert answer.status_code == 200, answer.text
    [ana] = answer.json()["reps"]
    assert ana["waited_with_conversation"] == 1
    assert answer.json()["until"] == "2026-01-05T09:01:00Z"


async def test_q15_relative_since_counts_back_from_now(
    client: httpx.AsyncClient, clock: FakeClock
) -> None:
    answer = await client.get("/v1/metrics/reps", params={"since": "2h", "until": "30m"})
    assert answer.status_code == 200, answer.text
    assert answer.json()["since"] == "2026-01-05T07:00:00Z"
    assert answer.json()["until"] == "2026-01-05T08:30:00Z"


@pytest.mark.parametrize("since", ["yesterday", "24x", "1234567d", "2026-13-01"])
async def test_q15_metrics_api_and_cli_refuse_the_same_text_naming_the_field(
    client: httpx.AsyncClient, tmp_path: Any, isolated_home: Any, since: str
) -> None:
    answer = await client.get("/v1/metrics/reps", params={"since": since})
    assert answer.status_code == 422
    [field] = answer.json()["fields"]
    assert field["field"] == "since"
    assert "neither ISO 8601" in field["problem"]
    url = f"sqlite:///{tmp_path / 'q.db'}"
    from handoff.store import upgrade  # noqa: PLC0415

    upgrade(Store(url))
    result = CliRunner().invoke(cli, ["metrics", "reps", "--since", since, "--database", url])
    assert result.exit_code != 0
    assert "neither ISO 8601" in str(result.exception)


async def test_the_openapi_document_says_what_since_accepts(client: httpx.AsyncClient) -> None:
    document = (await client.get("/openapi.json")).json()
    parameters = document["paths"]["/v1/metrics/reps"]["get"]["parameters"]
    since = next(p for p in parameters if p["name"] == "since")
    assert since["required"] is True
    kinds = [branch.get("format") or branch.get("pattern") for branch in since["schema"]["anyOf"]]
    assert kinds == ["date-time", "date", "^[0-9]{1,5}[mhdwMHDW]$"]
