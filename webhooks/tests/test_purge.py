"""Deleting old webhook data in batches (webhooks.purge)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from webhooks import purge
from webhooks.models import Conversation, Delivery, Event
from webhooks.tests import bulk
from webhooks.tests.factories import ACCOUNT, CLIENT_ID, OTHER_ACCOUNT

pytestmark = pytest.mark.django_db

OTHER_APP = "c1d2e3f4-0000-4000-8000-000000000002"


def _conversation(name: str, *ages_in_days: int, account_id=ACCOUNT, client_id=CLIENT_ID) -> Conversation:
    """A conversation with one delivery and one event per age, oldest first."""
    now = timezone.now()
    times = [now - timedelta(days=days) for days in ages_in_days]
    conversation = Conversation.objects.create(
        account_id=account_id,
        conversation_id=name,
        client_id=client_id,
        first_event_at=times[0],
        last_event_at=times[-1],
        last_seq=len(times),
    )
    for seq, at in enumerate(times, start=1):
        delivery = Delivery.objects.create(
            account_id=account_id,
            client_id=client_id,
            status=200,
            accepted=True,
            reason="accepted",
            received_at=at,
        )
        Event.objects.create(
            conversation=conversation,
            seq=seq,
            delivery=delivery,
            account_id=account_id,
            client_id=client_id,
            notification_type="ms.MessagingEventNotification",
            event_type="ContentEvent",
            payload={},
            received_at=at,
        )
    return conversation


def _cutoff(days: int = 30):
    return timezone.now() - timedelta(days=days)


def test_parse_age_reads_a_number_and_a_unit():
    assert purge.parse_age("30d") == timedelta(days=30)
    assert purge.parse_age("12h") == timedelta(hours=12)
    assert purge.parse_age("90m") == timedelta(minutes=90)
    assert purge.parse_age("45s") == timedelta(seconds=45)
    assert purge.parse_age("2w") == timedelta(weeks=2)
    for wrong in ("30", "d", "0d", "-1d", "30x", "1.5d"):
        with pytest.raises(ValueError, match="a positive number and a unit"):
            purge.parse_age(wrong)


def test_it_deletes_old_rows_and_keeps_recent_ones():
    _conversation("old", 40, 35)
    _conversation("new", 5)

    counts = purge.webhooks_purge(cutoff=_cutoff())

    assert (counts.events, counts.deliveries, counts.conversations, counts.complete) == (2, 2, 1, True)
    assert list(Conversation.objects.values_list("conversation_id", flat=True)) == ["new"]
    assert Event.objects.count() == Delivery.objects.count() == 1


def test_a_conversation_with_a_recent_event_keeps_it_and_loses_the_old_ones():
    conversation = _conversation("mixed", 40, 1)

    counts = purge.webhooks_purge(cutoff=_cutoff())

    assert (counts.events, counts.deliveries, counts.conversations) == (1, 1, 0)
    assert list(conversation.events.values_list("seq", flat=True)) == [2]


def test_it_deletes_only_the_given_account():
    _conversation("ours", 40)
    _conversation("theirs", 40, account_id=OTHER_ACCOUNT)

    counts = purge.webhooks_purge(cutoff=_cutoff(), account_id=ACCOUNT)

    assert counts.total == 3
    assert list(Conversation.objects.values_list("account_id", flat=True)) == [OTHER_ACCOUNT]
    assert set(Event.objects.values_list("account_id", flat=True)) == {OTHER_ACCOUNT}


def test_it_deletes_only_the_given_app():
    _conversation("ours", 40)
    _conversation("theirs", 40, client_id=OTHER_APP)

    counts = purge.webhooks_purge(cutoff=_cutoff(), client_id=CLIENT_ID)

    assert counts.total == 3
    assert list(Conversation.objects.values_list("client_id", flat=True)) == [OTHER_APP]


def test_a_conversation_keeps_the_events_of_other_apps():
    conversation = _conversation("shared", 40, 39)
    conversation.events.filter(seq=1).update(client_id=OTHER_APP)

    counts = purge.webhooks_purge(cutoff=_cutoff(), client_id=CLIENT_ID)

    assert (counts.events, counts.conversations) == (1, 0)
    assert conversation.events.get().client_id == OTHER_APP


def test_a_delivery_whose_events_are_kept_leaves_them_without_a_delivery():
    conversation = _conversation("kept", 40)
    Event.objects.update(received_at=timezone.now())  # an event newer than its delivery

    purge.webhooks_purge(cutoff=_cutoff())

    assert not Delivery.objects.exists()
    assert conversation.events.get().delivery is None


def test_the_count_is_what_a_purge_then_deletes():
    _conversation("old", 40, 35)
    _conversation("mixed", 40, 2)
    _conversation("new", 1)

    counted = purge.purge_count(cutoff=_cutoff())
    deleted = purge.webhooks_purge(cutoff=_cutoff())

    assert counted == deleted
    assert (counted.events, counted.deliveries, counted.conversations) == (3, 3, 1)


def test_it_deletes_in_batches_and_reports_each_in_its_transaction():
    for n in range(7):
        _conversation(f"old-{n}", 40)
    batches = []

    purge.webhooks_purge(cutoff=_cutoff(), batch_size=3, on_batch=lambda kind, n: batches.append((kind, n)))

    assert batches == [("events", 3), ("events", 3), ("events", 1)] + [
        ("deliveries", 3),
        ("deliveries", 3),
    ] + [
        ("deliveries", 1),
        ("conversations", 3),
        ("conversations", 3),
        ("conversations", 1),
    ]


def test_it_stops_at_its_time_limit_and_says_so():
    for n in range(3):
        _conversation(f"old-{n}", 40)

    counts = purge.webhooks_purge(cutoff=_cutoff(), batch_size=1, max_seconds=0)

    assert counts.complete is False
    assert counts.total == 1  # one batch: it always makes progress


def test_a_failing_batch_rolls_back_alone():
    for n in range(4):
        _conversation(f"old-{n}", 40)

    def fail_on_second(kind, n, calls=[]):  # noqa: B006 - counts calls
        calls.append(kind)
        if len(calls) == 2:
            raise RuntimeError("interrupted")

    with pytest.raises(RuntimeError):
        purge.webhooks_purge(cutoff=_cutoff(), batch_size=2, on_batch=fail_on_second)

    assert Event.objects.count() == 2  # the first batch stays deleted, the second is back


@pytest.mark.django_db(transaction=True)
def test_200000_events_go_in_batches_with_exact_counts():
    old = timezone.now() - timedelta(days=40)
    bulk.conversations(4000, events_each=50, at=old, prefix="old")  # 200,000 events
    bulk.conversations(20, events_each=10, at=timezone.now(), prefix="new")
    batches = []

    counts = purge.webhooks_purge(
        cutoff=_cutoff(), batch_size=10_000, on_batch=lambda kind, n: batches.append((kind, n))
    )

    assert (counts.events, counts.deliveries, counts.conversations) == (200_000, 4000, 4000)
    assert [n for kind, n in batches if kind == "events"] == [10_000] * 20
    assert max(n for _, n in batches) <= 10_000
    assert Event.objects.count() == 200
    assert Conversation.objects.count() == Delivery.objects.count() == 20
