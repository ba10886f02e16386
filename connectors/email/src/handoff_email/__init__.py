"""handoff-email: notification emails over SMTP, Message-ID derived from the idempotency key."""

from __future__ import annotations

from .connector import EmailConfig, EmailConnector, SmtpRefusedError

__all__ = ["EmailConfig", "EmailConnector", "SmtpRefusedError"]
