"""Deleting stored webhook data older than an age: events, then deliveries, then
the conversations left without events.

Deletes go in batches of consecutive primary keys, each its own short
transaction, so the tables are never locked for long and the webhook writers
keep going in between. The same querysets count what a dry run reports, so
the dry run and the real run agree.
"""

import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet

from webhooks.models import Conversation, Delivery, Event

KINDS = ("events", "deliveries", "conversations")
AGE_PATTERN = re.compile(r"^(\d+)([smhdw])$")
AGE_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


@dataclass
class PurgeCounts:
    events: int = 0
    deliveries: int = 0
    conversations: int = 0
    complete: bool = True  # False: stopped at its time limit, more to delete

    @property
    def total(self) -> int:
        return self.events + self.deliveries + self.conversations


def parse_age(value: str) -> timedelta:
    """`30d`, `12h`, `90m`, `45s` or `2w` as a timedelta; ValueError otherwise."""
    match = AGE_PATTERN.match(value.strip())
    if not match or int(match[1]) <= 0:
        raise ValueError("an age is a positive number and a unit: 30d, 12h, 90m, 45s or 2w")
    return timedelta(**{AGE_UNITS[match[2]]: int(match[1])})


def purge_querysets(*, cutoff: datetime, account_id: str = "", client_id: str = "") -> dict[str, QuerySet]:
    """What a purge deletes, by kind: rows received before `cutoff`, in the scope.

    A conversation goes once every one of its events goes: after the events
    are deleted, that means it has none left.
    """
    scope = Q()
    if account_id:
        scope &= Q(account_id=account_id)
    if client_id:
        scope &= Q(client_id=client_id)
    old = Q(scope, received_at__lt=cutoff)
    kept_events = Event.objects.filter(conversation=OuterRef("pk")).exclude(old)
    return {
        "events": Event.objects.filter(old),
        "deliveries": Delivery.objects.filter(old),
        "conversations": Conversation.objects.filter(scope, last_event_at__lt=cutoff).exclude(
            Exists(kept_events)
        ),
    }


def purge_count(*, cutoff: datetime, account_id: str = "", client_id: str = "") -> PurgeCounts:
    """What `webhooks_purge` would delete now (the dry run)."""
    querysets = purge_querysets(cutoff=cutoff, account_id=account_id, client_id=client_id)
    return PurgeCounts(**{kind: querysets[kind].count() for kind in KINDS})


def webhooks_purge(
    *,
    cutoff: datetime,
    account_id: str = "",
    client_id: str = "",
    batch_size: int = 2000,
    pause_seconds: float = 0.0,
    max_seconds: float | None = None,
    on_batch: Callable[[str, int], None] | None = None,
) -> PurgeCounts:
    """Delete what `purge_querysets` selects, `batch_size` rows per transaction.

    `on_batch(kind, deleted)` runs inside each batch's transaction (what it
    writes commits with the batch). With `max_seconds`, it stops after the
    batch that passes the limit (so it always makes progress) and returns
    `complete=False`.
    """
    querysets = purge_querysets(cutoff=cutoff, account_id=account_id, client_id=client_id)
    deadline = None if max_seconds is None else time.monotonic() + max_seconds
    counts = PurgeCounts()
    for kind in KINDS:
        after = 0
        while True:
            deleted, after = _delete_batch(kind, querysets[kind], after, batch_size, on_batch)
            setattr(counts, kind, getattr(counts, kind) + deleted)
            if after is None:
                break
            if deadline is not None and time.monotonic() > deadline:
                counts.complete = False
                return counts
            if pause_seconds:
                time.sleep(pause_seconds)
    return counts


def _delete_batch(kind: str, queryset: QuerySet, after: int, size: int, on_batch) -> tuple[int, int | None]:
    """Delete the next `size` matching rows with pk > `after`; returns (deleted, last pk),
    the last pk None when nothing was left."""
    with transaction.atomic():
        pks = list(queryset.filter(pk__gt=after).order_by("pk").values_list("pk", flat=True)[:size])
        if not pks:
            return 0, None
        # The range, with the conditions again: a row that changed since (a
        # conversation that just got an event) is no longer selected.
        batch = queryset.filter(pk__gt=after, pk__lte=pks[-1])
        deleted = DELETERS[kind](batch)
        if on_batch is not None:
            on_batch(kind, deleted)
    return deleted, pks[-1]


def _delete_events(batch: QuerySet) -> int:
    return batch.delete()[1].get(Event._meta.label, 0)  # one DELETE: nothing refers to an event


def _delete_deliveries(batch: QuerySet) -> int:
    # Their events (if any are left) keep existing without a delivery
    # (SET_NULL); only the primary keys are loaded, not the stored bodies.
    deleted = batch.only("pk").delete()[1]
    return deleted.get(Delivery._meta.label, 0)


def _delete_conversations(batch: QuerySet) -> int:
    # Lock first: the webhook writer waits to add an event to a locked
    # conversation, and one that got an event before the lock no longer matches.
    pks = list(batch.select_for_update(of=("self",)).values_list("pk", flat=True))
    deleted = Conversation.objects.filter(pk__in=pks).delete()[1]
    return deleted.get(Conversation._meta.label, 0)


DELETERS = {
    "events": _delete_events,
    "deliveries": _delete_deliveries,
    "conversations": _delete_conversations,
}
