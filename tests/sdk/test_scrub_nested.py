"""Secrets deep inside JSON, found by mutation testing (`make mutation`): each case here
survived a mutant of handoff_sdk/testing/scrub.py that no test killed.

A secret key inside a list, inside nested objects, or spelled in upper case
is scrubbed on the way into a cassette, and found by the cassette check when
it was not; other keys, numbers and non-secret values are left alone.
"""

from __future__ import annotations

import json

from handoff_sdk.testing.scrub import REDACTED, find_secrets, scrub_body, scrub_headers, scrub_url

DEEP = {
    "records": [
        {"Id": "001", "Access_Token": "tok-aaa", "name": "Litware"},
        {"Id": "002", "nested": {"CLIENT_SECRET": "cs-bbb", "deeper": [{"Password": "pw-ccc"}]}},
    ],
    "token": "top-ddd",
    "count": 2,
    "secret": {"kept": "not a string: recursed into, not replaced"},
}


def test_secret_keys_in_lists_nested_objects_and_any_case_are_scrubbed() -> None:
    scrubbed = json.loads(scrub_body(json.dumps(DEEP), "application/json") or "")
    first, second = scrubbed["records"]
    assert first == {"Id": "001", "Access_Token": REDACTED, "name": "Litware"}
    assert second["nested"]["CLIENT_SECRET"] == REDACTED
    assert second["nested"]["deeper"] == [{"Password": REDACTED}]
    assert scrubbed["token"] == REDACTED
    assert scrubbed["count"] == 2
    assert scrubbed["secret"] == {"kept": "not a string: recursed into, not replaced"}
    as_bytes = scrub_body(json.dumps(DEEP).encode(), "application/json")
    assert isinstance(as_bytes, bytes)
    assert json.loads(as_bytes) == scrubbed


def test_a_top_level_list_body_is_scrubbed_too() -> None:
    body = json.dumps([{"API_KEY": "k-1"}, {"value": "plain"}])
    assert json.loads(scrub_body(body) or "") == [{"API_KEY": REDACTED}, {"value": "plain"}]


def test_form_bodies_urls_and_headers_are_scrubbed_whatever_the_case() -> None:
    form = scrub_body("grant_type=refresh&Refresh_Token=rt-1&client_id=abc")
    assert form == f"grant_type=refresh&Refresh_Token={REDACTED}&client_id=abc"
    url = scrub_url("https://api.example.test/v1?API_KEY=k-2&page=3")
    assert url == f"https://api.example.test/v1?API_KEY={REDACTED}&page=3"
    headers = scrub_headers({"Authorization": "Bearer x", "X-API-KEY": ["k"], "Accept": "json"})
    assert headers == {"Authorization": REDACTED, "X-API-KEY": [REDACTED], "Accept": "json"}
    assert scrub_body(None) is None
    assert scrub_body(b"") == b""


def interaction(body: object) -> dict[str, object]:
    return {
        "request": {"uri": "https://api.example.test/x", "headers": {}, "body": None},
        "response": {"headers": {}, "body": {"string": json.dumps(body)}},
    }


def test_the_cassette_check_finds_secrets_in_lists_nested_objects_and_any_case() -> None:
    findings = find_secrets([interaction(DEEP)], "c.yaml")
    where = "c.yaml interaction 0 response body"
    assert f"{where}: key 'Access_Token' holds a value" in findings
    assert f"{where}: key 'CLIENT_SECRET' holds a value" in findings
    assert f"{where}: key 'Password' holds a value" in findings
    assert f"{where}: key 'token' holds a value" in findings
    assert not any("'secret'" in f or "'count'" in f or "'name'" in f for f in findings)
    clean = json.loads(scrub_body(json.dumps(DEEP)) or "")
    assert find_secrets([interaction(clean)], "c.yaml") == []


def test_the_cassette_check_reads_headers_queries_and_forms_in_any_case() -> None:
    part = {
        "uri": "https://api.example.test/x?Access_Token=abc&page=1",
        "headers": {"AUTHORIZATION": ["Bearer live"], "Accept": ["json"]},
        "body": "Client_Secret=cs-9&x=1",
    }
    findings = find_secrets([{"request": part, "response": {}}], "c.yaml")
    assert "c.yaml interaction 0 request: header 'AUTHORIZATION' is not redacted" in findings
    assert "c.yaml interaction 0 request: query parameter 'Access_Token' holds a value" in findings
    assert "c.yaml interaction 0 request body: form field 'Client_Secret' holds a value" in findings
    redacted = {
        "uri": f"https://api.example.test/x?Access_Token={REDACTED}&page=1",
        "headers": {"AUTHORIZATION": [REDACTED]},
        "body": f"Client_Secret={REDACTED}&x=1",
    }
    assert find_secrets([{"request": redacted, "response": {}}], "c.yaml") == []
