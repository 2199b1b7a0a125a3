from django.core.management.base import BaseCommand

from sandbox.services import sandbox_seed, webhook_activation_set


class Command(BaseCommand):
    help = "Create the sandbox's demo LivePerson accounts and users (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--webhook-activation",
            type=int,
            default=None,
            metavar="SECONDS",
            help="how long a new app waits for its webhooks on every seeded account "
            "(LivePerson: up to 120 s, the default of a new account; 0: at once)",
        )

    def handle(self, *args, webhook_activation, **options):
        accounts = sandbox_seed()
        if webhook_activation is not None:
            webhook_activation_set(seconds=max(0, webhook_activation))
        for account in accounts:
            logins = ", ".join(account.users.order_by("id").values_list("login_name", flat=True))
            self.stdout.write(f"sandbox account {account.account_id} ({account.name}): {logins}")
