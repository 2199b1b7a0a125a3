"""What the worker keeps in the database: the runs of scheduled jobs, and the
lease fields that let several workers share a queue table (worker.claims)."""

from django.db import models
from django.utils import timezone


class Leased(models.Model):
    """Abstract: add to a queue table whose rows workers claim with worker.claims.claim."""

    # Free when NULL or in the past; a crashed worker's claim thus expires.
    leased_until = models.DateTimeField(null=True, blank=True, db_index=True)
    lease_token = models.CharField(max_length=32, blank=True)

    class Meta:
        abstract = True


class Schedule(models.Model):
    """One periodic job shared by all workers: who runs it, and when next.

    A run may take several calls of its job (each one bounded in time); its
    counts are added in the same transaction as the work they count, so they
    stay exact when a worker dies in the middle.
    """

    name = models.CharField(max_length=200, primary_key=True)
    next_run_at = models.DateTimeField(default=timezone.now)
    leased_until = models.DateTimeField(null=True, blank=True)
    lease_token = models.CharField(max_length=32, blank=True)
    run_started_at = models.DateTimeField(null=True, blank=True)
    run_finished_at = models.DateTimeField(null=True, blank=True)
    run_counts = models.JSONField(default=dict, blank=True)

    def __str__(self):
        return self.name
