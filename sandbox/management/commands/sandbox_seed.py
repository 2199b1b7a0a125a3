from django.core.management.base import BaseCommand

from sandbox.services import sandbox_seed


class Command(BaseCommand):
    help = "Create the sandbox's demo LivePerson accounts and users (idempotent)."

    def handle(self, *args, **options):
        for account in sandbox_seed():
            logins = ", ".join(account.users.order_by("id").values_list("login_name", flat=True))
            self.stdout.write(f"sandbox account {account.account_id} ({account.name}): {logins}")
