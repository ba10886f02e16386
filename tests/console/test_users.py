"""`handoff users add|list|remove` and the users' stored passwords."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from console_kit import PASSWORD  # type: ignore[import-not-found]
from sqlalchemy import select

from handoff.cli import cli
from handoff.console.users import (
    add_user,
    authenticate,
    find_session,
    list_users,
    open_session,
    remove_user,
)
from handoff.errors import HandoffError
from handoff.store import Audit, ConsoleSession, ConsoleUser, Store
from handoff_sdk import FakeClock


def test_users_cli_reads_the_password_from_stdin_never_an_argument(tmp_path: Path) -> None:
    database = f"sqlite:///{tmp_path / 'h.db'}"
    runner = CliRunner()
    assert runner.invoke(cli, ["db", "upgrade", "--database", database]).exit_code == 0
    added = runner.invoke(
        cli,
        ["users", "add", "ana", "--role", "rep", "--rep", "ana", "--database", database],
        input=PASSWORD + "\n",
    )
    assert added.exit_code == 0, added.output
    assert "Added console user 'ana' (rep) for rep ana" in added.output
    ops = runner.invoke(
        cli, ["users", "add", "olga", "--role", "ops", "--database", database], input=PASSWORD
    )
    assert ops.exit_code == 0, ops.output
    # No option takes a password: it would stay in the shell history.
    helped = runner.invoke(cli, ["users", "add", "--help"])
    assert "--password" not in helped.output
    assert "stdin" in helped.output
    listed = runner.invoke(cli, ["users", "list", "--database", database])
    assert "ana" in listed.output
    assert "rep(ana)" in listed.output
    as_json = json.loads(
        runner.invoke(cli, ["users", "list", "--json", "--database", database]).output
    )
    assert [(u["name"], u["role"], u["rep_id"]) for u in as_json] == [
        ("ana", "rep", "ana"),
        ("olga", "ops", None),
    ]
    assert PASSWORD not in listed.output + json.dumps(as_json)
    short = runner.invoke(
        cli, ["users", "add", "bo", "--role", "ops", "--database", database], input="short"
    )
    assert short.exit_code != 0
    assert "at least 12 characters" in str(short.exception) + short.output
    removed = runner.invoke(cli, ["users", "remove", "ana", "--json", "--database", database])
    assert removed.exit_code == 0, removed.output
    assert json.loads(removed.output)["name"] == "ana"
    again = runner.invoke(cli, ["users", "remove", "ana", "--database", database])
    assert again.exit_code != 0
    assert "no console user 'ana'" in str(again.exception) + again.output
    store = Store(database)
    try:
        with store.sessions() as session:
            audits = [
                (a.action, a.actor.startswith("cli:")) for a in session.scalars(select(Audit))
            ]
            [olga] = session.scalars(select(ConsoleUser)).all()
        assert audits == [
            ("console_user.added", True),
            ("console_user.added", True),
            ("console_user.removed", True),
        ]
        # Argon2id, by the hasher the API keys use.
        assert olga.password_hash.startswith("$argon2id$")
        assert PASSWORD not in olga.password_hash
    finally:
        store.dispose()


def test_users_are_checked_when_added(store: Store, clock: FakeClock) -> None:
    now = clock.now()
    with pytest.raises(HandoffError, match="name it with --rep"):
        add_user(store, "ana", PASSWORD, "rep", now=now, actor="t")
    with pytest.raises(HandoffError, match="--rep is for users with the 'rep' role"):
        add_user(store, "olga", PASSWORD, "ops", rep_id="ana", now=now, actor="t")
    with pytest.raises(HandoffError, match="role 'ingest': expected one of rep, ops, admin"):
        add_user(store, "bot", PASSWORD, "ingest", now=now, actor="t")
    with pytest.raises(HandoffError, match="user name ' bad'"):
        add_user(store, " bad", PASSWORD, "ops", now=now, actor="t")
    add_user(store, "olga", PASSWORD, "ops", now=now, actor="t")
    with pytest.raises(HandoffError, match="exists already"):
        add_user(store, "olga", PASSWORD, "admin", now=now, actor="t")
    assert [u.name for u in list_users(store)] == ["olga"]


def test_removing_a_user_ends_their_sessions(store: Store, clock: FakeClock) -> None:
    user = add_user(store, "olga", PASSWORD, "ops", now=clock.now(), actor="t")
    assert authenticate(store, "olga", PASSWORD) == user
    assert authenticate(store, "olga", PASSWORD + "x") is None
    assert authenticate(store, "nobody", PASSWORD) is None
    token, _ = open_session(store, user, now=clock.now())
    assert find_session(store, token, now=clock.now()) is not None
    remove_user(store, "olga", now=clock.now(), actor="t")
    assert find_session(store, token, now=clock.now()) is None
    with store.sessions() as session:
        assert session.scalars(select(ConsoleSession)).all() == []
