"""Secrets: the file backend, environment overrides, rotation written back, no keyring."""

from __future__ import annotations

import stat
from pathlib import Path
from typing import ClassVar

import keyring
import pytest
from keyring.backends import fail

from handoff.config import SecretsSettings
from handoff.secret_store import SecretStore, SecretStoreError
from handoff_sdk import MissingSecretError


def file_store(tmp_path: Path) -> SecretStore:
    return SecretStore(SecretsSettings(backend="file", file=tmp_path / "s" / "secrets.cfg"))


def test_file_backend_round_trip_with_owner_only_permissions(isolated_home: Path) -> None:
    store = file_store(isolated_home)
    store.set("echo", "api_key", "k-123")
    assert store.lookup("echo", "api_key") == ("k-123", "store")
    mode = stat.S_IMODE((isolated_home / "s" / "secrets.cfg").stat().st_mode)
    assert mode == 0o600
    assert store.delete("echo", "api_key") is True
    assert store.lookup("echo", "api_key") == (None, "missing")
    assert store.delete("echo", "api_key") is False


def test_environment_overrides_the_backend(
    isolated_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = file_store(isolated_home)
    store.set("6sense", "api_key", "from-store")
    monkeypatch.setenv("HANDOFF_6SENSE_API_KEY", "from-env")
    assert store.lookup("6sense", "api_key") == ("from-env", "env")


def test_missing_secret_says_how_to_set_it(isolated_home: Path) -> None:
    with pytest.raises(MissingSecretError) as info:
        file_store(isolated_home).get("salesforce", "refresh_token")
    message = str(info.value)
    assert "handoff secrets set salesforce refresh_token" in message
    assert "HANDOFF_SALESFORCE_REFRESH_TOKEN" in message


def test_connector_view_writes_rotated_values_back(isolated_home: Path) -> None:
    store = file_store(isolated_home)
    view = store.for_connector("salesforce")
    view.set("refresh_token", "rotated-2")
    assert file_store(isolated_home).get("salesforce", "refresh_token") == "rotated-2"


def test_no_os_keyring_is_a_clear_error(
    isolated_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HANDOFF_SECRETS_BACKEND", "keyring")
    monkeypatch.setattr(keyring, "get_keyring", fail.Keyring)
    with pytest.raises(SecretStoreError, match='backend = "file"'):
        SecretStore(SecretsSettings()).lookup("echo", "api_key")


def test_unknown_backend_in_environment_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HANDOFF_SECRETS_BACKEND", "vault")
    with pytest.raises(SecretStoreError, match="HANDOFF_SECRETS_BACKEND"):
        SecretStore()


def test_a_plaintext_keyring_is_not_taken_for_the_os_keyring(
    isolated_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """keyrings.alt's plaintext file is what `keyring` picks on a server: refused, not used."""
    from keyrings.alt.file import PlaintextKeyring  # noqa: PLC0415

    monkeypatch.setenv("HANDOFF_SECRETS_BACKEND", "keyring")
    monkeypatch.setattr(keyring, "get_keyring", PlaintextKeyring)
    store = SecretStore(SecretsSettings())
    with pytest.raises(SecretStoreError) as info:
        store.set("echo", "api_key", "k-1")
    message = str(info.value)
    assert "no OS keyring" in message
    assert "PlaintextKeyring" in message
    assert 'backend = "file"' in message
    assert "HANDOFF_<CONNECTOR>_<SECRET>" in message
    with pytest.raises(SecretStoreError):
        store.lookup("echo", "api_key")
    assert not list(isolated_home.rglob("keyring_pass.cfg")), "nothing written in plaintext"
    assert store.describe() == "environment variables only (no OS keyring on this machine)"


def test_an_os_keyring_is_used_and_named(
    isolated_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A keyring of the OS's own (here a stand-in in Secret Service's module) is used."""

    class SecretService(keyring.backend.KeyringBackend):
        priority = 5  # type: ignore[assignment]
        values: ClassVar[dict[tuple[str, str], str]] = {}

        def get_password(self, service: str, username: str) -> str | None:
            return self.values.get((service, username))

        def set_password(self, service: str, username: str, password: str) -> None:
            self.values[(service, username)] = password

        def delete_password(self, service: str, username: str) -> None:
            self.values.pop((service, username))

    SecretService.__module__ = "keyring.backends.SecretService"
    monkeypatch.setenv("HANDOFF_SECRETS_BACKEND", "keyring")
    monkeypatch.setattr(keyring, "get_keyring", SecretService)
    store = SecretStore(SecretsSettings())
    store.set("echo", "api_key", "k-2")
    assert store.lookup("echo", "api_key") == ("k-2", "store")
    assert store.describe() == "OS keyring (SecretService)"


def test_cli_refuses_to_store_without_an_os_keyring(
    isolated_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`handoff secrets set` says there is no OS keyring instead of "Stored ... in the OS keyring"."""
    from click.testing import CliRunner  # noqa: PLC0415
    from keyrings.alt.file import PlaintextKeyring  # noqa: PLC0415

    from handoff.cli import cli  # noqa: PLC0415

    monkeypatch.setenv("HANDOFF_SECRETS_BACKEND", "keyring")
    monkeypatch.setattr(keyring, "get_keyring", PlaintextKeyring)
    result = CliRunner().invoke(cli, ["secrets", "set", "6sense", "api_key"], input="k-3\n")
    assert result.exit_code != 0
    assert "Stored" not in result.output
    assert isinstance(result.exception, SecretStoreError)
    assert "no OS keyring" in str(result.exception)
