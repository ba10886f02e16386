"""A throwaway PostgreSQL cluster a test starts, stops and restarts itself.

The suite's shared server (HANDOFF_TEST_POSTGRES_URL) must never be stopped by
a test, so an outage test gets a cluster of its own: `initdb` in a fresh
folder, `pg_ctl` on a free port, its socket in that folder, removed after.
The binaries are PostgreSQL's own (/usr/lib/postgresql/<version>/bin, or
$HANDOFF_TEST_PG_BIN). PostgreSQL refuses to run as root, so as root (CI
runs as root) every command runs as the `postgres` user through `runuser`,
and the folder is given to that user.
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest

from .processes import free_port

PG_BIN_ENV = "HANDOFF_TEST_PG_BIN"
SERVER_USER = "postgres"


def postgres_bin() -> Path:
    """The folder holding initdb and pg_ctl: $HANDOFF_TEST_PG_BIN, else the newest installed."""
    given = os.environ.get(PG_BIN_ENV)
    candidates = (
        [Path(given)]
        if given
        else sorted(
            Path("/usr/lib/postgresql").glob("*/bin"),
            key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0,
            reverse=True,
        )
    )
    for folder in candidates:
        if (folder / "initdb").exists() and (folder / "pg_ctl").exists():
            return folder
    where = given or "/usr/lib/postgresql/*/bin"
    pytest.fail(
        f"PostgreSQL's server binaries (initdb, pg_ctl) are not in {where}: this test starts "
        f"and restarts a PostgreSQL of its own. Install them (Debian: apt-get install "
        f"postgresql; .ci/run does) or set {PG_BIN_ENV} to their folder.",
        pytrace=False,
    )


def _as_server_user() -> list[str]:
    """The command prefix that runs PostgreSQL's binaries as a user it accepts."""
    if os.geteuid() != 0:
        return []
    try:
        pwd.getpwnam(SERVER_USER)
    except KeyError:
        pytest.fail(
            f"running as root, and there is no '{SERVER_USER}' user to run PostgreSQL as "
            "(it refuses to run as root); the postgresql package creates that user",
            pytrace=False,
        )
    runuser = shutil.which("runuser")
    if runuser is None:
        pytest.fail("running as root, and runuser (util-linux) is missing", pytrace=False)
    return [runuser, "-u", SERVER_USER, "--"]


@dataclass
class Cluster:
    """One PostgreSQL cluster in `folder`, listening on 127.0.0.1:`port`."""

    bin: Path
    folder: Path
    port: int
    prefix: list[str]

    @property
    def data(self) -> Path:
        """The cluster's data directory."""
        return self.folder / "data"

    def url(self, database: str = "postgres") -> str:
        """A SQLAlchemy URL of `database` in this cluster (user postgres, trust auth)."""
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def dsn(self, database: str = "postgres") -> str:
        """The libpq form of `url`."""
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def _run(self, *args: str) -> None:
        done = subprocess.run(
            [*self.prefix, *args], capture_output=True, text=True, timeout=300, check=False
        )
        if done.returncode != 0:
            log = self.folder / "server.log"
            tail = log.read_text(errors="replace")[-3000:] if log.exists() else ""
            pytest.fail(
                f"{' '.join(args)} exited {done.returncode}:\n{done.stdout}\n{done.stderr}\n{tail}"
            )

    def start(self) -> None:
        """Start the server and wait until it accepts connections (pg_ctl -w)."""
        options = f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1"
        self._run(
            str(self.bin / "pg_ctl"),
            "start",
            "-w",
            "-t",
            "300",
            "-D",
            str(self.data),
            "-l",
            str(self.folder / "server.log"),
            "-o",
            options,
        )

    def stop(self, mode: str = "fast") -> None:
        """Stop the server: 'fast' (clean) or 'immediate' (as a crash: recovery at the next start)."""
        self._run(
            str(self.bin / "pg_ctl"), "stop", "-w", "-t", "300", "-m", mode, "-D", str(self.data)
        )

    def create_database(self, name: str) -> str:
        """Create database `name`; its SQLAlchemy URL."""
        with psycopg.connect(self.dsn(), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)


@contextmanager
def throwaway_cluster() -> Iterator[Cluster]:
    """A fresh cluster, started; stopped (immediately) and deleted afterwards."""
    binaries = postgres_bin()
    prefix = _as_server_user()
    # Not under pytest's tmp_path: as root that is a 0700 folder the postgres user cannot enter.
    folder = Path(tempfile.mkdtemp(prefix="handoff-pg-"))
    if prefix:
        shutil.chown(folder, user=SERVER_USER, group=SERVER_USER)
    cluster = Cluster(binaries, folder, free_port(), prefix)
    try:
        cluster._run(
            str(binaries / "initdb"),
            "-D",
            str(cluster.data),
            "-U",
            "postgres",
            "--auth=trust",
            "--no-sync",
            "--no-instructions",
        )
        cluster.start()
        yield cluster
    finally:
        if (cluster.data / "postmaster.pid").exists():
            subprocess.run(
                [
                    *prefix,
                    str(binaries / "pg_ctl"),
                    "stop",
                    "-m",
                    "immediate",
                    "-D",
                    str(cluster.data),
                ],
                capture_output=True,
                timeout=120,
                check=False,
            )
        shutil.rmtree(folder, ignore_errors=True)
