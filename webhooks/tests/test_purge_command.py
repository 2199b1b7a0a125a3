"""manage.py purge_webhook_events."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from webhooks.models import Conversation, Delivery, Event
from webhooks.tests import bulk
from webhooks.tests.factories import OTHER_ACCOUNT

pytestmark = pytest.mark.django_db

OTHER_APP = "c1d2e3f4-0000-4000-8000-000000000002"


@pytest.fixture
def rows():
    """Old rows of two accounts and two apps, and recent ones."""
    old = timezone.now() - timedelta(days=40)
    bulk.conversations(3, events_each=4, at=old, prefix="old")
    bulk.conversations(2, events_each=4, at=old, prefix="other-account", account_id=OTHER_ACCOUNT)
    bulk.conversations(1, events_each=4, at=old, prefix="other-app", client_id=OTHER_APP)
    bulk.conversations(2, events_each=1, at=timezone.now(), prefix="new")


def purge(*args) -> str:
    out = StringIO()
    call_command("purge_webhook_events", *args, stdout=out)
    return out.getvalue()


def _table_sizes() -> tuple[int, int, int]:
    return Event.objects.count(), Delivery.objects.count(), Conversation.objects.count()


def test_a_dry_run_reports_the_counts_and_deletes_nothing(rows):
    before = _table_sizes()

    output = purge("--older-than", "30d", "--dry-run")

    assert "would delete 24 events, 6 deliveries and 6 conversations" in output
    assert "Nothing was deleted." in output
    assert _table_sizes() == before


def test_it_deletes_and_sums_up(rows):
    output = purge("--older-than", "30d")

    assert "Deleted 24 events, 6 deliveries and 6 conversations in" in output
    assert _table_sizes() == (2, 2, 2)


def test_it_limits_itself_to_one_account(rows):
    output = purge("--older-than", "30d", "--account", OTHER_ACCOUNT)

    assert f"(account {OTHER_ACCOUNT})" in output
    assert "Deleted 8 events, 2 deliveries and 2 conversations" in output


def test_it_limits_itself_to_one_app(rows):
    output = purge("--older-than", "30d", "--app", OTHER_APP)

    assert "Deleted 4 events, 1 deliveries and 1 conversations" in output
    assert not Event.objects.filter(client_id=OTHER_APP).exists()


def test_it_draws_a_progress_bar_when_asked(rows):
    output = purge("--older-than", "30d", "--progress", "--batch-size", "5")

    assert "\revents         [" in output
    assert "100% 24/24" in output
    assert "100% 6/6" in output


def test_no_progress_bar_when_the_output_is_not_a_terminal(rows):
    assert "[" not in purge("--older-than", "30d")


def test_it_refuses_an_age_without_a_unit():
    with pytest.raises(CommandError, match="a positive number and a unit"):
        purge("--older-than", "30")


def test_it_requires_an_age():
    with pytest.raises(CommandError, match="--older-than"):
        purge()
