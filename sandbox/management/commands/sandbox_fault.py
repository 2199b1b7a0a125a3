from django.core.management.base import BaseCommand, CommandError

from sandbox.models import Fault
from sandbox.seed import SERVICE_PATHS
from sandbox.services import fault_clear, fault_set

SERVICES = [Fault.ALL_SERVICES, "csds", *SERVICE_PATHS]


class Command(BaseCommand):
    help = "Make the sandbox LivePerson slow, down or failing, or clear those faults."

    def add_arguments(self, parser):
        parser.add_argument("mode", choices=[*Fault.Mode.values, "clear", "list"])
        parser.add_argument("--service", default=Fault.ALL_SERVICES, choices=SERVICES)
        parser.add_argument("--delay", type=float, default=5.0, help="seconds, for 'slow'")
        parser.add_argument("--status", type=int, default=500, help="HTTP status, for 'status'")

    def handle(self, *args, mode, service, delay, status, **options):
        if mode == "list":
            for fault in Fault.objects.order_by("service"):
                self.stdout.write(f"{fault.service}: {fault.get_mode_display()}")
            return
        if mode == "clear":
            count = fault_clear(service=None if service == Fault.ALL_SERVICES else service)
            self.stdout.write(f"cleared {count} fault(s)")
            return
        if not 100 <= status <= 599:
            raise CommandError("--status must be an HTTP status code")
        fault = fault_set(service=service, mode=mode, delay_seconds=delay, status=status)
        self.stdout.write(f"sandbox {fault.service}: {fault.get_mode_display()}")
