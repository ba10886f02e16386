"""Email over SMTP: one notification, one message, delivered with the SDK's retry policy.

SMTP is not HTTP, so this connector ignores the hub's HTTP client and speaks
SMTP through aiosmtplib. What it keeps from the SDK: the config model and
secrets, the rate budget (one slot per SMTP transaction), the RetryPolicy and
the injected clock for backoff, the connector's `calls` counter, and the
SDK's errors (ApiError, AuthError, ConfigError, MissingSecretError).

Each attempt is one SMTP session: connect (TLS or STARTTLS), AUTH if a
username is configured, MAIL FROM, RCPT TO per recipient still pending, DATA.
A 4xx reply is temporary and retried after a backoff; a 5xx reply is final.
Recipients are tracked one by one: a recipient accepted once is never sent the
message again, and a retry goes only to those that got a 4xx.
"""

from __future__ import annotations

import logging
import ssl
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Literal, NoReturn, Self

import aiosmtplib
from pydantic import Field, field_validator, model_validator

from handoff_sdk import (
    ApiError,
    AuthError,
    ConfigError,
    Connector,
    ConnectorConfig,
    ConnectorError,
    RateLimit,
    RetryPolicy,
    SecretSpec,
    Verdict,
    hookimpl,
)
from handoff_sdk.entities import Notification, WriteError, WriteResult

from . import mapping

__all__ = ["EmailConfig", "EmailConnector", "SmtpRefusedError"]

log = logging.getLogger("handoff_email")

_DEFAULT_PORTS = {"starttls": 587, "tls": 465, "none": 25}


class EmailConfig(ConnectorConfig):
    """`[connectors.email]` in handoff.toml: where to hand messages over, and as whom."""

    host: str = Field(min_length=1, description="SMTP server (relay) host name.")
    port: int | None = Field(
        default=None,
        ge=1,
        le=65535,
        description="SMTP port; default 587 for starttls, 465 for tls, 25 for none.",
    )
    security: Literal["starttls", "tls", "none"] = Field(
        default="starttls",
        description="starttls: upgrade a plain connection (submission, 587); "
        "tls: TLS from the first byte (465); none: plain SMTP, e.g. a local relay.",
    )
    from_address: str = Field(description="Envelope sender and From address.")
    from_name: str | None = Field(default=None, description="Display name in From.")
    username: str | None = Field(
        default=None, description="Login for SMTP AUTH; when set, the secret 'password' is needed."
    )
    ca_file: str | None = Field(
        default=None,
        description="PEM file of CA certificates to trust, for a relay with a private CA.",
    )
    timeout_seconds: float = Field(default=30.0, gt=0, description="Timeout of each SMTP step.")
    local_hostname: str | None = Field(
        default=None, description="Name sent in EHLO; default: this machine's FQDN."
    )
    message_id_domain: str | None = Field(
        default=None, description="Right-hand side of Message-IDs; default: from_address's domain."
    )
    default_recipients: list[str] = Field(
        default_factory=list, description="Used when a notification names no recipients."
    )
    default_subject: str = Field(
        default="Notification from handoff", description="Used when a notification has none."
    )

    @field_validator("from_address")
    @classmethod
    def _from_is_an_address(cls, value: str) -> str:
        return mapping.check_address(value)

    @field_validator("default_recipients")
    @classmethod
    def _recipients_are_addresses(cls, value: list[str]) -> list[str]:
        return [mapping.check_address(v) for v in value]

    @model_validator(mode="after")
    def _no_password_in_clear(self) -> Self:
        if self.username and self.security == "none":
            raise ValueError(
                "username is set but security is 'none': the password would cross the "
                "network in clear text; use security = 'starttls' or 'tls'"
            )
        return self

    @property
    def effective_port(self) -> int:
        """The port to connect to: the configured one, else the standard one for `security`."""
        return self.port or _DEFAULT_PORTS[self.security]

    def required_secrets(self) -> list[str]:
        """The password only when a username is configured (an open relay needs none)."""
        return ["password"] if self.username else []


class SmtpRefusedError(ApiError):
    """The mail server refused the message or its recipients, in its own words.

    `status` is 0 (no HTTP involved); `code` is the SMTP reply code, e.g.
    '550'; `recipients` lists the addresses concerned.
    """

    def __init__(
        self,
        connector: str,
        code: int | None,
        message: str,
        *,
        recipients: list[str],
        retryable: bool,
    ) -> None:
        ConnectorError.__init__(self, connector, message)
        self.status = 0
        self.code = str(code) if code is not None else None
        self.retryable = retryable
        self.recipients = recipients


@dataclass(frozen=True)
class _Reply:
    code: int | None
    text: str

    def __str__(self) -> str:
        return f"SMTP {self.code} {self.text}" if self.code is not None else self.text


