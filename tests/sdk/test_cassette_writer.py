"""The cassette writer: hand-written cassettes replay like recorded ones and never hold a secret.

No business rule (Q..) is involved: this is the SDK's test kit.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from handoff_sdk import Connector
from handoff_sdk.testing.cassettes import (
    CassetteTransport,
    cassette_interaction,
    write_cassette,
)
from handoff_sdk.testing.scrub import REDACTED, find_secrets_in_file

Factory = Callable[..., Any]
JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1c2VyLTEifQ.c2lnbmF0dXJlLXNpZ25hdHVyZQ"


@pytest.fixture
def cassette_dir(tmp_path: Path) -> Path:
    """The harness reads its cassettes from this test's own folder."""
    return tmp_path


async def test_written_cassette_is_replayed_by_the_harness(
    connector_harness: Factory, echo_classes: dict[str, type[Connector]], cassette_dir: Path
) -> None:
    write_cassette(
        cassette_dir / "echo" / "acme.yaml",
        [
            cassette_interaction(
                "GET",
                "https://echo.example.test/accounts?domain=acme.example",
                request_headers={"X-Key": REDACTED},
                response_body={"id": "A-1", "name": "Acme"},
            )
        ],
    )
    harness = connector_harness(echo_classes["echo"], secrets={"api_key": "k"}, cassette="acme")
    account = await harness.connector.handoff_match_account(
        email_domain="acme.example", website=None
    )
    assert account is not None
    assert (account.name, account.ids) == ("Acme", {"echo": "A-1"})
    assert harness.api_calls == 1


async def test_json_request_body_matches_what_httpx_sends(tmp_path: Path) -> None:
    path = tmp_path / "post.yaml"
    sent = {"records": [{"Email": "ana@example.test"}], "allOrNone": False}
    write_cassette(
        path,
        [
            cassette_interaction(
                "POST",
                "https://api.example.test/upsert",
                request_body=sent,
                status=201,
                response_body={"ok": True},
                response_headers={"Location": "https://api.example.test/upsert/1"},
            )
        ],
    )
    transport = CassetteTransport(path, match_body=True)
    async with httpx.AsyncClient(transport=transport) as client:
        answer = await client.post("https://api.example.test/upsert", json=sent)
    assert answer.status_code == 201
    assert answer.json() == {"ok": True}
    assert answer.headers["Location"] == "https://api.example.test/upsert/1"
    assert answer.headers["Content-Type"] == "application/json"


def test_interaction_has_the_vcrpy_shape() -> None:
    interaction = cassette_interaction(
        "POST",
        "https://api.example.test/leads",
        request_body={"b": 1, "a": [1, 2]},
        request_headers={"Accept": "application/json"},
        status=429,
        response_body="slow down",
        response_headers={"Content-Type": "text/plain", "Retry-After": ["3"]},
    )
    assert interaction == {
        "request": {
            "method": "POST",
            "uri": "https://api.example.test/leads",
            "body": '{"b":1,"a":[1,2]}',
            "headers": {"Accept": ["application/json"], "Content-Type": ["application/json"]},
        },
        "response": {
            "status": {"code": 429, "message": "Too Many Requests"},
            "headers": {"Content-Type": ["text/plain"], "Retry-After": ["3"]},
            "body": {"string": "slow down"},
        },
    }


def test_no_body_and_a_given_reason() -> None:
    interaction = cassette_interaction("DELETE", "https://api.example.test/x/1", status=204)
    assert interaction["request"]["body"] is None
    assert interaction["request"]["headers"] == {}
    assert interaction["response"]["body"] == {"string": ""}
    assert interaction["response"]["status"]["message"] == "No Content"
    odd = cassette_interaction("GET", "https://api.example.test/", status=200, reason="Fine")
    assert odd["response"]["status"]["message"] == "Fine"


def test_secrets_passed_in_are_written_redacted(tmp_path: Path) -> None:
    path = tmp_path / "token.yaml"
    write_cassette(
        path,
        [
            cassette_interaction(
                "POST",
                "https://login.example.test/token?access_token=live-query-token",
                request_body="grant_type=refresh_token&refresh_token=live-refresh&client_id=app",
                request_headers={
                    "Authorization": f"Bearer {JWT}",
                    "Content-Type": "application/x-www-form-urlencoded",
                },
                response_body={"access_token": "live-access", "nested": {"note": JWT}},
                response_headers={"Set-Cookie": "session=live-cookie"},
            )
        ],
    )
    text = path.read_text(encoding="utf-8")
    for live in ("live-query-token", "live-refresh", "live-access", "live-cookie", JWT):
        assert live not in text
    assert find_secrets_in_file(path) == []
    request = yaml.safe_load(text)["interactions"][0]["request"]
    assert request["uri"] == f"https://login.example.test/token?access_token={REDACTED}"
    assert request["body"] == f"grant_type=refresh_token&refresh_token={REDACTED}&client_id=app"
    assert request["headers"]["Authorization"] == [REDACTED]


def test_a_hand_built_interaction_holding_a_secret_is_refused(tmp_path: Path) -> None:
    interaction = cassette_interaction("GET", "https://api.example.test/me")
    interaction["request"]["headers"]["Authorization"] = ["Bearer live-token-value"]
    path = tmp_path / "leaky.yaml"
    with pytest.raises(
        ValueError, match=r"(?s)refusing to write .*leaky.*header 'Authorization' is not"
    ):
        write_cassette(path, [interaction])
    assert not path.exists()


def test_an_interaction_the_loader_cannot_read_is_refused(tmp_path: Path) -> None:
    interaction = cassette_interaction("GET", "https://api.example.test/me")
    del interaction["request"]["uri"]
    with pytest.raises(ValueError, match="interaction 0 request lacks uri"):
        write_cassette(tmp_path / "broken.yaml", [interaction])


def test_file_format_is_plain_ascii_yaml_without_anchors(tmp_path: Path) -> None:
    shared = {"Content-Type": ["application/json"]}
    interactions = [
        cassette_interaction(
            "GET",
            "https://api.example.test/people/1",
            response_body={"name": "Zoë Ødegaard"},
            response_headers=shared,
        ),
        cassette_interaction(
            "GET",
            "https://api.example.test/people/2",
            response_body={"name": "Ana", "tags": ["a", "b"]},
            response_headers=shared,
            indent=2,
        ),
    ]
    path = tmp_path / "people.yaml"
    write_cassette(path, interactions)
    raw = path.read_bytes()
    assert raw.isascii()
    text = raw.decode()
    assert "&id" not in text
    assert "*id" not in text
    assert text.startswith("interactions:\n- request:\n    method: GET\n")
    assert text.endswith("version: 1\n")
    assert "      string: |-\n        {\n" in text  # an indented body reads as a block
    assert yaml.safe_load(text) == {"interactions": interactions, "version": 1}


def test_empty_cassette(tmp_path: Path) -> None:
    path = tmp_path / "nested" / "webhook.yaml"
    write_cassette(path, [])
    assert path.read_text(encoding="utf-8") == "interactions: []\nversion: 1\n"
