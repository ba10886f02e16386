"""The cassette transport records scrubbed interactions and replays them."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from handoff_sdk.testing.cassettes import CassetteMiss, CassetteTransport, FaultTransport
from handoff_sdk.testing.scrub import REDACTED, find_secrets, find_secrets_in_file, scrub_url

LIVE_TOKEN = "00Dxx0000001gPL!AR8AQJXg5oj8jXSgxJfA0lBog.39AsX.LVpxezPwuX5VAIrrbbHMuol7GQxnMeYMN7cj8EoWr78nh5Zml5tQ4tTmzuykbUcP"


def _api(request: httpx.Request) -> httpx.Response:
    if request.url.path == "/token":
        return httpx.Response(
            200, json={"access_token": LIVE_TOKEN, "refresh_token": "5Aep861rotated"}
        )
    return httpx.Response(200, json={"records": [{"Id": "001A", "Name": "Acme"}]})


async def test_recording_scrubs_secrets_and_replay_matches(tmp_path: Path) -> None:
    path = tmp_path / "demo.yaml"
    recorder = CassetteTransport(path, record=True, inner=httpx.MockTransport(_api))
    async with httpx.AsyncClient(transport=recorder) as client:
        await client.post(
            "https://login.example.test/token", data={"client_secret": "s3cr3t-value-123"}
        )
        live = await client.get(
            "https://api.example.test/query?q=SELECT&access_token=abc123abc123",
            headers={"Authorization": f"Bearer {LIVE_TOKEN}"},
        )
    recorder.save()
    text = path.read_text()
    assert LIVE_TOKEN not in text
    assert "s3cr3t-value-123" not in text
    assert "abc123abc123" not in text
    assert REDACTED in text
    assert find_secrets_in_file(path) == []

    replayer = CassetteTransport(path)
    async with httpx.AsyncClient(transport=replayer) as client:
        replayed = await client.get(
            "https://api.example.test/query?q=SELECT&access_token=other-token-value",
            headers={"Authorization": "Bearer other"},
        )
    assert replayed.json() == live.json()
    assert len(replayer.requests) == 1


async def test_replay_without_a_recording_names_the_request(tmp_path: Path) -> None:
    path = tmp_path / "empty.yaml"
    path.write_text("interactions: []\nversion: 1\n")
    async with httpx.AsyncClient(transport=CassetteTransport(path)) as client:
        with pytest.raises(CassetteMiss, match=r"GET https://api\.example\.test/missing"):
            await client.get("https://api.example.test/missing")


def test_missing_cassette_file_says_how_to_record(tmp_path: Path) -> None:
    with pytest.raises(CassetteMiss, match="--record-cassettes"):
        CassetteTransport(tmp_path / "nope.yaml")


def test_secret_check_finds_an_unscrubbed_token(tmp_path: Path) -> None:
    path = tmp_path / "leaky.yaml"
    path.write_text(
        "interactions:\n"
        "- request:\n"
        "    method: GET\n"
        "    uri: https://api.example.test/x?access_token=live-token-1234567\n"
        "    headers: {Authorization: [Bearer abcdefghijklmnopqrstuvwxyz012345]}\n"
        "    body: null\n"
        "  response:\n"
        "    status: {code: 200, message: OK}\n"
        "    headers: {}\n"
        '    body: {string: \'{"refresh_token": "5Aep861abcdef"}\'}\n'
        "version: 1\n"
    )
    findings = find_secrets_in_file(path)
    assert any("header 'Authorization'" in f for f in findings)
    assert any("query parameter 'access_token'" in f for f in findings)
    assert any("'refresh_token'" in f for f in findings)


async def test_fault_transport_injects_then_delegates() -> None:
    inner = httpx.MockTransport(lambda r: httpx.Response(200, text="fine"))
    faults = FaultTransport(inner, [httpx.Response(429, headers={"Retry-After": "3"})])
    async with httpx.AsyncClient(transport=faults) as client:
        first = await client.get("https://api.example.test/")
        second = await client.get("https://api.example.test/")
    assert (first.status_code, second.status_code) == (429, 200)
    assert faults.injected == 1


def test_a_slack_webhook_url_is_scrubbed_and_flagged() -> None:
    url = "https://hooks.slack.com/services/T0SYNTH01/B0SYNTH02/abcdefghijklmnopqrstuvwx"
    assert scrub_url(url) == "https://hooks.slack.com/services/T0SYNTH01/B0SYNTH02/REDACTED"
    findings = find_secrets([{"request": {"uri": url, "headers": {}}}])
    assert any("Slack webhook URL" in f for f in findings)
