"""Claiming work from the database, so that several workers can share it and a
crashed one loses nothing.

Queue tables (rows to process):

    class Attempt(worker.models.Leased):   # adds leased_until, lease_token
        due_at = models.DateTimeField()

    for row in claims.claim(Attempt.objects.filter(due_at__lte=now), limit=50):
        ...                                   # slow work: HTTP etc., outside any transaction
        claims.delete(row)                    # done; or
        claims.release(row, delay_seconds=30, attempts=row.attempts + 1)   # retry later

- `claim(queryset, *, limit, lease_seconds)` leases up to `limit` free rows of
  the queryset (free: `leased_until` NULL or past) to this caller and returns
  them, each with its `lease_token`. On PostgreSQL the candidates are chosen
  with `SELECT ... FOR UPDATE SKIP LOCKED`, so concurrent claimers never wait on
  each other nor get the same row; elsewhere (SQLite) the conditional UPDATE
  decides. The claim commits at once: no transaction stays open during the work.
- A lease expires after `lease_seconds` (default settings.WORKER_LEASE_SECONDS):
  the rows of a worker that died are claimed again by another one. Pick a lease
  longer than the work on the claimed rows can take, or call `extend`.
- `complete(row, **changes)`, `delete(row)` (or `delete_many(rows)`, which
  returns how many) and `release(row, delay_seconds=0, **changes)` end the
  lease, and only if the caller still holds it: they return False (0) when
  the lease expired and someone else took the row, in which case the
  work was done twice and the caller should not record it again. `release` with
  a delay keeps the row unclaimable until then (a retry back-off).

At-least-once: work whose effect lies outside this database (an HTTP call, a
channel-layer message) is repeated if the worker dies after the effect and
before `delete`/`complete`; make such effects harmless to repeat. Work whose
effect is a write to this database is exactly-once if it is written in the same
transaction as `complete`/`delete` (then check their return value and roll
back when False).

Scheduled jobs (one run at a time across all workers, every N seconds):

    run = claims.schedule_claim("webhooks.purge", every=3600)
    if run is None:
        return 0                               # not due, or another worker runs it
    with transaction.atomic():
        done = ...                             # one bounded piece of the work
        run.count(events=done)                 # exact counts, same transaction
    claims.schedule_done(run, finished=not more_to_do)

A run is continued (not restarted) by the next claim when it ended with
`finished=False` or its worker died (its lease expired), so long runs can be
split into short calls.
"""

import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Model, Q, QuerySet
from django.utils import timezone

from worker.models import Schedule


class LeaseLostError(Exception):
    """The lease ran out and another worker took the work over."""


def new_token() -> str:
    return secrets.token_hex(16)


def _free(now) -> Q:
    return Q(leased_until__isnull=True) | Q(leased_until__lt=now)


def _lease(lease_seconds: float | None) -> timedelta:
    return timedelta(seconds=settings.WORKER_LEASE_SECONDS if lease_seconds is None else lease_seconds)


# --- Queue tables --------------------------------------------------------------------


def claim(queryset: QuerySet, *, limit: int = 100, lease_seconds: float | None = None) -> list[Model]:
    """Lease up to `limit` free rows of `queryset` (in its order, else by pk) and return them."""
    now = timezone.now()
    token = new_token()
    ordered = queryset if queryset.ordered else queryset.order_by("pk")
    with transaction.atomic():
        candidates = ordered.filter(_free(now)).select_for_update(skip_locked=True, of=("self",))
        pks = list(candidates.values_list("pk", flat=True)[:limit])
        if not pks:
            return []
        manager = queryset.model._default_manager
        manager.filter(_free(now), pk__in=pks).update(
            leased_until=now + _lease(lease_seconds), lease_token=token
        )
    return list(queryset.model._default_manager.filter(pk__in=pks, lease_token=token).order_by("pk"))


def _held(row: Model) -> QuerySet:
    return row._meta.default_manager.filter(pk=row.pk, lease_token=row.lease_token)


def complete(row: Model, **changes) -> bool:
    """Save `changes` and free the row, if the caller still holds its lease."""
    return _held(row).update(leased_until=None, lease_token="", **changes) == 1


def delete(row: Model) -> bool:
    """Delete the claimed row, if the caller still holds its lease."""
    deleted, _ = _held(row).delete()
    return deleted >= 1


def delete_many(rows: list[Model]) -> int:
    """Delete the claimed rows still held by the caller; returns how many."""
    deleted = 0
    for token, pks in _by_token(rows).items():
        model = rows[0]._meta.model
        counts = model._default_manager.filter(pk__in=pks, lease_token=token).delete()[1]
        deleted += counts.get(model._meta.label, 0)
    return deleted


def _by_token(rows: list[Model]) -> dict[str, list]:
    tokens: dict[str, list] = {}
    for row in rows:
        tokens.setdefault(row.lease_token, []).append(row.pk)
    return tokens


def release(row: Model, *, delay_seconds: float = 0, **changes) -> bool:
    """Give the row back (claimable again after `delay_seconds`), saving `changes`."""
    until = timezone.now() + timedelta(seconds=delay_seconds) if delay_seconds > 0 else None
    return _held(row).update(leased_until=until, lease_token="", **changes) == 1


def extend(row: Model, *, lease_seconds: float | None = None) -> bool:
    """Make the lease last `lease_seconds` from now (long work)."""
    return _held(row).update(leased_until=timezone.now() + _lease(lease_seconds)) == 1


# --- Scheduled jobs --------------------------------------------------------------------


@dataclass
class Run:
    """A claimed run of a scheduled job."""

    name: str
    token: str
    every: float

    def count(self, **units: int) -> None:
        """Add to the run's counts; call inside the transaction of the work counted.

        Raises LeaseLostError (rolling that transaction back) when another
        worker has taken the run over.
        """
        row = Schedule.objects.select_for_update().filter(name=self.name, lease_token=self.token).first()
        if row is None:
            raise LeaseLostError(self.name)
        for unit, number in units.items():
            row.run_counts[unit] = row.run_counts.get(unit, 0) + number
        row.save(update_fields=["run_counts"])


def schedule_claim(name: str, *, every: float, lease_seconds: float | None = None) -> Run | None:
    """Claim the job `name` if it is due and nobody runs it; None otherwise."""
    now = timezone.now()
    Schedule.objects.bulk_create([Schedule(name=name, next_run_at=now)], ignore_conflicts=True)
    with transaction.atomic():
        due = Schedule.objects.filter(_free(now), name=name, next_run_at__lte=now)
        row = due.select_for_update(skip_locked=True).first()
        if row is None:
            return None
        if row.run_started_at is None or row.run_finished_at is not None:
            row.run_started_at, row.run_finished_at, row.run_counts = now, None, {}
        row.leased_until, row.lease_token = now + _lease(lease_seconds), new_token()
        row.save()
    return Run(name=name, token=row.lease_token, every=every)


def schedule_done(run: Run, *, finished: bool = True) -> bool:
    """End this call of the run: finished, it is due again in `every` seconds;
    unfinished, at once (any worker continues it)."""
    now = timezone.now()
    changes = {"leased_until": None, "lease_token": ""}
    if finished:
        changes.update(next_run_at=now + timedelta(seconds=run.every), run_finished_at=now)
    return Schedule.objects.filter(name=run.name, lease_token=run.token).update(**changes) == 1


def schedule_last_run(name: str) -> Schedule | None:
    return Schedule.objects.filter(name=name).first()
