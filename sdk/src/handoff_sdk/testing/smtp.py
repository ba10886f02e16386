"""The contract for connectors that speak SMTP, and a real SMTP server to run it against.

`ConnectorContract` is HTTP-shaped: cassettes, a 429 with Retry-After, a token
refresh. A connector that sends mail has none of those, but an ops person and
the hub rely on the same promises, so this module restates them for SMTP:

    class TestMailContract(SmtpConnectorContract):
        connector_class = MailConnector
        config = {"host": "127.0.0.1", "port": 25, "from_address": "hub@example.test"}
        cases = [SmtpCase("handoff_send_notification",
                          {"notification": Notification(recipients=["a@example.test"],
                                                        text="hi"),
                           "idempotency_key": "job-1"})]

Each test starts `SmtpTestServer` (aiosmtpd on 127.0.0.1, an ephemeral port,
optionally STARTTLS or implicit TLS with a throwaway certificate, optionally
AUTH) and points the connector's `host` and `port` at it (override
`server_config` for other field names). The server can answer MAIL, RCPT or
DATA with a scripted reply, which is how temporary (4xx) and permanent (5xx)
failures are put in front of the connector.

What maps to what (see docs/connectors/email.md):

- config and secrets declared, capabilities async, discoverable through the
  entry point, a case per capability: the HTTP contract's own checks, reused;
- canonical return type: the same check, plus "the message arrived" and "no
  HTTP request was made";
- 429 with Retry-After waited out -> a 4xx reply at MAIL, RCPT or DATA is
  waited out on the injected clock and the message arrives once;
- expired token refreshed once -> refused credentials (535) are an AuthError
  at once, never retried, and the error does not contain the password;
- writes carry an idempotency key -> the key is in the connector's
  `idempotency_header` of the message, and the Message-ID is derived from it:
  the same key gives the same Message-ID, another key another one;
- (new) a permanent 5xx refusal is an error naming every refused recipient,
  sent once, never retried;
- batch writes and cassettes: not applicable (no batch hook, no HTTP).
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import re
import ssl
import threading
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from types import TracebackType
from typing import Any, ClassVar, Literal, cast, get_type_hints

import httpx
import pydantic
import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

from handoff_sdk import hookspecs
from handoff_sdk._connector import Connector
from handoff_sdk.errors import AuthError, ConnectorError, MissingSecretError

from .contract import ConnectorContract
from .harness import Harness, build_harness
from .tls import make_test_certificate

__all__ = [
    "ReceivedMessage",
    "SmtpCase",
    "SmtpConnectorContract",
    "SmtpTestServer",
]

Stage = Literal["MAIL", "RCPT", "DATA"]
TlsMode = Literal["starttls", "tls"]

_MESSAGE_ID = re.compile(r"<[^<>@\s]+@[^<>@\s]+>")


@dataclass(frozen=True)
class ReceivedMessage:
    """One message the test server accepted, as it came off the wire."""

    mail_from: str
    rcpt_tos: list[str]
    data: bytes
    tls: bool
    authenticated: bool

    @property
    def message(self) -> EmailMessage:
        """The message parsed with the modern email policy: headers decoded, lines end in LF."""
        return email.message_from_bytes(
            self.data.replace(b"\r\n", b"\n"), policy=email.policy.default
        )


@dataclass
class _Fault:
    stage: Stage
    reply: str
    remaining: int | None
    address: str | None


def _over_tls(server: SMTP, session: Session) -> bool:
    """Whether this session is encrypted: after STARTTLS, or TLS from the first byte."""
    if session.ssl is not None:
        return True
    transport = server.transport
    return transport is not None and transport.get_extra_info("ssl_object") is not None


class _Handler:
    """aiosmtpd handler: records what arrives, answers with scripted faults first."""

    def __init__(self, server: SmtpTestServer) -> None:
        self._server = server

    async def handle_MAIL(
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        address: str,
        mail_options: list[str],
    ) -> str:
        """Count the transaction; answer a scripted MAIL fault if there is one."""
        self._server._note("MAIL", address)
        fault = self._server._take_fault("MAIL", address)
        if fault is not None:
            return fault
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        address: str,
        rcpt_options: list[str],
    ) -> str:
        """Accept the recipient unless a scripted RCPT fault applies to it."""
        self._server._note("RCPT", address)
        fault = self._server._take_fault("RCPT", address)
        if fault is not None:
            return fault
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(rcpt_options)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        """Keep the message unless a scripted DATA fault refuses it."""
        self._server._note("DATA", ",".join(envelope.rcpt_tos))
        fault = self._server._take_fault("DATA", None)
        if fault is not None:
            return fault
        content = envelope.original_content or b""
        self._server._keep(
            ReceivedMessage(
                mail_from=envelope.mail_from or "",
                rcpt_tos=list(envelope.rcpt_tos),
                data=content,
                tls=_over_tls(server, session),
                authenticated=bool(session.authenticated),
            )
        )
        return "250 2.0.0 Message accepted for delivery"


class _EphemeralController(Controller):
    """aiosmtpd's Controller, bound to port 0: the OS picks a free port, read back here."""

    def _trigger_server(self) -> None:
        if isinstance(self.server, asyncio.Server) and self.port == 0:
            self.port = int(self.server.sockets[0].getsockname()[1])
        super()._trigger_server()  # type: ignore[no-untyped-call]


