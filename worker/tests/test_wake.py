"""worker.wake(): NOTIFY at commit, received by a LISTENing waiter."""

import importlib
import threading
import time

import pytest
from django.db import connection, transaction

from worker.wake import ListeningWaiter, PollingWaiter, conninfo_from

# The module: `worker.wake` the attribute is the function (worker/__init__.py).
wake_module = importlib.import_module("worker.wake")


@pytest.fixture
def waiter(transactional_db):
    listening = ListeningWaiter(conninfo_from(connection.settings_dict))
    listening.listen()
    yield listening
    listening.close()


def test_wake_wakes_a_listening_waiter(waiter):
    wake_module.wake()

    started = time.monotonic()
    assert waiter.wait(5) is True
    assert time.monotonic() - started < 1


def test_wake_inside_a_transaction_is_delivered_only_at_commit(waiter):
    with transaction.atomic():
        wake_module.wake()
        assert waiter.wait(0.3) is False

    assert waiter.wait(5) is True


def _wake_then_fail() -> None:
    with transaction.atomic():
        wake_module.wake()
        raise RuntimeError("rolled back")


def test_a_rolled_back_wake_is_never_delivered(waiter):
    with pytest.raises(RuntimeError):
        _wake_then_fail()

    assert waiter.wait(0.3) is False


def test_interrupt_ends_a_wait_at_once():
    waiter = PollingWaiter()
    threading.Timer(0.1, waiter.interrupt).start()

    started = time.monotonic()
    waiter.wait(10)

    assert time.monotonic() - started < 2
    waiter.close()


def test_wake_is_a_no_op_on_other_databases(monkeypatch):
    monkeypatch.setattr(wake_module.connection, "vendor", "sqlite")

    wake_module.wake()  # no query: would fail without database access
