"""Key headers (Gainsight `accesskey`, PathFactory `access_token`): scrubbed, or flagged."""

from __future__ import annotations

from pathlib import Path

import httpx

from handoff_sdk.testing.cassettes import CassetteTransport
from handoff_sdk.testing.scrub import REDACTED, find_secrets, scrub_headers


def test_accesskey_header_is_scrubbed() -> None:
    assert scrub_headers({"accesskey": "live-key-123"}) == {"accesskey": REDACTED}
    assert scrub_headers({"AccessKey": ["live-key-123"]}) == {"AccessKey": [REDACTED]}
    assert scrub_headers({"access_token": "live-key-123"}) == {"access_token": REDACTED}


def test_an_unredacted_accesskey_header_is_reported() -> None:
    interactions = [{"request": {"headers": {"accesskey": ["live-key-123"]}, "uri": ""}}]
    assert any("accesskey" in f for f in find_secrets(interactions))


async def test_recording_a_gainsight_call_keeps_the_key_out(tmp_path: Path) -> None:
    path = tmp_path / "gainsight.yaml"
    inner = httpx.MockTransport(lambda r: httpx.Response(200, json={"result": True}))
    recorder = CassetteTransport(path, record=True, inner=inner)
    async with httpx.AsyncClient(transport=recorder) as client:
        await client.post(
            "https://gainsight.example.test/v1/data/objects/query/x",
            headers={"accesskey": "live-key-123"},
            json={},
        )
    recorder.save()
    assert "live-key-123" not in path.read_text()
