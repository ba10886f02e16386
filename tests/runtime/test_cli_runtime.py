"""The runtime's commands: db upgrade, worker, jobs list/retry/discard, explain."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select, update

from handoff.cli import cli
from handoff.cli.options import worker_settings_for
from handoff.config import load_config
from handoff.runtime import DecisionSpec, JobSpec, enqueue, record_decision
from handoff.store import Store, head_revision
from handoff_sdk import SystemClock


@pytest.fixture
def db_url(isolated_home: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite:///{isolated_home / 'hub.db'}"
    monkeypatch.setenv("HANDOFF_DATABASE_URL", url)
    return url


def run(*args: str) -> str:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def test_db_upgrade_then_current(db_url: str) -> None:
    head = head_revision()
    assert f"at schema revision {head}" in run("db", "upgrade")
    assert f"at {head}, needs {head}" in run("db", "current")


def test_commands_refuse_an_unmigrated_database(db_url: str) -> None:
    result = CliRunner().invoke(cli, ["jobs", "list"])
    assert result.exit_code != 0
    assert "run `handoff db upgrade`" in str(result.exception)


def test_jobs_list_retry_discard_and_the_worker(db_url: str) -> None:
    run("db", "upgrade")
    store = Store(db_url)
    now = SystemClock().now()
    with store.transaction() as s:
        record_decision(
            s,
            DecisionSpec(
                "routing", "conversation", "conv-1", {"rep": "r"}, {"why": "owner"}, ("Q3",)
            ),
            now=now,
            jobs=[JobSpec(kind="nobody-handles-this", idempotency_key="j1")],
        )
        enqueue(s, [JobSpec(kind="nobody-handles-this", idempotency_key="j2")], now=now)
    listed = json.loads(run("jobs", "list", "--json"))
    assert listed["counts"] == {"queued": 2}
    assert "worker stopped: 0 done, 0 retried, 2 dead" in run("worker", "--until-idle", "-c", "5")
    dead = json.loads(run("jobs", "list", "--state", "dead", "--json"))["jobs"]
    assert {j["idempotency_key"] for j in dead} == {"j1", "j2"}
    assert "no handler for kind" in dead[0]["last_error"]
    ids = sorted(j["id"] for j in dead)
    assert "1 job(s) queued again" in run("jobs", "retry", str(ids[0]))
    assert "1 job(s) discarded" in run("jobs", "discard", str(ids[0]))
    assert json.loads(run("jobs", "list", "--json"))["counts"] == {"dead": 2}
    explained = run("explain", "conversation:conv-1")
    assert "routing about conversation:conv-1  [Q3]" in explained
    assert "why      owner" in explained
    assert "job " in explained
    missing = CliRunner().invoke(cli, ["explain", "conversation:nope"])
    assert missing.exit_code != 0
    store.dispose()


def test_worker_settings_come_from_handoff_toml_and_the_command_line_overrides_them(
    db_url: str, isolated_home: Path
) -> None:
    """[worker] sets the lease and per-kind timeouts; --kind-timeout adds to them."""
    (isolated_home / "handoff.toml").write_text(
        "[worker]\nlease_seconds = 120\njob_timeout_seconds = 20\n"
        '[worker.job_timeouts]\n"meeting.book" = 90\n'
    )
    config = load_config(isolated_home / "handoff.toml")
    settings = worker_settings_for(
        config, {"lease": None, "concurrency": 3, "kind_timeout": {"event": 5.0}}
    )
    assert settings.lease_seconds == 120
    assert settings.concurrency == 3
    assert settings.job_timeout_seconds == 20
    assert settings.job_timeouts == {"meeting.book": 90, "event": 5.0}
    run("db", "upgrade")
    started = CliRunner().invoke(cli, ["worker", "--until-idle"], catch_exceptions=False)
    assert started.exit_code == 0, started.output
    assert "lease 120 s, job timeout 20 s" in started.output


@pytest.mark.parametrize("command", ["worker", "serve"])
def test_a_timeout_not_shorter_than_the_lease_is_refused_by_name(db_url: str, command: str) -> None:
    """Both commands take --lease and the timeouts, and check them together before starting."""
    run("db", "upgrade")
    result = CliRunner().invoke(
        cli, [command, "--lease", "30", "--kind-timeout", "meeting.book=45"]
    )
    assert result.exit_code != 0
    message = str(result.exception)
    assert (
        "job_timeout_seconds = 60, job_timeouts.meeting.book = 45: each must be above 0 and "
        "below lease_seconds (30)" in message
    )
    bad = CliRunner().invoke(cli, [command, "--kind-timeout", "event"])
    assert bad.exit_code == 2
    assert "expected KIND=SECONDS" in bad.output


def test_jobs_retry_refuses_a_done_job_and_an_unknown_id(
    db_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Only dead jobs are retried; anything else is refused with exit 1 and nothing changes."""
    from handoff.cli import main  # noqa: PLC0415
    from handoff.store import Job  # noqa: PLC0415

    run("db", "upgrade")
    store = Store(db_url)
    now = SystemClock().now()
    with store.transaction() as s:
        enqueue(s, [JobSpec(kind="k", idempotency_key="done-1")], now=now)
        enqueue(s, [JobSpec(kind="k", idempotency_key="dead-1")], now=now)
        done, dead = sorted(s.scalars(select(Job.id)))
        s.execute(update(Job).where(Job.id == done).values(state="done"))
        s.execute(update(Job).where(Job.id == dead).values(state="dead", last_error="boom"))

    def attempt(*args: str) -> tuple[int, str]:
        """`handoff ARGS` as the console script runs it: its exit code and what it printed."""
        monkeypatch.setattr("sys.argv", ["handoff", *args])
        with pytest.raises(SystemExit) as exited:
            main()
        printed = capsys.readouterr()
        return int(exited.value.code or 0), printed.out + printed.err

    code, out = attempt("jobs", "retry", str(done))
    assert code == 1
    assert f"error: nothing was queued again: job {done} is done, not dead" in out
    code, out = attempt("jobs", "retry", "999", str(dead))
    assert code == 1
    assert "job 999 does not exist" in out
    code, out = attempt("jobs", "discard", str(done))
    assert code == 1
    assert f"job {done} is done, not queued or dead" in out
    counts = json.loads(run("jobs", "list", "--json"))["counts"]
    assert counts == {"done": 1, "dead": 1}, "a refused command changes nothing"
    assert "1 job(s) queued again" in run("jobs", "retry", str(dead))
    store.dispose()
