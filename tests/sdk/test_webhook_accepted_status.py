"""`Connector.webhook_accepted_status`: 202 by default, any body-carrying 2xx, refused at import.

A connector author sees a bad value when the class is defined (the import fails), not when
the first delivery is answered with it and the vendor keeps retrying.
"""

from __future__ import annotations

from typing import Any

import pytest

from handoff_sdk import Connector


def define(status: Any) -> type[Connector]:
    class Declared(Connector):
        name = "declared"
        webhook_accepted_status = status

    return Declared


def test_the_default_is_202() -> None:
    assert Connector.webhook_accepted_status == 202

    class Plain(Connector):
        name = "plain"

    assert Plain.webhook_accepted_status == 202


@pytest.mark.parametrize("status", [200, 201, 202, 203, 299])
def test_a_2xx_that_carries_a_body_is_accepted(status: int) -> None:
    assert define(status).webhook_accepted_status == status


@pytest.mark.parametrize("status", [302, 199, 300, 400, 500, 0, 204, 205])
def test_anything_else_is_refused_when_the_class_is_defined(status: int) -> None:
    with pytest.raises(TypeError) as info:
        define(status)
    message = str(info.value)
    assert "Declared.webhook_accepted_status" in message
    assert repr(status) in message
    assert "2xx" in message


@pytest.mark.parametrize("status", ["200", 200.0, True, None])
def test_a_status_that_is_not_an_int_is_refused(status: Any) -> None:
    with pytest.raises(TypeError, match=r"webhook_accepted_status is .*expected a 2xx"):
        define(status)


class AnswersOk(Connector):
    name = "answers-ok"
    webhook_accepted_status = 200


def test_a_subclass_inherits_a_declared_status_and_is_checked_again() -> None:
    class Child(AnswersOk):
        name = "child"

    assert Child.webhook_accepted_status == 200
    with pytest.raises(TypeError, match=r"Grandchild\.webhook_accepted_status is 302"):

        class Grandchild(Child):
            webhook_accepted_status = 302
