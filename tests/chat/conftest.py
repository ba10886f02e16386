"""What the chat flow's tests share: the hub's app served on a loopback port.

The `loopback` fixture is the suite's (tests/conftest.py): uvicorn on
127.0.0.1, a client holding an admin key.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager

import httpx
from fastapi import FastAPI

Loopback = Callable[[FastAPI], AbstractAsyncContextManager[httpx.AsyncClient]]