@dataclass
class _Delivery:
    """Where each recipient stands across attempts."""

    pending: list[str]
    delivered: list[str] = field(default_factory=list)
    refused: dict[str, _Reply] = field(default_factory=dict)
    waiting: dict[str, _Reply] = field(default_factory=dict)
    last_transient: _Reply | None = None


class _Transient(Exception):
    """A failure of the whole attempt that a later attempt may not meet."""

    def __init__(self, reply: _Reply) -> None:
        super().__init__(str(reply))
        self.reply = reply


def _short(text: str) -> str:
    return " ".join(text.split())[:300]


def _cert_problem(exc: BaseException) -> ssl.SSLCertVerificationError | None:
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, ssl.SSLCertVerificationError):
            return seen
        seen = seen.__cause__ or seen.__context__
    return None


class EmailConnector(Connector[EmailConfig]):
    """Sends notification emails through an SMTP relay (P5, D2)."""

    name = "email"
    title = "Email (SMTP)"
    secret_specs = (
        SecretSpec(
            name="password",
            description="Password (or app password / API key) of `username` on the SMTP relay; "
            "needed only when `username` is set.",
        ),
    )
    default_rate_limit = RateLimit(requests=30, per_seconds=60, concurrency=2)
    retry_policy = RetryPolicy(attempts=4, base_seconds=2.0, max_seconds=60.0)
    idempotency_header = "X-Handoff-Idempotency-Key"
    # Not an ASGI Simulator: an SMTP relay with the same start/connector_config shape.
    simulator = "handoff_email.simulator:EmailSimulator"

    @hookimpl
    async def handoff_send_notification(
        self, notification: Notification, idempotency_key: str
    ) -> WriteResult:
        """Send `notification` as one email to its recipients.

        Returns ok=True once at least one recipient's server accepted it; any
        recipient refused for good (5xx) or still deferred after the last retry
        is listed in `errors`. Raises SmtpRefusedError when nobody got it
        (retryable when the last refusals were temporary), AuthError when the
        login is refused, MissingSecretError before connecting when the
        password is not set.
        """
        config = self.config
        recipients = self._recipients(notification)
        password = self.secret_store.get("password") if config.username else None
        try:
            message = mapping.build_message(
                notification,
                recipients=recipients,
                from_address=config.from_address,
                from_name=config.from_name,
                idempotency_key=idempotency_key,
                idempotency_header=self.idempotency_header,
                message_id_domain=config.message_id_domain
                or mapping.domain_of(config.from_address),
                default_subject=config.default_subject,
                now=self.clock.now(),
            )
        except ValueError as exc:
            raise ConnectorError(self.name, f"cannot build the message: {exc}") from None
        delivery = await self._deliver(message, recipients, password)
        message_id = str(message["Message-ID"])
        if not delivery.delivered:
            raise self._nobody_got_it(delivery)
        errors = [
            WriteError(code=str(reply.code), message=f"{address}: {reply}", fields=["recipients"])
            for address, reply in {**delivery.refused, **delivery.waiting}.items()
        ]
        return WriteResult(index=0, ok=True, id=message_id, created=True, errors=errors)

    # -- steps ---------------------------------------------------------------------

    def _recipients(self, notification: Notification) -> list[str]:
        source = notification.recipients or self.config.default_recipients
        if not source:
            raise ConfigError(
                self.name,
                "default_recipients",
                "the notification names no recipients and no default_recipients are configured",
            )
        out: list[str] = []
        for value in source:
            try:
                address = mapping.check_address(value)
            except ValueError as exc:
                raise ConnectorError(self.name, f"notification field 'recipients': {exc}") from None
            if address.lower() not in {a.lower() for a in out}:
                out.append(address)
        return out

    async def _deliver(
        self, message: EmailMessage, recipients: list[str], password: str | None
    ) -> _Delivery:
        """Try, classify each recipient's reply, back off on the injected clock, try again."""
        delivery = _Delivery(pending=list(recipients))
        policy = self.retry_policy
        attempt = 0
        while delivery.pending:
            attempt += 1
            try:
                async with self.budget.slot():
                    self.calls += 1
                    rejected = await self._transmit(message, delivery.pending, password)
            except _Transient as exc:
                delivery.last_transient = exc.reply
                delivery.waiting = dict.fromkeys(delivery.pending, exc.reply)
            else:
                delivery.last_transient = None
                self._sort(delivery, rejected)
            if not delivery.pending or attempt >= policy.attempts:
                break
            wait = policy.delay(attempt, None, self.rng)
            log.warning(
                "email: attempt %d deferred (%s); retrying %d recipient(s) in %.1fs",
                attempt,
                delivery.last_transient or "4xx for some recipients",
                len(delivery.pending),
                wait,
            )
            await self.clock.sleep(wait)
        return delivery

    @staticmethod
    def _sort(delivery: _Delivery, rejected: dict[str, _Reply]) -> None:
        still: list[str] = []
        waiting: dict[str, _Reply] = {}
        for address in delivery.pending:
            reply = rejected.get(address)
            if reply is None:
                delivery.delivered.append(address)
            elif reply.code is not None and mapping.reply_verdict(reply.code) is Verdict.RETRY:
                still.append(address)
                waiting[address] = reply
            else:
                delivery.refused[address] = reply
        delivery.pending = still
        delivery.waiting = waiting

    async def _transmit(
        self, message: EmailMessage, recipients: list[str], password: str | None
    ) -> dict[str, _Reply]:
        """One SMTP session. Returns the recipients refused at RCPT, with their replies.

        Raises _Transient for a temporary failure of the whole session, and the
        connector's own errors for a permanent one.
        """
        config = self.config
        client = aiosmtplib.SMTP(
            hostname=config.host,
            port=config.effective_port,
            use_tls=config.security == "tls",
            start_tls=False,
            cert_bundle=config.ca_file,
            local_hostname=config.local_hostname,
            timeout=config.timeout_seconds,
        )
        try:
            await client.connect()
            if config.security == "starttls":
                await self._starttls(client)
            if config.username:
                await client.login(config.username, password or "")
            refused, _ = await client.send_message(
                message, sender=config.from_address, recipients=recipients
            )
            return {a: _Reply(r.code, _short(r.message)) for a, r in refused.items()}
        except aiosmtplib.SMTPRecipientsRefused as exc:
            return {r.recipient: _Reply(r.code, _short(r.message)) for r in exc.recipients}
        except aiosmtplib.SMTPAuthenticationError as exc:
            if mapping.reply_verdict(exc.code) is Verdict.RETRY:
                raise _Transient(_Reply(exc.code, _short(exc.message))) from None
            raise AuthError(
                self.name,
                f"the SMTP server refused the login of '{config.username}' "
                f"(SMTP {exc.code} {_short(exc.message)}); check the secret 'password'",
            ) from None
        except aiosmtplib.SMTPNotSupported as exc:
            field_name = "security" if "tls" in str(exc).lower() else "username"
            raise ConfigError(self.name, field_name, f"{exc} ({config.host})") from None
        except aiosmtplib.SMTPSenderRefused as exc:
            self._raise_or_transient(exc.code, exc.message, f"sender {exc.sender}", recipients)
        except aiosmtplib.SMTPResponseException as exc:
            self._raise_or_transient(exc.code, exc.message, "message", recipients)
        except (aiosmtplib.SMTPException, OSError) as exc:
            problem = _cert_problem(exc)
            if problem is not None:
                raise ConfigError(
                    self.name,
                    "ca_file",
                    f"the certificate of {config.host} is not trusted ({problem.verify_message}); "
                    "set ca_file to the relay's CA certificate",
                ) from None
            raise _Transient(_Reply(None, f"{type(exc).__name__}: {_short(str(exc))}")) from None
        finally:
            await self._close(client)

    async def _starttls(self, client: aiosmtplib.SMTP) -> None:
        """Upgrade to TLS, refusing to go on in clear text when the server does not offer it."""
        await client.ehlo()
        if not client.supports_extension("starttls"):
            raise ConfigError(
                self.name,
                "security",
                f"{self.config.host} does not offer STARTTLS; use security = 'tls' "
                "if it expects TLS from the first byte (port 465)",
            )
        await client.starttls()

    def _raise_or_transient(
        self, code: int, text: str, what: str, recipients: list[str]
    ) -> NoReturn:
        reply = _Reply(code, _short(text))
        if mapping.reply_verdict(code) is Verdict.RETRY:
            raise _Transient(reply)
        raise SmtpRefusedError(
            self.name,
            code,
            f"{reply}: the server refused the {what} for {', '.join(recipients)}",
            recipients=list(recipients),
            retryable=False,
        )

    @staticmethod
    async def _close(client: aiosmtplib.SMTP) -> None:
        if not client.is_connected:
            return
        try:
            await client.quit()
        except (aiosmtplib.SMTPException, OSError):
            client.close()

    def _nobody_got_it(self, delivery: _Delivery) -> SmtpRefusedError:
        problems = {**delivery.refused, **delivery.waiting}
        listed = "; ".join(f"{address}: {reply}" for address, reply in problems.items())
        if delivery.waiting:
            attempts = self.retry_policy.attempts
            text = f"not delivered after {attempts} attempts; {listed}"
            code = next(iter(delivery.waiting.values())).code
        else:
            text = f"every recipient refused; {listed}"
            code = next(iter(delivery.refused.values())).code
        return SmtpRefusedError(
            self.name, code, text, recipients=list(problems), retryable=bool(delivery.waiting)
        )
