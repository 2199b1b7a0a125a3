"""The webhooks app's worker jobs (settings.WORKER_JOBS): each takes no
arguments and returns the units of work it did, 0 when it had nothing to do."""

import logging
from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from webhooks import broadcasts, held, purge
from worker import claims

logger = logging.getLogger(__name__)

PURGE_SCHEDULE = "webhooks.purge_expired"


def republish_broadcasts() -> int:
    """Send again the broadcasts the channel layer refused."""
    return broadcasts.pending_broadcasts_republish()


def release_held() -> int:
    """Verify and store the held requests of apps that are known now."""
    return held.held_release()


def purge_expired() -> int:
    """Delete webhook data older than WEBHOOK_RETENTION_DAYS, once per cleanup
    interval across all workers, a bounded piece per call."""
    days = settings.WEBHOOK_RETENTION_DAYS
    if days <= 0:
        return 0
    run = claims.schedule_claim(PURGE_SCHEDULE, every=settings.WORKER_CLEANUP_INTERVAL_SECONDS)
    if run is None:
        return 0
    counts = purge.webhooks_purge(
        cutoff=timezone.now() - timedelta(days=days),
        batch_size=settings.WEBHOOK_PURGE_BATCH_SIZE,
        pause_seconds=settings.WEBHOOK_PURGE_PAUSE_SECONDS,
        # Well within the lease, so that no other worker takes the run over meanwhile.
        max_seconds=settings.WORKER_LEASE_SECONDS / 3,
        on_batch=lambda kind, deleted: run.count(**{kind: deleted}),
    )
    claims.schedule_done(run, finished=counts.complete)
    if counts.complete:
        logger.info("retention: %s", claims.schedule_last_run(PURGE_SCHEDULE).run_counts)
    return counts.total
