"""Lease-based claims of queue rows and of scheduled runs (worker.claims)."""

import threading
from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.utils import timezone

from webhooks.models import PendingBroadcast
from worker import claims
from worker.models import Schedule

pytestmark = pytest.mark.django_db(transaction=True)


def _rows(count: int) -> list[int]:
    rows = PendingBroadcast.objects.bulk_create(
        [PendingBroadcast(conversation_pk=n, from_seq=1, to_seq=1) for n in range(count)]
    )
    return [row.pk for row in rows]


def _expire_leases() -> None:
    PendingBroadcast.objects.update(leased_until=timezone.now() - timedelta(seconds=1))


def test_it_claims_up_to_the_limit_in_order():
    pks = _rows(5)

    claimed = claims.claim(PendingBroadcast.objects.all(), limit=3)

    assert [row.pk for row in claimed] == pks[:3]
    assert len({row.lease_token for row in claimed}) == 1
    assert all(row.leased_until > timezone.now() for row in claimed)


def test_a_claimed_row_is_not_claimed_again_while_leased():
    pks = _rows(3)
    claims.claim(PendingBroadcast.objects.all(), limit=2)

    assert [row.pk for row in claims.claim(PendingBroadcast.objects.all())] == [pks[2]]
    assert claims.claim(PendingBroadcast.objects.all()) == []


def test_concurrent_claimers_never_get_the_same_row():
    pks = set(_rows(300))
    taken: list[list[int]] = [[], [], []]

    def claimer(index: int) -> None:
        try:
            while rows := claims.claim(PendingBroadcast.objects.all(), limit=7):
                taken[index].extend(row.pk for row in rows)
        finally:
            connection.close()

    threads = [threading.Thread(target=claimer, args=(i,)) for i in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    everything = [pk for part in taken for pk in part]
    assert sorted(everything) == sorted(pks)  # each row once, none lost


def test_a_row_locked_by_another_claim_is_skipped_not_waited_for():
    first, second = _rows(2)
    locked = threading.Event()
    release = threading.Event()

    def hold_lock():
        with transaction.atomic():
            list(PendingBroadcast.objects.select_for_update().filter(pk=first))
            locked.set()
            release.wait(10)
        connection.close()

    holder = threading.Thread(target=hold_lock)
    holder.start()
    locked.wait(10)
    try:
        claimed = claims.claim(PendingBroadcast.objects.all())
    finally:
        release.set()
        holder.join()

    assert [row.pk for row in claimed] == [second]


def test_an_expired_lease_is_claimed_again():
    _rows(1)
    (first,) = claims.claim(PendingBroadcast.objects.all())
    _expire_leases()

    (again,) = claims.claim(PendingBroadcast.objects.all())

    assert again.pk == first.pk
    assert again.lease_token != first.lease_token


def test_ending_a_lease_taken_over_by_another_worker_fails():
    _rows(1)
    (mine,) = claims.claim(PendingBroadcast.objects.all())
    _expire_leases()
    (theirs,) = claims.claim(PendingBroadcast.objects.all())

    assert claims.complete(mine, attempts=5) is False
    assert claims.delete(mine) is False
    assert claims.delete_many([mine]) == 0
    assert claims.release(mine) is False
    assert claims.delete(theirs) is True
    assert not PendingBroadcast.objects.exists()


def test_complete_saves_changes_and_frees_the_row():
    _rows(1)
    (row,) = claims.claim(PendingBroadcast.objects.all())

    assert claims.complete(row, attempts=3) is True

    row.refresh_from_db()
    assert (row.attempts, row.leased_until, row.lease_token) == (3, None, "")


def test_release_with_a_delay_keeps_the_row_unclaimable_until_then():
    _rows(1)
    (row,) = claims.claim(PendingBroadcast.objects.all())

    assert claims.release(row, delay_seconds=30, attempts=1) is True

    assert claims.claim(PendingBroadcast.objects.all()) == []
    _expire_leases()
    assert len(claims.claim(PendingBroadcast.objects.all())) == 1


def test_extend_pushes_the_lease_back():
    _rows(1)
    (row,) = claims.claim(PendingBroadcast.objects.all(), lease_seconds=1)

    assert claims.extend(row, lease_seconds=600) is True

    assert PendingBroadcast.objects.get().leased_until > timezone.now() + timedelta(seconds=500)


# --- Scheduled runs ---------------------------------------------------------------------


def test_a_schedule_runs_once_per_interval_across_workers():
    run = claims.schedule_claim("job", every=3600)

    assert run is not None
    assert claims.schedule_claim("job", every=3600) is None  # running elsewhere
    assert claims.schedule_done(run, finished=True) is True
    assert claims.schedule_claim("job", every=3600) is None  # not due for an hour
    Schedule.objects.update(next_run_at=timezone.now())
    assert claims.schedule_claim("job", every=3600) is not None


def test_an_unfinished_run_is_continued_with_its_counts():
    run = claims.schedule_claim("job", every=3600)
    with transaction.atomic():
        run.count(events=5)
    claims.schedule_done(run, finished=False)

    again = claims.schedule_claim("job", every=3600)
    with transaction.atomic():
        again.count(events=2, deliveries=1)
    claims.schedule_done(again, finished=True)

    schedule = Schedule.objects.get()
    assert schedule.run_counts == {"events": 7, "deliveries": 1}
    assert schedule.run_finished_at is not None


def test_a_new_run_starts_with_fresh_counts():
    run = claims.schedule_claim("job", every=0)
    with transaction.atomic():
        run.count(events=5)
    claims.schedule_done(run, finished=True)

    claims.schedule_claim("job", every=0)

    assert Schedule.objects.get().run_counts == {}


def test_a_crashed_run_is_continued_once_its_lease_expires():
    crashed = claims.schedule_claim("job", every=3600, lease_seconds=60)
    with transaction.atomic():
        crashed.count(events=4)
    assert claims.schedule_claim("job", every=3600) is None
    Schedule.objects.update(leased_until=timezone.now() - timedelta(seconds=1))

    taken_over = claims.schedule_claim("job", every=3600)

    assert taken_over is not None
    assert Schedule.objects.get().run_counts == {"events": 4}
    with pytest.raises(claims.LeaseLostError), transaction.atomic():
        crashed.count(events=1)  # the crashed worker, back too late, counts nothing
    assert claims.schedule_done(crashed) is False
    assert Schedule.objects.get().run_counts == {"events": 4}