class SmtpTestServer:
    """A real SMTP server on 127.0.0.1 for one test, with scripted refusals.

    `tls="starttls"` offers and requires STARTTLS; `tls="tls"` is implicit TLS
    (port-465 style). Both use a throwaway certificate whose file is `ca_file`.
    With `credentials=(user, password)` the server requires AUTH (over TLS when
    TLS is on) and refuses other credentials with 535. With `mail_dir`, each
    accepted message is also written there as `<n>.eml`, so a person can open
    what was sent (`handoff sandbox` does this).
    """

    def __init__(
        self,
        *,
        tls: TlsMode | None = None,
        credentials: tuple[str, str] | None = None,
        cert_dir: Path | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        mail_dir: Path | None = None,
    ) -> None:
        if tls is not None and cert_dir is None:
            raise ValueError("a TLS test server needs cert_dir for its certificate")
        self.host = host
        self._port = port
        self.mail_dir = mail_dir
        self.tls = tls
        self.credentials = credentials
        self.certificate = make_test_certificate(cert_dir) if tls and cert_dir else None
        self.messages: list[ReceivedMessage] = []
        self.commands: list[tuple[Stage, str]] = []
        self.logins: list[tuple[str, bool]] = []
        self._faults: list[_Fault] = []
        self._lock = threading.Lock()
        self._controller: _EphemeralController | None = None

    # -- what a test reads -------------------------------------------------------

    @property
    def port(self) -> int:
        """The port the server listens on (chosen by the OS)."""
        if self._controller is None:
            raise RuntimeError("the SMTP test server is not running")
        return int(self._controller.port)

    @property
    def ca_file(self) -> Path | None:
        """The certificate to trust (as a CA bundle) when TLS is on."""
        return self.certificate.cert_file if self.certificate else None

    @property
    def transactions(self) -> int:
        """MAIL commands received: one per delivery attempt that got that far."""
        with self._lock:
            return sum(1 for stage, _ in self.commands if stage == "MAIL")

    def rcpt_commands(self) -> list[str]:
        """Every RCPT address received, in order, refused ones included."""
        with self._lock:
            return [value for stage, value in self.commands if stage == "RCPT"]

    # -- what a test scripts -----------------------------------------------------

    def refuse(
        self, stage: Stage, reply: str, *, times: int | None = 1, address: str | None = None
    ) -> None:
        """Answer the next `times` MAIL/RCPT/DATA commands with `reply` (None: always).

        `reply` is a full SMTP reply line such as "451 4.3.0 Try again later".
        For RCPT, `address` limits the refusal to one recipient.
        """
        if not re.fullmatch(r"[245]\d\d( .*)?", reply):
            raise ValueError(f"not an SMTP reply line: {reply!r}")
        with self._lock:
            self._faults.append(_Fault(stage, reply, times, address))

    # -- lifecycle ---------------------------------------------------------------

    def start(self) -> SmtpTestServer:
        """Start listening (in aiosmtpd's thread) and return self."""
        kwargs: dict[str, Any] = {"server_hostname": "smtp.example.test"}
        context: ssl.SSLContext | None = None
        if self.certificate is not None:
            context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            context.load_cert_chain(self.certificate.cert_file, self.certificate.key_file)
        if self.tls == "starttls":
            kwargs.update(tls_context=context, require_starttls=True)
        elif self.tls == "tls":
            kwargs.update(ssl_context=context)
        if self.credentials is not None:
            kwargs.update(
                authenticator=self._authenticate,
                auth_required=True,
                auth_require_tls=self.tls is not None,
            )
        controller = _EphemeralController(
            _Handler(self), hostname=self.host, port=self._port, **kwargs
        )
        controller.start()
        self._controller = controller
        return self

    def stop(self) -> None:
        """Stop the server and its thread."""
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def __enter__(self) -> SmtpTestServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- called from the server thread ---------------------------------------------

    def _authenticate(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, auth_data: Any
    ) -> AuthResult:
        if not isinstance(auth_data, LoginPassword) or self.credentials is None:
            return AuthResult(success=False, handled=False)
        login = auth_data.login.decode("utf-8", "replace")
        password = auth_data.password.decode("utf-8", "replace")
        with self._lock:
            self.logins.append((login, _over_tls(server, session)))
        ok = (login, password) == self.credentials
        return AuthResult(success=ok, handled=False)

    def _note(self, stage: Stage, value: str) -> None:
        with self._lock:
            self.commands.append((stage, value))

    def _take_fault(self, stage: Stage, address: str | None) -> str | None:
        with self._lock:
            for fault in self._faults:
                if fault.stage != stage or fault.remaining == 0:
                    continue
                if fault.address is not None and fault.address != address:
                    continue
                if fault.remaining is not None:
                    fault.remaining -= 1
                return fault.reply
        return None

    def _keep(self, message: ReceivedMessage) -> None:
        with self._lock:
            self.messages.append(message)
            count = len(self.messages)
        if self.mail_dir is not None:
            self.mail_dir.mkdir(parents=True, exist_ok=True)
            (self.mail_dir / f"{count:04d}.eml").write_bytes(message.data)


