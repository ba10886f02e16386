"""Secrets: the file backend, environment overrides, rotation written back, no keyring."""

from __future__ import annotations

import stat
from pathlib import Path

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
