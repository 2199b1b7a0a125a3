"""An app's webhook endpoint for the dispatcher tests: a real threaded HTTP server
on loopback that records every request and answers what the test asks."""

import json
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from django.db import transaction

from sandbox import messaging
from sandbox.models import Account, Consumer, Installation, MessagingConversation, Notification

CONTENT = "ms.MessagingEventNotification.ContentEvent"
CONVERSATION_CHANGE = "cqm.ExConversationChangeNotification"
WEBHOOK_KEYS = [
    CONTENT,
    "ms.MessagingEventNotification.RichContentEvent",
    "ms.MessagingEventNotification.AcceptStatusEvent",
    "ms.MessagingEventNotification.ChatStateEvent",
    CONVERSATION_CHANGE,
]
SECRET = "sandbox-app-secret-0123456789abcdef"


@dataclass
class Received:
    path: str
    headers: dict  # names lower-cased
    body: bytes
    at: float  # time.monotonic()

    @property
    def change(self) -> dict:
        return json.loads(self.body)["body"]["changes"][0]

    @property
    def conversation_id(self) -> str:
        return self.change.get("conversationId", "")

    @property
    def text(self) -> str:
        return self.change.get("event", {}).get("message", "")


class Endpoint:
    """Answers each POST with `answer(received) -> (status, delay_seconds)`; 200 by default."""

    def __init__(self):
        self.received: list[Received] = []
        self.answer: Callable[[Received], tuple[int, float]] = lambda received: (200, 0.0)
        self._lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self.server.daemon_threads = True
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        """https, as LivePerson requires: the dispatcher calls loopback over plain http."""
        return f"https://127.0.0.1:{self.server.server_address[1]}/hook"

    def record(self, received: Received) -> None:
        with self._lock:
            self.received.append(received)

    def requests(self) -> list[Received]:
        with self._lock:
            return list(self.received)

    def start(self) -> "Endpoint":
        self._thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def _handler_for(endpoint: Endpoint):
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 - http.server's naming
            body = self.rfile.read(int(self.headers.get("content-length", 0)))
            headers = {name.lower(): value for name, value in self.headers.items()}
            received = Received(path=self.path, headers=headers, body=body, at=time.monotonic())
            endpoint.record(received)
            status, delay = endpoint.answer(received)
            time.sleep(delay)
            try:
                self.send_response(status)
                self.send_header("content-length", "2")
                self.end_headers()
                self.wfile.write(b"OK")
            except (BrokenPipeError, ConnectionResetError):
                pass  # the dispatcher gave up waiting: as an overloaded app would see it

        def log_message(self, format, *args):  # noqa: A002 - http.server's signature
            pass

    return Handler


def wait_until(condition: Callable[[], object], timeout: float = 30.0, message: str = "") -> object:
    """Poll until `condition()` is truthy; a generous limit, never a speed assertion."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = condition()
        if result:
            return result
        time.sleep(0.02)
    raise AssertionError(message or "condition not met in time")


def all_finished() -> bool:
    return not Notification.objects.pending().exists()


# --- Sandbox data ------------------------------------------------------------------


def sandbox_app(
    endpoint: str,
    *,
    account_id: str = "90000001",
    webhooks: list[str] | None = None,
    max_retries: int | None = None,
    retention_time: int | None = None,
    headers: list[dict] | None = None,
    client_id: str = "",
    secret: str = SECRET,
) -> Installation:
    """A sandbox app installation, enabled, with an endpoint for each webhook key."""
    hooks = {}
    for key in webhooks or WEBHOOK_KEYS:
        hooks[key] = {"endpoint": endpoint, "headers": headers or []}
        if max_retries is not None:
            hooks[key]["max_retries"] = max_retries
    if retention_time is not None:
        hooks["retry"] = {"retention_time": retention_time}
    return Installation.objects.create(
        account=Account.objects.get(account_id=account_id),
        client_id=client_id or str(uuid.uuid4()),
        client_secret=secret,
        client_id_issued_at=int(time.time()),
        data={"client_name": "Dispatcher test", "enabled": True, "capabilities": {"webhooks": hooks}},
    )


def queue(app: Installation, conversation_id: str, text: str, *, webhook: str = CONTENT) -> Notification:
    """A queued messaging notification, serialised as sandbox.messaging does."""
    body = {
        "kind": "notification",
        "type": "ms.MessagingEventNotification",
        "body": {
            "changes": [
                {
                    "conversationId": conversation_id,
                    "dialogId": conversation_id,
                    "event": {"type": "ContentEvent", "contentType": "text/plain", "message": text},
                }
            ]
        },
    }
    return Notification.objects.create(
        installation=app,
        conversation_id=conversation_id,
        webhook=webhook,
        body=json.dumps(body, ensure_ascii=False, separators=(",", ":")),
    )


def open_conversation_with_message(app: Installation, text: str) -> MessagingConversation:
    """Through the messaging core, as the Send API does: an ExConversation UPSERT
    and the consumer's ContentEvent are queued for the app."""
    consumer = Consumer.objects.create(
        account=app.account, ext_consumer_id=str(uuid.uuid4()), lp_consumer_id=uuid.uuid4().hex * 2
    )
    conversation = messaging.conversation_open(consumer=consumer, installation=app)
    with transaction.atomic():
        locked = messaging.conversation_locked(conversation.conversation_id)
        messaging.publish(
            locked,
            messaging.main_dialog(locked),
            role="CONSUMER",
            originator_id=consumer.lp_consumer_id,
            event={"type": "ContentEvent", "contentType": "text/plain", "message": text},
        )
    return conversation