@dataclass(frozen=True)
class SmtpCase:
    """One capability call made against the test SMTP server."""

    hook: str
    kwargs: Mapping[str, Any]
    extra: Mapping[str, Any] = field(default_factory=dict)


class _NoHttp(httpx.AsyncBaseTransport):
    """The harness's HTTP transport: an SMTP connector must not use it."""

    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        raise AssertionError(f"an SMTP connector made an HTTP request: {request.url}")


def _return_type(hook: str) -> Any:
    return get_type_hints(getattr(hookspecs, hook))["return"]


class SmtpConnectorContract:
    """Subclass as `Test<Name>Contract` for a connector that delivers over SMTP."""

    connector_class: ClassVar[type[Connector]]
    config: ClassVar[dict[str, Any]] = {}
    secrets: ClassVar[dict[str, str]] = {}
    cases: ClassVar[Sequence[SmtpCase]] = ()
    server_tls: ClassVar[TlsMode | None] = None
    """TLS mode of the test server; the connector's config must match (see server_config)."""
    server_credentials: ClassVar[tuple[str, str] | None] = None
    """(username, password) the server requires; the password must equal the secret's."""
    temporary_reply: ClassVar[str] = "451 4.3.0 Mailbox temporarily unavailable, try again later"
    permanent_reply: ClassVar[str] = "550 5.1.1 Mailbox unknown"

    def server_config(self, server: SmtpTestServer) -> dict[str, Any]:
        """The connector's config pointed at the test server; override for other field names."""
        return {**self.config, "host": server.host, "port": server.port}

    # -- plumbing ---------------------------------------------------------------

    @pytest.fixture
    def smtp_server(self, tmp_path: Path) -> Iterator[SmtpTestServer]:
        """A fresh SMTP server for each test, configured from the class attributes."""
        server = SmtpTestServer(
            tls=self.server_tls, credentials=self.server_credentials, cert_dir=tmp_path / "tls"
        )
        with server:
            yield server

    def _harness(self, server: SmtpTestServer, secrets: dict[str, str] | None = None) -> Harness:
        return build_harness(
            self.connector_class,
            transport=_NoHttp(),
            config=self.server_config(server),
            secrets=self.secrets if secrets is None else secrets,
        )

    async def _run(self, harness: Harness, case: SmtpCase, **override: Any) -> Any:
        try:
            return await getattr(harness.connector, case.hook)(**{**case.kwargs, **override})
        finally:
            await harness.aclose()

    def _first_case(self) -> SmtpCase:
        if not self.cases:
            raise AssertionError(f"{type(self).__name__}.cases is empty")
        return self.cases[0]

    def _write_cases(self) -> list[SmtpCase]:
        cases = [c for c in self.cases if c.hook in hookspecs.WRITE_HOOKS]
        if not cases:
            raise AssertionError("an SMTP connector implements at least one write capability")
        return cases

    def _as_http_contract(self) -> ConnectorContract:
        # The HTTP contract's checks that read only connector_class, config,
        # secrets and each case's `hook` apply unchanged; run them on self.
        return cast(ConnectorContract, self)

    # -- the HTTP contract's checks, reused -------------------------------------

    def test_config_model_and_secrets_are_declared(self) -> None:
        """Ops can configure it: a strict config model, every secret declared and described."""
        ConnectorContract.test_config_model_and_secrets_are_declared(self._as_http_contract())

    def test_every_capability_has_a_case(self) -> None:
        """Each capability it implements is exercised against the test server."""
        ConnectorContract.test_every_capability_has_a_case(self._as_http_contract())

    def test_is_discoverable_through_the_entry_point(self) -> None:
        """The package registers the connector in the `handoff` entry-point group."""
        ConnectorContract.test_is_discoverable_through_the_entry_point(self._as_http_contract())

    def test_capabilities_are_async(self) -> None:
        """The hub awaits capabilities; a sync one would block the event loop."""
        ConnectorContract.test_capabilities_are_async(self._as_http_contract())

    # -- the SMTP counterparts --------------------------------------------------

    async def test_capabilities_return_canonical_entities(
        self, smtp_server: SmtpTestServer
    ) -> None:
        """Canonical return type, the message really arrives, and no HTTP is spoken."""
        for case in self.cases:
            before = len(smtp_server.messages)
            harness = self._harness(smtp_server)
            result = await self._run(harness, case)
            pydantic.TypeAdapter(_return_type(case.hook)).validate_python(result, strict=True)
            if case.hook in hookspecs.WRITE_HOOKS:
                assert len(smtp_server.messages) == before + 1, f"{case.hook} delivered nothing"
            assert harness.sent() == [], "an SMTP connector must not use the HTTP client"

    async def test_missing_secret_is_a_clear_error(self, smtp_server: SmtpTestServer) -> None:
        """Without a required secret, the error names it and the connector; nothing is sent."""
        config = self.connector_class.config_model.model_validate(self.server_config(smtp_server))
        for name in self.connector_class.required_secrets(config):
            secrets = {k: v for k, v in self.secrets.items() if k != name}
            harness = self._harness(smtp_server, secrets)
            with pytest.raises(MissingSecretError) as info:
                await self._run(harness, self._first_case())
            assert name in str(info.value)
            assert self.connector_class.name in str(info.value)
        assert smtp_server.messages == []

    @pytest.mark.parametrize("stage", ["MAIL", "RCPT", "DATA"])
    async def test_temporary_failure_is_waited_out(
        self, smtp_server: SmtpTestServer, stage: Stage
    ) -> None:
        """A 4xx reply is waited out on the injected clock, then the message arrives once.

        The SMTP counterpart of "a 429 with Retry-After is waited out": SMTP has
        no Retry-After, so the wait comes from the connector's RetryPolicy.
        """
        case = self._write_cases()[0]
        first = len(smtp_server.messages)
        baseline = self._harness(smtp_server)
        expected = await self._run(baseline, case)
        recipients = sorted(r for m in smtp_server.messages[first:] for r in m.rcpt_tos)
        start = len(smtp_server.messages)
        smtp_server.refuse(stage, self.temporary_reply, times=1)
        harness = self._harness(smtp_server)
        result = await self._run(harness, case)
        assert result == expected
        assert harness.clock.slept > 0, "the retry did not wait on the injected clock"
        assert harness.api_calls == baseline.api_calls + 1
        again = sorted(r for m in smtp_server.messages[start:] for r in m.rcpt_tos)
        assert again == recipients, f"each recipient must get it exactly once: {again}"

    async def test_permanent_refusal_names_the_recipient(self, smtp_server: SmtpTestServer) -> None:
        """A 5xx refusal of every recipient is an error naming each one, and is not retried."""
        case = self._write_cases()[0]
        delivered = len(smtp_server.messages)
        earlier = len(smtp_server.rcpt_commands())
        smtp_server.refuse("RCPT", self.permanent_reply, times=None)
        harness = self._harness(smtp_server)
        with pytest.raises(ConnectorError) as info:
            await self._run(harness, case)
        refused = smtp_server.rcpt_commands()[earlier:]
        assert refused, "the connector never reached RCPT"
        for address in refused:
            assert address in str(info.value), f"the error does not name {address}"
        assert self.connector_class.name in str(info.value)
        assert self.permanent_reply[:3] in str(info.value), "the error hides the SMTP code"
        assert harness.api_calls == 1
        assert harness.clock.slept == 0
        assert len(smtp_server.messages) == delivered

    async def test_refused_credentials_are_an_auth_error(self, smtp_server: SmtpTestServer) -> None:
        """Wrong credentials (535) raise AuthError at once; the password is not in the error.

        The counterpart of "an expired token is refreshed once": SMTP has no
        token to refresh, so a refusal is final. Without server credentials the
        connector must not ask for any secret.
        """
        config = self.connector_class.config_model.model_validate(self.server_config(smtp_server))
        required = self.connector_class.required_secrets(config)
        if self.server_credentials is None:
            assert required == [], "the connector asks for secrets the server does not use"
            return
        wrong = {name: f"wrong-{name}-value" for name in required}
        harness = self._harness(smtp_server, {**self.secrets, **wrong})
        with pytest.raises(AuthError) as info:
            await self._run(harness, self._first_case())
        for value in wrong.values():
            assert value not in str(info.value)
        assert harness.api_calls == 1
        assert harness.clock.slept == 0
        assert smtp_server.messages == []

    async def test_writes_carry_an_idempotency_key(self, smtp_server: SmtpTestServer) -> None:
        """The key travels in `idempotency_header`; the Message-ID is derived from it.

        The same key gives the same Message-ID, so a resend is recognisable by
        mail servers and people; a different key gives a different one.
        """
        header = self.connector_class.idempotency_header
        for case in self._write_cases():
            key = str(case.kwargs["idempotency_key"])
            ids: list[str] = []
            for run_key in (key, key, key + "-other"):
                start = len(smtp_server.messages)
                await self._run(self._harness(smtp_server), case, idempotency_key=run_key)
                sent = smtp_server.messages[start:]
                assert len(sent) == 1, f"{case.hook} delivered {len(sent)} messages"
                message = sent[0].message
                assert str(message.get(header, "")).startswith(run_key), f"{header} lacks the key"
                message_id = str(message.get("Message-ID", ""))
                assert _MESSAGE_ID.fullmatch(message_id), f"bad Message-ID {message_id!r}"
                ids.append(message_id)
            assert ids[0] == ids[1], "the same key must give the same Message-ID"
            assert ids[0] != ids[2], "another key must give another Message-ID"
