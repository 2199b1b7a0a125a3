"""manage.py worker: run the background jobs of settings.WORKER_JOBS until stopped."""

import logging
import signal

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from worker.loop import Worker, load_jobs
from worker.wake import make_waiter

logger = logging.getLogger("worker")


class Command(BaseCommand):
    help = "Run the background jobs (settings.WORKER_JOBS); SIGTERM or Ctrl-C stops it after the current job."

    def add_arguments(self, parser):
        parser.add_argument(
            "--job", action="append", dest="only", metavar="PATH", help="run only this job (repeatable)"
        )

    def handle(self, *args, only=None, **options):
        try:
            jobs = load_jobs(settings.WORKER_JOBS, only=only)
        except (ImportError, ValueError) as exc:
            raise CommandError(str(exc)) from None
        waiter = make_waiter()
        worker = Worker(
            jobs,
            waiter=waiter,
            poll_seconds=settings.WORKER_POLL_SECONDS,
            heartbeat_file=settings.WORKER_HEARTBEAT_FILE,
        )
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: worker.stop())
        logger.info("worker started: %s", ", ".join(job.path for job in jobs) or "no jobs")
        try:
            worker.run()
        finally:
            waiter.close()
        logger.info("worker stopped")
