"""End to end: the sandbox's dispatcher posts to this app's own webhook receiver
(webhooks/receiver.py, in a real daphne process), which verifies the signature
and stores the events, as it would for LivePerson."""

import pytest

from apps_admin.models import Installation as KnownInstallation
from sandbox.models import Account, Notification
from sandbox.tests.webhook_endpoint import (
    SECRET,
    all_finished,
    open_conversation_with_message,
    sandbox_app,
    wait_until,
)
from webhooks.models import Delivery, Event


def known_to_the_receiver(app) -> None:
    """The local record the receiver verifies signatures with (apps_admin keeps it)."""
    record = KnownInstallation(
        account_id=app.account.account_id, client_id=app.client_id, name="Dispatcher test", enabled=True
    )
    record.client_secret = SECRET
    record.save()


@pytest.mark.parametrize("algorithm", ["sha1", "sha256"])
def test_the_receiver_verifies_and_stores_what_the_dispatcher_posts(daphne, dispatcher, algorithm):
    Account.objects.filter(account_id="90000001").update(webhook_signature=algorithm)
    # As the demo app's endpoint is configured: https, on this site's host.
    app = sandbox_app(f"https://{daphne.host}/notifications/event")
    known_to_the_receiver(app)

    conversation = open_conversation_with_message(app, "Grüße 👋 «ok»")
    wait_until(all_finished)

    assert set(Notification.objects.values_list("status", flat=True)) == {Notification.Status.DELIVERED}
    deliveries = list(Delivery.objects.filter(client_id=app.client_id))
    assert len(deliveries) == 2
    assert {(d.status, d.accepted, d.signature_valid, d.signature_algorithm) for d in deliveries} == {
        (200, True, True, algorithm)
    }
    events = Event.objects.filter(conversation__conversation_id=conversation.conversation_id).order_by("seq")
    assert [e.event_type for e in events][-1] == "ContentEvent"
    assert events.last().payload["event"]["message"] == "Grüße 👋 «ok»"
