"""Queue sandbox webhook notifications for the worker scenario of bench.faults.

`python -m bench.fault_seed <endpoint> <conversations> <messages>`, with the
benchmark's environment: through the sandbox's messaging core, as its Send
API would, opens `conversations` conversations with `messages` consumer
messages each, for a sandbox app whose webhooks point at `endpoint` and whose
client id and secret are the benchmark app's (bench.seed), so the receiver
verifies what the worker's dispatcher posts. Each conversation queues one
ExConversation UPSERT and `messages` ContentEvents, all with the identity the
receiver dedupes redeliveries on. Prints {"conversation_ids": [...],
"notifications": n} as the last line.
"""

import json
import os
import sys

import django

WEBHOOKS = ["ms.MessagingEventNotification.ContentEvent", "cqm.ExConversationChangeNotification"]


def main(endpoint: str, conversations: int, messages: int) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "connector_site.settings")
    django.setup()
    from bench.seed import CLIENT_ID, SECRET
    from sandbox.models import Installation, Notification
    from sandbox.services import sandbox_seed, webhook_activation_set
    from sandbox.tests.webhook_endpoint import sandbox_app

    sandbox_seed()
    webhook_activation_set(seconds=0)  # the new app's webhooks at once, not after LivePerson's delay
    Installation.objects.filter(client_id=CLIENT_ID).delete()  # an earlier scenario's, in this database
    # Retried with back-off for an hour, as a LivePerson app with a retention time would be.
    app = sandbox_app(
        endpoint, webhooks=WEBHOOKS, client_id=CLIENT_ID, secret=SECRET, max_retries=5, retention_time=3600
    )
    ids = [_conversation(app, messages) for _ in range(conversations)]
    print(
        json.dumps(
            {"conversation_ids": ids, "notifications": Notification.objects.filter(installation=app).count()}
        )
    )


def _conversation(app, messages: int) -> str:
    from django.db import transaction

    from sandbox import messaging
    from sandbox.tests.webhook_endpoint import open_conversation_with_message

    conversation = open_conversation_with_message(app, "message 1")
    with transaction.atomic():
        locked = messaging.conversation_locked(conversation.conversation_id)
        dialog = messaging.main_dialog(locked)
        for number in range(2, messages + 1):
            event = {"type": "ContentEvent", "contentType": "text/plain", "message": f"message {number}"}
            messaging.publish(
                locked, dialog, role="CONSUMER", originator_id=locked.consumer.lp_consumer_id, event=event
            )
    return conversation.conversation_id


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]))
