"""The errors a connector raises; each names the connector and says what to do."""

from __future__ import annotations

__all__ = [
    "ApiError",
    "AuthError",
    "ConfigError",
    "ConnectorError",
    "MissingSecretError",
    "PaginationError",
    "RateLimitedError",
]


class ConnectorError(Exception):
    """Base of every error a connector raises; `connector` names the one at fault."""

    def __init__(self, connector: str, message: str) -> None:
        super().__init__(f"{connector}: {message}")
        self.connector = connector
        self.message = message


class ConfigError(ConnectorError):
    """The connector's configuration in handoff.toml is wrong; `field` names the key."""

    def __init__(self, connector: str, field: str, message: str) -> None:
        super().__init__(connector, f"config field '{field}': {message}")
        self.field = field


class MissingSecretError(ConnectorError):
    """A secret the connector needs is in neither the environment nor the secret store."""

    def __init__(self, connector: str, secret: str, env_var: str) -> None:
        super().__init__(
            connector,
            f"secret '{secret}' is not set; run `handoff secrets set {connector} {secret}` "
            f"or set the environment variable {env_var}",
        )
        self.secret = secret
        self.env_var = env_var


class AuthError(ConnectorError):
    """Credentials were refused, or a refreshed token was refused again."""


class ApiError(ConnectorError):
    """The API refused a call for a reason retrying will not fix."""

    def __init__(
        self,
        connector: str,
        status: int,
        code: str | None,
        message: str,
        *,
        retryable: bool = False,
    ) -> None:
        detail = f"HTTP {status}" + (f" {code}" if code else "") + f": {message}"
        super().__init__(connector, detail)
        self.status = status
        self.code = code
        self.retryable = retryable


class RateLimitedError(ApiError):
    """The API kept saying 'too many requests' after every retry."""


class PaginationError(ConnectorError):
    """A paginated listing misbehaved (a cursor repeated, or too many pages)."""
