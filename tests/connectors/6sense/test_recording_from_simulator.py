"""Recording 6sense cassettes from its simulator, as from the live API (docs/testing.md).

The author's command: the simulator in a process of its own, its key in
HANDOFF_6SENSE_API_KEY, its certificate in SSL_CERT_FILE, and
`pytest --record-cassettes --record-from <its origin>`. The connector's test
keeps 6sense's own base URL; the cassette holds that URL, scrubbed, and
replays without the simulator.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from handoff_sdk.testing import find_secrets_in_file

pytest_plugins = ["pytester"]

AUTHOR_TEST = """
from handoff_6sense import SixsenseConnector
from handoff_sdk.entities import Visitor
from handoff_sdk.testing import HarnessFactory


async def test_enrich_litware(connector_harness: HarnessFactory) -> None:
    harness = connector_harness(
        SixsenseConnector,
        config={"base_url": "https://epsilon.6sense.com"},
        secrets={"api_key": "synthetic-key"},
        cassette="enrich_litware",
    )
    found = await harness.connector.handoff_enrich_visitor(Visitor(id="v-1", ip="203.0.113.10"))
    assert found is not None
    assert (found.company_name, found.domain) == ("Litware Inc", "litware.example")
"""


@pytest.fixture
def simulator_process(tmp_path: Path) -> Iterator[dict[str, str]]:
    """`python -m handoff_sdk.testing.simulator ... --tls`: the documented first step."""
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "handoff_sdk.testing.simulator",
            "handoff_6sense.simulator:SixsenseSimulator",
            "--tls",
            "--cert-dir",
            str(tmp_path / "tls"),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    ready = json.loads(process.stdout.readline())
    try:
        yield ready
    finally:
        process.terminate()
        process.wait(timeout=10)


def _sixsense_key() -> str:
    """The documented second step: the simulator's key, printed by its own class."""
    printed = subprocess.run(
        [
            sys.executable,
            "-c",
            "from handoff_6sense.simulator import SixsenseSimulator; "
            "print(SixsenseSimulator().connector_secrets()['api_key'])",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    return printed.stdout.strip()


def test_cassettes_are_recorded_from_the_simulator_and_replay_without_it(
    pytester: pytest.Pytester, simulator_process: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    pytester.makeini(
        "[pytest]\nasyncio_mode = auto\nasyncio_default_fixture_loop_scope = function\n"
    )
    pytester.makepyfile(test_sixsense=AUTHOR_TEST)
    key = _sixsense_key()
    monkeypatch.setenv("HANDOFF_6SENSE_API_KEY", key)
    monkeypatch.setenv("SSL_CERT_FILE", simulator_process["ca_file"])
    recorded = pytester.runpytest(
        "--record-cassettes", "--record-from", simulator_process["url"], "-p", "no:cacheprovider"
    )
    recorded.assert_outcomes(passed=1)
    cassette = pytester.path / "cassettes" / "6sense" / "enrich_litware.yaml"
    text = cassette.read_text()
    [interaction] = yaml.safe_load(text)["interactions"]
    assert (
        interaction["request"]["uri"]
        == "https://epsilon.6sense.com/v3/company/details?ip=203.0.113.10"
    )
    headers = {k.lower(): v for k, v in interaction["request"]["headers"].items()}
    assert headers["authorization"] == ["REDACTED"]
    assert interaction["response"]["status"]["code"] == 200
    assert key not in text
    assert find_secrets_in_file(cassette) == []
    monkeypatch.delenv("HANDOFF_6SENSE_API_KEY")
    monkeypatch.delenv("SSL_CERT_FILE")
    replayed = pytester.runpytest("-p", "no:cacheprovider")
    replayed.assert_outcomes(passed=1)


def test_record_from_needs_record_cassettes(pytester: pytest.Pytester) -> None:
    pytester.makeini(
        "[pytest]\nasyncio_mode = auto\nasyncio_default_fixture_loop_scope = function\n"
    )
    pytester.makepyfile(test_sixsense=AUTHOR_TEST)
    result = pytester.runpytest("--record-from", "https://127.0.0.1:9", "-p", "no:cacheprovider")
    assert result.ret != 0
    result.stdout.fnmatch_lines(["*--record-from needs --record-cassettes*"])
    assert "HANDOFF_6SENSE_API_KEY" not in os.environ
