"""handoff.toml: clear errors that name the connector and the field; secrets refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from handoff.config import load_config, validate_connector_config
from handoff.errors import ConfigFileError, UnknownConnectorError
from handoff_sdk import Connector


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "handoff.toml"
    path.write_text(text)
    return path


def test_enabled_connectors_and_their_settings(tmp_path: Path) -> None:
    config = load_config(
        write(
            tmp_path,
            """
[connectors.echo]
base_url = "https://x.example.test"
[connectors.broken]
enabled = false
""",
        )
    )
    assert config.enabled() == ["echo"]
    assert config.connectors["echo"].settings == {"base_url": "https://x.example.test"}


def test_missing_file_is_empty_unless_required(tmp_path: Path) -> None:
    assert load_config(tmp_path / "nope.toml").enabled() == []
    with pytest.raises(ConfigFileError, match="no such file"):
        load_config(tmp_path / "nope.toml", required=True)


def test_invalid_toml_names_the_file(tmp_path: Path) -> None:
    path = write(tmp_path, "[connectors.echo\n")
    with pytest.raises(ConfigFileError, match="not valid TOML"):
        load_config(path)


def test_unknown_connector_lists_installed(
    tmp_path: Path, echo_classes: dict[str, type[Connector]]
) -> None:
    config = load_config(write(tmp_path, "[connectors.salesfarce]\n"))
    with pytest.raises(UnknownConnectorError) as info:
        validate_connector_config("salesfarce", config.connectors["salesfarce"], echo_classes)
    assert "salesfarce" in str(info.value)
    assert "installed connectors: broken, echo" in str(info.value)


def test_bad_field_names_connector_and_field(
    tmp_path: Path, echo_classes: dict[str, type[Connector]]
) -> None:
    config = load_config(write(tmp_path, "[connectors.echo]\nbase_urll = 'x'\n"))
    with pytest.raises(ConfigFileError, match=r"connectors\.echo\.base_urll: unknown key"):
        validate_connector_config("echo", config.connectors["echo"], echo_classes)


def test_bad_type_names_field_and_expectation(
    tmp_path: Path, echo_classes: dict[str, type[Connector]]
) -> None:
    config = load_config(write(tmp_path, "[connectors.echo]\nbase_url = 3\n"))
    with pytest.raises(
        ConfigFileError, match=r"connectors\.echo\.base_url: Input should be a valid string"
    ):
        validate_connector_config("echo", config.connectors["echo"], echo_classes)


@pytest.mark.parametrize("key", ["client_secret", "password", "api_key", "refresh_token", "token"])
def test_secret_named_key_is_refused(tmp_path: Path, key: str) -> None:
    with pytest.raises(ConfigFileError, match=rf"connectors\.echo\.{key}: secrets do not belong"):
        load_config(write(tmp_path, f'[connectors.echo]\n{key} = "abc"\n'))


@pytest.mark.parametrize(
    "value",
    [
        "xoxb-1234567890-abcdefghij",
        "-----BEGIN RSA PRIVATE KEY-----",
        "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
    ],
)
def test_secret_shaped_value_is_refused(tmp_path: Path, value: str) -> None:
    with pytest.raises(ConfigFileError, match=r"connectors\.echo\.note: the value looks like"):
        load_config(write(tmp_path, f'[connectors.echo]\nnote = "{value}"\n'))


def test_token_url_is_not_mistaken_for_a_secret(tmp_path: Path) -> None:
    config = load_config(
        write(tmp_path, '[connectors.echo]\ntoken_url = "https://x.example.test/t"\n')
    )
    assert config.connectors["echo"].settings["token_url"].startswith("https://")


def test_unknown_top_level_key_is_named(tmp_path: Path) -> None:
    with pytest.raises(ConfigFileError) as caught:
        load_config(write(tmp_path, "[secret]\nbackend='file'\n"))
    message = str(caught.value)
    assert message.startswith(
        f"{tmp_path / 'handoff.toml'}: secret: unknown table; the tables are:"
    )
    for known in ("connectors", "secrets", "store", "routing", "writeback", "meetings"):
        assert known in message


def test_bad_secrets_backend_names_field(tmp_path: Path) -> None:
    with pytest.raises(ConfigFileError, match=r"secrets\.backend"):
        load_config(write(tmp_path, "[secrets]\nbackend='vault'\n"))
