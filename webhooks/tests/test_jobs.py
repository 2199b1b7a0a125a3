"""The webhooks app's worker jobs."""

from datetime import timedelta

import pytest
from django.utils import timezone

from webhooks import jobs
from webhooks.models import Event
from webhooks.tests import bulk
from worker.models import Schedule

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def old_and_new():
    bulk.conversations(3, events_each=2, at=timezone.now() - timedelta(days=40), prefix="old")
    bulk.conversations(1, events_each=2, at=timezone.now() - timedelta(days=2), prefix="new")


def test_purge_expired_deletes_past_the_retention_once_per_interval(settings, old_and_new):
    settings.WEBHOOK_RETENTION_DAYS = 30

    assert jobs.purge_expired() == 6 + 3 + 3
    assert jobs.purge_expired() == 0  # not due again before the interval

    assert Event.objects.count() == 2
    schedule = Schedule.objects.get(name=jobs.PURGE_SCHEDULE)
    assert schedule.run_counts == {"events": 6, "deliveries": 3, "conversations": 3}
    assert schedule.next_run_at > timezone.now() + timedelta(minutes=59)


def test_a_retention_of_zero_keeps_everything(settings, old_and_new):
    settings.WEBHOOK_RETENTION_DAYS = 0

    assert jobs.purge_expired() == 0

    assert Event.objects.count() == 8


def test_a_run_longer_than_one_call_is_continued_at_once(settings, old_and_new):
    settings.WEBHOOK_RETENTION_DAYS = 30
    settings.WEBHOOK_PURGE_BATCH_SIZE = 1
    settings.WORKER_LEASE_SECONDS = 0  # each call stops after one batch

    calls = 0
    while jobs.purge_expired():
        calls += 1

    assert calls >= 12  # at least one call per batch
    assert Schedule.objects.get(name=jobs.PURGE_SCHEDULE).run_counts == {
        "events": 6,
        "deliveries": 3,
        "conversations": 3,
    }
