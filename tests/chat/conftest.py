"""What the chat flow's tests share: the hub's app served on a loopback port."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager

import httpx
import pytest
import uvicorn
from fastapi import FastAPI

Loopback = Callable[[FastAPI], AbstractAsyncContextManager[httpx.AsyncClient]]


@asynccontextmanager
async def _loopback(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """`app` served by uvicorn on 127.0.0.1 (an ephemeral port); a client talking to it."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    task = asyncio.create_task(server.serve())
    try:
        while not server.started:
            assert not task.done(), "the server did not start"
            await asyncio.sleep(0.01)
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
            yield client
    finally:
        server.should_exit = True
        await task


@pytest.fixture
def loopback() -> Loopback:
    """Serve an app on a loopback port for the test: `async with loopback(app) as client`."""
    return _loopback
