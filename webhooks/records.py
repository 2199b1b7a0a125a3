"""What the webhook receiver decided about one request (DeliveryRecord), what
storing it gave (Stored), and the rows both stores build from it."""

from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.utils import timezone

from webhooks.models import Delivery, Event
from webhooks.notifications import Change, Limits


@dataclass
class DeliveryRecord:
    """What the receiver decided about one request, ready to be stored."""

    status: int
    accepted: bool
    reason: str
    account_id: str = ""
    client_id: str = ""
    method: str = "POST"
    detail: str = ""
    remote_address: str = ""
    signature_algorithm: str = ""
    signature_valid: bool | None = None
    headers: dict = field(default_factory=dict)
    sealed_headers: str = ""
    body: str = ""
    body_truncated: bool = False
    notification_type: str = ""
    changes: list[Change] = field(default_factory=list)
    received_at: datetime = field(default_factory=timezone.now)
    # The request's id for the log lines about it (never stored: the access line has it).
    request_id: str = ""

    def fit(self) -> "DeliveryRecord":
        """Cut every text the request chose to its column's length (in place).

        Whatever a stranger sends, the row fits: one request that did not made
        its whole batch fail and be retried record by record.
        """
        for name, length in _TEXT_COLUMNS.items():
            value = getattr(self, name)
            if len(value) > length:
                setattr(self, name, value[:length])
        return self


def _column_lengths(model, names) -> dict[str, int]:
    return {name: model._meta.get_field(name).max_length for name in names}


_TEXT_COLUMNS = _column_lengths(
    Delivery,
    [
        "account_id",
        "client_id",
        "method",
        "detail",
        "remote_address",
        "signature_algorithm",
        "notification_type",
    ],
)


@dataclass
class Stored:
    delivery: Delivery
    events: list[Event]


def limits() -> Limits:
    """What one notification may hold, from the settings."""
    return Limits(max_depth=settings.WEBHOOK_MAX_DEPTH, max_changes=settings.WEBHOOK_MAX_CHANGES)


def delivery_fields(record: DeliveryRecord) -> dict:
    """The columns of a record's delivery row that the record itself decides."""
    return {
        "received_at": record.received_at,
        "account_id": record.account_id,
        "client_id": record.client_id,
        "method": record.method,
        "status": record.status,
        "accepted": record.accepted,
        "reason": record.reason,
        "detail": record.detail,
        "remote_address": record.remote_address,
        "signature_algorithm": record.signature_algorithm,
        "signature_valid": record.signature_valid,
        "headers": record.headers,
        "sealed_headers": record.sealed_headers,
        "body": record.body,
        "body_truncated": record.body_truncated,
        "notification_type": record.notification_type,
    }


def delivery_from(record: DeliveryRecord, **decided) -> Delivery:
    """The delivery row of a record; `decided`: what the transaction settled (pk, reason, event_count)."""
    return Delivery(**{**delivery_fields(record), **decided})


def event_from(record: DeliveryRecord, change: Change, **numbered) -> Event:
    """The event row of one change; `numbered`: its conversation and seq (and pk, delivery)."""
    return Event(
        account_id=record.account_id,
        client_id=record.client_id,
        notification_type=record.notification_type,
        event_type=change.event_type[:64],
        dialog_id=change.dialog_id[:128],
        dedupe_key=change.dedupe_key,
        payload=change.payload,
        received_at=record.received_at,
        **numbered,
    )
