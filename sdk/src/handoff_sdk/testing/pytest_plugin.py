"""The handoff pytest plugin, loaded through the `pytest11` entry point.

Fixtures: `fake_clock`, `cassette_dir`, `connector_harness` (replays a cassette),
`respx_harness` (a connector in front of a respx router, for error paths). Options:
`--record-cassettes` (replay-only without it), and `--record-from ORIGIN` to
record from a stand-in (a vendor simulator) instead of the live API. After
recording, the saved cassette is checked and the test fails if anything
secret-looking is left.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Generator
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio
import respx

from handoff_sdk._clock import FakeClock, RealSleepClock
from handoff_sdk._connector import Connector

from .cassettes import CassetteTransport, RedirectTransport
from .contract import ConnectorContract, contract_modes
from .harness import Harness, build_harness, cassette_path
from .scrub import find_secrets_in_file

HarnessFactory = Callable[..., Harness]


def pytest_addoption(parser: pytest.Parser) -> None:
    """Register --record-cassettes and the cassette-folder ini setting."""
    group = parser.getgroup("handoff")
    group.addoption(
        "--record-cassettes",
        action="store_true",
        default=False,
        help="handoff: call the live APIs for requests a cassette lacks, and record them "
        "(scrubbed). Secrets come from HANDOFF_<CONNECTOR>_<SECRET> environment variables.",
    )
    group.addoption(
        "--record-from",
        metavar="ORIGIN",
        default=None,
        help="handoff: with --record-cassettes, send what a cassette lacks to ORIGIN (e.g. "
        "https://127.0.0.1:41234, a vendor simulator) instead of the host the connector asked "
        "for; the cassette keeps the URL asked for. Trust ORIGIN's certificate with "
        "SSL_CERT_FILE.",
    )
    parser.addini(
        "handoff_cassette_dir",
        "folder holding cassettes/<connector>/<name>.yaml, relative to rootdir",
        default="cassettes",
    )


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Run each calling test of a ConnectorContract in every mode it has: cassettes, simulator."""
    if "contract_mode" not in metafunc.fixturenames or metafunc.cls is None:
        return
    if issubclass(metafunc.cls, ConnectorContract):
        metafunc.parametrize("contract_mode", contract_modes(metafunc.cls))


_CALL_FAILED = pytest.StashKey[bool]()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """Remember whether the test itself failed, so a recording of a failure is not saved."""
    report = yield
    if report.when == "call":
        item.stash[_CALL_FAILED] = report.failed
    return report


@pytest.fixture
def fake_clock() -> FakeClock:
    """A clock the test moves; sleeps return at once and are recorded."""
    return FakeClock()


@pytest.fixture
def cassette_dir(request: pytest.FixtureRequest) -> Path:
    """The folder of cassettes (the `handoff_cassette_dir` ini setting)."""
    return Path(request.config.rootpath) / str(request.config.getini("handoff_cassette_dir"))


@pytest.fixture
def record_cassettes(request: pytest.FixtureRequest) -> bool:
    """True when the run was asked to record."""
    return bool(request.config.getoption("--record-cassettes"))


@pytest.fixture
def record_from(request: pytest.FixtureRequest, record_cassettes: bool) -> str | None:
    """The origin recordings are made from instead of the live API (`--record-from`), if any."""
    origin: str | None = request.config.getoption("--record-from")
    if origin is None:
        return None
    if not record_cassettes:
        raise pytest.UsageError("--record-from needs --record-cassettes")
    try:
        RedirectTransport(origin)
    except ValueError as exc:
        raise pytest.UsageError(f"--record-from: {exc}") from None
    return origin


@pytest_asyncio.fixture
async def connector_harness(
    request: pytest.FixtureRequest,
    cassette_dir: Path,
    record_cassettes: bool,
    record_from: str | None,
    fake_clock: FakeClock,
) -> AsyncIterator[HarnessFactory]:
    """Factory: `connector_harness(ConnectorClass, config=..., secrets=..., cassette=NAME)`.

    The cassette defaults to the test's name. Everything built is closed after
    the test; recorded cassettes are saved, then checked for secrets.
    """
    built: list[Harness] = []

    def make(
        connector_class: type[Connector],
        *,
        config: dict[str, Any] | None = None,
        secrets: dict[str, str] | None = None,
        cassette: str | None = None,
        match_body: bool = False,
        allow_repeats: bool = False,
    ) -> Harness:
        name = cassette or request.node.name.split("[")[0]
        transport = CassetteTransport(
            cassette_path(cassette_dir, connector_class.name, name),
            record=record_cassettes,
            inner=RedirectTransport(record_from) if record_from else None,
            match_body=match_body,
            allow_repeats=allow_repeats,
        )
        harness = build_harness(
            connector_class,
            transport=transport,
            config=config,
            secrets=secrets,
            # A live API's Retry-After is waited out in real time while recording.
            clock=RealSleepClock(fake_clock.now()) if record_cassettes else fake_clock,
            secrets_from_env=record_cassettes,
        )
        built.append(harness)
        return harness

    yield make
    failed = request.node.stash.get(_CALL_FAILED, False)
    for harness in built:
        await harness.aclose(keep=not failed)
        transport = harness.transport
        recorded = isinstance(transport, CassetteTransport) and transport.path.exists()
        if record_cassettes and recorded:
            assert isinstance(transport, CassetteTransport)
            findings = find_secrets_in_file(transport.path)
            if findings:
                pytest.fail("recorded cassette still holds secrets:\n" + "\n".join(findings))


@pytest_asyncio.fixture
async def respx_harness(
    fake_clock: FakeClock,
) -> AsyncIterator[Callable[..., tuple[Harness, respx.Router]]]:
    """Build connectors whose HTTP is served by a respx router.

    Use: `harness, api = respx_harness(ConnectorClass, config=..., secrets=...)`.
    For error paths that are awkward to record (429, 5xx, an expired token):
    `api` is a respx router serving the connector's HTTP, e.g.
    `api.get(url).mock(side_effect=[httpx.Response(429, headers={"Retry-After": "3"}),
    httpx.Response(200, json={...})])`. Nothing reaches the network; an
    unrouted request fails the test.
    """
    built: list[Harness] = []

    def make(
        connector_class: type[Connector],
        *,
        config: dict[str, Any] | None = None,
        secrets: dict[str, str] | None = None,
    ) -> tuple[Harness, respx.Router]:
        router = respx.Router(assert_all_mocked=True, assert_all_called=False)
        harness = build_harness(
            connector_class,
            transport=httpx.MockTransport(router.async_handler),
            config=config,
            secrets=secrets,
            clock=fake_clock,
        )
        built.append(harness)
        return harness, router

    yield make
    for harness in built:
        await harness.aclose()
