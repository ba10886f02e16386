"""The pytest kit: cassettes, scrubbing, the secret check, fakes and the contract class.

Import what a connector's tests need from here (`from handoff_sdk.testing
import ConnectorContract, ContractCase`); the modules behind it are an
implementation detail. The pytest plugin (fixtures `connector_harness`,
`respx_harness`, `fake_clock`, `cassette_dir`) loads itself through the
`pytest11` entry point and needs no import.
"""

from __future__ import annotations

from .cassettes import (
    CassetteMiss,
    CassetteTransport,
    FaultTransport,
    cassette_interaction,
    write_cassette,
)
from .contract import ConnectorContract, ContractCase
from .harness import Harness, build_harness, cassette_path
from .pytest_plugin import HarnessFactory
from .scrub import (
    REDACTED,
    SECRET_HEADERS,
    SECRET_KEYS,
    find_secrets,
    find_secrets_in_file,
    scrub_body,
    scrub_headers,
    scrub_url,
)
from .smtp import (
    ReceivedMessage,
    SmtpCase,
    SmtpConnectorContract,
    SmtpTestServer,
    TestCertificate,
    make_test_certificate,
)

__all__ = [
    "REDACTED",
    "SECRET_HEADERS",
    "SECRET_KEYS",
    "CassetteMiss",
    "CassetteTransport",
    "ConnectorContract",
    "ContractCase",
    "FaultTransport",
    "Harness",
    "HarnessFactory",
    "ReceivedMessage",
    "SmtpCase",
    "SmtpConnectorContract",
    "SmtpTestServer",
    "TestCertificate",
    "build_harness",
    "cassette_interaction",
    "cassette_path",
    "find_secrets",
    "find_secrets_in_file",
    "make_test_certificate",
    "scrub_body",
    "scrub_headers",
    "scrub_url",
    "write_cassette",
]
