"""An SMTP submission relay standing in for the real one, for tests and `handoff sandbox` (P5, D2).

The email connector speaks SMTP, not HTTP, so its simulator is not an ASGI
app: it is the SDK's `SmtpTestServer` (aiosmtpd on 127.0.0.1) set up as a
submission relay is, STARTTLS required with a throwaway certificate, AUTH
required after it, and the synthetic company's sender address. What it
enforces is what a relay does: no login in clear text, 535 for wrong
credentials, and any 4xx or 5xx reply a test scripts with `refuse(stage,
reply)` at MAIL, RCPT or DATA (a full mailbox, an unknown recipient, a
greylisting relay).

It has the shape `handoff sandbox` serves a non-HTTP simulator by:
`start(folder, port)` gives its address (`smtp://127.0.0.1:PORT`),
`connector_config(url)` and `connector_secrets()` point the connector at it,
`ca_file` is the certificate to trust, `stop()` ends it. Messages it accepted
are in `messages`, and with a folder also written to `folder/mail/` as
`.eml` files.
"""

from __future__ import annotations

import secrets
import tempfile
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from handoff_sdk.testing import COMPANY, ReceivedMessage, SmtpTestServer

__all__ = ["EmailSimulator"]

USERNAME = "handoff-sandbox"
FROM_ADDRESS = f"handoff@{COMPANY.domain}"


class EmailSimulator:
    """The company's SMTP relay: STARTTLS and AUTH required, messages kept (and saved)."""

    name = "email"

    def __init__(self, *, clock: Any = None, latency: float = 0.0) -> None:
        self.password = f"sim-smtp-{secrets.token_hex(12)}"
        self._server: SmtpTestServer | None = None
        self._tmp: tempfile.TemporaryDirectory[str] | None = None

    @property
    def server(self) -> SmtpTestServer:
        """The SMTP server (once started)."""
        if self._server is None:
            raise RuntimeError("the email simulator is not started")
        return self._server

    @property
    def url(self) -> str:
        """Where it listens, `smtp://127.0.0.1:PORT` (once started)."""
        return f"smtp://{self.server.host}:{self.server.port}"

    @property
    def ca_file(self) -> Path | None:
        """The certificate the connector must trust (its `ca_file`)."""
        return self.server.ca_file

    @property
    def messages(self) -> list[ReceivedMessage]:
        """Every message accepted so far."""
        return self.server.messages

    def refuse(self, stage: Any, reply: str, *, times: int | None = 1) -> None:
        """Answer the next MAIL, RCPT or DATA with `reply`, e.g. "451 4.3.0 Try later"."""
        self.server.refuse(stage, reply, times=times)

    def start(self, folder: Path | None = None, port: int = 0) -> str:
        """Listen on 127.0.0.1 (`port`, or a free one) and return the address.

        The certificate goes to `folder/tls`, and each accepted message to
        `folder/mail/NNNN.eml`; without a folder, a temporary one holds the
        certificate and messages are only kept in memory.
        """
        mail_dir = None if folder is None else folder / "mail"
        if folder is None:
            self._tmp = tempfile.TemporaryDirectory(prefix="handoff-smtp-")
            folder = Path(self._tmp.name)
        self._server = SmtpTestServer(
            tls="starttls",
            credentials=(USERNAME, self.password),
            cert_dir=folder / "tls",
            mail_dir=mail_dir,
            port=port,
        )
        self._server.start()
        return self.url

    def stop(self) -> None:
        """Stop listening."""
        if self._server is not None:
            self._server.stop()
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None

    def __enter__(self) -> EmailSimulator:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def connector_config(self, url: str) -> dict[str, Any]:
        """`[connectors.email]` pointing at the relay at `url` (STARTTLS, AUTH)."""
        where = urlsplit(url)
        return {
            "host": where.hostname or "127.0.0.1",
            "port": where.port,
            "security": "starttls",
            "username": USERNAME,
            "from_address": FROM_ADDRESS,
            "from_name": f"handoff ({COMPANY.name})",
            "ca_file": str(self.ca_file) if self.ca_file else None,
            "default_recipients": [f"revops@{COMPANY.domain}"],
        }

    def connector_secrets(self, account: Any = None) -> dict[str, str]:
        """The relay login's password."""
        return {"password": self.password}
