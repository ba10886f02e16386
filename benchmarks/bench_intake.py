"""Events ingested per second over HTTP, durably (stored before each 202).

    .venv/bin/python benchmarks/bench_intake.py --database sqlite --events 20000
    .venv/bin/python benchmarks/bench_intake.py --database postgres --events 20000

Starts `handoff serve` (uvicorn) in a subprocess on a fresh database, then
POSTs page views from `--clients` concurrent keep-alive connections and
counts the 202s. Client and server share the machine, so the figure is a
floor for the server alone. It also prints the server's CPU time per event
(Linux: /proc), which depends far less on what else the machine is doing than
events/s does: compare two versions by it, measured one after the other. The
client's own CPU per event and the load average at the end are printed too:
on a 2-core machine the server can go no faster than the core the client
leaves it.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import psycopg

PG = os.environ.get(
    "HANDOFF_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def database(kind: str, folder: Path) -> tuple[str, str | None]:
    if kind == "sqlite":
        return f"sqlite:///{folder / 'bench.db'}", None
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(PG.replace("+psycopg", ""), autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    return f"{PG}?options=-csearch_path%3D{schema}", schema


def drop(schema: str | None) -> None:
    if schema:
        with psycopg.connect(PG.replace("+psycopg", ""), autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


async def wait_healthy(port: int, seconds: float = 300) -> None:
    """Until the server answers /health (start-up takes a minute or more on a loaded machine)."""
    deadline = time.monotonic() + seconds
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=10) as client:
        while time.monotonic() < deadline:
            try:
                if (await client.get("/health")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.2)
    raise SystemExit(f"the server did not start within {seconds:g} s")


async def one_connection(port: int, counter: Iterator[int], statuses: list[int], key: str) -> None:
    """A minimal HTTP/1.1 keep-alive client: httpx's own overhead would be the bottleneck."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        for i in counter:
            body = json.dumps(
                {"id": f"pv-{i}", "visitor_id": f"v-{i % 997}", "url": "https://www.example.test/p"}
            ).encode()
            writer.write(
                b"POST /v1/page-views HTTP/1.1\r\nHost: bench\r\nContent-Type: application/json\r\n"
                + f"Authorization: Bearer {key}\r\nContent-Length: {len(body)}\r\n\r\n".encode()
                + body
            )
            head = await reader.readuntil(b"\r\n\r\n")
            status = int(head.split(b" ", 2)[1])
            length = 0
            for line in head.split(b"\r\n"):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":", 1)[1])
            await reader.readexactly(length)
            statuses.append(status)
    finally:
        writer.close()


async def post_all(port: int, events: int, clients: int, key: str) -> tuple[float, int]:
    await wait_healthy(port)
    counter = iter(range(events))
    statuses: list[int] = []
    started = time.perf_counter()
    await asyncio.gather(*(one_connection(port, counter, statuses, key) for _ in range(clients)))
    elapsed = time.perf_counter() - started
    return elapsed, statuses.count(202)


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU seconds of a process so far (Linux), else None."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def post_measured(
    port: int, events: int, clients: int, pid: int, key: str
) -> tuple[float, int, float | None, float]:
    """Elapsed seconds, 202s, the server's CPU seconds and this client's, over the run."""
    await wait_healthy(port)
    before, client_before = cpu_seconds(pid), time.process_time()
    elapsed, accepted = await post_all(port, events, clients, key)
    after, client_cpu = cpu_seconds(pid), time.process_time() - client_before
    cpu = None if before is None or after is None else after - before
    return elapsed, accepted, cpu, client_cpu


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--clients", type=int, default=64)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url, schema = database(args.database, Path(tmp))
        env = {
            **os.environ,
            "HANDOFF_DATABASE_URL": url,
            "HANDOFF_CONFIG": str(Path(tmp) / "none.toml"),
        }
        handoff = str(Path(sys.executable).with_name("handoff"))
        subprocess.run([handoff, "db", "upgrade"], env=env, check=True, capture_output=True)  # noqa: S603
        made = subprocess.run(  # noqa: S603 - our own command: an ingest key for the senders
            [handoff, "keys", "create", "bench", "--scope", "ingest", "--json"],
            env=env,
            check=True,
            capture_output=True,
            text=True,
        )
        key = json.loads(made.stdout)["key"]
        port = free_port()
        server = subprocess.Popen(  # noqa: S603 - our own command
            [handoff, "serve", "--port", str(port)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            elapsed, accepted, cpu, client_cpu = asyncio.run(
                post_measured(port, args.events, args.clients, server.pid, key)
            )
        finally:
            server.terminate()
            server.wait(timeout=30)
            drop(schema)
    per_event = 1e6 / max(accepted, 1)
    print(
        f"intake {args.database}: {accepted} events in {elapsed:.2f} s = "
        f"{accepted / elapsed:,.0f} events/s ({args.clients} concurrent clients)"
        + (f"; server CPU {cpu * per_event:,.0f} us per event" if cpu else "")
        + f"; client CPU {client_cpu * per_event:,.0f} us per event"
        + "; load average {:.1f} {:.1f} {:.1f}".format(*os.getloadavg())
    )


if __name__ == "__main__":
    main()
