"""manage.py purge_webhook_events --older-than 30d [--account ID] [--app CLIENT_ID] [--dry-run]"""

import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from core.progress import ProgressBars
from webhooks import purge


def age(value: str):
    try:
        return purge.parse_age(value)
    except ValueError as exc:
        raise CommandError(str(exc)) from None


class Command(BaseCommand):
    help = (
        "Delete stored webhook events and deliveries older than an age, and the conversations "
        "left without events; in short batches, safe while webhooks arrive."
    )

    def add_arguments(self, parser):
        parser.add_argument("--older-than", required=True, type=age, help="e.g. 30d, 12h, 90m, 2w")
        parser.add_argument("--account", default="", help="only this LivePerson account id")
        parser.add_argument("--app", default="", metavar="CLIENT_ID", help="only this app (client id)")
        parser.add_argument("--dry-run", action="store_true", help="count what would go; delete nothing")
        parser.add_argument("--batch-size", type=int, default=settings.WEBHOOK_PURGE_BATCH_SIZE)
        parser.add_argument(
            "--progress", action="store_true", help="show a progress bar even when stdout is not a terminal"
        )

    def handle(self, *args, older_than, account, app, dry_run, batch_size, progress, **options):
        if batch_size <= 0:
            raise CommandError("--batch-size must be positive")
        scope = {"cutoff": timezone.now() - older_than, "account_id": account, "client_id": app}
        counts = purge.purge_count(**scope)
        self.stdout.write(
            f"Older than {scope['cutoff']:%Y-%m-%d %H:%M:%S} UTC{self._scope_text(account, app)}:"
        )
        if dry_run:
            self.stdout.write(f"Dry run: would delete {self._counts_text(counts)}. Nothing was deleted.")
            return
        bars = None
        if progress or self.stdout.isatty():
            bars = ProgressBars(self.stdout, {kind: getattr(counts, kind) for kind in purge.KINDS})
        started = time.monotonic()
        deleted = purge.webhooks_purge(
            **scope,
            batch_size=batch_size,
            pause_seconds=settings.WEBHOOK_PURGE_PAUSE_SECONDS,
            on_batch=bars,
        )
        if bars is not None:
            bars.close()
        elapsed = time.monotonic() - started
        self.stdout.write(self.style.SUCCESS(f"Deleted {self._counts_text(deleted)} in {elapsed:.1f} s."))

    @staticmethod
    def _scope_text(account: str, app: str) -> str:
        parts = [f"account {account}"] * bool(account) + [f"app {app}"] * bool(app)
        return f" ({', '.join(parts)})" if parts else ""

    @staticmethod
    def _counts_text(counts) -> str:
        return (
            f"{counts.events:,} events, {counts.deliveries:,} deliveries"
            f" and {counts.conversations:,} conversations"
        )
