"""The console's sign-in refuses password guessing: too many failures for a user name, or from
one client, are answered 429 with Retry-After for a window (time moved, never waited)."""

from __future__ import annotations

import html
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from console_kit import CSRF, PASSWORD, Loopback, sign_in  # type: ignore[import-not-found]
from fastapi import FastAPI

from handoff.console.limits import SignInLimiter, SignInLimits
from handoff.console.users import UserInfo
from handoff.server import create_app
from handoff.store import Store
from handoff_sdk import FakeClock


@pytest.fixture
async def app(store: Store, clock: FakeClock) -> AsyncIterator[FastAPI]:
    """The hub's app with its console."""
    built = create_app(store, clock=clock)
    yield built
    await built.state.intake.aclose()


async def attempt(client: httpx.AsyncClient, name: str, password: str) -> httpx.Response:
    """One try through the sign-in form, as a browser sends it."""
    form = await client.get("/console/sign-in")
    token = CSRF.search(form.text)
    assert token
    return await client.post(
        "/console/sign-in",
        data={"name": name, "password": password, "csrf_token": token.group(1)},
    )


def problem(answer: httpx.Response) -> str:
    """The sign-in page's message."""
    return html.unescape(answer.text.split('id="sign-in-problem">')[1].split("</p>")[0])


async def test_failed_sign_ins_for_a_name_are_refused_for_the_window_over_a_socket(
    app: FastAPI, loopback: Loopback, clock: FakeClock, console_user: Callable[..., UserInfo]
) -> None:
    console_user("olga", "ops")
    async with loopback(app, headers={}) as client:
        for _ in range(5):
            wrong = await attempt(client, "olga", "not the password at all")
            assert wrong.status_code == 400
            assert problem(wrong) == "That user name and password do not match."
        clock.advance(60)
        # The sixth try is refused, the right password too, and with another spelling of the name.
        for name, password in (("olga", PASSWORD), ("OLGA", "guess again, please")):
            refused = await attempt(client, name, password)
            assert refused.status_code == 429
            assert problem(refused) == (
                "Too many failed sign-ins for this user name: try again in 14 minutes."
            )
            assert refused.headers["Retry-After"] == str(14 * 60)
            assert "handoff_console=" not in refused.headers.get("set-cookie", "")
        clock.advance(14 * 60)  # the first failure leaves the window
        await sign_in(client, "olga")


async def test_a_successful_sign_in_forgets_the_names_failures(
    app: FastAPI, loopback: Loopback, console_user: Callable[..., UserInfo]
) -> None:
    console_user("olga", "ops")
    async with loopback(app, headers={}) as client:
        for _ in range(4):
            assert (await attempt(client, "olga", "wrong password 123")).status_code == 400
        await sign_in(client, "olga")
    async with loopback(app, headers={}) as again:
        for _ in range(4):
            assert (await attempt(again, "olga", "wrong password 123")).status_code == 400
        await sign_in(again, "olga")


async def test_one_client_guessing_many_names_is_refused(
    app: FastAPI, loopback: Loopback, clock: FakeClock, console_user: Callable[..., UserInfo]
) -> None:
    console_user("olga", "ops")
    app.state.console.sign_ins = SignInLimiter(SignInLimits(per_name=5, per_client=3))
    async with loopback(app, headers={}) as client:
        for name in ("ana", "bo", "cy"):
            assert (await attempt(client, name, "some password 1")).status_code == 400
        refused = await attempt(client, "olga", PASSWORD)
        assert refused.status_code == 429
        assert problem(refused) == (
            "Too many failed sign-ins from your address: try again in 15 minutes."
        )
        clock.advance(15 * 60)
        await sign_in(client, "olga")


def test_the_limiter_forgets_what_left_the_window_and_stays_bounded() -> None:
    limiter = SignInLimiter(SignInLimits(per_name=2, per_client=100), max_keys=10)
    start = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)
    limiter.failed("ana", "10.0.0.1", now=start)
    limiter.failed("ana", "10.0.0.1", now=start + timedelta(minutes=10))
    refused = limiter.refusal("ana", "10.0.0.2", now=start + timedelta(minutes=10))
    assert refused is not None
    assert refused.retry_after == 5 * 60  # when the first failure leaves the 15 minutes
    assert limiter.refusal("ana", "10.0.0.2", now=start + timedelta(minutes=15)) is None
    assert limiter.refusal("bo", "10.0.0.1", now=start + timedelta(minutes=10)) is None
    for n in range(50):
        limiter.failed(f"user{n}", f"10.1.0.{n}", now=start + timedelta(minutes=20, seconds=n))
    assert len(limiter._failures) <= 10
    # The newest are the ones remembered.
    assert limiter.refusal("user49", "x", now=start + timedelta(minutes=21)) is None
    limiter.failed("user49", "x", now=start + timedelta(minutes=21))
    assert limiter.refusal("user49", "y", now=start + timedelta(minutes=21)) is not None
