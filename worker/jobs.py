"""The worker app's own jobs (settings.WORKER_JOBS)."""

from django.conf import settings
from django.core.management import call_command

from worker import claims

CLEAR_SESSIONS_SCHEDULE = "worker.clear_sessions"


def clear_sessions() -> int:
    """Django's clearsessions, once per cleanup interval across all workers."""
    run = claims.schedule_claim(CLEAR_SESSIONS_SCHEDULE, every=settings.WORKER_CLEANUP_INTERVAL_SECONDS)
    if run is None:
        return 0
    call_command("clearsessions")
    claims.schedule_done(run)
    return 1
