"""One account's large deliveries may carry only so many changes a second
(webhooks/budgets.py): beyond, 503 after a delay, large bodies refused before
they are parsed, and nothing recorded."""

import json
import time

import pytest

from webhooks import budgets, notifications, receiver
from webhooks.models import Delivery, Event
from webhooks.tests.conftest import post_signed
from webhooks.tests.test_intake_limits import _many_changes

pytestmark = pytest.mark.django_db(transaction=True)


class _Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_burst_of_the_changes_limit_then_the_rate(settings):
    settings.WEBHOOK_LARGE_DELIVERY_CHANGES = 50
    clock = _Clock()
    budget = budgets.ChangeBudget(per_second=250, burst=1000, clock=clock)

    assert budget.take("a", 1000)
    assert not budget.take("a", 1000)
    assert budget.exhausted("a")
    assert budget.take("b", 1000)  # another account has its own
    clock.now += 2
    assert not budget.take("a", 1000)  # 500 back: a refusal spends nothing
    assert not budget.exhausted("a")
    clock.now += 2
    assert budget.take("a", 1000)


def test_charging_drains_to_empty_and_the_table_is_bounded(monkeypatch):
    monkeypatch.setattr(budgets, "MAX_ACCOUNTS", 3)
    budget = budgets.ChangeBudget(per_second=1, burst=1000, clock=_Clock())

    budget.charge("a", 5000)
    assert not budget.take("a", 1)
    for account in "bcde":
        budget.charge(account, 1)
    assert list(budget._buckets) == ["c", "d", "e"]


async def test_beyond_its_budget_a_large_delivery_gets_503_unrecorded(installation, settings):
    settings.WEBHOOK_LARGE_DELIVERY_CHANGES = 50
    settings.WEBHOOK_LARGE_CHANGES_PER_SECOND = 1
    settings.WEBHOOK_OVER_BUDGET_DELAY_SECONDS = 0

    first = await post_signed(_many_changes(1000, conversation="big-one"))
    second = await post_signed(_many_changes(100, conversation="big-two"))
    small = await post_signed(_many_changes(3, conversation="small"))

    assert [first["status"], second["status"], small["status"]] == [200, 503, 200]
    assert json.loads(second["body"])["status"] == "busy"
    assert await Delivery.objects.acount() == 2  # the 503 is not recorded
    assert await Event.objects.acount() == 1003


async def test_an_exhausted_accounts_large_body_is_refused_unparsed_and_late(
    installation, settings, monkeypatch
):
    settings.WEBHOOK_LARGE_DELIVERY_CHANGES = 50
    settings.WEBHOOK_LARGE_CHANGES_PER_SECOND = 1
    settings.WEBHOOK_OVER_BUDGET_DELAY_SECONDS = 0.3
    budgets.large_changes().charge("90000001", 10_000)
    parsed = []
    real_parse = notifications.parse
    monkeypatch.setattr(notifications, "parse", lambda *a, **kw: parsed.append(1) or real_parse(*a, **kw))
    body = _many_changes(1000, conversation="x" * 10)
    assert len(json.dumps(body)) >= receiver.PARSE_IN_THREAD_BYTES

    started = time.monotonic()
    response = await post_signed(body)

    assert response["status"] == 503
    assert time.monotonic() - started >= 0.3  # a client waiting for each answer waits
    assert parsed == []
    assert await Delivery.objects.acount() == 0
