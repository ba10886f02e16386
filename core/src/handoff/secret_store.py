"""Where the hub keeps connector secrets: the OS keyring, or an explicit file; env wins.

Lookup order for secret NAME of connector C:
1. the environment variable HANDOFF_<C>_<NAME> (for containers and CI);
2. the chosen backend: the OS keyring (service "handoff", user "C/NAME"), or,
   when `[secrets] backend = "file"`, a file readable only by its owner.
A rotated refresh token is written back to the backend (never to the environment).
"""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any

import keyring
import keyring.backend
import keyring.errors
from keyrings.alt.file import PlaintextKeyring

from handoff.config import SecretsSettings
from handoff.errors import HandoffError
from handoff_sdk import MissingSecretError
from handoff_sdk.secrets import secret_env_var

__all__ = ["ConnectorSecrets", "SecretStore", "SecretStoreError"]

SERVICE = "handoff"


class SecretStoreError(HandoffError):
    """The secret backend cannot be used (no keyring on this machine, unreadable file)."""


class _OwnerOnlyFileKeyring(PlaintextKeyring):  # type: ignore[misc]
    """keyrings.alt's file keyring at a path we choose, created with mode 0600."""

    def __init__(self, path: Path) -> None:
        super().__init__()
        self._path = path

    @property
    def file_path(self) -> str:
        return str(self._path)

    def set_password(self, service: str, username: str, password: str) -> None:
        self._path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        if not self._path.exists():
            self._path.touch(mode=0o600)
        super().set_password(service, username, password)
        os.chmod(self._path, 0o600)


OS_KEYRINGS = (
    "keyring.backends.macOS",
    "keyring.backends.Windows",
    "keyring.backends.SecretService",
    "keyring.backends.libsecret",
    "keyring.backends.kwallet",
)
"""The modules of the keyrings the OS provides (Keychain, Credential Locker, Secret Service,
KWallet). Anything else `keyring` may pick (keyrings.alt's plaintext or "encrypted" files,
the fail and null backends) is not an OS keyring and is never used silently."""


def _is_os_keyring(backend: Any) -> bool:
    module = type(backend).__module__
    if module == "keyring.backends.chainer":
        return any(_is_os_keyring(b) for b in getattr(backend, "backends", ()))
    usable = backend.priority > 0 if hasattr(backend, "priority") else True
    return usable and module.startswith(OS_KEYRINGS)


def _os_keyring() -> Any:
    """The OS keyring `keyring` found, or a SecretStoreError naming the alternatives."""
    backend = keyring.get_keyring()
    if not _is_os_keyring(backend):
        found = type(backend).__module__ + "." + type(backend).__name__
        raise SecretStoreError(
            f"no OS keyring is available on this machine (keyring offers only {found}, "
            "which is not one); choose the file backend with "
            '`[secrets] backend = "file"` in handoff.toml (or HANDOFF_SECRETS_BACKEND=file), '
            "or pass secrets as HANDOFF_<CONNECTOR>_<SECRET> environment variables"
        )
    return backend


class SecretStore:
    """The hub's secrets: environment first, then the configured backend."""

    def __init__(self, settings: SecretsSettings | None = None, backend: Any = None) -> None:
        settings = settings or SecretsSettings()
        choice = os.environ.get("HANDOFF_SECRETS_BACKEND", settings.backend)
        self.backend_name = choice
        self._backend = backend
        self._file = Path(os.path.expanduser(str(settings.file)))
        self._lock = threading.Lock()
        if choice not in ("keyring", "file"):
            raise SecretStoreError(
                f"HANDOFF_SECRETS_BACKEND: expected 'keyring' or 'file', got {choice!r}"
            )

    def _backend_or_load(self) -> Any:
        if self._backend is None:
            if self.backend_name == "file":
                self._backend = _OwnerOnlyFileKeyring(self._file)
            else:
                self._backend = _os_keyring()
        return self._backend

    def describe(self) -> str:
        """Which backend is in use, for `handoff secrets list` and `handoff check`.

        A keyring is called the OS keyring only when it is one (macOS, Windows,
        SecretService, ...); without one, only the environment can hold secrets.
        """
        if self.backend_name == "file":
            return f"file {self._file}"
        try:
            backend = self._backend_or_load()
        except SecretStoreError:
            return "environment variables only (no OS keyring on this machine)"
        return f"OS keyring ({type(backend).__module__.rsplit('.', 1)[-1]})"

    def lookup(self, connector: str, name: str) -> tuple[str | None, str]:
        """(value or None, where it came from: 'env', 'store' or 'missing')."""
        env = os.environ.get(secret_env_var(connector, name))
        if env:
            return env, "env"
        try:
            value = self._backend_or_load().get_password(SERVICE, f"{connector}/{name}")
        except keyring.errors.KeyringError as exc:
            raise SecretStoreError(f"secret backend failed: {type(exc).__name__}") from None
        return (value, "store") if value else (None, "missing")

    def get(self, connector: str, name: str) -> str:
        """The value, or MissingSecretError saying how to set it."""
        value, _ = self.lookup(connector, name)
        if value is None:
            raise MissingSecretError(connector, name, secret_env_var(connector, name))
        return value

    def set(self, connector: str, name: str, value: str) -> None:
        """Store a value in the backend (serialised: two refreshes never interleave)."""
        with self._lock:
            self._backend_or_load().set_password(SERVICE, f"{connector}/{name}", value)

    def delete(self, connector: str, name: str) -> bool:
        """Remove a value; False when there was none."""
        try:
            self._backend_or_load().delete_password(SERVICE, f"{connector}/{name}")
        except keyring.errors.PasswordDeleteError:
            return False
        return True

    def for_connector(self, connector: str) -> ConnectorSecrets:
        """The view handed to one connector."""
        return ConnectorSecrets(self, connector)


class ConnectorSecrets:
    """One connector's secrets (implements the SDK's SecretAccess)."""

    def __init__(self, store: SecretStore, connector: str) -> None:
        self._store = store
        self._connector = connector

    def get(self, name: str) -> str:
        """The secret's value."""
        return self._store.get(self._connector, name)

    def set(self, name: str, value: str) -> None:
        """Write back a rotated value."""
        self._store.set(self._connector, name, value)
